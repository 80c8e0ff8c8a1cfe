package tcpstack

// Hostile networks: SYN floods (SYN cookies, RFC4987 §3.6), and floods of
// resets, ACKs, ICMP errors and ARP that must not take the stack down.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"tcpregress.dev/pcap/testenv"
	"tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/link/pipe"
	"tcpregress.dev/tcpstack/tcp"
)

var macEvil = net.HardwareAddr{2, 0, 0, 0, 0, 0x66}

// hostilePair is stackPair that also returns inject, which puts a frame on
// the wire toward b as if a third host had sent it.
func hostilePair(t *testing.T, tune func(*Config)) (a, b *Stack, inject func(frame []byte)) {
	t.Helper()
	a, b, la := stackPairLinks(t, pipe.Faults{}, tune)
	return a, b, func(f []byte) { la.Write(f) }
}

// segFrame is the Ethernet frame of seg from src to dst, sent by macEvil.
func segFrame(src, dst netip.AddrPort, seg tcp.Segment) []byte {
	seg.SrcPort, seg.DstPort = src.Port(), dst.Port()
	tb := seg.AppendTo(nil)
	tcp.PutChecksum(src.Addr(), dst.Addr(), tb)
	return ethernetFrame(macB, macEvil, ipv4Packet(header.IPProtocolTCP, src.Addr(), dst.Addr(), nil, tb))
}

// spoofedSYN is a SYN from a random address of 10.0.0.0/8 (off the
// stacks' subnet, and they have no gateway: nothing ever answers it).
func spoofedSYN(r *rand.Rand, dst netip.AddrPort) []byte {
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], 10<<24|r.Uint32()>>8)
	src := netip.AddrPortFrom(netip.AddrFrom4(a), uint16(1024+r.IntN(60000)))
	seg := tcp.Segment{Seq: tcp.Value(r.Uint32()), Flags: tcp.FlagSYN, Window: 64240}
	seg.Options.HasMSS, seg.Options.MSS = true, 1460
	seg.Options.HasTimestamps, seg.Options.TSVal = true, r.Uint32()
	seg.Options.SACKPermitted = true
	seg.Options.HasWScale, seg.Options.WScale = true, 7
	return segFrame(src, dst, seg)
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !testenv.Eventually(10*time.Second, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// echoOnce checks that c carries n bytes to an echoing peer and back.
func echoOnce(t *testing.T, c net.Conn, n int, seed uint64) {
	t.Helper()
	data := randomData(n, seed)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		errc <- err
	}()
	got := make([]byte, n)
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("echo of %d bytes: %v", n, err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("echo of %d bytes came back different", n)
	}
}

// TestPipeSYNCookies: with the backlog full of half-open connections from
// spoofed addresses, SYNs get cookies, and a real client's connection
// completes through one, with and without timestamps (which carry the
// window scale and SACK-permitted).
func TestPipeSYNCookies(t *testing.T) {
	for _, ts := range []bool{true, false} {
		t.Run(fmt.Sprintf("timestamps=%v", ts), func(t *testing.T) {
			a, b, inject := hostilePair(t, func(c *Config) {
				c.Backlog = 4
				c.TCP.DisableTimestamps = !ts
			})
			l := listen(t, b, 80)
			dst := netip.AddrPortFrom(b.Addr(), 80)
			r := rand.New(rand.NewPCG(1, 2))
			for range 4 + 50 {
				inject(spoofedSYN(r, dst))
			}
			waitFor(t, "50 cookies", func() bool { return b.Stats().SYNCookiesSent >= 50 })

			c, err := a.DialTCP(t.Context(), "tcp", dst.String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			waitFor(t, "the cookie's ACK", func() bool { return b.Stats().SYNCookiesValidated == 1 })
			sc, err := l.AcceptTCP()
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			go io.Copy(sc, sc)
			echoOnce(t, c, 300_000, 7)
			ci, si := c.Info(), sc.Info()
			if ts {
				// The cookie carried the options in the TSval.
				if !si.Timestamps || !si.SACK || !si.WindowScale || si.SndWScale != ci.RcvWScale || ci.SndWScale != si.RcvWScale {
					t.Fatalf("options after a cookie: client %+v server %+v", ci, si)
				}
			} else if si.SACK || si.SndWScale != 0 || ci.SACK {
				t.Fatalf("SACK or window scale without timestamps: client %+v server %+v", ci, si)
			}
			if st := b.Stats(); st.SYNCookiesRejected != 0 {
				t.Fatalf("stats %+v: a cookie rejected", st)
			}
			// A forged ACK while cookies are out is rejected and reset.
			inject(segFrame(netip.AddrPortFrom(a.Addr(), 5555), dst, tcp.Segment{Seq: 1, Ack: 12345, Flags: tcp.FlagACK, Window: 100}))
			waitFor(t, "the forged ACK's rejection", func() bool { return b.Stats().SYNCookiesRejected == 1 })
		})
	}
}

// echoPair opens a connection from a to an echo server on b's port 80 and
// returns both ends.
func echoPair(t *testing.T, a, b *Stack) (c, sc *Conn) {
	t.Helper()
	l := listen(t, b, 80)
	accepted := make(chan *Conn, 1)
	go func() {
		sc, err := l.AcceptTCP()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- sc
		io.Copy(sc, sc)
	}()
	c, err := a.DialTCP(t.Context(), "tcp", netip.AddrPortFrom(b.Addr(), 80).String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	sc = <-accepted
	if sc == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { sc.Close() })
	return c, sc
}

// duringFlood runs flood (which injects frames) while 1 MiB is echoed
// over c, then echoes 1 MiB more: the connection must carry both intact.
func duringFlood(t *testing.T, c *Conn, flood func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		flood()
	}()
	echoOnce(t, c, 1<<20, 21)
	<-done
	echoOnce(t, c, 1<<20, 22)
	if st := c.State(); st != tcp.StateEstablished {
		t.Fatalf("state %v after the flood", st)
	}
}

