package tcp

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"
)

func TestSetNoDelay(t *testing.T) {
	h := established(t)
	h.Write([]byte("a"))
	h.Out("P. 1:2(1) ack 1")
	h.Write([]byte("b")).None() // Nagle
	h.c.SetNoDelay(true)
	h.Out("P. 2:3(1) ack 1")
}

func TestSetKeepAlive(t *testing.T) {
	h := established(t)
	h.c.SetKeepAlive(true, time.Minute, time.Second, 2, h.now)
	h.At(time.Minute)
	h.Out(". 0:0(0) ack 1")
	h.c.SetKeepAlive(false, 0, 0, 0, h.now)
	h.At(time.Hour).None().Expect(StateEstablished)
}

func TestSetUserTimeout(t *testing.T) {
	h := established(t)
	h.c.SetUserTimeout(5 * time.Second)
	h.Write([]byte("x"))
	h.expireTimers(10)
	if !errors.Is(h.c.Err(), syscall.ETIMEDOUT) || h.now.Sub(testBase) > 20*time.Second {
		t.Fatalf("err %v at %v", h.c.Err(), h.now.Sub(testBase))
	}
	h.c.SetUserTimeout(0)
	if h.c.cfg.R2 != DefaultR2 {
		t.Fatal("default not restored")
	}
}

func TestSetPathMTU(t *testing.T) {
	h := established(t)
	if h.c.SetPathMTU(1500) {
		t.Fatal("raised the MSS")
	}
	if !h.c.SetPathMTU(576) || h.c.Info().SndMSS != 536 {
		t.Fatalf("mss %d", h.c.Info().SndMSS)
	}
	h.Write(make([]byte, 1000))
	h.Out(". 1:537(536) ack 1")
	if !h.c.SetPathMTU(10) || h.c.Info().SndMSS != 88 {
		t.Fatalf("mss %d", h.c.Info().SndMSS)
	}
}

// TestSetIPOptionsLen: IP options carried in every segment (a return source
// route) come off the effective send MSS (RFC9293 §3.7.1, "-
// IPoptionsize"), whether set before the handshake or after.
func TestSetIPOptionsLen(t *testing.T) {
	h := established(t)
	mss := h.c.Info().SndMSS
	h.c.SetIPOptionsLen(12)
	if got := h.c.Info().SndMSS; got != mss-12 {
		t.Fatalf("mss %d, want %d", got, mss-12)
	}
	h.Write(make([]byte, 2000))
	h.Out(fmt.Sprintf(". 1:%d(%d) ack 1", 1+mss-12, mss-12))
	h.c.SetIPOptionsLen(0)
	if got := h.c.Info().SndMSS; got != mss {
		t.Fatalf("mss %d after removing the options, want %d", got, mss)
	}
	// Set in SYN-SENT, before the SYN-ACK: negotiate subtracts it.
	h2 := newHarness(t, baseConfig()).open()
	h2.c.SetIPOptionsLen(8)
	h2.Drain()
	h2.In("S. 0:0(0) ack 1 win 65535 <mss 1000>")
	if got := h2.c.Info().SndMSS; got != 1000-8 {
		t.Fatalf("mss %d after the handshake, want %d", got, 1000-8)
	}
}
