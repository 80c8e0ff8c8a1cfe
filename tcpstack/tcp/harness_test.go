package tcp

// A packetdrill-like harness for engine tests: segments are written as
//
//	S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
//
// flags (S F R P U E W, '.' for ACK), seq:end(len), then optional "ack N",
// "win N", "urg N" and options. Sequence numbers are relative: for segments
// coming in (In) seq counts from the peer's ISN (testIRS) and ack from ours
// (testISS); for segments going out (Out) the other way round. SACK blocks in
// options are in the receiver's space of the segment's ack. In Out lines, "*"
// matches any number, and fields left out are not compared (options only when
// "<...>" is given). Time is virtual: At moves it; nothing sleeps.

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
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
	f, err := parseLine(line)
	if err != nil {
		h.t.Fatalf("bad line %q: %v", line, err)
	}
	seqBase, ackBase := testISS, testIRS
	if in {
		seqBase, ackBase = testIRS, testISS
	}
	seg := Segment{SrcPort: testRemote.Port(), DstPort: testLocal.Port(), Flags: f.flags}
	seg.Seq = seqBase + Value(f.seq)
	if f.hasAck {
		seg.Ack = ackBase + Value(f.ack)
	}
	if f.hasWin {
		seg.Window = uint16(f.win)
	}
	if f.hasUrg {
		seg.Urgent = uint16(f.urg)
	}
	off := int(f.seq) - 1
	if f.flags&FlagSYN != 0 {
		off++ // the data follows the SYN
	}
	seg.Payload = payload(off, f.len)
	seg.Options = f.opts
	for i := range seg.Options.SACK {
		seg.Options.SACK[i].Left += ackBase
		seg.Options.SACK[i].Right += ackBase
	}
	return seg
}

// field is a parsed line. wild marks fields given as "*".
type field struct {
	flags                  Flags
	seq                    int64
	len                    int
	ack, win, urg          int64
	hasAck, hasWin, hasUrg bool
	wildAck, wildWin       bool
	opts                   Options
	hasOpts                bool
	wildTSVal, wildTSEcr   bool
}

func parseLine(line string) (field, error) {
	var f field
	optStart := strings.IndexByte(line, '<')
	if optStart >= 0 {
		end := strings.LastIndexByte(line, '>')
		if end < optStart {
			return f, fmt.Errorf("unclosed options")
		}
		o, wv, we, err := parseOpts(line[optStart+1 : end])
		if err != nil {
			return f, err
		}
		f.opts, f.wildTSVal, f.wildTSEcr, f.hasOpts = o, wv, we, true
		line = line[:optStart]
	}
	tok := strings.Fields(line)
	if len(tok) < 2 {
		return f, fmt.Errorf("need flags and seq")
	}
	for _, ch := range tok[0] {
		switch ch {
		case 'S':
			f.flags |= FlagSYN
		case 'F':
			f.flags |= FlagFIN
		case 'R':
			f.flags |= FlagRST
		case 'P':
			f.flags |= FlagPSH
		case 'U':
			f.flags |= FlagURG
		case 'E':
			f.flags |= FlagECE
		case 'W':
			f.flags |= FlagCWR
		case '.':
			f.flags |= FlagACK
		default:
			return f, fmt.Errorf("flag %q", ch)
		}
	}
	var a, b int64
	var n int
	if _, err := fmt.Sscanf(tok[1], "%d:%d(%d)", &a, &b, &n); err != nil {
		return f, fmt.Errorf("seq %q: %v", tok[1], err)
	}
	if b-a != int64(n) {
		return f, fmt.Errorf("seq %q: length mismatch", tok[1])
	}
	f.seq, f.len = a, n
	for i := 2; i+1 < len(tok); i += 2 {
		v, wild := int64(0), tok[i+1] == "*"
		if !wild {
			var err error
			if v, err = strconv.ParseInt(tok[i+1], 10, 64); err != nil {
				return f, fmt.Errorf("%s: %v", tok[i], err)
			}
		}
		switch tok[i] {
		case "ack":
			f.ack, f.hasAck, f.wildAck = v, true, wild
		case "win":
			f.win, f.hasWin, f.wildWin = v, true, wild
		case "urg":
			f.urg, f.hasUrg = v, true
		default:
			return f, fmt.Errorf("unknown field %q", tok[i])
		}
	}
	return f, nil
}

