package tcp

// Tests for closing: FIN-WAIT-1, FIN-WAIT-2, CLOSING, TIME-WAIT (RFC9293
// §3.6, §3.10.4, §3.10.7.4; RFC1337), CLOSE-WAIT and LAST-ACK, and ABORT
// (RFC9293 §3.10.5).

import (
	"errors"
	"io"
	"slices"
	"syscall"
	"testing"
	"time"
)

// finWait1 returns a harness in FIN-WAIT-1 after an active close: our FIN
// (SND.NXT = 2) has gone out, RCV.NXT = 1.
func finWait1(t *testing.T) *harness {
	t.Helper()
	h := established(t)
	if err := h.c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	h.Out("F. 1:1(0) ack 1")
	h.Expect(StateFinWait1)
	return h
}

// closeWait returns a harness in CLOSE-WAIT after the peer's FIN (RCV.NXT =
// 2) and our ACK of it.
func closeWait(t *testing.T) *harness {
	t.Helper()
	h := established(t)
	arrival{"fin", "F. 1:1(0) ack 1 win 100", ". 1:1(0) ack 2", StateCloseWait}.check(h)
	return h
}

func TestActiveClose(t *testing.T) {
	h := established(t)
	h.Write([]byte("bye"))
	h.Out("P. 1:4(3) ack 1")
	if err := h.c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	h.Expect(StateFinWait1)
	// The FIN waits for no ACK: Nagle does not hold it back.
	h.Out("F. 4:4(0) ack 1")
	h.In(". 1:1(0) ack 5 win 65535")
	h.None().Expect(StateFinWait2)
	if h.c.Events()&EventSendDone == 0 {
		t.Fatal("no send-done event")
	}
	// Half-close (MAY-1): data still arrives in FIN-WAIT-2.
	h.In("P. 1:11(10) ack 5 win 65535")
	h.Out(". 5:5(0) ack 11")
	h.In("F. 11:11(0) ack 5 win 65535")
	h.Out(". 5:5(0) ack 12")
	h.Expect(StateTimeWait)
	if got := h.ReadAll(); len(got) != 10 {
		t.Fatalf("read %d", len(got))
	}
	// MUST-13: TIME-WAIT lasts 2×MSL (MSL = 30 s here).
	h.After(59 * time.Second).None().Expect(StateTimeWait)
	h.After(time.Second).None().Expect(StateClosed)
	if h.c.Err() != nil {
		t.Fatalf("err %v after a normal close (MUST-12)", h.c.Err())
	}
	if _, err := h.c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read %v", err)
	}
}

func TestFinWait1Arrival(t *testing.T) {
	cases := []arrival{
		{"ack-of-fin", ". 1:1(0) ack 2 win 100", "", StateFinWait2},
		{"ack-not-fin", ". 1:1(0) ack 1 win 100", "", StateFinWait1},
		{"fin+ack-of-fin", "F. 1:1(0) ack 2 win 100", ". 2:2(0) ack 2", StateTimeWait},
		{"fin/simultaneous-close", "F. 1:1(0) ack 1 win 100", ". 2:2(0) ack 2", StateClosing},
		{"data", "P. 1:6(5) ack 1 win 100", ". 2:2(0) ack 6", StateFinWait1},
		{"rst", "R 1:1(0) win 0", "", StateClosed},
	}
	runArrivals(t, "in=", cases, func(t *testing.T, _ arrival) *harness { return finWait1(t) }, nil)
}

// TestSimultaneousClose: RFC9293 §3.6 Figure 13, FIN-WAIT-1 → CLOSING →
// TIME-WAIT.
func TestSimultaneousClose(t *testing.T) {
	h := finWait1(t)
	h.In("F. 1:1(0) ack 1 win 100")
	h.Out(". 2:2(0) ack 2")
	h.Expect(StateClosing)
	// CLOSING: an ACK that does not cover our FIN is ignored.
	h.In(". 2:2(0) ack 1 win 100")
	h.None().Expect(StateClosing)
	h.In(". 2:2(0) ack 2 win 100")
	h.None().Expect(StateTimeWait)
	h.After(60 * time.Second).Expect(StateClosed)
	want := []string{"SYN-SENT→ESTABLISHED", "ESTABLISHED→FIN-WAIT-1", "FIN-WAIT-1→CLOSING", "CLOSING→TIME-WAIT", "TIME-WAIT→CLOSED"}
	if got := h.trans[len(h.trans)-len(want):]; !slices.Equal(got, want) {
		t.Fatalf("transitions %v", h.trans)
	}
}

// timeWait returns a harness in TIME-WAIT entered at 0 s (RCV.NXT = 2,
// SND.NXT = 2).
func timeWait(t *testing.T) *harness {
	t.Helper()
	h := finWait1(t)
	arrival{"fin", "F. 1:1(0) ack 2 win 100", ". 2:2(0) ack 2", StateTimeWait}.check(h)
	return h
}

