//go:build linux

package tcpstack

import (
	"io"
	"math/rand/v2"
	"net/netip"
	"testing"

	"tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/link/pcap"
)

// TestKernelSYNCookies: our listener's backlog is full of half-open
// connections from spoofed addresses (frames put on the veth from the
// kernel's side); the kernel's connect still completes, through a SYN
// cookie, and carries data both ways.
func TestKernelSYNCookies(t *testing.T) {
	kb := newKernelBench(t, func(c *Config) { c.Backlog = 8 })
	flood, err := pcap.Open(kb.p.B.Veth, kb.peer, pcap.Options{BufferSize: 1 << 20, Namespace: kb.p.B.NS.Name})
	if err != nil {
		t.Fatal(err)
	}
	defer flood.Close()
	l := listen(t, kb.s, 80)
	dst := netip.AddrPortFrom(kb.us, 80)
	r := rand.New(rand.NewPCG(3, 4))
	for range 8 + 100 {
		f := spoofedSYN(r, dst)
		header.Ethernet(f).Encode(&header.EthernetFields{Dst: header.MAC(kb.s.HardwareAddr()), Src: header.MAC(kb.p.B.MAC), Type: header.EtherTypeIPv4})
		if err := flood.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "100 cookies", func() bool { return kb.s.Stats().SYNCookiesSent >= 100 })
	kc := kb.kernelDial(t, 80)
	waitFor(t, "the cookie's ACK", func() bool { return kb.s.Stats().SYNCookiesValidated >= 1 })
	sc, err := l.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	go io.Copy(sc, sc)
	echoOnce(t, kc, 1<<20, 11)
	if i := sc.Info(); !i.Timestamps || !i.SACK || !i.WindowScale {
		t.Errorf("the kernel's options were lost through the cookie: %+v", i)
	}
	t.Logf("stats %+v", kb.s.Stats())
}