func parseOpts(s string) (o Options, wildVal, wildEcr bool, err error) {
	for _, part := range strings.Split(s, ",") {
		w := strings.Fields(part)
		if len(w) == 0 {
			continue
		}
		num := func(i int) uint32 {
			if i >= len(w) {
				err = fmt.Errorf("option %q: missing value", part)
				return 0
			}
			v, e := strconv.ParseUint(w[i], 10, 32)
			if e != nil {
				err = fmt.Errorf("option %q: %v", part, e)
			}
			return uint32(v)
		}
		switch w[0] {
		case "nop", "eol":
		case "mss":
			o.HasMSS, o.MSS = true, uint16(num(1))
		case "wscale":
			o.HasWScale, o.WScale = true, uint8(num(1))
		case "sackOK":
			o.SACKPermitted = true
		case "TS":
			if len(w) != 5 || w[1] != "val" || w[3] != "ecr" {
				return o, false, false, fmt.Errorf("TS option %q", part)
			}
			o.HasTimestamps = true
			if w[2] == "*" {
				wildVal = true
			} else {
				o.TSVal = num(2)
			}
			if w[4] == "*" {
				wildEcr = true
			} else {
				o.TSEcr = num(4)
			}
		case "sack":
			for _, blk := range w[1:] {
				var l, r uint32
				if _, e := fmt.Sscanf(blk, "%d:%d", &l, &r); e != nil {
					return o, false, false, fmt.Errorf("sack block %q", blk)
				}
				o.SACK = append(o.SACK, SACKBlock{Value(l), Value(r)})
			}
		default:
			return o, false, false, fmt.Errorf("unknown option %q", w[0])
		}
	}
	return o, wildVal, wildEcr, err
}

// match compares an outgoing segment with a line.
func (h *harness) match(line string, got Segment) error {
	f, err := parseLine(line)
	if err != nil {
		return err
	}
	if got.Flags != f.flags {
		return fmt.Errorf("flags %v, want %v", got.Flags, f.flags)
	}
	if rel := int64(uint32(got.Seq - testISS)); rel != f.seq && !(f.seq < 0 && rel-1<<32 == f.seq) {
		return fmt.Errorf("seq %d, want %d", rel, f.seq)
	}
	if len(got.Payload) != f.len {
		return fmt.Errorf("len %d, want %d", len(got.Payload), f.len)
	}
	if f.hasAck && !f.wildAck {
		if rel := int64(uint32(got.Ack - testIRS)); rel != f.ack {
			return fmt.Errorf("ack %d, want %d", rel, f.ack)
		}
	}
	if f.hasWin && !f.wildWin && int64(got.Window) != f.win {
		return fmt.Errorf("win %d, want %d", got.Window, f.win)
	}
	if f.hasUrg && int64(got.Urgent) != f.urg {
		return fmt.Errorf("urg %d, want %d", got.Urgent, f.urg)
	}
	if f.hasOpts {
		g, w := got.Options, f.opts
		for i := range w.SACK {
			w.SACK[i].Left += testIRS
			w.SACK[i].Right += testIRS
		}
		if f.wildTSVal {
			w.TSVal = g.TSVal
		}
		if f.wildTSEcr {
			w.TSEcr = g.TSEcr
		}
		if g.String() != w.String() {
			return fmt.Errorf("options <%s>, want <%s>", h.relOpts(g), h.relOpts(w))
		}
	}
	return nil
}

// render prints a segment with relative numbers.
func (h *harness) render(s Segment, in bool) string {
	seqBase, ackBase := testISS, testIRS
	if in {
		seqBase, ackBase = testIRS, testISS
	}
	rel := uint32(s.Seq - seqBase)
	var b strings.Builder
	fmt.Fprintf(&b, "%v %d:%d(%d)", s.Flags, rel, rel+uint32(len(s.Payload)), len(s.Payload))
	if s.Flags&FlagACK != 0 {
		fmt.Fprintf(&b, " ack %d", uint32(s.Ack-ackBase))
	}
	fmt.Fprintf(&b, " win %d", s.Window)
	if s.Flags&FlagURG != 0 {
		fmt.Fprintf(&b, " urg %d", s.Urgent)
	}
	if o := h.relOpts(s.Options); o != "" {
		b.WriteString(" <" + o + ">")
	}
	return b.String()
}

func (h *harness) relOpts(o Options) string {
	o.SACK = append([]SACKBlock(nil), o.SACK...)
	for i := range o.SACK {
		o.SACK[i].Left -= testIRS
		o.SACK[i].Right -= testIRS
	}
	return o.String()
}
