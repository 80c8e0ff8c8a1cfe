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
// naming the package.
func TestMissingProgram(t *testing.T) {
	for _, tt := range []struct {
		ci       string
		wantExit bool
		want     string
	}{
		{"", false, "--- SKIP: TestChildMissing"},
		{"true", true, "--- FAIL: TestChildMissing"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestChildMissing$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD=1", "CI="+tt.ci)
		out, err := cmd.CombinedOutput()
		if (err != nil) != tt.wantExit {
			t.Errorf("CI=%q: exit error %v, want an error: %v\n%s", tt.ci, err, tt.wantExit, out)
		}
		if !strings.Contains(string(out), tt.want) || !strings.Contains(string(out), "no-such-package") {
			t.Errorf("CI=%q: output lacks %q or the package's name:\n%s", tt.ci, tt.want, out)
		}
	}
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
