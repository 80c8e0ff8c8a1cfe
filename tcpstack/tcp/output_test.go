package tcp

// Tests for what the engine sends: segmentation, PSH, Nagle, SWS avoidance on
// both sides, delayed ACKs, zero-window probes (RFC9293 §3.7.4, §3.8.6).

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"
)

func TestSegmentation(t *testing.T) {
	h := established(t)
	h.Write(make([]byte, 2000))
	h.Out(". 1:1001(1000) ack 1")
	// MUST-61: PSH on the last segment of the queued data.
	h.Out("P. 1001:2001(1000) ack 1")
	h.None()
}

func TestNagle(t *testing.T) {
	h := established(t)
	h.Write([]byte("a"))
	h.Out("P. 1:2(1) ack 1")
	// RFC9293 §3.7.4: with data unacknowledged, short segments wait.
	h.Write([]byte("b")).None()
	h.Write([]byte("c")).None()
	h.In(". 1:1(0) ack 2 win 65535")
	h.OutData("P. 2:4(2) ack 1", []byte("bc"))
	// A full-sized segment is not held.
	h.Write(make([]byte, 1500))
	h.Out(". 4:1004(1000) ack 1")
	h.None()
}

func TestNoDelay(t *testing.T) {
	h := established(t, func(c *Config) { c.NoDelay = true }) // MUST-17
	h.Write([]byte("a"))
	h.Out("P. 1:2(1) ack 1")
	h.Write([]byte("b"))
	h.Out("P. 2:3(1) ack 1")
}

func TestCongestionWindowLimit(t *testing.T) {
	h := established(t)
	h.Write(make([]byte, 20000))
	// RFC6928: IW = min(10*MSS, max(2*MSS, 14600)) = 10 segments of 1000.
	if got := len(h.Drain()); got != 10 {
		t.Fatalf("sent %d segments in the initial window", got)
	}
	// Slow start: each ACK of a full segment opens cwnd by one SMSS
	// (RFC5681 (2)), so an ACK of one segment releases two.
	h.In(". 1:1(0) ack 1001 win 65535")
	if got := len(h.Drain()); got != 2 {
		t.Fatalf("sent %d segments after one ACK", got)
	}
}

// TestSenderSWS: RFC9293 §3.8.6.2.1 (MUST-38).
func TestSenderSWS(t *testing.T) {
	h := newHarness(t, baseConfig())
	h.established(4000, "<mss 1000>")
	h.In(". 1:1(0) ack 1 win 300") // the peer's window shrank to 300
	h.Write(make([]byte, 2000))
	// 300 < Eff.snd.MSS and < half the largest window seen (4000): wait.
	h.None()
	h.At(199 * time.Millisecond).None()
	// (4) the override timeout.
	h.At(200 * time.Millisecond)
	h.Out(". 1:301(300) ack 1")
	h.None()
	// (3) at least half the maximum window.
	h.In(". 1:1(0) ack 301 win 2000")
	h.Out(". 301:1301(1000) ack 1")
	h.None() // Nagle: the 700-byte tail waits for the ACK
	h.In(". 1:1(0) ack 1301 win 2000")
	h.Out("P. 1301:2001(700) ack 1")
}

// TestReceiverSWS: RFC9293 §3.8.6.2.2 (MUST-39).
func TestReceiverSWS(t *testing.T) {
	h := smallWindow(t, 4000)
	for i := range 4 {
		h.In(segLine("P.", 1+1000*i, 1000, "ack 1 win 65535"))
		h.Drain()
	}
	h.Expect(StateEstablished)
	// Reading 500 bytes frees less than min(RCV.BUFF/2, MSS) = 1000: the
	// right edge stays, no update.
	h.c.Read(make([]byte, 500))
	h.None()
	h.c.Read(make([]byte, 600))
	h.Out(". 1:1(0) ack 4001 win 1100")
	// Small segments from the peer do not make us advertise small windows.
	h.In("P. 4001:4101(100) ack 1 win 65535")
	h.Out(". 1:1(0) ack 4101 win 1000")
}

func segLine(flags string, seq, n int, rest string) string {
	return fmt.Sprintf("%s %d:%d(%d) %s", flags, seq, seq+n, n, rest)
}

