package tcp

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// lossyLink carries marshalled segments between two engines with seeded loss,
// duplication, reordering (random extra delay) and a base latency.
type lossyLink struct {
	rng                  *rand.Rand
	loss, dup, reorder   float64
	latency, jitter      time.Duration
	queue                []packet
	seq                  int
	sent, dropped, duped int
}

type packet struct {
	at       time.Time
	n        int // tie-break, keeps the order stable
	src, dst netip.AddrPort
	b        []byte
}

func (l *lossyLink) send(now time.Time, src, dst netip.AddrPort, seg Segment) {
	b := seg.Marshal()
	PutChecksum(src.Addr(), dst.Addr(), b)
	l.sent++
	if l.rng.Float64() < l.loss {
		l.dropped++
		return
	}
	copies := 1
	if l.rng.Float64() < l.dup {
		copies, l.duped = 2, l.duped+1
	}
	for range copies {
		d := l.latency
		if l.rng.Float64() < l.reorder {
			d += time.Duration(l.rng.Int64N(int64(l.jitter)))
		}
		l.seq++
		l.queue = append(l.queue, packet{now.Add(d), l.seq, src, dst, bytes.Clone(b)})
	}
}

func (l *lossyLink) next() (time.Time, bool) {
	if len(l.queue) == 0 {
		return time.Time{}, false
	}
	sort.Slice(l.queue, func(i, j int) bool {
		if !l.queue[i].at.Equal(l.queue[j].at) {
			return l.queue[i].at.Before(l.queue[j].at)
		}
		return l.queue[i].n < l.queue[j].n
	})
	return l.queue[0].at, true
}

// endpoint is one side of the transfer: what it sends and what it received.
type endpoint struct {
	c       *Conn
	addr    netip.AddrPort
	src     []byte // to send
	written int
	closed  bool
	sink    bytes.Buffer
	eof     bool
}

func (e *endpoint) pump(t testing.TB) {
	if e.c == nil {
		return
	}
	for e.written < len(e.src) {
		n, err := e.c.Write(e.src[e.written:])
		e.written += n
		if err != nil {
			break
		}
	}
	// CLOSE in SYN-SENT would delete the connection (RFC9293 §3.10.4).
	if e.written == len(e.src) && !e.closed && e.c.State() != StateSynSent {
		if err := e.c.CloseWrite(); err == nil {
			e.closed = true
		}
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := e.c.Read(buf)
		e.sink.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			e.eof = true
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, ErrWouldBlock) {
				t.Fatalf("%v: read: %v", e.addr, err)
			}
			break
		}
	}
}

func TestEndToEndLossy(t *testing.T) {
	cases := []struct {
		name               string
		loss, dup, reorder float64
		opts               bool
		sizeAB, sizeBA     int
		recvBuf            int
		seed               uint64
	}{
		{name: "clean", sizeAB: 2 << 20, sizeBA: 512 << 10, opts: true, seed: 1},
		{name: "loss=1%/opts=all", loss: 0.01, dup: 0.01, reorder: 0.05, opts: true, sizeAB: 3 << 20, sizeBA: 1 << 20, seed: 2},
		{name: "loss=3%/opts=none", loss: 0.03, dup: 0.02, reorder: 0.1, opts: false, sizeAB: 1 << 20, sizeBA: 256 << 10, seed: 3},
		{name: "loss=5%/opts=all/reorder=30%", loss: 0.05, dup: 0.05, reorder: 0.3, opts: true, sizeAB: 1 << 20, sizeBA: 1 << 20, seed: 4},
		{name: "loss=2%/smallbuf", loss: 0.02, dup: 0.01, reorder: 0.1, opts: true, sizeAB: 512 << 10, sizeBA: 64 << 10, recvBuf: 4096, seed: 5},
	}
	for _, tc := range cases {
		t.Run("case="+tc.name, func(t *testing.T) {
			runTransfer(t, tc.loss, tc.dup, tc.reorder, tc.opts, tc.sizeAB, tc.sizeBA, tc.recvBuf, tc.seed)
		})
	}
}

