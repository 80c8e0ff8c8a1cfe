package tcp

// Tests for keep-alives (RFC9293 §3.8.4, RFC1122 §4.2.3.6, MUST-24..29).

import (
	"errors"
	"syscall"
	"testing"
	"time"
)

func TestKeepaliveOffByDefault(t *testing.T) {
	h := established(t) // MUST-25
	h.At(24 * time.Hour).None()
	if _, ok := h.c.NextDeadline(); ok {
		t.Fatal("a timer runs on an idle connection")
	}
}

func TestKeepalive(t *testing.T) {
	h := established(t, func(c *Config) { c.KeepAlive = true; c.KeepCnt = 3 })
	h.At(2*time.Hour - time.Second).None()
	// MUST-26/28: only after the idle interval, two hours by default;
	// SEG.SEQ = SND.NXT-1 without data (SHLD-12).
	h.At(2 * time.Hour)
	h.Out(". 0:0(0) ack 1")
	// The peer answers: the idle time restarts.
	h.In(". 1:1(0) ack 1 win 65535")
	h.At(4*time.Hour - time.Second).None()
	h.At(4 * time.Hour)
	h.Out(". 0:0(0) ack 1")
	// Unanswered probes every KeepIntvl; after KeepCnt of them the
	// connection times out (MUST-29: one lost probe is not enough).
	h.At(4*time.Hour + 75*time.Second)
	h.Out(". 0:0(0) ack 1")
	h.At(4*time.Hour + 150*time.Second)
	h.Out(". 0:0(0) ack 1")
	h.At(4*time.Hour + 225*time.Second)
	h.None().Expect(StateClosed)
	if !errors.Is(h.c.Err(), syscall.ETIMEDOUT) {
		t.Fatal(h.c.Err())
	}
}

func TestKeepaliveNotWhileSending(t *testing.T) {
	h := established(t, func(c *Config) { c.KeepAlive = true; c.KeepIdle = time.Minute; c.R2 = -1 })
	h.At(30 * time.Second)
	h.Write([]byte("x"))
	h.Drain()
	// Data is outstanding: retransmissions, not keep-alives.
	h.At(90 * time.Second)
	for _, s := range h.Drain() {
		if len(s.Payload) == 0 {
			t.Fatalf("keep-alive with data outstanding: %v", s.String())
		}
	}
}
