package tcp

// Tests for segment arrival in ESTABLISHED (RFC9293 §3.10.7.4), step by step.

import (
	"errors"
	"io"
	"syscall"
	"testing"
	"time"
)

// established returns a harness in ESTABLISHED after an active open, with a
// peer window of 65535 and our window 65535.
func established(t *testing.T, mut ...func(*Config)) *harness {
	t.Helper()
	cfg := baseConfig()
	for _, m := range mut {
		m(&cfg)
	}
	h := newHarness(t, cfg)
	h.established(65535, "<mss 1000>")
	return h
}

// TestEstablishedSequenceCheck covers the four acceptability cases of the
// first step with a non-zero window (RCV.NXT = 1, RCV.WND = 65535).
func TestEstablishedSequenceCheck(t *testing.T) {
	type row struct {
		arrival
		read int // bytes readable afterwards
	}
	cases := []row{
		{arrival{"len=0/seq=rcv.nxt", ". 1:1(0) ack 1 win 65535", "", StateEstablished}, 0},
		{arrival{"len=0/seq=last-in-window", ". 65535:65535(0) ack 1 win 65535", "", StateEstablished}, 0},
		{arrival{"len=0/seq=old", ". 0:0(0) ack 1 win 65535", ". 1:1(0) ack 1", StateEstablished}, 0},
		{arrival{"len=0/seq=right-edge", ". 65536:65536(0) ack 1 win 65535", ". 1:1(0) ack 1", StateEstablished}, 0},
		{arrival{"len=10/seq=rcv.nxt", "P. 1:11(10) ack 1 win 65535", ". 1:1(0) ack 11", StateEstablished}, 10},
		{arrival{"len=10/straddles-left", "P. -4:6(10) ack 1 win 65535", ". 1:1(0) ack 6", StateEstablished}, 5},
		{arrival{"len=10/straddles-right", "P. 65530:65540(10) ack 1 win 65535", ". 1:1(0) ack 1", StateEstablished}, 0},
		{arrival{"len=10/old", "P. -20:-10(10) ack 1 win 65535", ". 1:1(0) ack 1", StateEstablished}, 0},
		{arrival{"len=10/beyond", "P. 65536:65546(10) ack 1 win 65535", ". 1:1(0) ack 1", StateEstablished}, 0},
	}
	runArrivals(t, "seg=", cases, func(t *testing.T, _ row) *harness { return established(t) },
		func(t *testing.T, h *harness, tc row) {
			wantReadable(t, h, tc.read)
			if got := h.ReadAll(); string(got) != string(payload(0, tc.read)) {
				t.Fatalf("data %v", got)
			}
		})
}

// zeroWindow returns a harness whose receive window is full (RCV.WND = 0,
// RCV.NXT = 1001) and which has sent 3 bytes that are not yet acknowledged.
func zeroWindow(t *testing.T) *harness {
	t.Helper()
	h := smallWindow(t, 1000)
	h.In("P. 1:1001(1000) ack 1 win 65535")
	h.Out(". 1:1(0) ack 1001 win 0")
	h.Write([]byte("abc"))
	h.Out("P. 1:4(3) ack 1001 win 0")
	return h
}

// TestEstablishedZeroWindow covers the zero-window rows of the first step and
// the "special allowance ... to accept valid ACKs, URGs, and RSTs" (MUST-66).
func TestEstablishedZeroWindow(t *testing.T) {
	type row struct {
		arrival
		unacked int
	}
	cases := []row{
		{arrival{"len=0/seq=rcv.nxt", ". 1001:1001(0) ack 4 win 65535", "", StateEstablished}, 0},
		{arrival{"len=0/seq=rcv.nxt+1", ". 1002:1002(0) ack 4 win 65535", ". 4:4(0) ack 1001 win 0", StateEstablished}, 3},
		// Data refused, but its ACK is processed.
		{arrival{"len=1/seq=rcv.nxt", "P. 1001:1002(1) ack 4 win 65535", ". 4:4(0) ack 1001 win 0", StateEstablished}, 0},
		{arrival{"len=1/seq=rcv.nxt+1", "P. 1002:1003(1) ack 4 win 65535", ". 4:4(0) ack 1001 win 0", StateEstablished}, 3},
		{arrival{"rst/seq=rcv.nxt", "R 1001:1001(0) win 0", "", StateClosed}, 0},
		{arrival{"rst+data/seq=rcv.nxt", "R. 1001:1006(5) ack 4 win 0", "", StateClosed}, 0},
		{arrival{"rst/seq=rcv.nxt+1", "R 1002:1002(0) win 0", "", StateEstablished}, 3},
	}
	runArrivals(t, "seg=", cases, func(t *testing.T, _ row) *harness { return zeroWindow(t) },
		func(t *testing.T, h *harness, tc row) {
			if tc.state == StateEstablished && h.c.Info().Unacked != tc.unacked {
				t.Fatalf("unacked %d, want %d", h.c.Info().Unacked, tc.unacked)
			}
		})
}

