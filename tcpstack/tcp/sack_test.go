package tcp

// Tests for RFC2018 (SACK option generation) and RFC6675 (loss recovery with
// the scoreboard).

import (
	"testing"
)

func TestInsertRange(t *testing.T) {
	var rs []seqRange
	for _, r := range []seqRange{{10, 20}, {30, 40}, {20, 25}, {50, 60}, {5, 8}, {35, 55}} {
		var ok bool
		rs, ok = insertRange(rs, r)
		if !ok {
			t.Fatal("rejected")
		}
	}
	want := []seqRange{{5, 8}, {10, 25}, {30, 60}}
	if len(rs) != len(want) {
		t.Fatalf("%v", rs)
	}
	for i := range want {
		if rs[i] != want[i] {
			t.Fatalf("%v", rs)
		}
	}
	rs = trimRanges(rs, 12)
	if rs[0] != (seqRange{12, 25}) || len(rs) != 2 {
		t.Fatalf("trim %v", rs)
	}
	// Bounded.
	rs = nil
	for i := range maxRanges + 5 {
		rs, _ = insertRange(rs, seqRange{Value(i * 10), Value(i*10 + 5)})
	}
	if len(rs) != maxRanges {
		t.Fatalf("%d ranges", len(rs))
	}
}

// TestSACKBlockOrder replays the receiver side of RFC2018 §4: the first block
// reports the most recently received segment, the others the most recently
// reported blocks.
func TestSACKBlockOrder(t *testing.T) {
	var ra reassembly
	ra.add(seqRange{5000, 5500})
	ra.add(seqRange{6000, 6500})
	ra.add(seqRange{7000, 7500})
	got := ra.blocks(nil, 3)
	want := []SACKBlock{{7000, 7500}, {6000, 6500}, {5000, 5500}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("blocks %v", got)
		}
	}
	ra.add(seqRange{5500, 6000}) // joins two blocks
	got = ra.blocks(nil, 3)
	if got[0] != (SACKBlock{5000, 6500}) || got[1] != (SACKBlock{7000, 7500}) || len(got) != 2 {
		t.Fatalf("blocks %v", got)
	}
	if n := ra.advance(5000); n != 6500 {
		t.Fatalf("advance %d", n)
	}
}

func TestScoreboard(t *testing.T) {
	var sb scoreboard
	una, max := Value(1000), Value(11000) // ten segments of 1000
	if sb.update([]SACKBlock{{500, 900}, {3000, 2000}, {10000, 12000}}, una, max) {
		t.Fatal("accepted invalid blocks")
	}
	if !sb.update([]SACKBlock{{3000, 4000}}, una, max) {
		t.Fatal("block not recorded")
	}
	if sb.update([]SACKBlock{{3000, 4000}}, una, max) {
		t.Fatal("same block counted twice")
	}
	// One SACKed segment: nothing lost yet (IsLost needs more than
	// (DupThresh-1)*SMSS bytes or DupThresh blocks above).
	if sb.isLost(una, una, 1000) {
		t.Fatal("lost too early")
	}
	sb.update([]SACKBlock{{5000, 6000}, {7000, 8000}}, una, max)
	// Three discontiguous blocks above 1000..3000: lost.
	if !sb.isLost(una, una, 1000) || !sb.isLost(2500, una, 1000) || sb.isLost(6500, una, 1000) {
		t.Fatalf("lost edge %d", sb.lostEdge(una, 1000))
	}
	// Lost: 1000..3000 (three blocks above). Not lost: 4000..5000,
	// 6000..7000 and 8000..11000, which count in the pipe.
	sb.highRxt = una
	if p := sb.pipe(una, max, 1000); p != 5000 {
		t.Fatalf("pipe %d", p)
	}
	r, ok := sb.nextRetransmit(una, max, 1000, true)
	if !ok || r != (seqRange{1000, 2000}) {
		t.Fatalf("next %v %v", r, ok)
	}
	sb.highRxt = 3000 // both segments of the first hole retransmitted
	if p := sb.pipe(una, max, 1000); p != 7000 {
		t.Fatalf("pipe %d after retransmissions", p)
	}
	if _, ok := sb.nextRetransmit(una, max, 1000, true); ok {
		t.Fatal("rule (1) past the lost edge")
	}
	// Rule (3): un-SACKed below the highest SACKed octet.
	if r, ok := sb.nextRetransmit(una, max, 1000, false); !ok || r != (seqRange{4000, 5000}) {
		t.Fatalf("rule 3: %v %v", r, ok)
	}
	sb.ackedUpTo(6000)
	if len(sb.sacked) != 1 || sb.highRxt != 6000 {
		t.Fatalf("after ack %v", sb.sacked)
	}
	sb.reset()
	if _, ok := sb.highestSacked(); ok {
		t.Fatal("reset")
	}
}

