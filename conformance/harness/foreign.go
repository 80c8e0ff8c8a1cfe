package harness

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/stacks/gvisor"
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
	names := make([]string, 0, len(foreignStacks))
	for n := range foreignStacks {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
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