// TestEstablishedRST covers the second step with RFC5961 §3.2.
func TestEstablishedRST(t *testing.T) {
	type row struct {
		arrival
		disable bool
		wantErr error
	}
	cases := []row{
		// RCV.NXT = 6, right edge 65536.
		{arrival{"seq=rcv.nxt", "R 6:6(0) win 0", "", StateClosed}, false, syscall.ECONNRESET},
		{arrival{"seq=rcv.nxt/ack", "R. 6:6(0) ack 1 win 0", "", StateClosed}, false, syscall.ECONNRESET},
		{arrival{"seq=in-window", "R 7:7(0) win 0", ". 1:1(0) ack 6", StateEstablished}, false, nil},
		{arrival{"seq=last-in-window", "R 65535:65535(0) win 0", ". 1:1(0) ack 6", StateEstablished}, false, nil},
		{arrival{"seq=right-edge", "R 65536:65536(0) win 0", "", StateEstablished}, false, nil},
		{arrival{"seq=old", "R 5:5(0) win 0", "", StateEstablished}, false, nil},
		{arrival{"seq=in-window/rfc5961=off", "R 7:7(0) win 0", "", StateClosed}, true, syscall.ECONNRESET},
		{arrival{"seq=old/rfc5961=off", "R 5:5(0) win 0", "", StateEstablished}, true, nil},
	}
	setup := func(t *testing.T, tc row) *harness {
		h := established5961(t, tc.disable)
		h.In("P. 1:6(5) ack 1 win 65535")
		h.Out(". 1:1(0) ack 6")
		return h
	}
	runArrivals(t, "rst=", cases, setup, func(t *testing.T, h *harness, tc row) {
		if !errors.Is(h.c.Err(), tc.wantErr) {
			t.Fatalf("err %v, want %v", h.c.Err(), tc.wantErr)
		}
		if tc.state == StateClosed {
			// "any outstanding RECEIVEs and SEND should receive 'reset'
			// responses. All segment queues should be flushed."
			if _, err := h.c.Read(make([]byte, 10)); !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("read: %v", err)
			}
			if _, err := h.c.Write([]byte("x")); !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("write: %v", err)
			}
			if h.c.Events()&EventClosed == 0 {
				t.Fatal("no closed event")
			}
		}
	})
}

// TestEstablishedSYN covers the fourth step: RFC5961 §4.2 challenge ACK.
func TestEstablishedSYN(t *testing.T) {
	type row struct {
		arrival
		disable bool
	}
	cases := []row{
		{arrival{"in-window", "S 10:10(0) win 100", ". 1:1(0) ack 1", StateEstablished}, false},
		{arrival{"at-rcv.nxt", "S 1:1(0) win 100", ". 1:1(0) ack 1", StateEstablished}, false},
		{arrival{"out-of-window", "S 100000:100000(0) win 100", ". 1:1(0) ack 1", StateEstablished}, false},
		{arrival{"syn-ack-retransmitted", "S. 0:0(0) ack 1 win 100", ". 1:1(0) ack 1", StateEstablished}, false},
		{arrival{"in-window/rfc5961=off", "S 10:10(0) win 100", "R 1:1(0)", StateClosed}, true},
	}
	runArrivals(t, "syn=", cases, func(t *testing.T, tc row) *harness { return established5961(t, tc.disable) }, nil)
}