func TestTimeWaitArrival(t *testing.T) {
	type row struct {
		arrival
		// whether the 2MSL timer restarts (checked at 70 s: restarted at
		// 30 s it runs to 90 s)
		restart bool
	}
	cases := []row{
		// "The only thing that can arrive in this state is a retransmission
		// of the remote FIN. Acknowledge it, and restart the 2 MSL timeout."
		{arrival{"fin-retransmitted", "F. 1:1(0) ack 2 win 100", ". 2:2(0) ack 2", StateTimeWait}, true},
		// RFC1337: RST is ignored in TIME-WAIT.
		{arrival{"rst", "R 2:2(0) win 0", "", StateTimeWait}, false},
		{arrival{"rst-ack", "R. 2:2(0) ack 2 win 0", "", StateTimeWait}, false},
		// A SYN draws a challenge ACK (RFC5961 §4.2).
		{arrival{"syn", "S 2:2(0) win 100", ". 2:2(0) ack 2", StateTimeWait}, false},
		{arrival{"syn/new-isn", "S 5000000:5000000(0) win 100", ". 2:2(0) ack 2", StateTimeWait}, false},
		{arrival{"ack", ". 2:2(0) ack 2 win 100", "", StateTimeWait}, false},
	}
	setup := func(t *testing.T, _ row) *harness { return timeWait(t).At(30 * time.Second) }
	runArrivals(t, "in=", cases, setup, func(t *testing.T, h *harness, tc row) {
		h.At(70 * time.Second)
		if tc.restart {
			h.Expect(StateTimeWait)
			h.At(90 * time.Second).Expect(StateClosed)
		} else {
			h.Expect(StateClosed)
		}
	})
}

func TestPassiveClose(t *testing.T) {
	h := closeWait(t)
	// CLOSE-WAIT: data can still be sent.
	h.Write([]byte("last"))
	h.Out("P. 1:5(4) ack 2")
	h.c.CloseWrite()
	h.Expect(StateLastAck)
	h.Out("F. 5:5(0) ack 2")
	h.In(". 2:2(0) ack 5 win 100") // acknowledges the data, not the FIN
	h.None().Expect(StateLastAck)
	h.In(". 2:2(0) ack 6 win 100")
	h.None().Expect(StateClosed)
	if h.c.Err() != nil {
		t.Fatal(h.c.Err())
	}
}

func TestLastAckRST(t *testing.T) {
	h := closeWait(t)
	h.c.CloseWrite()
	h.Out("F. 1:1(0) ack 2")
	h.In("R 2:2(0) win 0")
	h.None().Expect(StateClosed)
}

func TestFinRetransmit(t *testing.T) {
	h := finWait1(t)
	h.At(time.Second)
	h.Out("F. 1:1(0) ack 1")
	h.At(3 * time.Second)
	h.Out("F. 1:1(0) ack 1")
	h.In(". 1:1(0) ack 2 win 100")
	h.Expect(StateFinWait2)
	h.At(100 * time.Second).None()
}

func TestCloseErrors(t *testing.T) {
	h := established(t)
	if err := h.c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if err := h.c.CloseWrite(); !errors.Is(err, ErrClosing) {
		t.Fatalf("second close: %v", err)
	}
	if _, err := h.c.Write([]byte("x")); !errors.Is(err, ErrClosing) {
		t.Fatalf("write after close: %v", err)
	}
	if h.c.Writable() != 0 {
		t.Fatal("writable after close")
	}
	h.c.Abort()
	if err := h.c.CloseWrite(); !errors.Is(err, ErrClosed) {
		t.Fatalf("close after abort: %v", err)
	}
	if _, err := h.c.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after abort: %v", err)
	}
	if _, err := h.c.Read(make([]byte, 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("read after abort: %v", err)
	}
}

func TestAbort(t *testing.T) {
	cases := []struct {
		name  string
		setup func(h *harness)
		out   string
	}{
		{"state=ESTABLISHED", func(h *harness) {}, "R 1:1(0)"},
		{"state=FIN-WAIT-1", func(h *harness) { h.c.CloseWrite(); h.Out("F. 1:1(0) ack 1") }, "R 2:2(0)"},
		{"state=CLOSE-WAIT", func(h *harness) { h.In("F. 1:1(0) ack 1 win 100"); h.Drain() }, "R 1:1(0)"},
		{"state=TIME-WAIT", func(h *harness) {
			h.c.CloseWrite()
			h.Drain()
			h.In("F. 1:1(0) ack 2 win 100")
			h.Drain()
		}, ""},
		{"state=LAST-ACK", func(h *harness) {
			h.In("F. 1:1(0) ack 1 win 100")
			h.c.CloseWrite()
			h.Drain()
		}, ""},
		// Data sent and then a timeout rewound SND.NXT: the RST still
		// carries the highest sequence number sent.
		{"rewound", func(h *harness) {
			h.Write([]byte("0123456789"))
			h.Drain()
			h.At(time.Second)
			h.Drain()
		}, "R 11:11(0)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := established(t)
			tc.setup(h)
			h.c.Abort()
			if tc.out != "" {
				h.Out(tc.out)
			}
			h.None().Expect(StateClosed)
			if h.c.Err() != nil {
				t.Fatalf("Err %v after a user abort", h.c.Err())
			}
		})
	}
}

// TestCloseWithUnreadData: RFC9293 §3.6 SHLD-3, a RST shows data was lost.
func TestCloseWithUnreadData(t *testing.T) {
	h := established(t)
	h.In("P. 1:11(10) ack 1 win 100")
	h.Out(". 1:1(0) ack 11")
	h.c.Close()
	h.Out("R 1:1(0)")
	h.Expect(StateClosed)

	// Data arriving after Close.
	h = established(t)
	h.c.Close()
	h.Out("F. 1:1(0) ack 1")
	h.In("P. 1:11(10) ack 2 win 100")
	h.Out("R 2:2(0)")
	h.Expect(StateClosed)
}

func TestResetErrors(t *testing.T) {
	h := established(t)
	h.In("R 1:1(0) win 0")
	if !errors.Is(h.c.Err(), syscall.ECONNRESET) {
		t.Fatal(h.c.Err())
	}
	ev := h.c.Events()
	if ev&EventClosed == 0 || ev&EventReadable == 0 {
		t.Fatalf("events %v", ev)
	}
}
