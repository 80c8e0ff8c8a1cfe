package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/alecthomas/kong"
	"github.com/rs/zerolog"

	"tcpregress.dev/conformance/report"
	htmlreport "tcpregress.dev/conformance/report/html"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/tcp"
	"tcpregress.dev/tools/cli"
)

type runCmd struct {
	TargetFlags `embed:""`
	Filter      string `name:"run" placeholder:"REGEX" help:"Only cases whose ID matches REGEX."`
	Level       string `enum:"must,should,may,all" default:"all" help:"Cases up to this level: must, should (MUST and SHOULD), may, all (FEATURE too)."`
	Expect      string `placeholder:"FILE" help:"Expected verdicts: lines 'CASE-ID VERDICT reason'; an expected failure does not fail the run."`
	ReportFlags `embed:""`
	Timeout     time.Duration `default:"30s" help:"Time limit of a case that sets none."`
	Slow        bool          `name:"slow" help:"Also run the slow cases, which wait minutes on a default timer of the target (see list); without --slow they are SKIP."`
}

// TargetFlags choose the target, for run and drill alike.
type TargetFlags struct {
	Target      string   `default:"local" placeholder:"local|HOST" help:"The target: local (a throwaway namespace pair), or a remote host's IPv4 address on the test link (with --agent, --iface, --src-ip)."`
	Stack       string   `enum:"kernel,tcpstack,gvisor,lwip" default:"kernel" help:"The local target's stack: kernel (Linux in a namespace), tcpstack (our userland stack), gvisor (gVisor's netstack) or lwip."`
	Sysctl      []string `placeholder:"KEY=VALUE" help:"Set a sysctl in the local target's namespace (repeatable)."`
	StackOption []string `name:"stack-option" placeholder:"OPT,..." help:"With --stack tcpstack: turn a feature of the target stack off (repeatable or comma-separated): no-sack, no-timestamps, no-wscale, no-delayed-ack, no-nagle. See the command's help."`

	Agent   string `placeholder:"HOST:PORT" help:"Remote target: the agent's control address."`
	Iface   string `placeholder:"IF" help:"Remote target: the local interface facing the target."`
	SrcIP   string `name:"src-ip" placeholder:"IP/NN" help:"Remote target: the tester's address and prefix on --iface, one no local interface owns."`
	Gateway string `placeholder:"IP" help:"Remote target: the next hop when the target is off --src-ip's subnet."`
	Secret  string `name:"secret-file" placeholder:"FILE" help:"Remote target: the file holding the agent's secret (or set TCPREGRESS_AGENT_SECRET); the local target makes its own."`

	srcIP    netip.Prefix
	gateway  netip.Addr
	stackTCP func(*tcp.Config)
}

// ReportFlags shape the run and its reports, for run and drill alike.
type ReportFlags struct {
	Jobs    int    `short:"j" default:"1" help:"Cases run at once (each on its own tester stack)."`
	JSON    string `name:"json" placeholder:"FILE" help:"Write the JSON report to FILE."`
	JUnit   string `name:"junit" placeholder:"FILE" help:"Write a JUnit XML report to FILE."`
	HTML    string `name:"html" placeholder:"FILE" help:"Write the report as one self-contained HTML page to FILE: summary, coverage bars, the cases with filters, and a ladder diagram of each exchange (links to the pcaps of --pcap-dir are relative to FILE's folder)."`
	TAP     bool   `name:"tap" help:"Write TAP 13 to standard output (the console report goes to standard error)."`
	PcapDir string `name:"pcap-dir" placeholder:"DIR" help:"Write CASE.pcap and CASE.txt (the trace) of every FAIL and ERROR into DIR."`

	command string // the command, when not run: heads the HTML page
}

func (c *runCmd) Help() string {
	return `Runs the cases against a target and reports the verdicts, the summary and the
requirement coverage. The local target (the default) builds a pair of network
namespaces joined by a veth pair: the tester's userland stack on one side, the
target (the Linux kernel, our tcpstack with --stack tcpstack, gVisor's netstack
with --stack gvisor, lwIP with --stack lwip) and its agent on
the other; everything is removed afterwards, also on SIGINT or SIGTERM. A remote
target runs 'tcpregress agent' itself. Needs root.

Turning a feature off on the target turns the cases that need it UNSUPPORTED and
leaves the others alone: on the kernel target with --sysctl (net.ipv4.tcp_sack=0,
net.ipv4.tcp_timestamps=0, net.ipv4.tcp_window_scaling=0), on --stack tcpstack
with --stack-option, whose names are:

` + stackOptionsHelp() + `
Slow cases check a default timer of the target that takes minutes to show, such
as R2 for a SYN (RFC 9293 MUST-23: at least 3 minutes of SYN retransmission);
'tcpregress list' marks them. They run with --slow only; without it they are
SKIP ("slow case (about 3m20s): run with --slow"), and the requirements they
check count as covered, not passed.

Exit status: 0 when no case failed unexpectedly, 1 otherwise, 2 on usage errors.`
}

