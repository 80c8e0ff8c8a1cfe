// Package bulk measures bulk TCP throughput over a veth pair between two
// throwaway network namespaces (benchmark 1 of issue #6): the kernel against
// itself (iperf3, and Go sockets), our userland stack (tcpstack over
// libpcap) against the kernel, and gVisor's netstack (over an AF_PACKET
// socket) against the kernel, each direction separately. Throughput is
// application payload bytes over seconds, counted by the receiver, for a
// fixed time or until a byte limit, whichever comes first.
//
// The measuring code ([Run]) is Linux only; the results format and the
// Markdown table ([Summarize], [WriteTable]) are portable.
package bulk

import (
	"fmt"
	"strings"
)

// Kind is one measured configuration: who sends, who receives.
type Kind struct {
	// ID names the configuration on the command line and in results files.
	ID string
	// Label is the row's name in the table.
	Label string
	// Stack is "ours" or "gvisor" for a userland stack, "" for kernel only.
	Stack string
	// Send is true when the userland stack sends (stack → kernel).
	Send bool
}

// The configurations, in table order.
var Kinds = []Kind{
	{ID: "kernel-kernel-iperf3", Label: "kernel→kernel (iperf3)"},
	{ID: "kernel-kernel-go", Label: "kernel→kernel (Go)"},
	{ID: "ours-kernel", Label: "ours→kernel", Stack: "ours", Send: true},
	{ID: "kernel-ours", Label: "kernel→ours", Stack: "ours"},
	{ID: "gvisor-kernel", Label: "gVisor→kernel", Stack: "gvisor", Send: true},
	{ID: "kernel-gvisor", Label: "kernel→gVisor", Stack: "gvisor"},
}

// Baseline is the kind every median is compared with (the ceiling).
const Baseline = "kernel-kernel-iperf3"

// KindByID returns the configuration named id.
func KindByID(id string) (Kind, bool) {
	for _, k := range Kinds {
		if k.ID == id {
			return k, true
		}
	}
	return Kind{}, false
}

// ParseKinds parses a comma-separated list of configuration IDs ("all" or
// empty: every one), keeping table order.
func ParseKinds(list string) ([]Kind, error) {
	list = strings.TrimSpace(list)
	if list == "" || list == "all" {
		return append([]Kind(nil), Kinds...), nil
	}
	want := map[string]bool{}
	for _, id := range strings.Split(list, ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if _, ok := KindByID(id); !ok {
			return nil, fmt.Errorf("unknown configuration %q; the configurations are %s", id, IDs())
		}
		want[id] = true
	}
	if len(want) == 0 {
		return nil, fmt.Errorf("no configuration in %q; the configurations are %s", list, IDs())
	}
	var out []Kind
	for _, k := range Kinds {
		if want[k.ID] {
			out = append(out, k)
		}
	}
	return out, nil
}

// IDs lists the configuration IDs, comma-separated.
func IDs() string {
	ids := make([]string, len(Kinds))
	for i, k := range Kinds {
		ids[i] = k.ID
	}
	return strings.Join(ids, ",")
}

// peer returns the kind ours is compared with in the same direction
// (gVisor's), or "" for kinds that are not ours.
func peer(k Kind) string {
	if k.Stack != "ours" {
		return ""
	}
	if k.Send {
		return "gvisor-kernel"
	}
	return "kernel-gvisor"
}
