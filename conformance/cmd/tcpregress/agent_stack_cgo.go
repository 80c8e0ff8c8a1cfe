//go:build cgo

package main

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/rs/zerolog"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/tcpstack"
	"tcpregress.dev/tcpstack/link/pcap"
)

// newStackBackend starts a tcpstack on iface at ip (A.B.C.D/NN) and returns
// the agent backend over it and the function that stops the stack.
func newStackBackend(iface, ip string, log zerolog.Logger) (agent.Backend, func(), error) {
	if iface == "" || ip == "" {
		return nil, nil, errors.New("agent: --stack tcpstack needs --iface IF and --ip A.B.C.D/NN")
	}
	prefix, err := netip.ParsePrefix(ip)
	if err != nil || !prefix.Addr().Is4() {
		return nil, nil, fmt.Errorf("agent: --ip %q: want an IPv4 address with its prefix length, such as 198.18.0.3/24", ip)
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