func runTransfer(t testing.TB, loss, dup, reorder float64, opts bool, sizeAB, sizeBA, recvBuf int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	link := &lossyLink{rng: rng, loss: loss, dup: dup, reorder: reorder, latency: 10 * time.Millisecond, jitter: 30 * time.Millisecond}
	cfg := Config{
		MSS:                1460,
		DisableSACK:        !opts,
		DisableTimestamps:  !opts,
		DisableWindowScale: !opts,
		MSL:                time.Second,
		RTOMin:             200 * time.Millisecond,
		ISN:                NewKeyedISN([]byte(fmt.Sprint(seed))),
		RecvBuffer:         recvBuf,
	}
	if os.Getenv("TCP_TEST_LOG") != "" {
		cfg.Logger = zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr}).Level(zerolog.TraceLevel)
	}
	mk := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	A := &endpoint{addr: netip.MustParseAddrPort("10.0.0.1:1111"), src: mk(sizeAB)}
	B := &endpoint{addr: netip.MustParseAddrPort("10.0.0.2:2222"), src: mk(sizeBA)}
	now := testBase
	var err error
	A.c, err = Open(cfg, A.addr, B.addr, now)
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewListener(cfg, B.addr)
	if err != nil {
		t.Fatal(err)
	}
	byAddr := map[netip.AddrPort]*endpoint{A.addr: A, B.addr: B}
	emitFrom := func(e, peer *endpoint) func(Segment) {
		return func(s Segment) { link.send(now, e.addr, peer.addr, s) }
	}
	steps := 0
	for ; steps < 2_000_000; steps++ {
		for _, e := range []*endpoint{A, B} {
			e.pump(t)
		}
		A.c.Output(now, emitFrom(A, B))
		if B.c != nil {
			B.c.Output(now, emitFrom(B, A))
		}
		if A.c.State() == StateClosed && B.c != nil && B.c.State() == StateClosed {
			break
		}
		// The next event: a packet or a timer.
		next, ok := link.next()
		for _, e := range []*endpoint{A, B} {
			if e.c == nil {
				continue
			}
			if d, ok2 := e.c.NextDeadline(); ok2 && (!ok || d.Before(next)) {
				next, ok = d, true
			}
		}
		if !ok {
			break
		}
		if next.After(now) {
			now = next
		}
		for len(link.queue) > 0 && !link.queue[0].at.After(now) {
			p := link.queue[0]
			link.queue = link.queue[1:]
			if !VerifyChecksum(p.src.Addr(), p.dst.Addr(), p.b) {
				t.Fatal("bad checksum on the wire")
			}
			seg, err := Parse(p.b)
			if err != nil {
				t.Fatal(err)
			}
			dst := byAddr[p.dst]
			switch {
			case dst == B && (B.c == nil || B.c.State() == StateListen):
				c, rst, ok := l.Input(p.src.Addr(), seg, now)
				if ok {
					link.send(now, B.addr, A.addr, rst)
				}
				if c != nil {
					B.c = c
				}
			default:
				dst.c.Input(seg, now)
			}
			link.next()
		}
	}
	if B.c == nil {
		t.Fatal("no connection at B")
	}
	if testing.Verbose() {
		t.Logf("steps=%d sent=%d dropped=%d duplicated=%d A=%v B=%v Arexmit=%d Brexmit=%d virtual=%v",
			steps, link.sent, link.dropped, link.duped, A.c.State(), B.c.State(),
			A.c.Info().TotalRetransmits, B.c.Info().TotalRetransmits, now.Sub(testBase))
	}
	for _, x := range []struct {
		name      string
		from, to  *endpoint
		wantBytes int
	}{{"A→B", A, B, sizeAB}, {"B→A", B, A, sizeBA}} {
		got, want := sha256.Sum256(x.to.sink.Bytes()), sha256.Sum256(x.from.src)
		if got != want {
			first := -1
			for i := range min(len(x.from.src), x.to.sink.Len()) {
				if x.from.src[i] != x.to.sink.Bytes()[i] {
					first = i
					break
				}
			}
			t.Errorf("%s: received %d bytes, want %d; sha256 mismatch, first difference at %d", x.name, x.to.sink.Len(), x.wantBytes, first)
		}
		if !x.to.eof {
			t.Errorf("%s: no EOF", x.name)
		}
	}
	if A.c.State() != StateClosed || B.c.State() != StateClosed {
		t.Errorf("final states A=%v B=%v, want CLOSED", A.c.State(), B.c.State())
	}
	if A.c.Err() != nil || B.c.Err() != nil {
		t.Errorf("errors A=%v B=%v", A.c.Err(), B.c.Err())
	}
}

// TestEndToEndSeeds repeats a smaller transfer over many seeds with heavy
// loss, duplication and reordering.
func TestEndToEndSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("many transfers")
	}
	for seed := uint64(100); seed < 140; seed++ {
		buf := 0
		if seed%3 == 0 {
			buf = 3000
		}
		func() {
			defer func() {
				if t.Failed() {
					t.Logf("seed %d", seed)
				}
			}()
			runTransfer(t, 0.08, 0.05, 0.3, seed%2 == 0, 100<<10, 50<<10, buf, seed)
		}()
		if t.Failed() {
			return
		}
	}
}