// TestEstablishedACK covers the fifth step, with RFC5961 §5.2.
func TestEstablishedACK(t *testing.T) {
	type row struct {
		arrival
		readable int
		disable  bool
	}
	cases := []row{
		{arrival{"ack=off", "P 1:11(10) win 100", "", StateEstablished}, 0, false},
		{arrival{"ack=unsent", ". 1:1(0) ack 100 win 100", ". 1:1(0) ack 1", StateEstablished}, 0, false},
		{arrival{"ack=unsent/data", "P. 1:11(10) ack 100 win 100", ". 1:1(0) ack 1", StateEstablished}, 0, false},
		{arrival{"ack=too-old", "P. 1:11(10) ack -70000 win 100", ". 1:1(0) ack 1", StateEstablished}, 0, false},
		{arrival{"ack=old-in-range", "P. 1:11(10) ack 0 win 100", ". 1:1(0) ack 11", StateEstablished}, 10, false},
		{arrival{"ack=too-old/rfc5961=off", "P. 1:11(10) ack -70000 win 100", ". 1:1(0) ack 11", StateEstablished}, 10, true},
		{arrival{"ack=unsent/rfc5961=off", "P. 1:11(10) ack 100 win 100", ". 1:1(0) ack 1", StateEstablished}, 0, true},
	}
	runArrivals(t, "ack=", cases, func(t *testing.T, tc row) *harness { return established5961(t, tc.disable) },
		func(t *testing.T, h *harness, tc row) { wantReadable(t, h, tc.readable) })
}

// established5961 is the ESTABLISHED fixture with RFC5961's checks
// switched off when off is set.
func established5961(t *testing.T, off bool) *harness {
	return established(t, func(c *Config) { c.DisableRFC5961 = off })
}

func TestEstablishedReassembly(t *testing.T) {
	h := established(t)
	h.In("P. 11:21(10) ack 1 win 65535")
	// RFC5681 §4.2: an immediate duplicate ACK for out-of-order data.
	h.Out(". 1:1(0) ack 1")
	h.In("P. 31:41(10) ack 1 win 65535")
	h.Out(". 1:1(0) ack 1")
	h.In("P. 6:26(20) ack 1 win 65535") // overlaps both ends of the first hole
	h.Out(". 1:1(0) ack 1")
	if h.c.Readable() != 0 || h.c.Info().OutOfOrder != 30 {
		t.Fatalf("%+v", h.c.Info())
	}
	h.In("P. 1:6(5) ack 1 win 65535")
	h.Out(". 1:1(0) ack 26")
	h.In("P. 26:36(10) ack 1 win 65535")
	h.Out(". 1:1(0) ack 41")
	if got := h.ReadAll(); string(got) != string(payload(0, 40)) {
		t.Fatalf("data %v", got)
	}
	if h.c.Events()&EventReadable == 0 {
		t.Fatal("no readable event")
	}
}

func TestEstablishedTrimToWindow(t *testing.T) {
	h := smallWindow(t, 100)
	// Bytes beyond the receive window are trimmed, the FIN with them.
	h.In("FP. 1:201(200) ack 1 win 65535")
	h.Out(". 1:1(0) ack 101 win 0")
	h.Expect(StateEstablished)
	if got := h.ReadAll(); string(got) != string(payload(0, 100)) {
		t.Fatalf("data %d bytes", len(got))
	}
	// Reading reopens the window: a window update (RFC9293 §3.8.6.2.2).
	h.Out(". 1:1(0) ack 101 win 100")
}

func TestEstablishedFIN(t *testing.T) {
	h := established(t)
	h.In("F. 11:11(0) ack 1 win 65535") // FIN after a hole: held
	h.Out(". 1:1(0) ack 1")
	h.Expect(StateEstablished)
	h.In("P. 1:11(10) ack 1 win 65535")
	h.Out(". 1:1(0) ack 12")
	h.Expect(StateCloseWait)
	buf := make([]byte, 100)
	if n, err := h.c.Read(buf); n != 10 || err != nil {
		t.Fatalf("read %d %v", n, err)
	}
	if _, err := h.c.Read(buf); err != io.EOF {
		t.Fatalf("read after FIN: %v", err)
	}
	// CLOSE-WAIT: "Ignore the segment text."
	h.In("P. 12:22(10) ack 1 win 65535")
	h.None()
	if h.c.Readable() != 0 {
		t.Fatal("text accepted in CLOSE-WAIT")
	}
}

