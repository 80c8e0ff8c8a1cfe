package conns

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"tcpregress.dev/tcpstack"
	"tcpregress.dev/tcpstack/link/pcap"
	"tcpregress.dev/tcpstack/netns"
)

// Env is the benchmark's network: two namespace pairs with the same veth
// settings (MTU 1500, checksum and segmentation offloads off on both ends).
//
//   - Ours: our stack on side A, whose kernel has no IPv4 address; a kernel
//     server (a helper process) on side B.
//   - Kern: a kernel client (a helper process) on side A, a kernel server on
//     side B: the baseline.
//
// The helpers are this executable re-run under `ip netns exec`, so the
// measuring process holds only our stack and what drives it.
type Env struct {
	Ours, Kern *netns.Pair
	exe        string
	logf       func(string, ...any)

	oursServer, kernServer, kernClient *child
	holders                            *child
}

// NewEnv builds the namespaces and starts the kernel helpers. It needs
// root. Close removes everything, also after an error.
func NewEnv(logf func(string, ...any)) (e *Env, err error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this executable to re-run it as the kernel-side helper: %w", err)
	}
	e = &Env{exe: exe, logf: logf}
	defer func() {
		if err != nil {
			e.Close()
			e = nil
		}
	}()
	if e.Ours, err = netns.NewPair(netns.Config{NoAddrA: true}); err != nil {
		return nil, err
	}
	if e.Kern, err = netns.NewPair(netns.Config{}); err != nil {
		return nil, err
	}
	// The kernel client may reuse its own TIME-WAIT ports for new
	// connections (only relevant when the client closes first), as a
	// load generator is configured.
	if _, err := e.Kern.A.NS.Run("sysctl", "-qw", "net.ipv4.tcp_tw_reuse=1"); err != nil {
		return nil, err
	}
	if e.oursServer, err = startChild(exe, e.Ours.B.NS, "server", e.Ours.B.Addr.Addr().String()); err != nil {
		return nil, err
	}
	if e.kernServer, err = startChild(exe, e.Kern.B.NS, "server", e.Kern.B.Addr.Addr().String()); err != nil {
		return nil, err
	}
	if e.kernClient, err = startChild(exe, e.Kern.A.NS, "client"); err != nil {
		return nil, err
	}
	return e, nil
}

// Close stops the helpers and removes the namespaces (and with them the
// veth pairs).
func (e *Env) Close() error {
	for _, c := range []*child{e.holders, e.kernClient, e.kernServer, e.oursServer} {
		if c != nil {
			c.stop()
		}
	}
	var errs []error
	for _, p := range []*netns.Pair{e.Ours, e.Kern} {
		if p != nil {
			errs = append(errs, p.Close())
		}
	}
	return errors.Join(errs...)
}

// oursAddr is our stack's address: one no kernel owns on the Ours link.
func (e *Env) oursAddr() netip.Prefix { return e.Ours.UnusedAddr(0) }

// newStack starts our stack on side A of the Ours pair with the default
// configuration. Close it before making another.
func (e *Env) newStack() (*tcpstack.Stack, error) {
	link, err := pcap.Open(e.Ours.A.Veth, e.oursAddr().Addr(), pcap.Options{Namespace: e.Ours.A.NS.Name})
	if err != nil {
		return nil, err
	}
	s, err := tcpstack.New(tcpstack.Config{Link: link, Addr: e.oursAddr()})
	if err != nil {
		link.Close()
		return nil, err
	}
	return s, nil
}

// serverAddr is the kernel server's address on a pair's side B.
func serverAddr(p *netns.Pair, port int) string {
	return netip.AddrPortFrom(p.B.Addr.Addr(), uint16(port)).String()
}

// tcpCounters reads the kernel's TCP counters (/proc/net/snmp and
// /proc/net/netstat) inside a namespace, as "Tcp.RetransSegs" and
// "TcpExt.PAWSEstab".
func tcpCounters(ns *netns.Namespace) (map[string]int64, error) {
	out, err := ns.Run("cat", "/proc/net/snmp", "/proc/net/netstat")
	if err != nil {
		return nil, err
	}
	m := map[string]int64{}
	lines := strings.Split(out, "\n")
	for i := 0; i+1 < len(lines); i++ {
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(names) < 2 || len(names) != len(values) || names[0] != values[0] || !strings.HasSuffix(names[0], ":") {
			continue
		}
		prefix := strings.TrimSuffix(names[0], ":")
		if prefix != "Tcp" && prefix != "TcpExt" {
			continue
		}
		for j := 1; j < len(names); j++ {
			if v, err := strconv.ParseInt(values[j], 10, 64); err == nil {
				m[prefix+"."+names[j]] = v
			}
		}
		i++
	}
	return m, nil
}

// linkPackets returns the packets received and sent on a veth inside its
// namespace.
func linkPackets(ns *netns.Namespace, dev string) (rx, tx int64, err error) {
	read := func(what string) (int64, error) {
		out, err := ns.Run("cat", "/sys/class/net/"+dev+"/statistics/"+what)
		if err != nil {
			return 0, err
		}
		return strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	}
	if rx, err = read("rx_packets"); err != nil {
		return 0, 0, err
	}
	tx, err = read("tx_packets")
	return rx, tx, err
}
