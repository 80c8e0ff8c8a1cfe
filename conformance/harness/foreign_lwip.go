//go:build linux && cgo

package harness

import (
	"net/netip"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/stacks/lwip"
)

func init() {
	foreignStacks["lwip"] = func(iface string, addr netip.Prefix) (agent.Backend, func(), error) {
		s, err := lwip.Open(iface, addr)
		if err != nil {
			return nil, nil, err
		}
		return s.Backend(), s.Close, nil
	}
}
