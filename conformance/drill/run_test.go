package drill

import (
	"testing"
	"time"
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