func sackConfig(c *Config) { c.DisableSACK = false }

func TestSACKReceiver(t *testing.T) {
	h := newHarness(t, baseConfig())
	sackConfig(&h.cfg)
	h.open()
	h.Out("S 0:0(0) win 65535 <mss 1000,sackOK>")
	h.In("S. 0:0(0) ack 1 win 65535 <mss 1000,sackOK>")
	h.Out(". 1:1(0) ack 1 <>")
	h.In("P. 1001:2001(1000) ack 1 win 65535")
	h.Out(". 1:1(0) ack 1 <sack 1001:2001>")
	h.In("P. 3001:4001(1000) ack 1 win 65535")
	h.Out(". 1:1(0) ack 1 <sack 3001:4001 1001:2001>")
	h.In("P. 2001:3001(1000) ack 1 win 65535")
	h.Out(". 1:1(0) ack 1 <sack 1001:4001>")
	h.In("P. 1:1001(1000) ack 1 win 65535")
	h.Out(". 1:1(0) ack 4001 <>")
}

// TestSACKRecovery: the sender enters RFC6675 recovery on SACKed data and
// retransmits only the holes.
func TestSACKRecovery(t *testing.T) {
	h := newHarness(t, baseConfig())
	sackConfig(&h.cfg)
	h.established(65535, "<mss 1000,sackOK>")
	h.Write(make([]byte, 6000))
	if n := len(h.Drain()); n != 6 {
		t.Fatalf("sent %d", n)
	}
	// Segments 1 and 3 (1:1001, 2001:3001) are lost.
	h.In(". 1:1(0) ack 1 win 65535 <sack 1001:2001>")
	h.None()
	h.In(". 1:1(0) ack 1 win 65535 <sack 1001:2001 3001:4001>")
	h.None()
	h.In(". 1:1(0) ack 1 win 65535 <sack 1001:2001 3001:5001>")
	// DupAcks = 3 → RFC6675 (4): retransmit the first segment.
	h.Out(". 1:1001(1000) ack 1")
	in := h.c.Info()
	if !in.InRecovery || in.Cwnd != 3000 || in.Ssthresh != 3000 {
		t.Fatalf("%+v", in)
	}
	// pipe = 1000 (the retransmission) + 1000 (2001:3001, not yet lost by
	// IsLost: only 2000 bytes SACKed above it) + 1000 (5001:6001) = cwnd.
	h.None()
	// A partial ACK: the pipe shrinks, and NextSeg rule (3) sends the hole
	// below the highest SACKed octet.
	h.In(". 1:1(0) ack 2001 win 65535 <sack 3001:5001>")
	h.Out(". 2001:3001(1000) ack 1")
	h.None()
	h.In(". 1:1(0) ack 6001 win 65535")
	in = h.c.Info()
	if in.InRecovery || in.Cwnd != 3000 || in.Unacked != 0 {
		t.Fatalf("%+v", in)
	}
	if in.TotalRetransmits != 2 {
		t.Fatalf("retransmitted %d segments", in.TotalRetransmits)
	}
}