func TestChallengeACKThrottle(t *testing.T) {
	h := established(t, func(c *Config) { c.ChallengeACKLimit = 2 })
	for range 3 {
		h.In("R 5:5(0) win 0")
	}
	h.Out(". 1:1(0) ack 1")
	h.Out(". 1:1(0) ack 1")
	h.None()
	h.After(time.Second)
	h.In("S 5:5(0) win 0")
	h.Out(". 1:1(0) ack 1")
}

// TestOutOfWindowACKThrottle: bare ACKs outside the window share the
// challenge ACKs' limit (RFC5961 §7, as Linux's tcp_oow_rate_limited);
// out-of-window data is always answered.
func TestOutOfWindowACKThrottle(t *testing.T) {
	h := established(t, func(c *Config) { c.ChallengeACKLimit = 2 })
	for range 3 {
		h.In(". 900000:900000(0) ack 1 win 65535")
	}
	h.Out(". 1:1(0) ack 1")
	h.Out(". 1:1(0) ack 1")
	h.None()
	h.In(". 900000:900010(10) ack 1 win 65535")
	h.Out(". 1:1(0) ack 1")
	h.After(time.Second)
	h.In(". 900000:900000(0) ack 1 win 65535")
	h.Out(". 1:1(0) ack 1")
}

// TestUrgentReceive covers the sixth step and MUST-30..33.
func TestUrgentReceive(t *testing.T) {
	h := established(t)
	h.c.Events()
	h.In("PU. 1:11(10) ack 1 win 65535 urg 5") // urgent data ends before 6
	h.Out(". 1:1(0) ack 11")
	if h.c.Events()&EventUrgent == 0 {
		t.Fatal("no urgent event (MUST-32)")
	}
	if n, ok := h.c.UrgentRemaining(); !ok || n != 5 {
		t.Fatalf("urgent %d %v (MUST-33)", n, ok)
	}
	h.c.Read(make([]byte, 3))
	if n, ok := h.c.UrgentRemaining(); !ok || n != 2 {
		t.Fatalf("urgent %d %v after reading 3", n, ok)
	}
	h.In("P. 11:21(10) ack 1 win 65535")
	h.Out(". 1:1(0) ack 21")
	if h.c.Events()&EventUrgent != 0 {
		t.Fatal("signalled without a new pointer")
	}
	h.In("PU. 21:31(10) ack 1 win 65535 urg 4") // the pointer advances to 25
	h.Out(". 1:1(0) ack 31")
	if h.c.Events()&EventUrgent == 0 {
		t.Fatal("no event for an advancing pointer (MUST-32)")
	}
	if n, _ := h.c.UrgentRemaining(); n != 21 {
		t.Fatalf("urgent %d", n)
	}
	h.ReadAll()
	if _, ok := h.c.UrgentRemaining(); ok {
		t.Fatal("urgent data pending after reading past the mark")
	}
	// CLOSE-WAIT: "Ignore the URG."
	h.In("F. 31:31(0) ack 1 win 65535")
	h.Out(". 1:1(0) ack 32")
	h.In("PU. 32:32(0) ack 1 win 65535 urg 10")
	if _, ok := h.c.UrgentRemaining(); ok {
		t.Fatal("URG processed in CLOSE-WAIT")
	}
}

func TestUrgentSend(t *testing.T) {
	h := established(t)
	if _, err := h.c.WriteUrgent([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	// The urgent pointer points after the urgent data (MUST-62).
	h.Out("PU. 1:4(3) ack 1 urg 3")
	h.In(". 1:1(0) ack 4 win 65535")
	// Urgent data of any length (MUST-31), over several segments.
	h.c.WriteUrgent(make([]byte, 2500))
	h.Out("U. 4:1004(1000) ack 1 urg 2500")
	h.Out("U. 1004:2004(1000) ack 1 urg 1500")
	h.None() // Nagle holds the short tail while data is unacknowledged
	h.In(". 1:1(0) ack 2004 win 65535")
	h.Out("PU. 2004:2504(500) ack 1 urg 500")
	h.In(". 1:1(0) ack 2504 win 65535")
	h.Write([]byte("x"))
	h.Out("P. 2504:2505(1) ack 1")
}
