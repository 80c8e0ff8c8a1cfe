package tcpstack

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"tcpregress.dev/pcap/testenv"
	"tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/link/pipe"
	"tcpregress.dev/tcpstack/syncbuf"
	"tcpregress.dev/tcpstack/tcp"
)

// icmpUnreach builds an ICMP destination-unreachable packet from src to dst
// quoting the IP header and first 8 TCP bytes of a segment dst sent.
func icmpUnreach(src, dst netip.Addr, code byte, mtu uint16, quoted []byte) []byte {
	icmp := header.AppendICMPv4(nil, &header.ICMPv4Fields{Type: header.ICMPv4DstUnreachable, Code: code, Rest: uint32(mtu), Payload: quoted})
	return ipv4Packet(header.IPProtocolICMP, src, dst, nil, icmp)
}

// quote builds the first 28 bytes of a TCP/IPv4 packet of c's, as an ICMP
// error quotes them, with sequence number seq.
func quote(c *Conn, seq tcp.Value) []byte {
	q := header.AppendIPv4(nil, &header.IPv4Fields{ID: 9, DF: true, TTL: 64, Protocol: header.IPProtocolTCP,
		Src: c.local.Addr(), Dst: c.remote.Addr(), PayloadLen: 1000})
	q = append(q, make([]byte, 8)...)
	t := header.TCP(q[header.IPv4MinLen:])
	t.SetSrcPort(c.local.Port())
	t.SetDstPort(c.remote.Port())
	t.SetSeq(uint32(seq))
	return q
}

// TestICMPFragNeeded: an ICMP fragmentation-needed quoting a segment in
// flight lowers the connection's MSS (RFC1191); one quoting a sequence
// number outside the window is ignored (RFC5927 §4.1).
func TestICMPFragNeeded(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	l := listen(t, b, 80)
	got := make(chan []byte, 1)
	acceptOne(l, func(c net.Conn) {
		d, _ := io.ReadAll(c)
		got <- d
	})
	cn, err := a.DialTCP(t.Context(), "tcp", "198.18.0.2:80")
	if err != nil {
		t.Fatal(err)
	}
	defer cn.Close()
	before := cn.Info()
	// Out of window: ignored.
	b.WriteIPv4(icmpUnreach(b.Addr(), a.Addr(), header.ICMPv4FragmentationNeeded, 1000, quote(cn, before.SndUna+100000)))
	// In flight (SND.UNA): accepted.
	b.WriteIPv4(icmpUnreach(b.Addr(), a.Addr(), header.ICMPv4FragmentationNeeded, 1000, quote(cn, before.SndUna)))
	testenv.Eventually(5*time.Second, func() bool { return cn.Info().SndMSS != before.SndMSS })
	after := cn.Info()
	if want := 1000 - 40 - 12; after.SndMSS != want {
		t.Fatalf("MSS after frag-needed(1000): %d, want %d (was %d)", after.SndMSS, want, before.SndMSS)
	}
	// Data still flows, in smaller segments.
	data := bytes.Repeat([]byte("z"), 20000)
	cn.Write(data)
	cn.CloseWrite()
	if d := <-got; !bytes.Equal(d, data) {
		t.Fatalf("received %d bytes after the MSS change", len(d))
	}
}

// TestICMPSoftErrors: a port- or host-unreachable for an established
// connection does not abort it (RFC1122 §4.2.3.9, RFC5461).
func TestICMPSoftErrors(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	l := listen(t, b, 80)
	acceptOne(l, func(c net.Conn) { io.Copy(c, c) })
	cn, err := a.DialTCP(t.Context(), "tcp", "198.18.0.2:80")
	if err != nil {
		t.Fatal(err)
	}
	defer cn.Close()
	una := cn.Info().SndUna
	for _, code := range []byte{0, 1, 3, 13} {
		b.WriteIPv4(icmpUnreach(b.Addr(), a.Addr(), code, 0, quote(cn, una)))
	}
	cn.Write([]byte("still here"))
	buf := make([]byte, 10)
	cn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(cn, buf); err != nil || string(buf) != "still here" {
		t.Fatalf("after ICMP soft errors: %q %v", buf, err)
	}
	if cn.State() != tcp.StateEstablished {
		t.Fatalf("state %v after soft errors", cn.State())
	}
}

