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
	"testing"
	"time"

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
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// echoOnce checks that c carries n bytes to an echoing peer and back.
func echoOnce(t *testing.T, c net.Conn, n int, seed uint64) {
	t.Helper()
	data := randomBytes(n, seed)
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

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
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
