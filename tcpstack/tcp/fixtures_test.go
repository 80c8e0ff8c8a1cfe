package tcp

// Fixtures the state tests share: the arrival of one segment in a state, and
// the connections they start from.

import (
	"strconv"
	"testing"
)

// arrival is one segment arriving in the state under test: the line in, the
// line sent back ("" for nothing) and the state after.
type arrival struct {
	name, in, out string
	state         State
}

// check feeds a.in to h and expects a.out, nothing more, and a.state.
func (a arrival) check(h *harness) {
	h.t.Helper()
	h.In(a.in)
	if a.out != "" {
		h.Out(a.out)
	}
	h.None().Expect(a.state)
}

// base lets a table whose rows embed an arrival hand it to runArrivals.
func (a arrival) base() arrival { return a }

// runArrivals runs each row of a state table as the subtest prefix+name: a
// harness from setup, the row's arrival checked on it, then what the table
// checks besides (then, when not nil).
func runArrivals[C interface{ base() arrival }](t *testing.T, prefix string, rows []C, setup func(*testing.T, C) *harness, then func(*testing.T, *harness, C)) {
	t.Helper()
	for _, row := range rows {
		t.Run(prefix+row.base().name, func(t *testing.T) {
			h := setup(t, row)
			row.base().check(h)
			if then != nil {
				then(t, h, row)
			}
		})
	}
}

// wantReadable fails t unless n bytes wait to be read.
func wantReadable(t *testing.T, h *harness, n int) {
	t.Helper()
	if got := h.c.Readable(); got != n {
		t.Fatalf("readable %d, want %d", got, n)
	}
}

// synSent returns a harness in SYN-SENT whose SYN has gone out.
func synSent(t testing.TB) *harness {
	t.Helper()
	h := newHarness(t, baseConfig()).open()
	h.Out("S 0:0(0)")
	return h
}

// synReceived returns a harness in SYN-RECEIVED after a passive open: the
// peer's SYN (window 1000) came in and our SYN-ACK went out.
func synReceived(t testing.TB) *harness {
	t.Helper()
	h := newHarness(t, baseConfig()).listen()
	h.In("S 0:0(0) win 1000")
	h.Out("S. 0:0(0) ack 1")
	return h
}

// smallWindow returns a harness in ESTABLISHED after an active open with a
// receive buffer, and so a window, of buf bytes (no scaling).
func smallWindow(t testing.TB, buf int) *harness {
	t.Helper()
	cfg := baseConfig()
	cfg.RecvBuffer = buf
	h := newHarness(t, cfg)
	h.open()
	win := strconv.Itoa(buf)
	h.Out("S 0:0(0) win " + win)
	h.In("S. 0:0(0) ack 1 win 65535")
	h.Out(". 1:1(0) ack 1 win " + win)
	return h
}

// expireTimers moves the clock to each timer's deadline in turn, discarding
// what is sent, until no timer is left or n have expired.
func (h *harness) expireTimers(n int) {
	h.t.Helper()
	for range n {
		d, ok := h.c.NextDeadline()
		if !ok {
			return
		}
		h.At(d.Sub(testBase))
		h.Drain()
	}
}