// TestICMPEcho: the stack answers pings.
func TestICMPEcho(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	replies := make(chan []byte, 1)
	b.SetRawHandler(func(pkt []byte, now time.Time) bool {
		h := header.IPv4(pkt)
		if m, err := header.ParseICMPv4(h.Payload()); h.Protocol() == header.IPProtocolICMP && err == nil && m.Type() == header.ICMPv4EchoReply {
			replies <- bytes.Clone(m)
			return true
		}
		return false
	})
	echo := header.AppendICMPv4(nil, &header.ICMPv4Fields{Type: header.ICMPv4Echo, Rest: 0x12340001, Payload: []byte("ping")})
	if err := b.WriteIPv4(ipv4Packet(header.IPProtocolICMP, b.Addr(), a.Addr(), nil, echo)); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-replies:
		if !header.ICMPv4(r).IsChecksumValid() || !bytes.Equal(r[4:], echo[4:]) {
			t.Fatalf("echo reply %x", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no echo reply")
	}
}

// TestLogging: state transitions at debug level, segments at trace level.
func TestLogging(t *testing.T) {
	var logs syncbuf.Buffer
	logger := zerolog.New(&logs).Level(zerolog.TraceLevel)
	a, b := stackPair(t, pipe.Faults{}, func(c *Config) {
		if c.Addr == addrA {
			c.Logger = logger
		}
	})
	l := listen(t, b, 80)
	acceptOne(l, func(net.Conn) {})
	c, err := a.Dial("tcp", "198.18.0.2:80")
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	time.Sleep(50 * time.Millisecond)
	out := logs.String()
	for _, want := range []string{`"state":"SYN-SENT→ESTABLISHED"`, `"message":"out"`, `"message":"in"`, `"src":"198.18.0.1"`, `"dst":"198.18.0.2"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	// Segments in the line grammar (tcp.Segment.String), the SYN first.
	if !regexp.MustCompile(`"seg":"\d+>80 S \d+:\d+\(0\) win \d+ <mss 1460`).MatchString(out) {
		t.Errorf("log lacks the SYN in the line grammar:\n%s", out)
	}
}

// TestBacklog: SYNs beyond the backlog are dropped; once the application
// accepts, the waiting client gets in (its SYN is retransmitted).
func TestBacklog(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, func(c *Config) {
		c.Backlog = 2
		c.TCP.InitialRTO = 100 * time.Millisecond
		c.TCP.RTOMin = 100 * time.Millisecond
	})
	l := listen(t, b, 80)
	var conns []net.Conn
	for range 2 {
		c, err := a.Dial("tcp", "198.18.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	third := make(chan error, 1)
	go func() {
		c, err := a.Dial("tcp", "198.18.0.2:80")
		if err == nil {
			conns = append(conns, c)
		}
		third <- err
	}()
	select {
	case err := <-third:
		t.Fatalf("a third connection got in past a backlog of 2: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	for range 3 {
		c, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	if err := <-third; err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		c.Close()
	}
	_ = errors.New
	_ = syscall.EAGAIN
}

// TestICMPHardErrorSynSent: a port unreachable quoting our SYN is a hard
// error (RFC1122 §4.2.3.9, codes 2-4: "TCP SHOULD abort the connection"):
// the dial fails at once with ECONNREFUSED instead of retransmitting; one
// quoting a sequence number not in flight is ignored.
func TestICMPHardErrorSynSent(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	b.SetRawHandler(func([]byte, time.Time) bool { return true }) // silent peer
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		c, err := a.DialTCP(t.Context(), "tcp", "198.18.0.2:80")
		if err == nil {
			c.Close()
		}
		done <- err
	}()
	var cn *Conn
	for cn == nil {
		if time.Since(start) > 5*time.Second {
			t.Fatal("no connection in SYN-SENT")
		}
		time.Sleep(5 * time.Millisecond)
		a.mu.Lock()
		for _, c := range a.conns {
			cn = c
		}
		a.mu.Unlock()
	}
	iss := cn.Info().SndUna
	b.WriteIPv4(icmpUnreach(b.Addr(), a.Addr(), 3, 0, quote(cn, iss.Add(1000))))
	select {
	case err := <-done:
		t.Fatalf("dial ended by an ICMP error quoting a sequence number not in flight: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	b.WriteIPv4(icmpUnreach(b.Addr(), a.Addr(), 3, 0, quote(cn, iss)))
	select {
	case err := <-done:
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial: %v, want ECONNREFUSED", err)
		}
		if d := time.Since(start); d > 900*time.Millisecond {
			t.Fatalf("dial failed after %v, not at the ICMP error", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("dial still pending 5 s after a port unreachable")
	}
}