// Validate checks the flags that go together.
func (c *runCmd) Validate() error {
	if c.Jobs < 1 {
		return fmt.Errorf("-j %d: want 1 or more", c.Jobs)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("--timeout %v: want a positive duration", c.Timeout)
	}
	return c.TargetFlags.validate(&c.ReportFlags)
}

// validate checks the target flags (and -j, which a remote target sets
// to 1: one tester address).
func (c *TargetFlags) validate(r *ReportFlags) error {
	if r.Jobs < 1 {
		return fmt.Errorf("-j %d: want 1 or more", r.Jobs)
	}
	if len(c.StackOption) > 0 {
		if c.Target != "local" || c.Stack != "tcpstack" {
			return errors.New("--stack-option applies to the local --stack tcpstack target; use --sysctl for the kernel")
		}
		set, err := stackOptions(c.StackOption)
		if err != nil {
			return err
		}
		c.stackTCP = set
	}
	if c.Target == "local" {
		if c.Agent != "" || c.Iface != "" || c.SrcIP != "" || c.Gateway != "" || c.Secret != "" {
			return errors.New("--agent, --iface, --src-ip, --gateway and --secret-file are for a remote --target")
		}
		for _, kv := range c.Sysctl {
			if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
				return fmt.Errorf("--sysctl %q: want KEY=VALUE", kv)
			}
		}
		return nil
	}
	if a, err := netip.ParseAddr(c.Target); err != nil || !a.Is4() {
		return fmt.Errorf("--target %q: want local or an IPv4 address", c.Target)
	}
	if c.Stack != "kernel" {
		return errors.New("--stack applies to the local target; a remote target's agent decides its stack")
	}
	if len(c.Sysctl) > 0 {
		return errors.New("--sysctl applies to the local target only")
	}
	if c.Agent == "" || c.Iface == "" || c.SrcIP == "" {
		return errors.New("a remote --target needs --agent HOST:PORT, --iface IF and --src-ip IP/NN")
	}
	p, err := netip.ParsePrefix(c.SrcIP)
	if err != nil || !p.Addr().Is4() {
		return fmt.Errorf("--src-ip %q: want IPv4/NN, such as 192.0.2.10/24", c.SrcIP)
	}
	c.srcIP = p
	if c.Gateway != "" {
		g, err := netip.ParseAddr(c.Gateway)
		if err != nil || !g.Is4() {
			return fmt.Errorf("--gateway %q: want an IPv4 address", c.Gateway)
		}
		c.gateway = g
	}
	r.Jobs = 1 // one tester address
	return nil
}

func usageError(err error) error { return &cli.UsageError{Err: err} }

// failedError ends a run whose cases failed unexpectedly: exit status 1.
type failedError struct{ n int }

func (e failedError) Error() string {
	return fmt.Sprintf("%d case(s) failed unexpectedly", e.n)
}

// selectCases returns the cases --run and --level pick; none is a usage
// error.
func selectCases(filter, level string) ([]suite.Case, error) {
	cases, err := suite.Select(suite.Cases(), filter, level)
	if err != nil {
		return nil, usageError(err)
	}
	if len(cases) == 0 {
		return nil, usageError(errors.New("no case matches --run and --level"))
	}
	return cases, nil
}

