package tcp

import (
	"encoding/binary"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, and what it
// parses must survive a round trip through Marshal.
func FuzzParse(f *testing.F) {
	for _, s := range []Segment{
		{SrcPort: 1, DstPort: 2, Seq: 3, Flags: FlagSYN, Window: 65535, Options: Options{HasMSS: true, MSS: 1460, SACKPermitted: true, HasTimestamps: true, TSVal: 1, HasWScale: true, WScale: 7}},
		{SrcPort: 1, DstPort: 2, Seq: 3, Ack: 4, Flags: FlagACK, Options: Options{HasTimestamps: true, SACK: []SACKBlock{{1, 2}, {3, 4}}}, Payload: []byte("data")},
	} {
		f.Add(s.Marshal())
	}
	f.Add(header([]byte{2, 4, 5, 0xb4, 99, 0, 1, 1}))
	f.Fuzz(func(t *testing.T, b []byte) {
		s1, err := Parse(b)
		if err != nil {
			return
		}
		if len(s1.Options.SACK) > 4 {
			t.Fatalf("%d SACK blocks", len(s1.Options.SACK))
		}
		s2, err := Parse(s1.Marshal())
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		s3, err := Parse(s2.Marshal())
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if s2.String() != s3.String() || string(s2.Payload) != string(s1.Payload) {
			t.Fatalf("round trip:\n%s\n%s", s2.String(), s3.String())
		}
		if n := s2.Options.Len(); n > maxOptionsLen || n%4 != 0 {
			t.Fatalf("options length %d", n)
		}
	})
}

// fuzzReader hands out bytes of the fuzz input, then zeros.
type fuzzReader struct {
	b []byte
}

func (r *fuzzReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *fuzzReader) u16() uint16 { return uint16(r.byte())<<8 | uint16(r.byte()) }

// FuzzEngine drives one connection with arbitrary segments, user calls and
// time steps, and checks invariants after each step: no panic, SND.UNA <=
// SND.NXT <= SND.MAX, bounded buffers, the receive window within the buffer,
// legal state transitions, and well-formed output.
func FuzzEngine(f *testing.F) {
	f.Add([]byte{0, 0x01, 0x10, 0, 0, 0, 0, 0xff, 0xff, 10, 0})
	f.Add([]byte{1, 0x00, 0x12, 0, 0, 0, 0, 0x10, 0, 0, 0, 1, 50, 3, 20, 0, 0x11, 0, 0, 0, 0, 0x10, 0, 0, 0})
	f.Add([]byte{2, 0x01, 0x18, 0, 5, 0, 0, 1, 0, 100, 1, 7, 0x10, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzEngine(t, data)
	})
}

func fuzzEngine(t testing.TB, data []byte) {
	r := &fuzzReader{b: data}
	mode := r.byte()
	cfg := Config{
		MSS:               500 + int(r.byte())*8,
		SendBuffer:        4096,
		RecvBuffer:        3000,
		DisableSACK:       mode&0x10 != 0,
		DisableTimestamps: mode&0x20 != 0,
		DisableDelayedACK: mode&0x40 != 0,
		NoDelay:           mode&0x80 != 0,
		KeepAlive:         mode&0x08 != 0,
		KeepIdle:          time.Second,
		KeepIntvl:         time.Second,
		MSL:               time.Second,
		ISN:               FixedISN(testISS),
		ChallengeACKLimit: 5,
	}
	now := testBase
	var c *Conn
	var violations []string
	hook := func(c *Conn) {
		c.onState = func(from, to State) {
			if !LegalTransition(from, to) {
				violations = append(violations, from.String()+"→"+to.String())
			}
		}
	}
	peerOpts := Options{HasMSS: true, MSS: 536, SACKPermitted: true, HasTimestamps: true, TSVal: 1, HasWScale: true, WScale: 2}
	switch mode % 3 {
	case 0: // active open, handshake completed
		c, _ = Open(cfg, testLocal, testRemote, now)
		hook(c)
		c.Output(now, func(Segment) {})
		c.Input(Segment{SrcPort: testRemote.Port(), DstPort: testLocal.Port(), Seq: testIRS, Ack: testISS + 1, Flags: FlagSYN | FlagACK, Window: 8192, Options: peerOpts}, now)
	case 1: // passive open, in SYN-RECEIVED
		l, _ := NewListener(cfg, testLocal)
		c, _, _ = l.Input(testRemote.Addr(), Segment{SrcPort: testRemote.Port(), DstPort: testLocal.Port(), Seq: testIRS, Flags: FlagSYN, Window: 8192, Options: peerOpts}, now)
		hook(c)
	default: // SYN-SENT
		c, _ = Open(cfg, testLocal, testRemote, now)
		hook(c)
	}
	check := func(step int) {
		if len(violations) > 0 {
			t.Fatalf("step %d: illegal transitions %v", step, violations)
		}
		if !c.sndUna.LessThanEq(c.sndNxt) || !c.sndNxt.LessThanEq(c.sndMax) {
			t.Fatalf("step %d: SND.UNA %d SND.NXT %d SND.MAX %d", step, c.sndUna, c.sndNxt, c.sndMax)
		}
		if c.sndBuf.Len() > c.sndBuf.Cap() || c.rcvBuf.Len() > c.rcvBuf.Cap() || len(c.reasm.ranges) > maxRanges {
			t.Fatalf("step %d: buffers %d/%d %d/%d", step, c.sndBuf.Len(), c.sndBuf.Cap(), c.rcvBuf.Len(), c.rcvBuf.Cap())
		}
		if c.state.synchronized() && c.state != StateTimeWait && int(c.rcvWnd()) > c.rcvBuf.Free() {
			t.Fatalf("step %d: RCV.WND %d beyond free buffer %d", step, c.rcvWnd(), c.rcvBuf.Free())
		}
		if c.cc.cwnd <= 0 || c.sndMSS <= 0 {
			t.Fatalf("step %d: cwnd %d mss %d", step, c.cc.cwnd, c.sndMSS)
		}
	}
	emit := func(s Segment) {
		if len(s.Payload) > c.sndMSS {
			t.Fatalf("payload %d above MSS %d", len(s.Payload), c.sndMSS)
		}
		if _, err := Parse(s.Marshal()); err != nil {
			t.Fatalf("emitted segment does not parse: %v", err)
		}
	}
	buf := make([]byte, 2048)
	for step := 0; len(r.b) > 0 && step < 200; step++ {
		switch op := r.byte(); op % 8 {
		case 0, 1: // a segment near the current sequence numbers
			seg := Segment{SrcPort: testRemote.Port(), DstPort: testLocal.Port()}
			seg.Flags = Flags(r.byte())
			seg.Seq = c.rcvNxt.Add(Size(int16(r.u16())))
			seg.Ack = c.sndUna.Add(Size(int16(r.u16())))
			seg.Window = r.u16()
			seg.Urgent = uint16(r.byte())
			seg.Payload = make([]byte, int(r.byte())*4)
			if o := r.byte(); o&1 != 0 {
				seg.Options.HasTimestamps = true
				seg.Options.TSVal = uint32(r.byte()) + uint32(step)
				seg.Options.TSEcr = c.tsNow(now) - uint32(r.byte())
			} else if o&2 != 0 {
				l := c.sndUna.Add(Size(r.u16() % 4096))
				seg.Options.SACK = []SACKBlock{{l, l.Add(Size(r.u16() % 4096))}}
			}
			c.Input(seg, now)
		case 2:
			c.Write(make([]byte, int(r.byte())*16))
		case 3:
			c.Read(buf[:r.byte()])
		case 4:
			now = now.Add(time.Duration(r.byte()) * 10 * time.Millisecond)
		case 5:
			if d, ok := c.NextDeadline(); ok && d.After(now) {
				now = d
			}
		case 6:
			c.CloseWrite()
		case 7:
			if r.byte() == 0xff {
				c.Abort()
			} else {
				c.Close()
			}
		}
		c.Output(now, emit)
		check(step)
		_ = c.Info()
	}
}

// TestFuzzEngineSeeds runs the engine fuzzer over deterministic pseudo-random
// inputs in normal test runs.
func TestFuzzEngineSeeds(t *testing.T) {
	for seed := range 300 {
		var b []byte
		x := uint64(seed)*0x9e3779b97f4a7c15 + 1
		for range 400 {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			b = binary.BigEndian.AppendUint16(b, uint16(x))
		}
		func() {
			defer func() {
				if t.Failed() {
					t.Logf("input from seed %d", seed)
				}
			}()
			fuzzEngine(t, b)
		}()
	}
}
