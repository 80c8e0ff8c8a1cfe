package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/rs/zerolog"

	"tcpregress.dev/conformance/agent"
)

// agentCmd is "tcpregress agent": the agent that runs on a target host and
// makes socket calls for the tester (see package agent for the protocol).
// With --stack kernel (the default) it drives the host kernel's TCP and
// builds without cgo; with --stack tcpstack it drives this project's
// userland stack on --iface at --ip, with --stack gvisor (or lwip) that
// foreign stack there (cgo builds for Linux only).
type agentCmd struct {
	Listen string `help:"Address to accept control connections on (HOST:PORT)." default:":7000"`
	Stack  string `help:"TCP stack to drive: kernel (the host's sockets), tcpstack (our userland stack), gvisor (gVisor's netstack) or lwip; all but kernel need --iface and --ip." enum:"kernel,tcpstack,gvisor,lwip" default:"kernel"`
	Iface  string `help:"Interface of a userland --stack."`
	IP     string `name:"ip" help:"Address and prefix of a userland --stack on --iface (A.B.C.D/NN), one no kernel interface owns."`
}

// Run serves control connections until SIGINT or SIGTERM.
func (c *agentCmd) Run(log zerolog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return c.run(ctx, log)
}

func (c *agentCmd) run(ctx context.Context, log zerolog.Logger) error {
	var b agent.Backend
	switch c.Stack {
	case "", "kernel":
		if c.Iface != "" || c.IP != "" {
			return errors.New("agent: --iface and --ip are for a userland --stack (tcpstack, gvisor, lwip)")
		}
		b = agent.KernelBackend()
	case "tcpstack":
		sb, closeStack, err := newStackBackend(c.Iface, c.IP, log)
		if err != nil {
			return err
		}
		defer closeStack()
		b = sb
	case "gvisor", "lwip":
		fb, closeStack, err := newForeignBackend(c.Stack, c.Iface, c.IP)
		if err != nil {
			return err
		}
		defer closeStack()
		b = fb
	default:
		return fmt.Errorf("agent: --stack %q: want kernel, tcpstack, gvisor or lwip", c.Stack)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	h := b.Hello()
	log.Info().Str("listen", ln.Addr().String()).Str("stack", h.Stack).Str("stack_version", h.StackVersion).Str("os", h.OS).
		Str("kernel", h.Kernel).Strs("options", h.Options).Msg("agent: serving")
	err = (&agent.Server{Backend: b, Logger: log}).Serve(ctx, ln)
	log.Info().Msg("agent: stopped")
	return err
}
