package tcpstack

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/tcp"
)

// batchLink is a Link whose received frames come in the batches a test
// chooses; feed returns once the stack has handled a batch (and sent what
// it answered, which the stack does before its read callback returns).
type batchLink struct {
	in     chan [][]byte
	done   chan struct{}
	closed chan struct{}
	once   sync.Once
	mu     sync.Mutex
	out    [][]byte
}

func newBatchLink() *batchLink {
	return &batchLink{in: make(chan [][]byte), done: make(chan struct{}), closed: make(chan struct{})}
}

func (l *batchLink) Read(fn func([][]byte)) error {
	select {
	case b := <-l.in:
		fn(b)
		l.done <- struct{}{}
		return nil
	case <-l.closed:
		return net.ErrClosed
	}
}

func (l *batchLink) Write(f []byte) error {
	l.mu.Lock()
	l.out = append(l.out, append([]byte(nil), f...))
	l.mu.Unlock()
	return nil
}

func (l *batchLink) HardwareAddr() net.HardwareAddr { return macB }
func (l *batchLink) MTU() int                       { return 1500 }
func (l *batchLink) Close() error                   { l.once.Do(func() { close(l.closed) }); return nil }

// feed hands the stack one batch of segments from addrA:40000 to port 80.
func (l *batchLink) feed(segs ...tcp.Segment) {
	var frames [][]byte
	for _, seg := range segs {
		seg.Window = 65535
		frames = append(frames, tcpFrame(seg))
	}
	l.in <- frames
	<-l.done
}

// sent returns the TCP segments the stack sent since the last call.
func (l *batchLink) sent() []tcp.Segment {
	l.mu.Lock()
	defer l.mu.Unlock()
	var segs []tcp.Segment
	for _, f := range l.out {
		if _, seg, ok := tcpPacket(f[header.EthernetLen:]); ok {
			segs = append(segs, seg)
		}
	}
	l.out = nil
	return segs
}

// batchStack is a stack on a batchLink with a listener on port 80 and a
// connection from addrA:40000 accepted (ISS 1000); it returns the
// connection and the stack's ISS.
func batchStack(t *testing.T, sack bool) (*batchLink, net.Conn, tcp.Value) {
	t.Helper()
	l := newBatchLink()
	cfg := Config{Link: l, Addr: addrB}
	cfg.TCP.DisableTimestamps, cfg.TCP.DisableWindowScale, cfg.TCP.DisableSACK = true, true, !sack
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.mu.Lock()
	s.neigh[addrA.Addr()] = &neighbour{mac: header.MAC(macA), expires: time.Now().Add(time.Hour), resolved: true}
	s.unlock()
	ln, err := s.Listen("tcp", ":80")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	syn := tcp.Segment{Seq: 1000, Flags: tcp.FlagSYN}
	if sack {
		syn.Options.SACKPermitted = true
	}
	l.feed(syn)
	out := l.sent()
	if len(out) != 1 || out[0].Flags != tcp.FlagSYN|tcp.FlagACK {
		t.Fatalf("SYN answered with %v, want a SYN-ACK", out)
	}
	iss := out[0].Seq
	l.feed(tcp.Segment{Seq: 1001, Ack: iss.Add(1), Flags: tcp.FlagACK})
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	l.sent()
	return l, c, iss
}

// TestBatchClosedConnectionLeavesAtOnce: a batch holding the ACK that ends
// LAST-ACK and then a new SYN for the same addresses and ports: the SYN
// reaches the listener, as it does in separate batches, rather than the
// closed connection (which would answer with a reset).
func TestBatchClosedConnectionLeavesAtOnce(t *testing.T) {
	l, c, iss := batchStack(t, false)
	l.feed(tcp.Segment{Seq: 1001, Ack: iss.Add(1), Flags: tcp.FlagACK | tcp.FlagFIN})
	if _, err := io.ReadAll(c); err != nil {
		t.Fatal(err)
	}
	c.Close() // our FIN: LAST-ACK
	l.sent()
	l.feed(tcp.Segment{Seq: 1002, Ack: iss.Add(2), Flags: tcp.FlagACK}, tcp.Segment{Seq: 500000, Flags: tcp.FlagSYN})
	out := l.sent()
	if len(out) != 1 || out[0].Flags != tcp.FlagSYN|tcp.FlagACK || out[0].Ack != 500001 {
		t.Fatalf("a new SYN after the last ACK in one batch was answered with %v, want a SYN-ACK", out)
	}
}

// TestBatchDuplicateACKs: out-of-order segments in one batch draw one
// duplicate ACK each when the connection has no SACK (the peer counts them
// toward fast retransmit, RFC5681 §3.2), and one for the batch with SACK,
// whose blocks say it all (RFC9293 MUST-59).
func TestBatchDuplicateACKs(t *testing.T) {
	for _, sack := range []bool{false, true} {
		l, _, iss := batchStack(t, sack)
		var segs []tcp.Segment
		for i := 1; i <= 6; i++ { // the first 1000 octets are missing
			segs = append(segs, tcp.Segment{Seq: tcp.Value(1001 + 1000*i), Ack: iss.Add(1), Flags: tcp.FlagACK, Payload: make([]byte, 1000)})
		}
		l.feed(segs...)
		out := l.sent()
		want := 6
		if sack {
			want = 1
		}
		if len(out) != want {
			t.Errorf("SACK %v: six out-of-order segments in one batch drew %d ACKs, want %d", sack, len(out), want)
		}
		for _, seg := range out {
			if seg.Ack != 1001 {
				t.Errorf("SACK %v: %v does not acknowledge 1001", sack, seg)
			}
		}
	}
}
