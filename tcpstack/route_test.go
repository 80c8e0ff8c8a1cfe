package tcpstack

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/link/pipe"
	"tcpregress.dev/tcpstack/tcp"
)

// srr builds a source route option of type t holding addrs, with pointer
// ptr (1-based; past the length when the route is complete).
func srr(t header.IPv4OptionType, ptr int, addrs ...netip.Addr) []byte {
	return header.AppendIPv4Route(nil, t, uint8(ptr), addrs...)
}

// TestReturnRoute: RFC 1122 §3.2.1.8 (c). A completed route {G1, ..., Gn}
// received from S is reversed to {>>Gn-1, ..., G1, S} sent to Gn; a source
// recorded first is left out (case (B)); uncompleted or malformed routes
// give none.
func TestReturnRoute(t *testing.T) {
	s := netip.MustParseAddr("198.18.0.1")
	g1 := netip.MustParseAddr("192.0.2.1")
	g2 := netip.MustParseAddr("192.0.2.2")
	g3 := netip.MustParseAddr("192.0.2.3")
	pad := func(o []byte) []byte {
		for len(o)%4 != 0 {
			o = append(o, 0)
		}
		return o
	}
	for _, tc := range []struct {
		name string
		opts []byte
		hop  netip.Addr // invalid: no route
		opt  []byte
	}{
		{"one gateway", srr(131, 8, g1), g1, pad(srr(131, 4, s))},
		{"three gateways", srr(131, 16, g1, g2, g3), g3, pad(srr(131, 4, g2, g1, s))},
		{"strict kept strict", srr(137, 12, g1, g2), g2, pad(srr(137, 4, g1, s))},
		{"after NOP", append([]byte{1}, srr(131, 12, g1, g2)...), g2, pad(srr(131, 4, g1, s))},
		{"source recorded first (B)", srr(131, 12, s, g1), g1, pad(srr(131, 4, s))},
		{"only the source recorded", srr(131, 8, s), netip.Addr{}, nil},
		{"not completed", srr(131, 8, g1, g2), netip.Addr{}, nil},
		{"pointer below 4", srr(131, 3, g1), netip.Addr{}, nil},
		{"no addresses", []byte{131, 3, 4, 0}, netip.Addr{}, nil},
		{"length not 3+4n", []byte{131, 6, 8, 1, 2, 3, 0, 0}, netip.Addr{}, nil},
		{"runs past the header", []byte{131, 11, 12, 1, 2, 3, 4}, netip.Addr{}, nil},
		{"length one", []byte{7, 1, 0, 0}, netip.Addr{}, nil},
		{"after EOL", append([]byte{0, 0, 0, 0}, srr(131, 8, g1)...), netip.Addr{}, nil},
		{"record route only", []byte{7, 7, 8, 1, 2, 3, 4, 0}, netip.Addr{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := returnRoute(s, tc.opts)
			if !tc.hop.IsValid() {
				if ok {
					t.Fatalf("route %v %x, want none", r.hop, r.opt)
				}
				return
			}
			if !ok || r.hop != tc.hop || !bytes.Equal(r.opt, tc.opt) {
				t.Fatalf("got %v %v, want hop %v opt %x", ok, r, tc.hop, tc.opt)
			}
		})
	}
}

