// Round-trip time estimation and the retransmission timeout.
//
// Read before editing: RFC6298 (all of it, it is short: (2.1)–(2.5) the
// estimator, §3 Karn's algorithm, §5 timer management and backoff),
// RFC9293 §3.8.1 and MUST-18 (Karn), RFC7323 §4 (RTTM: samples from the
// Timestamps option, which need no Karn rule because the echoed TSval names
// the transmission it measures).

package tcp

import "time"

// clockGranularity is G of RFC6298 (2.2): the granularity of the clock used
// for samples, which is the millisecond Timestamps clock.
const clockGranularity = time.Millisecond

// rttEstimator keeps SRTT, RTTVAR and RTO (RFC6298 §2) and times one segment
// at a time when timestamps are not in use.
type rttEstimator struct {
	srtt, rttvar time.Duration
	hasSample    bool
	base         time.Duration // RTO before backoff
	backoff      int           // number of doublings since the last sample (RFC6298 (5.5))
	min, max     time.Duration

	// One segment timed at a time (RFC6298 §3 and RFC9293 §3.8.1); cleared
	// by any retransmission (Karn's algorithm, MUST-18).
	timing   bool
	timedSeq Value // the sample completes when SND.UNA passes this
	timedAt  time.Time
}

func newRTTEstimator(initial, min, max time.Duration) rttEstimator {
	// RFC6298 (2.1): "Until a round-trip time (RTT) measurement has been made
	// for a segment sent between the sender and receiver, the sender SHOULD set
	// RTO <- 1 second".
	return rttEstimator{base: initial, min: min, max: max}
}

// sample folds one RTT measurement r into the estimator.
func (e *rttEstimator) sample(r time.Duration) {
	if r < 0 {
		return
	}
	if !e.hasSample {
		// RFC6298 (2.2): SRTT <- R, RTTVAR <- R/2.
		e.srtt, e.rttvar, e.hasSample = r, r/2, true
	} else {
		// RFC6298 (2.3), alpha = 1/8, beta = 1/4, RTTVAR updated first:
		// RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|
		// SRTT <- (1 - alpha) * SRTT + alpha * R'
		d := e.srtt - r
		if d < 0 {
			d = -d
		}
		e.rttvar = e.rttvar - e.rttvar/4 + d/4
		e.srtt = e.srtt - e.srtt/8 + r/8
	}
	// RFC6298 (2.2)/(2.3): RTO <- SRTT + max(G, K*RTTVAR), K = 4.
	e.base = e.srtt + max(clockGranularity, 4*e.rttvar)
	// A fresh sample ends the backoff: "the RTO is recomputed when a new RTT
	// sample is taken" (RFC6298 §5, note after (5.7)).
	e.backoff = 0
}

// rto returns the current timeout: the base value doubled per backoff and
// clamped by RFC6298 (2.4) "Whenever RTO is computed, if it is less than 1
// second, then the RTO SHOULD be rounded up to 1 second" (the minimum is
// configurable, RTOMin) and (2.5) "A maximum value MAY be placed on RTO
// provided it is at least 60 seconds" (RTOMax).
func (e *rttEstimator) rto() time.Duration {
	r := max(e.base, e.min)
	for i := 0; i < e.backoff && r < e.max; i++ {
		r *= 2
	}
	return min(r, e.max)
}

// backOff doubles the RTO after a retransmission timeout: RFC6298 (5.5) "The
// host MUST set RTO <- RTO * 2 ("back off the timer")".
func (e *rttEstimator) backOff() {
	if e.rto() < e.max {
		e.backoff++
	}
	e.timing = false // Karn: no sample from a retransmitted segment.
}

// startTiming times the segment ending at end, sent at now, unless one is
// already being timed.
func (e *rttEstimator) startTiming(end Value, now time.Time) {
	if !e.timing {
		e.timing, e.timedSeq, e.timedAt = true, end, now
	}
}

// ackedUpTo completes the timed sample when ack covers it.
func (e *rttEstimator) ackedUpTo(ack Value, now time.Time) {
	if e.timing && e.timedSeq.LessThanEq(ack) {
		e.timing = false
		e.sample(now.Sub(e.timedAt))
	}
}
