package tcp

// Tests for RFC6528 / RFC9293 §3.4.1 initial sequence numbers.

import (
	"net/netip"
	"testing"
	"time"
)

func TestKeyedISN(t *testing.T) {
	g := NewKeyedISN([]byte("secret key"))
	a, b := netip.MustParseAddrPort("10.0.0.1:1000"), netip.MustParseAddrPort("10.0.0.2:80")
	c := netip.MustParseAddrPort("10.0.0.2:81")
	isn1 := g.ISN(a, b, testBase)
	if g.ISN(a, b, testBase) != isn1 {
		t.Fatal("not a function of its inputs")
	}
	// M: a 4 µs clock (MUST-8).
	if d := g.ISN(a, b, testBase.Add(4*time.Millisecond)) - isn1; d != 1000 {
		t.Fatalf("advanced %d in 4 ms", d)
	}
	// F: differs per 4-tuple and per key (SHLD-1).
	if g.ISN(a, c, testBase) == isn1 || NewKeyedISN([]byte("other")).ISN(a, b, testBase) == isn1 {
		t.Fatal("F does not depend on the tuple or the key")
	}
	if g.TSOffset(a, b) == g.TSOffset(a, c) {
		t.Fatal("timestamp offsets collide")
	}
	if NewRandomISN().ISN(a, b, testBase) == NewRandomISN().ISN(a, b, testBase) {
		t.Fatal("random keys collide")
	}
	if FixedISN(7).ISN(a, b, testBase) != 7 {
		t.Fatal("FixedISN")
	}
}

func TestTimestampOffset(t *testing.T) {
	cfg := baseConfig()
	cfg.DisableTimestamps = false
	cfg.ISN = NewKeyedISN([]byte("k"))
	c, _ := Open(cfg, testLocal, testRemote, testBase)
	var syn Segment
	c.Output(testBase, func(s Segment) { syn = s })
	if syn.Options.TSVal == 0 || syn.Options.TSVal != cfg.ISN.(*KeyedISN).TSOffset(testLocal, testRemote) {
		t.Fatalf("TSval %d: not randomized per connection (RFC7323 §5.4)", syn.Options.TSVal)
	}
}
