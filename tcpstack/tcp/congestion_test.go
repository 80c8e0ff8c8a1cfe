package tcp

// Tests for RFC5681 and RFC6582 (NewReno) and the RFC6928 initial window.

import (
	"testing"
	"time"
)

func TestInitialWindow(t *testing.T) {
	cases := []struct{ mss, iw int }{
		{536, 5360}, {1000, 10000}, {1460, 14600}, {4000, 14600}, {9000, 18000},
	}
	for _, tc := range cases {
		t.Run("mss="+itoaTest(tc.mss), func(t *testing.T) {
			if got := initialWindow(tc.mss); got != tc.iw {
				t.Fatalf("IW %d, want %d", got, tc.iw)
			}
		})
	}
}

func TestSlowStartAndAvoidance(t *testing.T) {
	cc := newCongestion(1000, 0)
	cc.ssthresh = 12000
	cc.onNewAck(1000)
	cc.onNewAck(5000) // at most SMSS per ACK (RFC5681 (2))
	if cc.cwnd != 12000 {
		t.Fatalf("slow start cwnd %d", cc.cwnd)
	}
	// Congestion avoidance: one SMSS per cwnd of bytes acked.
	for range 11 {
		cc.onNewAck(1000)
	}
	if cc.cwnd != 12000 {
		t.Fatalf("grew early: %d", cc.cwnd)
	}
	cc.onNewAck(1000)
	if cc.cwnd != 13000 {
		t.Fatalf("cwnd %d", cc.cwnd)
	}
	cc.onTimeout(8000, 100, true)
	if cc.cwnd != 1000 || cc.ssthresh != 4000 {
		t.Fatalf("after timeout cwnd %d ssthresh %d", cc.cwnd, cc.ssthresh)
	}
	cc.onTimeout(500, 100, true)
	if cc.ssthresh != 2000 {
		t.Fatalf("ssthresh floor %d (2*SMSS)", cc.ssthresh)
	}
}

func TestRestartAfterIdle(t *testing.T) {
	cc := newCongestion(1000, 0)
	cc.cwnd = 50000
	cc.restartAfterIdle(testBase, time.Second)
	cc.restartAfterIdle(testBase.Add(500*time.Millisecond), time.Second)
	if cc.cwnd != 50000 {
		t.Fatal("reduced without idling")
	}
	cc.restartAfterIdle(testBase.Add(3*time.Second), time.Second)
	if cc.cwnd != 10000 {
		t.Fatalf("cwnd %d after idle (RFC5681 §4.1)", cc.cwnd)
	}
}

// TestFastRetransmit: RFC5681 §3.2 with RFC6582 NewReno partial and full ACKs.
func TestFastRetransmit(t *testing.T) {
	h := established(t)
	h.Write(make([]byte, 5000))
	for range 5 {
		h.Drain()
	}
	h.In(". 1:1(0) ack 1001 win 65535")
	h.None()
	// Two duplicates: nothing yet.
	h.In(". 1:1(0) ack 1001 win 65535")
	h.In(". 1:1(0) ack 1001 win 65535")
	h.None()
	// Not duplicates (RFC5681 §2): a window change, data.
	h.In(". 1:1(0) ack 1001 win 60000")
	h.In("P. 1:2(1) ack 1001 win 60000")
	h.Out(". 5001:5001(0) ack 2")
	// The third duplicate: retransmit the missing segment.
	h.In(". 2:2(0) ack 1001 win 60000")
	h.Out(". 1001:2001(1000) ack 2")
	in := h.c.Info()
	// ssthresh = max(FlightSize/2, 2*SMSS) = 2000; cwnd = ssthresh + 3*SMSS.
	if !in.InRecovery || in.Ssthresh != 2000 || in.Cwnd != 5000 {
		t.Fatalf("%+v", in)
	}
	h.In(". 2:2(0) ack 1001 win 60000")
	if h.c.Info().Cwnd != 6000 {
		t.Fatalf("cwnd %d: not inflated", h.c.Info().Cwnd)
	}
	// Partial ACK: retransmit the next hole (RFC6582 §3.2 step 5).
	h.In(". 2:2(0) ack 2001 win 60000")
	h.Out(". 2001:3001(1000) ack 2")
	if !h.c.Info().InRecovery {
		t.Fatal("left recovery on a partial ACK")
	}
	// Full ACK: leave recovery with cwnd = min(ssthresh, max(FlightSize,
	// SMSS) + SMSS).
	h.In(". 2:2(0) ack 5001 win 60000")
	in = h.c.Info()
	if in.InRecovery || in.Cwnd != 2000 {
		t.Fatalf("%+v", in)
	}
}

// TestTimeoutGoBack: after an RTO cwnd is one segment and sending restarts
// from SND.UNA in slow start.
func TestTimeoutGoBack(t *testing.T) {
	h := established(t)
	h.Write(make([]byte, 4000))
	if n := len(h.Drain()); n != 4 {
		t.Fatalf("sent %d", n)
	}
	h.At(time.Second)
	h.Out(". 1:1001(1000) ack 1")
	h.None()
	if h.c.Info().Cwnd != 1000 {
		t.Fatalf("cwnd %d", h.c.Info().Cwnd)
	}
	h.In(". 1:1(0) ack 1001 win 65535")
	h.Out(". 1001:2001(1000) ack 1")
	h.Out(". 2001:3001(1000) ack 1")
	h.None()
	// An ACK beyond SND.NXT but within what was sent before is fine.
	h.In(". 1:1(0) ack 4001 win 65535")
	h.None()
	if h.c.Info().Unacked != 0 {
		t.Fatalf("%+v", h.c.Info())
	}
}