func TestDelayedACK(t *testing.T) {
	on := func(c *Config) { c.DisableDelayedACK = false }
	t.Run("segments=1", func(t *testing.T) {
		h := established(t, on)
		h.In("P. 1:1001(1000) ack 1 win 65535")
		h.None()
		h.After(199 * time.Millisecond).None()
		// MUST-40: less than 0.5 s; the default is 200 ms.
		h.After(time.Millisecond)
		h.Out(". 1:1(0) ack 1001")
	})
	t.Run("segments=2", func(t *testing.T) {
		h := established(t, on)
		h.In(". 1:1001(1000) ack 1 win 65535")
		h.None()
		// SHLD-19: an ACK for at least every second full-sized segment.
		h.In(". 1001:2001(1000) ack 1 win 65535")
		h.Out(". 1:1(0) ack 2001")
	})
	t.Run("piggyback", func(t *testing.T) {
		h := established(t, on)
		h.In("P. 1:11(10) ack 1 win 65535")
		h.None()
		h.Write([]byte("reply"))
		h.Out("P. 1:6(5) ack 11")
		h.After(500 * time.Millisecond).None() // the data carried the ACK
	})
	t.Run("out-of-order", func(t *testing.T) {
		h := established(t, on)
		h.In("P. 11:21(10) ack 1 win 65535")
		h.Out(". 1:1(0) ack 1") // immediately (RFC5681 §4.2)
		h.In("P. 1:11(10) ack 1 win 65535")
		h.Out(". 1:1(0) ack 21") // fills the gap: immediately
	})
	t.Run("fin", func(t *testing.T) {
		h := established(t, on)
		h.In("F. 1:1(0) ack 1 win 65535")
		h.Out(". 1:1(0) ack 2")
	})
	t.Run("timeout=clamped", func(t *testing.T) {
		h := established(t, on, func(c *Config) { c.DelayedACKTimeout = time.Second })
		h.In("P. 1:11(10) ack 1 win 65535")
		h.After(489 * time.Millisecond).None()
		h.After(time.Millisecond)
		h.Out(". 1:1(0) ack 11")
	})
}

// TestZeroWindowProbe: RFC9293 §3.8.6.1 (MUST-35, MUST-36, SHLD-29, SHLD-30).
func TestZeroWindowProbe(t *testing.T) {
	h := established(t)
	h.In(". 1:1(0) ack 1 win 0")
	h.Write([]byte("hello"))
	h.None()
	h.At(999 * time.Millisecond).None()
	// The first probe after one RTO, with one octet of new data.
	h.At(time.Second)
	h.Out(". 1:2(1) ack 1")
	// Then with exponential backoff.
	h.At(2 * time.Second)
	h.Out(". 1:2(1) ack 1")
	h.At(3999 * time.Millisecond).None()
	h.At(4 * time.Second)
	h.Out(". 1:2(1) ack 1")
	// The window opens: everything goes, from SND.UNA.
	h.In(". 1:1(0) ack 1 win 1000")
	h.OutData("P. 1:6(5) ack 1", []byte("hello"))
}

func TestZeroWindowProbeAccepted(t *testing.T) {
	h := established(t)
	h.In(". 1:1(0) ack 1 win 0")
	h.Write([]byte("hello"))
	h.At(time.Second)
	h.Out(". 1:2(1) ack 1")
	h.In(". 1:1(0) ack 2 win 1000")
	h.OutData("P. 2:6(4) ack 1", []byte("ello"))
}

// TestZeroWindowIndefinitely: MUST-37, the connection stays open while the
// peer answers the probes, even past R2.
func TestZeroWindowIndefinitely(t *testing.T) {
	h := established(t, func(c *Config) { c.R2 = 10 * time.Second })
	h.In(". 1:1(0) ack 1 win 0")
	h.Write([]byte("hello"))
	for range 12 {
		d, ok := h.c.NextDeadline()
		if !ok {
			t.Fatal("no timer while probing")
		}
		h.At(d.Sub(testBase))
		h.Out(". 1:2(1) ack 1")
		h.In(". 1:1(0) ack 1 win 0")
	}
	h.Expect(StateEstablished)
	if h.now.Sub(testBase) < 100*time.Second {
		t.Fatalf("only %v of probing", h.now.Sub(testBase))
	}
	// Unanswered, R2 applies.
	h.expireTimers(10)
	h.Expect(StateClosed)
	if !errors.Is(h.c.Err(), syscall.ETIMEDOUT) {
		t.Fatal(h.c.Err())
	}
}