// pureACKCounter counts the pure ACKs (no data, SYN, FIN or RST) that s
// receives, through its raw handler, letting every packet through.
func pureACKCounter(s *Stack) *atomic.Int64 {
	var n atomic.Int64
	s.SetRawHandler(func(pkt []byte, _ time.Time) bool {
		if _, seg, ok := tcpPacket(pkt); ok && seg.Flags&^tcp.FlagPSH == tcp.FlagACK && len(seg.Payload) == 0 {
			n.Add(1)
		}
		return false
	})
	return &n
}

// TestPipeRSTFlood: resets at random sequence numbers, and resets inside
// the window (which draw challenge ACKs, RFC5961 §3.2), against an open
// connection: it is not reset, it carries data throughout, and the
// challenge ACKs stay within the RFC5961 §7 limit (1000 a second).
func TestPipeRSTFlood(t *testing.T) {
	a, b, inject := hostilePair(t, nil)
	c, sc := echoPair(t, a, b)
	from, to := netip.AddrPortFrom(a.Addr(), c.local.Port()), netip.AddrPortFrom(b.Addr(), 80)
	r := rand.New(rand.NewPCG(5, 6))
	duringFlood(t, c, func() {
		for range 20000 {
			inject(segFrame(from, to, tcp.Segment{Seq: tcp.Value(r.Uint32()), Ack: tcp.Value(r.Uint32()), Flags: tcp.FlagRST | tcp.FlagACK}))
		}
	})
	// In the window but not at RCV.NXT: each one asks for a challenge ACK.
	acks := pureACKCounter(a)
	rcvNxt := sc.Info().RcvNxt
	start := time.Now()
	const n = 5000
	for i := range n {
		inject(segFrame(from, to, tcp.Segment{Seq: rcvNxt.Add(tcp.Size(1 + i%60000)), Flags: tcp.FlagRST}))
	}
	echoOnce(t, c, 1000, 23) // the flood has been processed when this returns
	a.SetRawHandler(nil)
	limit := 1000 * (int64(time.Since(start)/time.Second) + 1)
	if got := acks.Load(); got > limit+10 {
		t.Fatalf("%d pure ACKs answered %d in-window resets within %v: above the limit of 1000/s", got, n, time.Since(start))
	}
	t.Logf("%d challenge ACKs for %d in-window resets", acks.Load(), n)
}

