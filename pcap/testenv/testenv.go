// Package testenv is test support for every module of the repository: it
// checks for what a test needs from the machine (a program such as tcpdump,
// root) and applies the project's rule when it is missing. On a developer's
// machine the test is skipped, with a message that says what to install; under
// CI (the CI environment variable set, as CI=true, and not to 0 or false) it
// fails, because make test installs every prerequisite there (scripts/deps.sh)
// and a test that never runs in CI tests nothing.
//
// It is the one place for that rule; Go's own tree has a package of the same
// name and purpose. [Eventually] is the one polling loop of the tests that
// wait for something they cannot be told about. It needs no cgo, and only the
// standard library.
package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// CI reports whether the tests run under CI, where a missing prerequisite
// fails the test instead of skipping it: the CI environment variable is set
// to anything but "", "0" or "false" (in any case), so CI=false does not
// count.
func CI() bool {
	switch v := os.Getenv("CI"); {
	case v == "", v == "0", strings.EqualFold(v, "false"):
		return false
	}
	return true
}

// Program returns the path of the program name, which the Debian package pkg
// installs. When it is not in PATH the test fails under CI and is skipped
// otherwise, both with a message naming the package.
func Program(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if CI() {
		t.Fatalf("%s is not installed: make test installs it under CI (scripts/deps.sh, Debian package %s)", name, pkg)
	}
	t.Skipf("%s is not installed (apt-get install %s, or make deps)", name, pkg)
	return ""
}

// Output runs the program at path (a reference tool: see [Program]) with args
// in the C locale, so that its words and number formats do not depend on the
// machine, and returns what it printed on standard output. The test fails if
// the program does not exit with 0; the message has its standard error.
func Output(t testing.TB, path string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", path, args, err, stderr.Bytes())
	}
	return out
}

// RequireRoot returns when the test runs as root (which it needs to make and
// enter network namespaces, to capture live). Otherwise the test fails under
// CI, which runs as root, and is skipped elsewhere.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if CI() {
		t.Fatal("this test needs root (network namespaces, live capture); CI runs as root")
	}
	t.Skip("needs root: network namespaces and live capture")
}

// Eventually calls cond until it returns true, and reports whether it did
// within the given time. It is for waiting on what a test cannot be told
// about (a kernel counter, a state another process reaches); the caller
// fails the test with its own message, which can say what it saw last.
func Eventually(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}
