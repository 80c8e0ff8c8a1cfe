package testenv_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"tcpregress.dev/pcap/testenv"
)

func TestProgramFound(t *testing.T) {
	path := testenv.Program(t, "sh", "dash")
	if want, _ := exec.LookPath("sh"); path != want {
		t.Errorf("Program(sh) = %q, want %q", path, want)
	}
}

// TestMissingProgram runs TestChildMissing in a child process, once as on a
// developer's machine and once under CI: it must skip, then fail, each time
// with the message that names the package.
func TestMissingProgram(t *testing.T) {
	out, err := runChild(t, "")
	if err != nil || !strings.Contains(out, "--- SKIP: TestChildMissing") ||
		!strings.Contains(out, "no-such-program-testenv is not installed (apt-get install no-such-package, or make deps)") {
		t.Errorf("without CI: %v, want a skip naming the package:\n%s", err, out)
	}
	out, err = runChild(t, "true")
	if err == nil || !strings.Contains(out, "--- FAIL: TestChildMissing") ||
		!strings.Contains(out, "no-such-program-testenv is not installed: make test installs it under CI (scripts/deps.sh, Debian package no-such-package)") {
		t.Errorf("with CI=true: %v, want a failure naming the package:\n%s", err, out)
	}
}

// runChild runs TestChildMissing in a child process with CI set to ci.
func runChild(t *testing.T, ci string) (string, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildMissing$", "-test.v")
	cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", "CI="+ci)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestChildMissing(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") == "" {
		t.Skip("run by TestMissingProgram")
	}
	testenv.Program(t, "no-such-program-testenv", "no-such-package")
	t.Error("Program returned for a missing program")
}

func TestEventually(t *testing.T) {
	calls := 0
	if !testenv.Eventually(5*time.Second, func() bool { calls++; return calls == 3 }) || calls != 3 {
		t.Errorf("a condition true at the third call: %d calls", calls)
	}
	start := time.Now()
	if testenv.Eventually(20*time.Millisecond, func() bool { return false }) {
		t.Error("a condition that never holds was reported true")
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("gave up after %v, before the 20 ms it was given", d)
	}
}

func TestOutputInCLocale(t *testing.T) {
	sh := testenv.Program(t, "sh", "dash")
	if got := string(testenv.Output(t, sh, "-c", `echo "$LC_ALL $LANG"; echo ignored >&2`)); got != "C C\n" {
		t.Errorf("Output = %q, want the C locale's %q", got, "C C\n")
	}
}

// TestCI: CI unset, empty, 0 or false (in any case) is not CI; anything else
// is.
func TestCI(t *testing.T) {
	for v, want := range map[string]bool{
		"": false, "0": false, "false": false, "FALSE": false, "False": false,
		"true": true, "1": true, "yes": true, "TRUE": true,
	} {
		t.Setenv("CI", v)
		if got := testenv.CI(); got != want {
			t.Errorf("CI=%q: CI() = %v, want %v", v, got, want)
		}
	}
	os.Unsetenv("CI") // t.Setenv puts back what was there at the end
	if testenv.CI() {
		t.Error("CI unset: CI() = true, want false")
	}
}