// TestSourceRouteReturn: RFC9293 MUST-53, RFC1122 §4.2.3.8. A SYN with a
// completed loose source route is answered along the reversed route, and
// the connection's later segments keep it, with the MSS lowered by the
// option's size (RFC9293 §3.7.1) so that full segments still fit the MTU.
// The peer side is a raw handler on stack a.
func TestSourceRouteReturn(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	l := listen(t, b, 80)
	pkts := make(chan []byte, 64)
	a.SetRawHandler(func(p []byte, _ time.Time) bool {
		if header.IPv4(p).Protocol() == header.IPProtocolTCP {
			select {
			case pkts <- bytes.Clone(p):
			default:
			}
			return true
		}
		return false
	})
	src, dst := a.Addr(), b.Addr()
	gw := netip.MustParseAddr("192.0.2.9")
	// The route as received: gw, then src as the last hop (the hop the
	// reply goes to first, so that it comes back to a).
	lsrr := srr(header.IPv4OptionLSRR, 12, gw, src)
	opts := append([]byte{byte(header.IPv4OptionNOP)}, lsrr...) // 12 octets
	send := func(seg tcp.Segment, opts []byte) {
		t.Helper()
		tb := seg.AppendTo(nil)
		tcp.PutChecksum(src, dst, tb)
		if err := a.WriteIPv4(ipv4Packet(header.IPProtocolTCP, src, dst, opts, tb)); err != nil {
			t.Fatal(err)
		}
	}
	recv := func() (header.IPv4, tcp.Segment) {
		t.Helper()
		select {
		case p := <-pkts:
			h, err := header.ParseIPv4(p)
			if err != nil {
				t.Fatalf("malformed reply % x: %v", p, err)
			}
			payload := h.Payload()
			// The pseudo-header holds the final destination, a.
			if !tcp.VerifyChecksum(dst, src, payload) {
				t.Fatalf("bad TCP checksum in % x", p)
			}
			seg, err := tcp.Parse(payload)
			if err != nil {
				t.Fatal(err)
			}
			return h, seg
		case <-time.After(5 * time.Second):
			t.Fatal("no reply")
		}
		panic("unreachable")
	}
	want := srr(header.IPv4OptionLSRR, 4, gw, src) // {>>gw, a}: 11 octets and an EOL
	want = append(want, byte(header.IPv4OptionEOL))
	checkRoute := func(h header.IPv4, what string) {
		t.Helper()
		if h.Dst() != src || !bytes.Equal(h.Options(), want) {
			t.Fatalf("%s to %v with options % x, want to %v with % x", what, h.Dst(), h.Options(), src, want)
		}
	}

	send(tcp.Segment{SrcPort: 4000, DstPort: 80, Seq: 1000, Flags: tcp.FlagSYN, Window: 65535,
		Options: tcp.Options{HasMSS: true, MSS: 1460}}, opts)
	h, synAck := recv()
	if synAck.Flags != tcp.FlagSYN|tcp.FlagACK || synAck.Ack != 1001 {
		t.Fatalf("reply %+v, want a SYN-ACK of 1001", synAck)
	}
	checkRoute(h, "SYN-ACK")
	// The rest of the connection comes without the option: the route stays.
	send(tcp.Segment{SrcPort: 4000, DstPort: 80, Seq: 1001, Ack: synAck.Seq.Add(1), Flags: tcp.FlagACK, Window: 65535}, nil)
	c, err := l.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, wantMSS := c.Info().SndMSS, 1460-12; got != wantMSS {
		t.Errorf("send MSS %d, want %d (1460 less 12 octets of IP options)", got, wantMSS)
	}
	go c.Write(make([]byte, 3000))
	h, seg := recv()
	checkRoute(h, "data")
	if len(seg.Payload) != 1448 || h.TotalLen() > b.MTU() {
		t.Fatalf("first data segment: %d octets in a %d-octet packet, want 1448 within the MTU %d", len(seg.Payload), h.TotalLen(), b.MTU())
	}
	send(tcp.Segment{SrcPort: 4000, DstPort: 80, Seq: 1001, Ack: synAck.Seq.Add(1 + 3000), Flags: tcp.FlagACK | tcp.FlagRST, Window: 0}, nil)
}

// TestAppSourceRoute: the application's route {G1, G2, slot} to D is sent to
// G1 with the option {>>G2, D} (RFC791 loose/strict source routing, laid out
// as Linux does for setsockopt(IP_OPTIONS)); malformed routes are EINVAL.
func TestAppSourceRoute(t *testing.T) {
	g1 := netip.MustParseAddr("192.0.2.1")
	g2 := netip.MustParseAddr("192.0.2.2")
	d := netip.MustParseAddr("198.18.0.9")
	x := netip.MustParseAddr("0.0.0.0")
	r, err := appSourceRoute(srr(header.IPv4OptionLSRR, 4, g1, g2, x), d)
	if err != nil {
		t.Fatal(err)
	}
	want := append(srr(header.IPv4OptionLSRR, 4, g2, d), 0) // 11 octets and an EOL
	if r.hop != g1 || !bytes.Equal(r.opt, want) {
		t.Errorf("route = hop %v opt % x, want hop %v opt % x", r.hop, r.opt, g1, want)
	}
	// One gateway: {G1, slot} becomes {>>D} to G1.
	r, err = appSourceRoute(srr(header.IPv4OptionSSRR, 4, g1, x), d)
	if err != nil {
		t.Fatal(err)
	}
	if want := append(srr(header.IPv4OptionSSRR, 4, d), 0); r.hop != g1 || !bytes.Equal(r.opt, want) {
		t.Errorf("route = hop %v opt % x, want hop %v opt % x", r.hop, r.opt, g1, want)
	}
	for _, bad := range [][]byte{
		nil,
		srr(header.IPv4OptionLSRR, 4, g1),    // no slot for the destination
		srr(7, 4, g1, x),                     // record route, not a source route
		srr(header.IPv4OptionLSRR, 8, g1, x), // pointer not at the first hop
		append(srr(header.IPv4OptionLSRR, 4, g1, x), 0), // length byte disagrees
	} {
		if _, err := appSourceRoute(bad, d); err == nil || !strings.Contains(err.Error(), "invalid argument") {
			t.Errorf("appSourceRoute(% x) = %v, want EINVAL", bad, err)
		}
	}
}
