package tcp

// A packetdrill-like harness for engine tests: segments are written in the
// grammar of tcpstack/segline,
//
//	S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
//
// with relative numbers: for segments coming in (In) seq counts from the
// peer's ISN (testIRS), ack and SACK blocks from ours (testISS); for
// segments going out (Out) the other way round. In Out lines, "*" matches
// any number, fields left out are not compared, and options only when
// "<...>" is given, in any order and without NOP and EOL (Options has no
// order). Time is virtual: At moves it; nothing sleeps.

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"
	"time"

	hdr "tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/segline"
)

const (
	testISS Value = 0xFFFF_FF00 // near the wrap, to exercise modular arithmetic
	testIRS Value = 0x1000_0000
)

var (
	testLocal  = netip.MustParseAddrPort("192.0.2.1:8080")
	testRemote = netip.MustParseAddrPort("192.0.2.2:40000")
	testBase   = time.Unix(1_700_000_000, 0)
)

// baseConfig is the configuration most tests use: no options, immediate ACKs,
// a 64 KiB-1 receive buffer so that windows need no scaling.
func baseConfig() Config {
	return Config{
		MSS:                1000,
		SendBuffer:         64 << 10,
		RecvBuffer:         65535,
		DisableSACK:        true,
		DisableTimestamps:  true,
		DisableWindowScale: true,
		DisableDelayedACK:  true,
		ISN:                FixedISN(testISS),
		MSL:                30 * time.Second,
	}
}

type harness struct {
	t     testing.TB
	cfg   Config
	c     *Conn
	l     *Listener
	now   time.Time
	out   []Segment
	trans []string // state transitions seen
}

func newHarness(t testing.TB, cfg Config) *harness {
	t.Helper()
	if cfg.ISN == nil {
		cfg.ISN = FixedISN(testISS)
	}
	return &harness{t: t, cfg: cfg, now: testBase}
}

func (h *harness) hook(c *Conn) {
	c.onState = func(from, to State) {
		if !LegalTransition(from, to) {
			h.t.Errorf("illegal transition %v→%v", from, to)
		}
		h.trans = append(h.trans, from.String()+"→"+to.String())
	}
}

// open performs an active open; the SYN is in the output queue.
func (h *harness) open() *harness {
	h.t.Helper()
	c, err := Open(h.cfg, testLocal, testRemote, h.now)
	if err != nil {
		h.t.Fatal(err)
	}
	h.c = c
	h.hook(c)
	h.output()
	return h
}

// listen sets up a listener; the first In with a SYN creates the connection.
func (h *harness) listen() *harness {
	h.t.Helper()
	l, err := NewListener(h.cfg, testLocal)
	if err != nil {
		h.t.Fatal(err)
	}
	h.l = l
	return h
}

func (h *harness) output() {
	if h.c == nil {
		return
	}
	h.c.Output(h.now, func(s Segment) {
		s.Payload = bytes.Clone(s.Payload)
		s.Options.SACK = append([]SACKBlock(nil), s.Options.SACK...)
		h.out = append(h.out, s)
	})
}

// In feeds a segment described by line.
func (h *harness) In(line string) *harness {
	h.t.Helper()
	seg := h.parse(line, true)
	h.InSeg(seg)
	return h
}

// InSeg feeds a prepared segment.
func (h *harness) InSeg(seg Segment) *harness {
	h.t.Helper()
	if h.c == nil || (h.c.State() == StateListen && h.l != nil) {
		if h.l == nil {
			h.t.Fatal("no connection and no listener")
		}
		c, rst, ok := h.l.Input(testRemote.Addr(), seg, h.now)
		if ok {
			h.out = append(h.out, rst)
		}
		if c != nil {
			h.c = c
			h.hook(c)
		}
	} else {
		h.c.Input(seg, h.now)
	}
	h.output()
	return h
}

// Out expects the next segment sent to match line.
func (h *harness) Out(line string) Segment {
	h.t.Helper()
	h.output()
	if len(h.out) == 0 {
		h.t.Fatalf("expected %q, nothing sent (state %v)", line, h.state())
	}
	got := h.out[0]
	h.out = h.out[1:]
	if err := h.match(line, got); err != nil {
		h.t.Fatalf("segment mismatch: %v\n got: %s\nwant: %s", err, h.render(got, false), line)
	}
	return got
}

// OutData expects a segment matching line carrying data.
func (h *harness) OutData(line string, data []byte) {
	h.t.Helper()
	got := h.Out(line)
	if !bytes.Equal(got.Payload, data) {
		h.t.Fatalf("payload mismatch: got %q want %q", got.Payload, data)
	}
}

// None expects that nothing is sent now.
func (h *harness) None() *harness {
	h.t.Helper()
	h.output()
	if len(h.out) > 0 {
		h.t.Fatalf("expected nothing, got %s (state %v)", h.render(h.out[0], false), h.state())
	}
	return h
}