func (c *runCmd) Run(kctx *kong.Context, log zerolog.Logger) error {
	cases, err := selectCases(c.Filter, c.Level)
	if err != nil {
		return err
	}
	var exp suite.Expectations
	if c.Expect != "" {
		if exp, err = suite.LoadExpectations(c.Expect); err != nil {
			return err
		}
		for _, id := range exp.Unknown(suite.Cases()) {
			log.Warn().Str("case", id).Str("file", c.Expect).Msg("expectation for an unknown case")
		}
	}
	// Root, and a build with the tester (cgo): run_cgo.go, run_nocgo.go.
	if err := checkTester(); err != nil {
		return err
	}

	ctx, interrupted, stop := handleSignals(log)
	defer stop()

	env, cleanup, err := c.openTarget(ctx, c.Jobs, log)
	if err != nil {
		if sig := interrupted(); sig != nil {
			return interruptedError{sig}
		}
		return err
	}
	defer cleanup()

	progress := report.NewProgress(kctx.Stderr, len(cases), cli.IsTerminal(kctx.Stderr))
	started := time.Now()
	results := suite.Run(ctx, cases, *env, suite.Options{
		Jobs: c.Jobs, Timeout: c.Timeout, PcapDir: c.PcapDir, Expect: exp, Slow: c.Slow,
		OnStart: progress.Start, OnDone: progress.Done,
	})
	progress.Finish()
	cleanup()
	rep := &report.Report{Target: env.Target, Started: started, Duration: time.Since(started), Results: results}
	return c.ReportFlags.finish(kctx, rep, exp, interrupted)
}

// finish writes the traces, the console report and the files asked for,
// and returns the run's error: interrupted, cases failed, or nil.
func (c *ReportFlags) finish(kctx *kong.Context, rep *report.Report, exp suite.Expectations, interrupted func() os.Signal) error {
	results := rep.Results
	console := kctx.Stdout
	if c.TAP {
		console = kctx.Stderr
	}
	if c.PcapDir != "" {
		for _, r := range results {
			if r.Verdict == suite.FAIL || r.Verdict == suite.ERROR {
				name := strings.TrimSuffix(suite.PcapName(r.ID), ".pcap") + ".txt"
				text := fmt.Sprintf("%s %s: %s\n%s", r.ID, r.Verdict, r.Message, r.Trace)
				if err := writeFile(filepath.Join(c.PcapDir, name), func(w io.Writer) error { _, err := io.WriteString(w, text); return err }); err != nil {
					return err
				}
			}
		}
	}
	if err := report.Console(console, rep); err != nil {
		return err
	}
	if c.TAP {
		if err := report.TAP(kctx.Stdout, rep); err != nil {
			return err
		}
	}
	if c.JSON != "" {
		if err := writeFile(c.JSON, func(w io.Writer) error { return report.JSON(w, rep) }); err != nil {
			return err
		}
	}
	if c.JUnit != "" {
		if err := writeFile(c.JUnit, func(w io.Writer) error { return report.JUnit(w, rep) }); err != nil {
			return err
		}
	}
	if c.HTML != "" {
		opts := htmlreport.Options{Dir: filepath.Dir(c.HTML), Expect: exp, Command: c.command}
		if err := writeFile(c.HTML, func(w io.Writer) error { return htmlreport.Write(w, rep, opts) }); err != nil {
			return err
		}
	}
	if sig := interrupted(); sig != nil {
		return interruptedError{sig}
	}
	n := 0
	for _, r := range results {
		if r.Failed() {
			n++
		}
	}
	if n > 0 {
		return failedError{n}
	}
	return nil
}

// interruptedError ends a run stopped by a signal, after its partial
// report was written: exit status 128+N, as a shell reports a process the
// signal killed (130 for SIGINT, 143 for SIGTERM).
type interruptedError struct{ sig os.Signal }

func (e interruptedError) Error() string {
	return fmt.Sprintf("interrupted by %v: the cases that did not run are SKIP (run cancelled)", e.sig)
}

// ExitCode implements kong.ExitCoder.
func (e interruptedError) ExitCode() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// handleSignals turns the first SIGINT or SIGTERM into the cancellation of
// ctx: the run ends its running cases (ERROR, run cancelled), skips the
// others (SKIP, run cancelled), removes the namespaces and writes the
// reports asked for. interrupted returns the signal once one came. A second
// signal removes the namespaces and exits at once, without reports. stop
// ends the handling.
func handleSignals(log zerolog.Logger) (ctx context.Context, interrupted func() os.Signal, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var mu sync.Mutex
	var got os.Signal
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			mu.Lock()
			got = sig
			mu.Unlock()
			log.Warn().Str("signal", sig.String()).Msg("interrupted: stopping the cases and writing the partial report (again to quit at once)")
			cancel()
		case <-done:
			return
		}
		select {
		case sig := <-sigs:
			closeNamespaces()
			os.Exit(interruptedError{sig}.ExitCode())
		case <-done:
		}
	}()
	interrupted = func() os.Signal {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
	stop = func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
	return ctx, interrupted, stop
}

// writeFile writes a report file, making its directory.
func writeFile(path string, write func(io.Writer) error) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}
