package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"

	"github.com/alecthomas/kong"
	"github.com/rs/zerolog"

	"tcpregress.dev/tools/cli/clitest"
)

// testCmd is a command whose Run returns a chosen error.
type testCmd struct {
	Globals
	Fail  string `help:"Fail with: plain, code, usage, epipe-stdout, epipe-other."`
	Print string `help:"Print this to stdout."`
}

type codeError struct{}

func (codeError) Error() string { return "custom failure" }
func (codeError) ExitCode() int { return 3 }

func (c *testCmd) Run(ctx *kong.Context, log zerolog.Logger) error {
	log.Info().Str("cmd", "test").Msg("running")
	if c.Logger.GetLevel() != log.GetLevel() {
		return fmt.Errorf("bound logger at %v, field at %v", log.GetLevel(), c.Logger.GetLevel())
	}
	if c.Print != "" {
		if _, err := io.WriteString(ctx.Stdout, c.Print); err != nil {
			return fmt.Errorf("writing: %w", err)
		}
	}
	switch c.Fail {
	case "plain":
		return errors.New("something broke")
	case "code":
		return fmt.Errorf("wrapped: %w", codeError{})
	case "usage":
		return Usagef("--fail=%s is not allowed here", c.Fail)
	case "epipe-other":
		return fmt.Errorf("write to peer: %w", syscall.EPIPE)
	}
	return nil
}

func runTest(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := Run("tool", "A test tool.", &testCmd{}, args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, 0, ""},
		{[]string{"--fail=plain"}, 1, "tool: something broke\n"},
		{[]string{"--fail=code"}, 3, "tool: wrapped: custom failure\n"},
		{[]string{"--fail=usage"}, 2, "tool: --fail=usage is not allowed here\n"},
		{[]string{"--fail=epipe-other"}, 1, "tool: write to peer: broken pipe\n"},
		{[]string{"--bogus"}, 2, "tool: unknown flag --bogus\nRun 'tool --help' for usage.\n"},
		{[]string{"--log-level=loud"}, 2, "tool: --log-level must be one of"},
		{[]string{"--log-format=xml"}, 2, "tool: --log-format must be one of"},
		{[]string{"extra-arg"}, 2, "tool: unexpected argument extra-arg"},
	}
	for _, tt := range tests {
		code, _, stderr := runTest(tt.args...)
		if code != tt.code || !strings.HasPrefix(stderr, tt.stderr) {
			t.Errorf("%q: exit %d, stderr %q; want %d, %q", tt.args, code, stderr, tt.code, tt.stderr)
		}
	}
}

func TestRunHelpVersion(t *testing.T) {
	code, out, _ := runTest("--help")
	if code != 0 || !strings.Contains(out, "A test tool.") || !strings.Contains(out, "--log-format") || !strings.Contains(out, "-V, --version") {
		t.Errorf("--help: exit %d, output %q", code, out)
	}
	code, out, _ = runTest("-V")
	if code != 0 || out != "tool "+VersionString()+"\n" {
		t.Errorf("-V: exit %d, output %q", code, out)
	}
	defer func(v string) { Version = v }(Version)
	Version = "v9.8.7"
	if code, out, _ := runTest("--version"); code != 0 || out != "tool v9.8.7\n" {
		t.Errorf("--version with Version set: exit %d, output %q", code, out)
	}
}

func TestLogFlags(t *testing.T) {
	code, _, stderr := runTest("--log-level=info", "--log-format=json")
	if code != 0 || !strings.Contains(stderr, `"level":"info"`) || !strings.Contains(stderr, `"cmd":"test"`) || !strings.Contains(stderr, `"message":"running"`) {
		t.Errorf("json: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runTest("--log-level=info")
	if code != 0 || !strings.Contains(stderr, "INF running cmd=test") {
		t.Errorf("console: exit %d, stderr %q", code, stderr)
	}
	// warn is the default: the info line is not printed.
	if _, _, stderr := runTest(); stderr != "" {
		t.Errorf("default level: stderr %q", stderr)
	}
}

// TestRunClosedStdout: a write to a stdout pipe without a reader ends the
// command with 0 and no message.
func TestRunClosedStdout(t *testing.T) {
	w := clitest.ClosedPipe(t)
	var stderr bytes.Buffer
	code := Run("tool", "", &testCmd{}, []string{"--print=hello"}, w, &stderr)
	if code != 0 || stderr.Len() != 0 {
		t.Errorf("exit %d, stderr %q; want 0 and nothing", code, stderr.String())
	}
}

func TestRunBadGrammar(t *testing.T) {
	type bad struct {
		A string `short:"a"`
		B string `short:"a"`
	}
	var stderr bytes.Buffer
	if code := Run("tool", "", &bad{}, nil, io.Discard, &stderr); code != 1 || !strings.HasPrefix(stderr.String(), "tool: ") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestVersionString(t *testing.T) {
	defer func(v string) { Version = v }(Version)
	Version = ""
	if v := VersionString(); v == "" {
		t.Error("empty version")
	}
	Version = "v1.0.0"
	if v := VersionString(); v != "v1.0.0" {
		t.Errorf("VersionString() = %q", v)
	}
}
