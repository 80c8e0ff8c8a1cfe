package tcpstack

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/link/pipe"
)

// TestGroupMAC: multicast groups map to 01:00:5e and the low 23 bits of the
// group (RFC 1112 §6.4), broadcasts to ff:ff:ff:ff:ff:ff, and other
// addresses to nothing (ARP resolves them).
func TestGroupMAC(t *testing.T) {
	subnet := netip.MustParsePrefix("198.18.0.1/24")
	bcast := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	for _, tc := range []struct {
		dst    string
		subnet netip.Prefix
		mac    net.HardwareAddr // nil: none
	}{
		{"224.0.0.1", subnet, net.HardwareAddr{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}},
		{"239.255.255.250", subnet, net.HardwareAddr{0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa}},
		// The 24th bit of the group is not mapped: 224.128.1.2 and
		// 224.0.1.2 share a MAC.
		{"224.128.1.2", subnet, net.HardwareAddr{0x01, 0x00, 0x5e, 0x00, 0x01, 0x02}},
		{"255.255.255.255", subnet, bcast},
		{"198.18.0.255", subnet, bcast},
		{"198.18.1.255", netip.MustParsePrefix("198.18.0.1/23"), bcast},
		{"198.18.0.255", netip.MustParsePrefix("198.18.0.1/23"), nil}, // a host of the /23
		{"198.19.0.255", subnet, nil},                                 // another subnet's
		{"198.18.0.1", netip.MustParsePrefix("198.18.0.0/31"), nil},   // RFC 3021: no broadcast
		{"198.18.0.2", subnet, nil},
		{"192.0.2.1", subnet, nil},
	} {
		mac, ok := groupMAC(netip.MustParseAddr(tc.dst), tc.subnet)
		if ok != (tc.mac != nil) || ok && !bytes.Equal(mac[:], tc.mac) {
			t.Errorf("groupMAC(%s, %v) = %v, %v; want %v", tc.dst, tc.subnet, mac, ok, tc.mac)
		}
	}
}

// TestWriteIPv4Group: a raw packet to a multicast group or a broadcast
// address leaves at once with the group's or the broadcast MAC, no ARP
// request before it; a unicast packet off the subnet without a gateway is
// still refused.
func TestWriteIPv4Group(t *testing.T) {
	la, lb := pipe.New(macA, macB, pipe.Faults{})
	s, err := New(Config{Link: la, Addr: addrA})
	if err != nil {
		t.Fatal(err)
	}
	frames := make(chan []byte, 16)
	read := make(chan error, 1)
	go func() {
		for {
			err := lb.Read(func(fs [][]byte) {
				for _, f := range fs {
					frames <- bytes.Clone(f)
				}
			})
			if err != nil {
				read <- err
				return
			}
		}
	}()
	defer func() {
		s.Close()
		lb.Close()
		<-read
	}()
	packet := func(dst string) []byte {
		return ipv4Packet(header.IPProtocolTCP, addrA.Addr(), netip.MustParseAddr(dst), nil, make([]byte, 8))
	}
	for _, tc := range []struct {
		dst string
		mac net.HardwareAddr
	}{
		{"224.0.0.1", net.HardwareAddr{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}},
		{"198.18.0.255", net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"255.255.255.255", net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	} {
		pkt := packet(tc.dst)
		if err := s.WriteIPv4(pkt); err != nil {
			t.Fatalf("WriteIPv4 to %s: %v", tc.dst, err)
		}
		select {
		case f := <-frames:
			e := header.Ethernet(f)
			if typ := e.EtherType(); typ != header.EtherTypeIPv4 {
				t.Fatalf("to %s: first frame has ethertype %v (ARP?), want the IPv4 packet", tc.dst, typ)
			}
			if e.Dst() != header.MAC(tc.mac) || e.Src() != header.MAC(macA) || !bytes.Equal(e.Payload()[:len(pkt)], pkt) {
				t.Fatalf("to %s: frame % x; want %v from %v carrying % x", tc.dst, f, tc.mac, macA, pkt)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("to %s: nothing sent", tc.dst)
		}
	}
	if err := s.WriteIPv4(packet("192.0.2.1")); err == nil {
		t.Fatal("WriteIPv4 to an off-subnet unicast address without a gateway succeeded")
	}
}

// stampedPipe is a pipe endpoint that stamps every frame with when, as
// link/pcap stamps them with their capture times.
type stampedPipe struct {
	*pipe.Endpoint
	when time.Time
}

func (p stampedPipe) ReadStamped(fn func([][]byte, func(int) time.Time)) error {
	return p.Read(func(frames [][]byte) { fn(frames, func(int) time.Time { return p.when }) })
}

// TestRawHandlerArrivalTime: over a StampedReader, the raw handler gets
// each frame's arrival time from the link, not the time the stack read it.
func TestRawHandlerArrivalTime(t *testing.T) {
	la, lb := pipe.New(macA, macB, pipe.Faults{})
	when := time.Date(2026, 12, 7, 12, 0, 0, 123456000, time.UTC)
	b, err := New(Config{Link: stampedPipe{lb, when}, Addr: addrB})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a, err := New(Config{Link: la, Addr: addrA})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	got := make(chan time.Time, 16)
	b.SetRawHandler(func(pkt []byte, now time.Time) bool {
		got <- now
		return true
	})
	if err := a.WriteIPv4(ipv4Packet(header.IPProtocolTCP, addrA.Addr(), addrB.Addr(), nil, make([]byte, 20))); err != nil {
		t.Fatal(err)
	}
	select {
	case now := <-got:
		if !now.Equal(when) {
			t.Errorf("raw handler got %v, want the link's stamp %v", now, when)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the raw handler saw nothing")
	}
}
