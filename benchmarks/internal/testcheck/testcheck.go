// Package testcheck holds the checks the benchmark module's tests share.
package testcheck

import (
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