// Drain discards what was sent.
func (h *harness) Drain() []Segment {
	h.output()
	out := h.out
	h.out = nil
	return out
}

// At moves the virtual clock to testBase+d and runs the timers.
func (h *harness) At(d time.Duration) *harness {
	h.t.Helper()
	t := testBase.Add(d)
	if t.Before(h.now) {
		h.t.Fatalf("At(%v) goes back in time", d)
	}
	h.now = t
	h.output()
	return h
}

// After moves the clock forward by d.
func (h *harness) After(d time.Duration) *harness {
	return h.At(h.now.Sub(testBase) + d)
}

// Write queues data.
func (h *harness) Write(b []byte) *harness {
	h.t.Helper()
	if _, err := h.c.Write(b); err != nil {
		h.t.Fatalf("Write: %v", err)
	}
	h.output()
	return h
}

// ReadAll reads everything readable.
func (h *harness) ReadAll() []byte {
	h.t.Helper()
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := h.c.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil || n == 0 {
			break
		}
	}
	h.output()
	return out
}

// Expect checks the connection state.
func (h *harness) Expect(s State) *harness {
	h.t.Helper()
	if got := h.state(); got != s {
		h.t.Fatalf("state %v, want %v", got, s)
	}
	return h
}

func (h *harness) state() State {
	if h.c == nil {
		return StateListen
	}
	return h.c.State()
}

// established drives an active open to ESTABLISHED with peer window win and
// the given SYN-ACK options.
func (h *harness) established(win int, opts string) *harness {
	h.t.Helper()
	h.open()
	h.Out("S 0:0(0)")
	h.In(fmt.Sprintf("S. 0:0(0) ack 1 win %d %s", win, opts))
	h.Out(". 1:1(0) ack 1")
	h.Expect(StateEstablished)
	return h
}

// passiveEstablished drives a passive open to ESTABLISHED.
func (h *harness) passiveEstablished(win int, opts string) *harness {
	h.t.Helper()
	h.listen()
	h.In("S 0:0(0) win 65535 " + opts)
	h.Out("S. 0:0(0) ack 1")
	h.In(fmt.Sprintf(". 1:1(0) ack 1 win %d", win))
	h.Expect(StateEstablished)
	return h
}

// payload is the test pattern for the peer's bytes at relative offset off.
func payload(off, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte((off + i) % 251)
	}
	return b
}

// parse turns a line into a segment; in selects the direction.
func (h *harness) parse(line string, in bool) Segment {
	h.t.Helper()
	l, err := segline.Parse(line)
	if err != nil {
		h.t.Fatal(err)
	}
	seqBase, ackBase := bases(in)
	seg, err := lineSegment(l, seqBase, ackBase)
	if err != nil {
		h.t.Fatalf("line %q: %v", line, err)
	}
	return seg
}

// bases returns what a line's numbers count from: seq from the sender's
// ISN, ack and SACK blocks from the receiver's.
func bases(in bool) (seqBase, ackBase Value) {
	if in {
		return testIRS, testISS
	}
	return testISS, testIRS
}

// lineSegment is the segment a line describes, from the peer to us. Fields
// left out are zero; "*" cannot be sent.
func lineSegment(l segline.Segment, seqBase, ackBase Value) (Segment, error) {
	if l.Seq.Form == segline.Wild || l.Ack.Form == segline.Wild || l.Win.Form == segline.Wild || l.Urg.Form == segline.Wild {
		return Segment{}, fmt.Errorf("* is for the lines Out matches")
	}
	seg := Segment{SrcPort: testRemote.Port(), DstPort: testLocal.Port(), Flags: Flags(l.Flags)}
	seg.Seq = seqBase + Value(l.Seq.V)
	if l.Ack.Form == segline.Exact {
		seg.Ack = ackBase + Value(l.Ack.V)
	}
	seg.Window = uint16(l.Win.V)
	seg.Urgent = uint16(l.Urg.V)
	off := int(l.Seq.V) - 1
	if seg.Flags&FlagSYN != 0 {
		off++ // the data follows the SYN
	}
	seg.Payload = payload(off, l.Len)
	var err error
	seg.Options, err = lineOptions(l.Options, ackBase, nil)
	return seg, err
}

