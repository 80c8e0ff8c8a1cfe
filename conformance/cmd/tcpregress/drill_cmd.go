package main

import (
	"errors"
	"time"

	"github.com/alecthomas/kong"
	"github.com/rs/zerolog"

	"tcpregress.dev/conformance/drill"
	"tcpregress.dev/conformance/report"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tools/cli"
)

type drillCmd struct {
	TargetFlags `embed:""`
	ReportFlags `embed:""`
	Paths       []string `arg:"" name:"PATH" help:"packetdrill scripts (.pkt files) or folders holding them (walked recursively)."`
}

func (c *drillCmd) Help() string {
	return `Runs packetdrill scripts, unchanged, against a target: the tester's userland
stack sends the script's inbound packets and checks the target's outbound ones on the
wire, field by field and in time (max(--tolerance_usecs, --tolerance_percent of the
interval), 4000 us and 12.5 % by default); the target's agent makes the system calls.
Sequence numbers are relative to each side's live ISN, TS ecr values are shifted to
the TSvals they echo, and every connection is reset at the end.

A backquoted command is applied when it sets sysctls (directly or through a script it
names, such as packetdrill's common/defaults.sh) or flushes the TCP metrics: on the
local kernel target in its namespace. Scripts that set sysctls of their own run alone
and their values are put back afterwards. Other commands, system calls the agent has
no operation for, and %{ }% blocks other than assertions on tcpi_* values the
target's tcp_info answers make the script UNSUPPORTED with the line and the reason.

Verdicts: PASS, FAIL (packetdrill's message: "file.pkt:24: error handling packet: live
packet field tcp_ack: expected: 1001 vs actual: 1", the script's and the actual packet),
UNSUPPORTED, ERROR (the bench failed or the script does not parse). The reports are
run's, one result per script, its ID the path.

Exit status: 0 when no script failed, 1 otherwise, 2 on usage errors.`
}

// Validate checks the flags that go together.
func (c *drillCmd) Validate() error { return c.TargetFlags.validate(&c.ReportFlags) }

func (c *drillCmd) Run(kctx *kong.Context, log zerolog.Logger) error {
	files, err := drill.Find(c.Paths)
	if err != nil {
		return usageError(err)
	}
	if err := checkTester(); err != nil {
		return err
	}
	ctx, interrupted, stop := handleSignals(log)
	defer stop()
	// packetdrill's tun device takes packets of any size, and its scripts
	// send them (< P. 1:10001(10000)): a local link of MTU 65535, the
	// target advertising MSS 1460 still.
	env, cleanup, err := c.openTargetMTU(ctx, c.Jobs, drill.LinkMTU, drill.AdvMSS, log)
	if err != nil {
		if sig := interrupted(); sig != nil {
			return interruptedError{sig}
		}
		return err
	}
	defer cleanup()
	runner := drill.NewRunner(env)
	cases := runner.Cases(files)
	if len(cases) == 0 {
		return usageError(errors.New("no script to run"))
	}
	progress := report.NewProgress(kctx.Stderr, len(cases), cli.IsTerminal(kctx.Stderr))
	started := time.Now()
	results := suite.Run(ctx, cases, *env, suite.Options{
		Jobs: c.Jobs, PcapDir: c.PcapDir, OnStart: progress.Start, OnDone: progress.Done,
	})
	progress.Finish()
	runner.Restore()
	cleanup()
	rep := &report.Report{Target: env.Target, Started: started, Duration: time.Since(started), Results: results}
	c.ReportFlags.command = "drill"
	return c.ReportFlags.finish(kctx, rep, nil, interrupted)
}
