// Package cli holds what the tcpregress command-line tools share: the common
// flags (-V, --log-level, --log-format), the zerolog logger they build, and
// [Run], which parses the arguments with kong, runs the command and turns the
// outcome into an exit code.
//
// A tool's main package has a command struct embedding [Globals], with a
// Run method, and
//
//	func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
//
//	func run(args []string, stdout, stderr io.Writer) int {
//		return cli.Run("tool", "What the tool does.", &toolCmd{}, args, stdout, stderr)
//	}
//
// A command that reads standard input uses [RunStdin] instead, and its run
// takes stdin too. A command that reads files names them with [Inputs] and
// [InputLabel] ("-" is standard input) and writes through [WriteBuffered].
//
// Exit codes: 0 success, 1 operational failure, 2 usage error.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"github.com/rs/zerolog"
)

// Version is the tools' version, set at build time with
//
//	-ldflags "-X tcpregress.dev/tools/cli.Version=v1.2.3"
//
// When empty, [VersionString] falls back to the module version from the build
// information, or "devel".
var Version string

// Exit codes.
const (
	ExitOK    = 0 // success
	ExitError = 1 // operational failure: a file, a device, the network
	ExitUsage = 2 // bad flags or arguments
)

// VersionString returns the version printed by -V.
func VersionString() string {
	if Version != "" {
		return Version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "devel (" + s.Value[:12] + ")"
		}
	}
	return "devel"
}

// Globals are the flags every tool has. Embed it in the command struct.
type Globals struct {
	Version kong.VersionFlag `short:"V" help:"Print the version and exit."`
	LogFlags
}

// LogFlags select the log level and format. After parsing, its AfterApply
// hook builds Logger, writing to the tool's standard error, and binds it so
// that a Run method may take a zerolog.Logger argument.
type LogFlags struct {
	LogLevel  string `name:"log-level" enum:"trace,debug,info,warn,error" default:"warn" help:"Log level: trace, debug, info, warn or error."`
	LogFormat string `name:"log-format" enum:"console,json" default:"console" help:"Log format: console (for people) or json (one object per line)."`

	// Logger is built from the flags after parsing.
	Logger zerolog.Logger `kong:"-"`
}

// AfterApply is kong's hook, called after the flags are parsed.
func (f *LogFlags) AfterApply(ctx *kong.Context) error {
	l, err := f.NewLogger(ctx.Stderr)
	if err != nil {
		return err
	}
	f.Logger = l
	ctx.Bind(l)
	return nil
}

// NewLogger returns a logger writing to w at the level and in the format of
// the flags.
func (f *LogFlags) NewLogger(w io.Writer) (zerolog.Logger, error) {
	level := zerolog.WarnLevel
	if f.LogLevel != "" {
		l, err := zerolog.ParseLevel(f.LogLevel)
		if err != nil {
			return zerolog.Nop(), fmt.Errorf("--log-level=%s: %w", f.LogLevel, err)
		}
		level = l
	}
	out := w
	switch f.LogFormat {
	case "", "console":
		out = zerolog.ConsoleWriter{Out: w, NoColor: !IsTerminal(w), TimeFormat: "15:04:05.000"}
	case "json":
	default:
		return zerolog.Nop(), fmt.Errorf("--log-format=%s: want console or json", f.LogFormat)
	}
	// Sub-second time stamps: zerolog's default field format keeps whole
	// seconds, which would hide the timing of packet traces. (A process-wide
	// setting, which is the CLI's to make.)
	zerolog.TimeFieldFormat = time.RFC3339Nano
	return zerolog.New(out).Level(level).With().Timestamp().Logger(), nil
}

// IsTerminal reports whether w is a terminal: commands color their logs and
// draw live progress lines only there.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// UsageError marks an error found after parsing as a usage error: Run exits
// with 2 for it.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// ExitCode implements kong.ExitCoder.
func (e *UsageError) ExitCode() int { return ExitUsage }

// Usagef returns a [*UsageError] with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// exit carries kong's exit requests (after --help and -V) out of Parse.
type exit struct{ code int }

// Run parses args into cmd with kong, runs the selected command and returns
// the exit code. Data goes to stdout; help goes to stdout, errors and logs to
// stderr. Errors print as "name: message". A *kong.ParseError or a
// [*UsageError] exits with 2; other errors with 1, or with their ExitCode()
// if they have one. A write to a closed stdout (the reader of a pipe went
// away, as with "| head") ends the command quietly with 0.
//
// Run makes SIGPIPE ignored in the process, so that a closed stdout shows up
// as an EPIPE error instead of killing it.
func Run(name, description string, cmd any, args []string, stdout, stderr io.Writer, opts ...kong.Option) (code int) {
	signal.Ignore(syscall.SIGPIPE)
	out := &pipeWriter{w: stdout}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(exit)
			if !ok {
				panic(r)
			}
			code = e.code
		}
	}()
	options := []kong.Option{
		kong.Name(name),
		kong.Description(description),
		kong.Writers(out, stderr),
		kong.Exit(func(code int) { panic(exit{code}) }),
		kong.Vars{"version": name + " " + VersionString()},
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
	}
	parser, err := kong.New(cmd, append(options, opts...)...)
	if err != nil {
		// The command struct itself is wrong: a bug, not the user's fault.
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return ExitError
	}
	ctx, err := parser.Parse(args)
	if err != nil && out.broken {
		return ExitOK // --help into a closed pipe (`tool --help | head`)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\nRun '%s --help' for usage.\n", name, err, name)
		return ExitUsage
	}
	err = ctx.Run()
	if err == nil {
		return ExitOK
	}
	if out.broken && errors.Is(err, syscall.EPIPE) {
		return ExitOK
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	var pe *kong.ParseError
	if errors.As(err, &pe) {
		return ExitUsage
	}
	var ec kong.ExitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return ExitError
}

// RunStdin is [Run] for a command that reads standard input: stdin is bound
// as the io.Reader its Run method (and kong's hooks) may take, so tests can
// give it their own.
func RunStdin(name, description string, cmd any, args []string, stdin io.Reader, stdout, stderr io.Writer, opts ...kong.Option) int {
	return Run(name, description, cmd, args, stdout, stderr, append([]kong.Option{kong.BindTo(stdin, (*io.Reader)(nil))}, opts...)...)
}

// pipeWriter records whether a write to stdout failed with EPIPE.
type pipeWriter struct {
	w      io.Writer
	broken bool
}

func (p *pipeWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	if err != nil && errors.Is(err, syscall.EPIPE) {
		p.broken = true
	}
	return n, err
}
