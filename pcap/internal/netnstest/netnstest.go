//go:build linux

// Package netnstest builds throwaway network namespaces joined by a veth
// pair for the pcap module's live-capture tests: no route leads anywhere
// else, and everything is removed in t.Cleanup, also when the test fails.
package netnstest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"tcpregress.dev/pcap/nsenter"
	"tcpregress.dev/pcap/testenv"
)

// RequireRoot skips a test that needs root, except under CI (CI=true), where
// it fails ([testenv.RequireRoot]).
func RequireRoot(t testing.TB) { testenv.RequireRoot(t) }

// Pair is two network namespaces joined by a veth pair. Side 0 has
// 198.18.N.1/24, side 1 198.18.N.2/24; IPv6 is off on both so that the
// kernel stays quiet on the link.
type Pair struct {
	NS   [2]string
	Veth [2]string
	MAC  [2]net.HardwareAddr
	IP   [2]net.IP
	Net  *net.IPNet
}

var seq atomic.Int32

// NewPair creates the namespaces and the veth; t.Cleanup removes them.
func NewPair(t testing.TB) *Pair {
	t.Helper()
	RequireRoot(t)
	n := seq.Add(1)
	id := fmt.Sprintf("%d%d", os.Getpid()%100000, n)
	subnet := 1 + (os.Getpid()+int(n))%250
	p := &Pair{
		NS:   [2]string{"trpcap-" + id + "-a", "trpcap-" + id + "-b"},
		Veth: [2]string{"tpa" + id, "tpb" + id},
		IP:   [2]net.IP{net.IPv4(198, 18, byte(subnet), 1).To4(), net.IPv4(198, 18, byte(subnet), 2).To4()},
	}
	p.Net = &net.IPNet{IP: net.IPv4(198, 18, byte(subnet), 0).To4(), Mask: net.CIDRMask(24, 32)}
	for _, ns := range p.NS {
		run(t, "ip", "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	}
	run(t, "ip", "link", "add", p.Veth[0], "netns", p.NS[0], "type", "veth", "peer", "name", p.Veth[1], "netns", p.NS[1])
	for i := range 2 {
		ns, dev := p.NS[i], p.Veth[i]
		run(t, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
		run(t, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
		run(t, "ip", "-n", ns, "addr", "add", p.IP[i].String()+"/24", "brd", "+", "dev", dev)
		run(t, "ip", "-n", ns, "link", "set", dev, "up")
		run(t, "ip", "-n", ns, "link", "set", "lo", "up")
		// Offloads off, so captured frames carry finished checksums.
		run(t, "ip", "netns", "exec", ns, "ethtool", "-K", dev, "tx", "off", "tso", "off", "gso", "off")
		out := run(t, "ip", "-n", ns, "-o", "link", "show", dev)
		f := strings.Fields(out[strings.Index(out, "link/ether"):])
		mac, err := net.ParseMAC(f[1])
		if err != nil {
			t.Fatalf("parsing the MAC of %s: %v", dev, err)
		}
		p.MAC[i] = mac
	}
	return p
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Do runs fn on an OS thread inside namespace i ([nsenter.Do]). Sockets and
// capture handles fn opens stay in that namespace. fn must not start
// goroutines that expect to be in the namespace.
func (p *Pair) Do(t testing.TB, i int, fn func()) {
	t.Helper()
	if err := nsenter.Do(p.NS[i], func() error { fn(); return nil }); err != nil {
		t.Fatal(err)
	}
}
