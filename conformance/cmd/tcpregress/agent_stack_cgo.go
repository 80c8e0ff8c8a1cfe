//go:build cgo

package main

import (
	"fmt"
	"net/netip"

	"github.com/rs/zerolog"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/harness"
	"tcpregress.dev/tcpstack"
	"tcpregress.dev/tcpstack/link/pcap"
)

// newStackBackend starts a tcpstack on iface at ip (A.B.C.D/NN) and returns
// the agent backend over it and the function that stops the stack.
func newStackBackend(iface, ip string, log zerolog.Logger) (agent.Backend, func(), error) {
	prefix, err := ifaceIP("tcpstack", iface, ip)
	if err != nil {
		return nil, nil, err
	}
	link, err := pcap.Open(iface, prefix.Addr(), pcap.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("agent: %w", err)
	}
	s, err := tcpstack.New(tcpstack.Config{Link: link, Addr: prefix, Logger: log})
	if err != nil {
		link.Close()
		return nil, nil, fmt.Errorf("agent: %w", err)
	}
	return agent.StackBackend(s), func() { s.Close() }, nil
}

// ifaceIP checks --iface and --ip of a userland stack.
func ifaceIP(stack, iface, ip string) (netip.Prefix, error) {
	if iface == "" || ip == "" {
		return netip.Prefix{}, fmt.Errorf("agent: --stack %s needs --iface IF and --ip A.B.C.D/NN", stack)
	}
	prefix, err := netip.ParsePrefix(ip)
	if err != nil || !prefix.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("agent: --ip %q: want an IPv4 address with its prefix length, such as 198.18.0.3/24", ip)
	}
	return prefix, nil
}

// newForeignBackend starts the foreign stack (gvisor, lwip) on iface at ip
// and returns the agent backend over it and the function that stops it.
func newForeignBackend(stack, iface, ip string) (agent.Backend, func(), error) {
	prefix, err := ifaceIP(stack, iface, ip)
	if err != nil {
		return nil, nil, err
	}
	b, stop, err := harness.OpenForeign(stack, iface, prefix)
	if err != nil {
		return nil, nil, fmt.Errorf("agent: %w", err)
	}
	return b, stop, nil
}