// lineOptions converts a line's options to the engine's, SACK edges
// relative to base. A "*" takes its value from got; with got nil it is an
// error. NOP and EOL are dropped: Options has no order.
func lineOptions(opts []segline.Option, base Value, got *Options) (Options, error) {
	var o Options
	var err error
	val := func(n segline.Num, g uint32) uint32 {
		if n.Form != segline.Wild {
			return uint32(n.V)
		}
		if got == nil {
			err = fmt.Errorf("* is for the lines Out matches")
		}
		return g
	}
	if got == nil {
		got = new(Options)
	}
	for _, lo := range opts {
		if lo.Raw {
			return o, fmt.Errorf("option %q: the engine's Options cannot hold it", lo)
		}
		switch lo.Kind {
		case hdr.TCPOptionMSS:
			o.HasMSS, o.MSS = true, uint16(val(lo.Value, uint32(got.MSS)))
		case hdr.TCPOptionWScale:
			o.HasWScale, o.WScale = true, uint8(val(lo.Value, uint32(got.WScale)))
		case hdr.TCPOptionSACKPermitted:
			o.SACKPermitted = true
		case hdr.TCPOptionTimestamps:
			o.HasTimestamps = true
			o.TSVal, o.TSEcr = val(lo.TSVal, got.TSVal), val(lo.TSEcr, got.TSEcr)
		case hdr.TCPOptionSACK:
			for i, b := range lo.SACK {
				var g SACKBlock
				if i < len(got.SACK) {
					g = got.SACK[i]
				}
				l, r := base+Value(b.Left.V), base+Value(b.Right.V)
				if b.Left.Form == segline.Wild {
					l = Value(val(b.Left, uint32(g.Left)))
				}
				if b.Right.Form == segline.Wild {
					r = Value(val(b.Right, uint32(g.Right)))
				}
				o.SACK = append(o.SACK, SACKBlock{l, r})
			}
		}
	}
	return o, err
}

// match compares an outgoing segment with a line.
func (h *harness) match(line string, got Segment) error {
	l, err := segline.Parse(line)
	if err != nil {
		return err
	}
	if want := Flags(l.Flags); got.Flags != want {
		return fmt.Errorf("flags %v, want %v", got.Flags, want)
	}
	if l.Seq.Form == segline.Exact {
		if rel := uint32(got.Seq - testISS); !l.Seq.Matches(rel) {
			return fmt.Errorf("seq %d, want %d", rel, l.Seq.V)
		}
		if len(got.Payload) != l.Len {
			return fmt.Errorf("len %d, want %d", len(got.Payload), l.Len)
		}
	}
	if rel := uint32(got.Ack - testIRS); !l.Ack.Matches(rel) {
		return fmt.Errorf("ack %d, want %d", rel, l.Ack.V)
	}
	if !l.Win.Matches(uint32(got.Window)) {
		return fmt.Errorf("win %d, want %d", got.Window, l.Win.V)
	}
	if !l.Urg.Matches(uint32(got.Urgent)) {
		return fmt.Errorf("urg %d, want %d", got.Urgent, l.Urg.V)
	}
	if l.HasOptions {
		w, err := lineOptions(l.Options, testIRS, &got.Options)
		if err != nil {
			return err
		}
		gs, ws := segline.FormatOptions(relOptions(got.Options, testIRS)), segline.FormatOptions(relOptions(w, testIRS))
		if gs != ws {
			return fmt.Errorf("options <%s>, want <%s>", gs, ws)
		}
	}
	return nil
}

// render prints a segment as a line, with relative numbers.
func (h *harness) render(s Segment, in bool) string {
	seqBase, ackBase := bases(in)
	l := segline.Segment{
		Flags: hdr.TCPFlags(s.Flags),
		Seq:   segline.N(int64(uint32(s.Seq - seqBase))),
		Len:   len(s.Payload),
		Win:   segline.N(int64(s.Window)),
	}
	if s.Flags&FlagACK != 0 {
		l.Ack = segline.N(int64(uint32(s.Ack - ackBase)))
	}
	if s.Flags&FlagURG != 0 {
		l.Urg = segline.N(int64(s.Urgent))
	}
	l.Options = relOptions(s.Options, ackBase)
	l.HasOptions = len(l.Options) > 0
	return l.String()
}

// relOptions writes the engine's options as a line's, in the order
// Options.String uses, SACK edges relative to base.
func relOptions(o Options, base Value) []segline.Option {
	var out []segline.Option
	n := func(v uint32) segline.Num { return segline.N(int64(v)) }
	if o.HasMSS {
		out = append(out, segline.MSS(n(uint32(o.MSS))))
	}
	if o.SACKPermitted {
		out = append(out, segline.SACKPermitted())
	}
	if o.HasTimestamps {
		out = append(out, segline.Timestamps(n(o.TSVal), n(o.TSEcr)))
	}
	if o.HasWScale {
		out = append(out, segline.WScale(n(uint32(o.WScale))))
	}
	if len(o.SACK) > 0 {
		blocks := make([]segline.Block, len(o.SACK))
		for i, b := range o.SACK {
			blocks[i] = segline.Block{Left: n(uint32(b.Left - base)), Right: n(uint32(b.Right - base))}
		}
		out = append(out, segline.SACK(blocks...))
	}
	return out
}
