//go:build cgo

package main

import (
	"context"

	"github.com/rs/zerolog"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/harness"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/netns"
	"tcpregress.dev/tcpstack/tcp"
)

// The glue between run and the harness, which captures with libpcap (cgo);
// run_nocgo.go stands in for it in a build without cgo.

// runNote ends run's line in the command list and its help.
const runNote = ""

func stackOptions(names []string) (func(*tcp.Config), error) { return harness.StackOptions(names) }

func stackOptionsHelp() string { return harness.StackOptionsHelp() }

// checkTester returns harness.ErrNeedRoot unless the process runs as root.
func checkTester() error { return harness.CheckRoot() }

// openTarget builds the tester and the target of the validated flags.
func (c *TargetFlags) openTarget(ctx context.Context, jobs int, log zerolog.Logger) (*suite.Env, func(), error) {
	return c.openTargetMTU(ctx, jobs, 0, 0, log)
}

// openTargetMTU is openTarget with the local link's MTU and the target's
// advertised MSS (harness.Options).
func (c *TargetFlags) openTargetMTU(ctx context.Context, jobs, mtu, advMSS int, log zerolog.Logger) (*suite.Env, func(), error) {
	opts := harness.Options{MTU: mtu, AdvMSS: advMSS, Stack: c.Stack, Sysctls: c.Sysctl, StackTCP: c.stackTCP, StackOptions: c.StackOption, Jobs: jobs, Logger: log,
		Target: c.Target, Agent: c.Agent, Iface: c.Iface, SrcIP: c.srcIP, Gateway: c.gateway}
	if c.Target == "local" {
		return harness.Local(ctx, opts)
	}
	secret, err := agent.LoadSecret(c.Secret)
	if err != nil {
		return nil, nil, err
	}
	opts.Secret = secret
	return harness.Remote(ctx, opts)
}

// closeNamespaces removes the local target's namespaces at once (a second
// signal).
func closeNamespaces() { netns.CloseAll() }

// openLocal builds a local target of the stack (matrix).
func openLocal(ctx context.Context, log zerolog.Logger, stack string, jobs int) (*suite.Env, func(), error) {
	return harness.Local(ctx, harness.Options{Stack: stack, Jobs: jobs, Logger: log})
}

// localStacks are the local target stacks of this build.
func localStacks() []string {
	return append([]string{"kernel", "tcpstack"}, harness.ForeignStacks()...)
}
