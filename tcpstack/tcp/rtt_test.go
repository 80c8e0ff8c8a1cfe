package tcp

// Tests for RFC6298: the estimator, backoff, Karn's rule, and the
// retransmission timer driving a connection (R1, R2).

import (
	"errors"
	"syscall"
	"testing"
	"time"
)

func TestRTTEstimator(t *testing.T) {
	e := newRTTEstimator(time.Second, 200*time.Millisecond, 60*time.Second)
	if e.rto() != time.Second {
		t.Fatalf("initial RTO %v (RFC6298 (2.1))", e.rto())
	}
	// (2.2) first sample.
	e.sample(400 * time.Millisecond)
	if e.srtt != 400*time.Millisecond || e.rttvar != 200*time.Millisecond || e.rto() != 1200*time.Millisecond {
		t.Fatalf("after first sample: srtt %v rttvar %v rto %v", e.srtt, e.rttvar, e.rto())
	}
	// (2.3) RTTVAR = 3/4*200 + 1/4*|400-200| = 200; SRTT = 7/8*400 + 1/8*200 = 375.
	e.sample(200 * time.Millisecond)
	if e.srtt != 375*time.Millisecond || e.rttvar != 200*time.Millisecond || e.rto() != 1175*time.Millisecond {
		t.Fatalf("after second sample: srtt %v rttvar %v rto %v", e.srtt, e.rttvar, e.rto())
	}
	// (5.5) backoff doubles; (2.5) the maximum caps it.
	e.backOff()
	if e.rto() != 2350*time.Millisecond {
		t.Fatalf("backed off %v", e.rto())
	}
	for range 10 {
		e.backOff()
	}
	if e.rto() != 60*time.Second {
		t.Fatalf("max %v", e.rto())
	}
	// A new sample ends the backoff.
	e.sample(10 * time.Millisecond)
	if e.backoff != 0 || e.rto() >= 2*time.Second {
		t.Fatalf("after sample %v", e.rto())
	}
	// (2.4) the minimum.
	for range 100 {
		e.sample(time.Millisecond)
	}
	if e.rto() != 200*time.Millisecond {
		t.Fatalf("min %v", e.rto())
	}
	e.sample(-time.Second) // ignored
}

func TestRTTTiming(t *testing.T) {
	e := newRTTEstimator(time.Second, time.Second, time.Minute)
	e.startTiming(100, testBase)
	e.startTiming(200, testBase.Add(time.Millisecond)) // one at a time
	e.ackedUpTo(99, testBase.Add(time.Second))
	if e.hasSample {
		t.Fatal("sampled before the timed segment was acked")
	}
	e.ackedUpTo(100, testBase.Add(300*time.Millisecond))
	if e.srtt != 300*time.Millisecond {
		t.Fatalf("srtt %v", e.srtt)
	}
	// Karn: a retransmission cancels the measurement.
	e.startTiming(300, testBase)
	e.backOff()
	e.ackedUpTo(300, testBase.Add(5*time.Second))
	if e.srtt != 300*time.Millisecond {
		t.Fatalf("sampled a retransmitted segment: %v", e.srtt)
	}
}

// TestRetransmissionBackoff drives the timer of a connection: RFC6298
// (5.4)–(5.6), R1 (EventNegativeAdvice) and R2 (ETIMEDOUT) of RFC9293 §3.8.3.
func TestRetransmissionBackoff(t *testing.T) {
	h := established(t)
	h.c.Events()
	h.Write([]byte("data"))
	h.Out("P. 1:5(4) ack 1")
	times := []time.Duration{1, 3, 7, 15, 31, 63}
	for i, at := range times {
		h.At(at*time.Second - time.Millisecond).None()
		h.At(at * time.Second)
		h.Out("P. 1:5(4) ack 1")
		if i+1 == 3 && h.c.Events()&EventNegativeAdvice == 0 {
			t.Fatal("no negative advice at R1 = 3")
		}
	}
	if h.c.Info().Retransmits != 6 || h.c.Info().RTO != 60*time.Second {
		t.Fatalf("%+v", h.c.Info())
	}
	// RTOMax is 60 s; R2 (100 s from the first retransmission at 1 s) ends it
	// at the timeout after 101 s.
	h.At(123 * time.Second).None().Expect(StateClosed)
	if !errors.Is(h.c.Err(), syscall.ETIMEDOUT) {
		t.Fatal(h.c.Err())
	}
}

func TestRetransmissionAckResets(t *testing.T) {
	h := established(t)
	h.Write([]byte("data"))
	h.Out("P. 1:5(4) ack 1")
	h.At(time.Second)
	h.Out("P. 1:5(4) ack 1")
	h.At(1500 * time.Millisecond)
	h.In(". 1:1(0) ack 5 win 65535")
	// (5.2) all data acked: the timer is off. Karn: no sample.
	if _, ok := h.c.NextDeadline(); ok {
		t.Fatal("timer still running")
	}
	if h.c.Info().RTT != 0 {
		t.Fatal("sampled a retransmitted segment")
	}
	// The backed-off RTO stays until a new sample (RFC6298 §5).
	h.Write([]byte("more"))
	h.Out("P. 5:9(4) ack 1")
	h.At(3400 * time.Millisecond).None()
	h.At(3500 * time.Millisecond)
	h.Out("P. 5:9(4) ack 1")
}

func TestR2Infinite(t *testing.T) {
	h := established(t, func(c *Config) { c.R2 = -1 })
	h.Write([]byte("x"))
	h.Drain()
	h.At(time.Hour).Drain()
	h.Expect(StateEstablished)
}