// TestPipeACKFlood: ACKs (and data) at random sequence and acknowledgment
// numbers, with timestamps, against an open connection: dropped or
// answered with an ACK, never taken as data; the connection carries data
// throughout.
func TestPipeACKFlood(t *testing.T) {
	a, b, inject := hostilePair(t, nil)
	c, sc := echoPair(t, a, b)
	from, to := netip.AddrPortFrom(a.Addr(), c.local.Port()), netip.AddrPortFrom(b.Addr(), 80)
	r := rand.New(rand.NewPCG(7, 8))
	before := sc.Info()
	duringFlood(t, c, func() {
		for i := range 20000 {
			seg := tcp.Segment{Seq: tcp.Value(r.Uint32()), Ack: tcp.Value(r.Uint32()), Flags: tcp.FlagACK, Window: uint16(r.Uint32())}
			seg.Options.HasTimestamps, seg.Options.TSVal, seg.Options.TSEcr = true, r.Uint32(), r.Uint32()
			if i%4 == 0 {
				seg.Payload = []byte("injected")
				seg.Flags |= tcp.FlagPSH
			}
			inject(segFrame(from, to, seg))
		}
	})
	if after := sc.Info(); before.RcvNxt.Size(after.RcvNxt) != 2<<20 {
		t.Fatalf("the server received %d bytes, want exactly the %d echoed", before.RcvNxt.Size(after.RcvNxt), 2<<20)
	}
}

// TestPipeICMPFlood: ICMP errors of every unreachable code quoting the
// connection at random sequence numbers (RFC5927 §4.1: ignored unless the
// sequence number is in flight) and echo requests: the connection lives on
// with its MSS.
func TestPipeICMPFlood(t *testing.T) {
	a, b, inject := hostilePair(t, nil)
	c, sc := echoPair(t, a, b)
	router := netip.MustParseAddr("198.18.0.99")
	mss := sc.Info().SndMSS
	r := rand.New(rand.NewPCG(9, 10))
	duringFlood(t, c, func() {
		for i := range 20000 {
			var pkt []byte
			if i%10 == 0 {
				echo := header.AppendICMPv4(nil, &header.ICMPv4Fields{Type: header.ICMPv4Echo, Rest: uint32(i), Payload: []byte("ping")})
				pkt = ipv4Packet(header.IPProtocolICMP, router, b.Addr(), nil, echo)
			} else {
				// A sequence number before SND.UNA, never in flight: a random
				// one falls in the window now and then, and such an error is
				// rightly taken (RFC 5927 §4.1).
				seq := tcp.Value(uint32(sc.Info().SndUna) - 1 - uint32(r.IntN(1<<30)))
				code := byte(r.IntN(16))
				pkt = icmpUnreach(router, b.Addr(), code, uint16(r.IntN(1500)), quote(sc, seq))
			}
			inject(ethernetFrame(macB, macEvil, pkt))
		}
	})
	if got := sc.Info().SndMSS; got != mss {
		t.Fatalf("MSS %d after the flood, was %d: an ICMP error outside the window was taken", got, mss)
	}
}

// TestPipeARPFlood: ARP requests for the stack from thousands of addresses
// of its /16 and unsolicited replies: the neighbour cache stays bounded,
// the stack still answers, and an open connection and a new one work.
func TestPipeARPFlood(t *testing.T) {
	a, b, inject := hostilePair(t, func(c *Config) { c.Addr = netip.PrefixFrom(c.Addr.Addr(), 16) })
	c, _ := echoPair(t, a, b)
	r := rand.New(rand.NewPCG(11, 12))
	duringFlood(t, c, func() {
		for i := range 20000 {
			var sender [4]byte
			binary.BigEndian.PutUint32(sender[:], 198<<24|18<<16|uint32(r.IntN(1<<16)))
			mac := header.MAC{2, 0x66, byte(i >> 16), byte(i >> 8), byte(i), 1}
			op, target := header.ARPRequest, b.Addr()
			if i%2 == 1 {
				op, target = header.ARPReply, netip.AddrFrom4([4]byte{198, 18, byte(r.Uint32()), byte(r.Uint32())})
			}
			f := header.AppendEthernet(nil, &header.EthernetFields{Dst: header.BroadcastMAC, Src: mac, Type: header.EtherTypeARP})
			f = header.AppendARP(f, &header.ARPFields{Op: op, SenderMAC: mac, SenderIP: netip.AddrFrom4(sender), TargetIP: target})
			inject(header.PadEthernet(f))
		}
	})
	b.mu.Lock()
	n := len(b.neigh)
	b.unlock()
	if n > maxNeighbours {
		t.Fatalf("%d neighbours after the flood, more than %d", n, maxNeighbours)
	}
	c2, err := a.DialTCP(t.Context(), "tcp", netip.AddrPortFrom(b.Addr(), 80).String())
	if err != nil {
		t.Fatalf("a new connection after the ARP flood: %v", err)
	}
	c2.Close()
	t.Logf("%d neighbours after the flood", n)
}
