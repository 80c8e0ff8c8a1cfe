package harness

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/tcpstack/netns"
	"tcpregress.dev/tcpstack/tcp"
)

// TestAgentCheck: the agent backends of the foreign stacks pass
// agent.Check, the conformance test of an agent implementation (the kernel
// backend's is in package agent). Our tcpstack's backend passes every
// check but the connection, which agent.Check makes from the stack to its
// own address: tcpstack delivers nothing locally (EHOSTUNREACH), so only
// the checks before it are asserted.
func TestAgentCheck(t *testing.T) {
	netns.RequireRoot(t)
	for _, kind := range append([]string{"tcpstack"}, ForeignStacks()...) {
		t.Run(kind, func(t *testing.T) {
			var b agent.Backend
			var local netip.Addr
			if kind == "tcpstack" {
				p := netns.NewTestPair(t, netns.Config{NoAddrA: true})
				addr := p.UnusedAddr(1)
				s, err := openStack(p.A.NS, p.A.Veth, addr, tcp.Config{}, zerolog.Nop())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				b, local = agent.StackBackend(s), addr.Addr()
			} else {
				_, b, local = foreignPair(t, kind)
			}
			ln, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			served := make(chan error, 1)
			srv := &agent.Server{Backend: b, TestAddrs: []netip.Addr{local}, AllowPeers: []netip.Prefix{netip.PrefixFrom(local, 32)}}
			go func() { served <- srv.Serve(ctx, ln) }()
			defer func() { cancel(); <-served }()
			c, err := agent.Dial(ctx, ln.Addr().String(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Disconnect()
			for _, r := range agent.Check(ctx, c, local) {
				if kind == "tcpstack" && r.Name == "connect and accept" {
					t.Logf("tcpstack cannot reach its own address: %s", r.Detail)
					continue
				}
				if !r.Passed {
					t.Errorf("%s: %s", r.Name, r.Detail)
				} else {
					t.Logf("ok %s: %s", r.Name, r.Detail)
				}
			}
		})
	}
}
