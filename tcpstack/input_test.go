package tcpstack

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/tcp"
)

// idleLink is a Link that receives nothing and drops what is sent: the
// tests below hand frames to Stack.input themselves.
type idleLink struct{ closed chan struct{} }

func (l idleLink) Read(func([][]byte)) error      { <-l.closed; return net.ErrClosed }
func (l idleLink) Write([]byte) error             { return nil }
func (l idleLink) HardwareAddr() net.HardwareAddr { return macB }
func (l idleLink) MTU() int                       { return 1500 }
func (l idleLink) Close() error                   { close(l.closed); return nil }

// ipv4Packet builds an IPv4 packet (TTL 64, DF) with the options opts
// carrying payload.
func ipv4Packet(proto header.IPProtocol, src, dst netip.Addr, opts, payload []byte) []byte {
	p := header.AppendIPv4(nil, &header.IPv4Fields{ID: 1, DF: true, TTL: 64, Protocol: proto,
		Src: src, Dst: dst, Options: opts, PayloadLen: len(payload)})
	return append(p, payload...)
}

// ethernetFrame wraps an IPv4 packet in an Ethernet header from src to dst.
func ethernetFrame(dst, src net.HardwareAddr, pkt []byte) []byte {
	f := header.AppendEthernet(nil, &header.EthernetFields{Dst: header.MAC(dst), Src: header.MAC(src), Type: header.EtherTypeIPv4})
	return append(f, pkt...)
}

// tcpFrame builds the Ethernet frame of seg from addrA:40000 to addrB:80.
func tcpFrame(seg tcp.Segment) []byte {
	seg.SrcPort, seg.DstPort = 40000, 80
	tb := seg.AppendTo(nil)
	tcp.PutChecksum(addrA.Addr(), addrB.Addr(), tb)
	return ethernetFrame(macB, macA, ipv4Packet(header.IPProtocolTCP, addrA.Addr(), addrB.Addr(), nil, tb))
}

// tcpPacket returns the IPv4 header and the TCP segment of packet p, if it
// holds one.
func tcpPacket(p []byte) (header.IPv4, tcp.Segment, bool) {
	h, err := header.ParseIPv4(p)
	if err != nil || h.Protocol() != header.IPProtocolTCP {
		return nil, tcp.Segment{}, false
	}
	seg, err := tcp.Parse(h.Payload())
	return h, seg, err == nil
}

// establishedInput returns a stack with a connection from addrA:40000 to its
// port 80 established, and the frame of an ACK-only segment for it that
// changes nothing (a duplicate of the handshake's last ACK with nothing in
// flight), which the input path can take again and again.
func establishedInput(tb testing.TB) (*Stack, []byte) {
	tb.Helper()
	cfg := Config{Link: idleLink{make(chan struct{})}, Addr: addrB}
	cfg.TCP.DisableTimestamps, cfg.TCP.DisableWindowScale, cfg.TCP.DisableSACK = true, true, true
	s, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	ln, err := s.Listen("tcp", ":80")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	s.mu.Lock()
	defer s.unlock()
	s.neigh[addrA.Addr()] = &neighbour{mac: header.MAC(macA), expires: time.Now().Add(time.Hour), resolved: true}
	s.input(tcpFrame(tcp.Segment{Seq: 1000, Flags: tcp.FlagSYN, Window: 65535}), s.now())
	var c *Conn
	for _, c = range s.conns {
	}
	if c == nil {
		tb.Fatal("the SYN made no connection")
	}
	ack := tcpFrame(tcp.Segment{Seq: 1001, Ack: c.tcb.Info().SndNxt, Flags: tcp.FlagACK, Window: 65535})
	s.input(ack, s.now())
	if st := c.tcb.State(); st != tcp.StateEstablished {
		tb.Fatalf("after the handshake the connection is %v, want ESTABLISHED", st)
	}
	return s, ack
}

// TestInputAllocs: the receive path, from the Ethernet frame to the
// engine, allocates nothing for an ACK-only segment to an established
// connection.
func TestInputAllocs(t *testing.T) {
	s, ack := establishedInput(t)
	s.mu.Lock()
	defer s.unlock()
	now := s.now()
	if n := testing.AllocsPerRun(1000, func() { s.input(ack, now) }); n != 0 {
		t.Errorf("Stack.input of an ACK-only segment: %v allocations, want 0", n)
	}
}

// BenchmarkInputACK measures the receive path for an ACK-only segment to
// an established connection.
func BenchmarkInputACK(b *testing.B) {
	s, ack := establishedInput(b)
	s.mu.Lock()
	defer s.unlock()
	now := s.now()
	b.ReportAllocs()
	for b.Loop() {
		s.input(ack, now)
	}
}

// TestOutputAllocs: wrapping a segment in IPv4 and Ethernet and queueing the
// frame allocates nothing either.
func TestOutputAllocs(t *testing.T) {
	s, _ := establishedInput(t)
	s.mu.Lock()
	defer s.unlock()
	seg := tcp.Segment{SrcPort: 80, DstPort: 40000, Seq: 1, Ack: 1001, Flags: tcp.FlagACK, Window: 65535}
	if n := testing.AllocsPerRun(1000, func() { s.sendSegment(addrB.Addr(), addrA.Addr(), &seg, 0) }); n != 0 {
		t.Errorf("Stack.sendSegment of an ACK: %v allocations, want 0", n)
	}
}
