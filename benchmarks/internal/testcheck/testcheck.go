// Package testcheck holds the checks the benchmark module's tests share.
package testcheck

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// Contains fails t for each of wants that got lacks, naming got what and
// showing it whole.
func Contains(t testing.TB, what, got string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, got)
		}
	}
}

// Run runs a command's run function with args, logs what it printed, fails
// t unless it exited 0, and returns its standard output.
func Run(t testing.TB, run func(args []string, stdout, stderr io.Writer) int, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	t.Logf("stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	return out.String()
}
