package harness

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/stacks/gvisor"
	"tcpregress.dev/tcpstack/netns"
)

// foreignStacks open the stacks this project did not write, each on an
// interface at an address (in the calling goroutine's network namespace),
// and return the agent backend over it and the function that stops it.
var foreignStacks = map[string]func(iface string, addr netip.Prefix) (agent.Backend, func(), error){
	"gvisor": func(iface string, addr netip.Prefix) (agent.Backend, func(), error) {
		g, err := gvisor.Open(iface, addr)
		if err != nil {
			return nil, nil, err
		}
		return g.Backend(), g.Close, nil
	},
}

// ForeignStacks lists the names [OpenForeign] takes, sorted.
func ForeignStacks() []string {
	return slices.Sorted(maps.Keys(foreignStacks))
}

// clearKernelAddr removes the kernel's address from side B of pair, where
// a userland target stack takes an address: B's kernel would otherwise
// answer the tester with resets.
func clearKernelAddr(pair *netns.Pair) error {
	if out, err := pair.B.NS.Run("ip", "addr", "flush", "dev", pair.B.Veth); err != nil {
		return fmt.Errorf("removing the kernel's address in the target's namespace: %w: %s", err, strings.TrimSpace(out))
	}
	return nil
}

// openForeignOnB starts the foreign stack kind at addr on side B of pair,
// in B's namespace, once B's kernel address is removed.
func openForeignOnB(pair *netns.Pair, kind string, addr netip.Prefix) (agent.Backend, func(), error) {
	if err := clearKernelAddr(pair); err != nil {
		return nil, nil, err
	}
	var b agent.Backend
	var stop func()
	err := pair.B.NS.Do(func() error {
		var err error
		b, stop, err = OpenForeign(kind, pair.B.Veth, addr)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("target stack %s: %w", kind, err)
	}
	return b, stop, nil
}

// OpenForeign starts the foreign stack kind ("gvisor", "lwip") on iface at
// addr, an address no kernel interface owns, and returns the agent backend
// over it and the function that stops the stack.
func OpenForeign(kind, iface string, addr netip.Prefix) (agent.Backend, func(), error) {
	open, ok := foreignStacks[kind]
	if !ok {
		return nil, nil, fmt.Errorf("stack %q: want one of %s", kind, strings.Join(ForeignStacks(), ", "))
	}
	return open(iface, addr)
}
