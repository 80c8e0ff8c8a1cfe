// Package tcpdumptest runs the real tcpdump for the tests that compare a
// printer's lines with its own.
package tcpdumptest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"tcpregress.dev/pcap/testenv"
)

// Path returns tcpdump's path. Without tcpdump the test is skipped, except
// under CI (CI set), where it fails: make test installs tcpdump
// ([testenv.Program]).
func Path(t testing.TB) string {
	t.Helper()
	return testenv.Program(t, "tcpdump", "tcpdump")
}

// Result is what one run of tcpdump printed and how it exited.
type Result struct {
	Stdout, Stderr string
	Code           int // the exit code: tcpdump exits 1 after a cut capture
}

// Lines returns the lines of standard output, without their newlines:
// none when tcpdump printed nothing.
func (r Result) Lines() []string {
	if r.Stdout == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(r.Stdout, "\n"), "\n")
}

// Run runs tcpdump with args, in UTC and the C locale so that its time
// stamps and words do not depend on the machine. The test fails when
// tcpdump cannot be started; a non-zero exit is the caller's to judge.
func Run(t testing.TB, args ...string) Result {
	t.Helper()
	cmd := exec.Command(Path(t), args...)
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("tcpdump %s: %v", strings.Join(args, " "), err)
	}
	return r
}
