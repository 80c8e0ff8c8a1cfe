package drill

import (
	"strings"
	"testing"
	"time"

	"tcpregress.dev/conformance/agent"
)

// TestOnTimeAfterCalls: three +0 calls after an inbound packet, each a
// round trip long; the target sends the packet the first call caused
// during it, before the last began. packetdrill's calls take no time, so
// the packet is on time; one seen before the run began is early, and one
// well after the window is late.
func TestOnTimeAfterCalls(t *testing.T) {
	t0 := time.Now()
	ms := func(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }
	x := &exec{start: t0, tolUsecs: 4000}
	x.happened(0, t0)                  // 0 socket(...)
	x.happened(ms(10), t0.Add(ms(11))) // +.01 < . ack 1 (the timer woke 1 ms late)
	x.happened(ms(10), t0.Add(ms(12))) // +0 accept
	x.happened(ms(10), t0.Add(ms(15))) // +0 write
	x.happened(ms(10), t0.Add(ms(18))) // +0 write
	at, tol := ms(10), x.tolerance(0)
	for _, c := range []struct {
		live float64 // ms after t0
		want bool
	}{
		{13, true},   // during the first write: 5 ms "early" on the clock of the last
		{18, true},   // when the last began
		{21, true},   // within the tolerance after it
		{6.5, false}, // before the inbound packet, less its tolerance
		{23, false},  // past the tolerance
	} {
		if got := x.onTime(at, at, tol, t0.Add(ms(c.live))); got != c.want {
			t.Errorf("packet at %v ms: on time %v, want %v", c.live, got, c.want)
		}
	}
	// After the packet, the next +0 packet counts from it alone.
	x.happened(at, t0.Add(ms(13)))
	x.reached = t0.Add(ms(13))
	if x.onTime(at, at, tol, t0.Add(ms(8))) {
		t.Errorf("a packet 5 ms before the one before it is on time, want early")
	}
}

// TestPreparePipeSplice: pipe and splice take packetdrill's argument forms
// (pipe([R, W]); splice(in, NULL, out, NULL, len, flags) with flags a
// number or SPLICE_F_ names) and say why they cannot take others.
func TestPreparePipeSplice(t *testing.T) {
	x := &exec{fds: map[int64]agent.FD{4: 10, 5: 11, 6: 12}}
	for _, c := range []struct {
		call, err string
	}{
		{"pipe([5, 6]) = 0", ""},
		{"splice(4, NULL, 6, NULL, 99, 0) = 99", ""},
		{"splice(5, 0, 4, 0, 1000, SPLICE_F_MOVE|SPLICE_F_NONBLOCK) = 300", ""},
		{"pipe([5]) = 0", "pipe [5]: want [READ_FD, WRITE_FD]"},
		{"splice(4, NULL, 6, NULL, 99) = 99", "splice takes 6 arguments here, not 5"},
		{"splice(4, [8], 6, NULL, 99, 0) = 99", "splice offset [8]: the agent splices with NULL offsets only"},
		{"splice(4, NULL, 7, NULL, 99, 0) = 99", "fd 7: not a socket of this script"},
		{"splice(4, NULL, 6, NULL, 99, SPLICE_F_BOGUS) = 99", `splice flags SPLICE_F_BOGUS: splice flag "SPLICE_F_BOGUS": want SPLICE_F_MOVE`},
	} {
		s, err := Parse("x.pkt", "0 "+c.call+"\n")
		if err != nil {
			t.Fatalf("%s: %v", c.call, err)
		}
		_, err = x.prepare(s.Events[0])
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.call, err)
		case c.err != "" && (err == nil || !strings.HasPrefix(err.Error(), c.err)):
			t.Errorf("%s: %v, want %q", c.call, err, c.err)
		}
	}
}
