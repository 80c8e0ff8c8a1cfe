package harness

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"tcpregress.dev/tcpstack/tcp"
)

// stackOptions are the names of the tcpstack target's option toggles
// (tcpregress run --stack tcpstack --stack-option NAME,...), each the
// counterpart of a kernel sysctl the kernel target takes through --sysctl.
var stackOptions = map[string]struct {
	help string
	set  func(*tcp.Config)
}{
	"no-sack":        {"no RFC2018 SACK (tcp.Config.DisableSACK; the kernel's net.ipv4.tcp_sack=0)", func(c *tcp.Config) { c.DisableSACK = true }},
	"no-timestamps":  {"no RFC7323 timestamps (DisableTimestamps; net.ipv4.tcp_timestamps=0)", func(c *tcp.Config) { c.DisableTimestamps = true }},
	"no-wscale":      {"no RFC7323 window scaling (DisableWindowScale; net.ipv4.tcp_window_scaling=0)", func(c *tcp.Config) { c.DisableWindowScale = true }},
	"no-delayed-ack": {"acknowledge every segment at once (DisableDelayedACK)", func(c *tcp.Config) { c.DisableDelayedACK = true }},
	"no-nagle":       {"Nagle off on every connection, as if TCP_NODELAY were set (NoDelay)", func(c *tcp.Config) { c.NoDelay = true }},
}

// StackOptionNames lists the names [StackOptions] takes, sorted.
func StackOptionNames() []string {
	return slices.Sorted(maps.Keys(stackOptions))
}

// StackOptionsHelp describes the names [StackOptions] takes, one a line.
func StackOptionsHelp() string {
	var sb strings.Builder
	for _, n := range StackOptionNames() {
		fmt.Fprintf(&sb, "  %-15s %s\n", n, stackOptions[n].help)
	}
	return sb.String()
}

// StackOptions turns option names (see [StackOptionNames]) into a function
// for [Options.StackTCP]; nil for no names.
func StackOptions(names []string) (func(*tcp.Config), error) {
	var sets []func(*tcp.Config)
	for _, n := range names {
		o, ok := stackOptions[strings.TrimSpace(n)]
		if !ok {
			return nil, fmt.Errorf("--stack-option %q: want one of %s", n, strings.Join(StackOptionNames(), ", "))
		}
		sets = append(sets, o.set)
	}
	if len(sets) == 0 {
		return nil, nil
	}
	return func(c *tcp.Config) {
		for _, set := range sets {
			set(c)
		}
	}, nil
}
