// Timers as data: each kind stores when it expires; Output fires the due ones.
//
// Read before editing: RFC6298 §5 (retransmission timer management),
// RFC9293 §3.8.6.1 (persist timer, zero-window probes: MUST-36, SHLD-29,
// SHLD-30), RFC9293 §3.8.6.3 and RFC1122 §4.2.3.2 (delayed ACK, MUST-40),
// RFC9293 §3.8.6.2.1 (SWS override timer), RFC9293 §3.8.4 and RFC1122 §4.2.3.6
// (keep-alive), RFC9293 §3.3.2 and MUST-13 (TIME-WAIT 2×MSL), RFC9293 §3.8.3
// (R1/R2, MUST-20..23).

package tcp

import "time"

// timerKind names one of the connection's timers.
type timerKind uint8

const (
	timerRetransmit timerKind = iota // RFC6298 §5
	timerPersist                     // RFC9293 §3.8.6.1
	timerDelayedACK                  // RFC9293 §3.8.6.3
	timerSWS                         // RFC9293 §3.8.6.2.1 override timeout
	timerKeepalive                   // RFC9293 §3.8.4
	timerTimeWait                    // RFC9293 §3.3.2, MUST-13
	numTimers
)

var timerNames = [numTimers]string{"retransmit", "persist", "delayed-ack", "sws", "keepalive", "time-wait"}

func (k timerKind) String() string { return timerNames[k] }

// timers holds the expiry of each timer; the zero time means stopped.
type timers struct {
	at [numTimers]time.Time
}

// set arms timer k to expire at t.
func (t *timers) set(k timerKind, at time.Time) { t.at[k] = at }

// stop disarms timer k.
func (t *timers) stop(k timerKind) { t.at[k] = time.Time{} }

// running reports whether timer k is armed.
func (t *timers) running(k timerKind) bool { return !t.at[k].IsZero() }

// due reports whether timer k is armed and has expired at now. It does not
// disarm it.
func (t *timers) due(k timerKind, now time.Time) bool {
	return t.running(k) && !now.Before(t.at[k])
}

// stopAll disarms every timer.
func (t *timers) stopAll() { t.at = [numTimers]time.Time{} }

// next returns the earliest armed expiry.
func (t *timers) next() (time.Time, bool) {
	var first time.Time
	for _, at := range t.at {
		if !at.IsZero() && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	return first, !first.IsZero()
}

// NextDeadline returns the earliest time at which a timer of the connection
// expires, and false when none is armed. The caller calls Output at (or after)
// that time. Output must also be called after every Input and every user call,
// whatever NextDeadline says: the deadline covers timers only, not segments
// that are due right away.
func (c *Conn) NextDeadline() (time.Time, bool) {
	return c.timers.next()
}

// fireTimers runs the expired timers in a fixed order. It is called at the
// start of Output.
func (c *Conn) fireTimers(now time.Time) {
	if c.timers.due(timerTimeWait, now) {
		// RFC9293 §3.10.8 TIME-WAIT TIMEOUT: "delete the TCB, enter the CLOSED
		// state, and return."
		c.timers.stop(timerTimeWait)
		c.close(nil)
		return
	}
	if c.timers.due(timerRetransmit, now) {
		c.timers.stop(timerRetransmit)
		c.onRetransmitTimeout(now)
		if c.state == StateClosed {
			return
		}
	}
	if c.timers.due(timerPersist, now) {
		c.timers.stop(timerPersist)
		c.probeDue = true
	}
	if c.timers.due(timerDelayedACK, now) {
		// RFC9293 §3.8.6.3: the delay ends; the ACK goes out now (MUST-40).
		c.timers.stop(timerDelayedACK)
		c.ackNow = true
	}
	if c.timers.due(timerSWS, now) {
		// RFC9293 §3.8.6.2.1 (4): "data is PUSHed and the override timeout
		// occurs": send what the window allows.
		c.timers.stop(timerSWS)
		c.swsOverride = true
	}
	if c.timers.due(timerKeepalive, now) {
		c.timers.stop(timerKeepalive)
		c.onKeepaliveTimeout(now)
	}
}

// timeWait enters TIME-WAIT and (re)starts its 2×MSL timer, turning the other
// timers off (RFC9293 §3.10.7.4 eighth step, MUST-13).
func (c *Conn) timeWait(now time.Time) {
	c.setState(StateTimeWait)
	c.timeWaitAt = now
	c.timers.stopAll()
	c.timers.set(timerTimeWait, now.Add(2*c.cfg.MSL))
}

// onKeepaliveTimeout sends a keep-alive probe or gives up (RFC9293 §3.8.4,
// RFC1122 §4.2.3.6).
func (c *Conn) onKeepaliveTimeout(now time.Time) {
	if !c.cfg.KeepAlive || !(c.state == StateEstablished || c.state == StateCloseWait || c.state == StateFinWait2) {
		return
	}
	// Keep-alives are sent only when the connection is idle: nothing
	// unacknowledged and nothing queued (RFC9293 MUST-26). Otherwise the
	// retransmission timer watches the peer, and the idle timer restarts.
	if c.sndUna != c.sndMax || c.unsentBytes() > 0 {
		c.armKeepalive(now)
		return
	}
	// "an ACK segment that contains no data is not reliably transmitted", so
	// one lost probe must not kill the connection (MUST-29): give up only after
	// KeepCnt probes went unanswered.
	if c.keepProbes >= c.cfg.KeepCnt {
		c.close(errTimedOut)
		return
	}
	c.keepProbes++
	c.keepaliveDue = true
	c.timers.set(timerKeepalive, now.Add(c.cfg.KeepIntvl))
}

// armKeepalive restarts the idle timer after activity.
func (c *Conn) armKeepalive(now time.Time) {
	if !c.cfg.KeepAlive {
		return
	}
	c.keepProbes = 0
	c.timers.set(timerKeepalive, now.Add(c.cfg.KeepIdle))
}

// onRetransmitTimeout handles the expiry of the retransmission timer
// (RFC9293 §3.10.8 RETRANSMISSION TIMEOUT, RFC6298 §5 (5.4)–(5.6)), including
// the connection failure thresholds R1 and R2 (RFC9293 §3.8.3, MUST-20).
func (c *Conn) onRetransmitTimeout(now time.Time) {
	switch c.state {
	case StateSynSent, StateSynReceived:
		// "SYN retransmissions MUST be handled in the general way just
		// described for data retransmissions" (MUST-22), with R2 "at least
		// ... 3 minutes" (MUST-23), counted from the first SYN; an
		// application's user timeout replaces it (see SetUserTimeout).
		// R2SYN bounds how long the SYN is retransmitted: the attempt ends
		// at the first expiry after a retransmission sent R2SYN or more
		// after the first SYN, so that one is sent at or past the 3 minutes
		// even when the backed-off RTO straddles them. A user timeout ends
		// the attempt at its expiry, as Linux's TCP_USER_TIMEOUT does.
		if c.userTimeout != 0 {
			if c.userTimeout > 0 && now.Sub(c.synSentAt) >= c.userTimeout {
				c.close(errTimedOut)
				return
			}
		} else if c.cfg.R2SYN > 0 && c.synLastAt.Sub(c.synSentAt) >= c.cfg.R2SYN {
			c.close(errTimedOut)
			return
		}
		c.noteRetransmit()
		c.synRexmitted = true
		c.rtt.backOff()
		c.synDue = true
		return
	}
	if c.sndUna == c.sndMax {
		return // nothing outstanding
	}
	// R2: "When the number of transmissions of the same segment reaches a
	// threshold R2 greater than R1, close the connection." Measured in time
	// from the first retransmission; an ACK (even one announcing a zero
	// window) resets it.
	if c.firstRexmit.IsZero() {
		c.firstRexmit = now
	} else if c.cfg.R2 > 0 && now.Sub(c.firstRexmit) >= c.cfg.R2 {
		c.close(errTimedOut)
		return
	}
	c.noteRetransmit()
	c.rtt.backOff() // RFC6298 (5.5)
	c.rexmitTS, c.rexmitTSValid = c.tsNow(now), true
	if e := c.log.Debug(); e.Enabled() {
		e.Uint32("seq", uint32(c.sndUna)).Int("retransmits", c.retransmits).Dur("rto", c.rtt.rto()).Msg("tcp: retransmission timeout")
	}
	if c.sndWnd == 0 {
		// The peer's window is closed: this is a window probe, not a loss
		// (RFC9293 §3.8.6.1); the congestion state stays.
		c.probeDue = true
		return
	}
	// RFC5681 §3.1 (4) and RFC6582/RFC6675: collapse the window, remember
	// the recovery point, forget SACK information (RFC2018 §8).
	c.cc.onTimeout(int(c.sndUna.Size(c.sndNxt)), c.sndMax, c.retransmits == 1)
	c.sackRecv = false
	c.sb.reset()
	c.sb.highRxt = c.sndUna
	c.fastRexmit = false
	// RFC6298 (5.4): "Retransmit the earliest segment that has not been
	// acknowledged by the TCP receiver." The rest follows in slow start from
	// SND.UNA (go-back-N); SND.MAX keeps what was sent for ACK checks. (5.6)
	// restarts the timer when that segment goes out.
	c.sndNxt = c.sndUna
}

// noteRetransmit counts a retransmission timeout and reports R1 (RFC9293
// §3.8.3 (b): "When the number of transmissions of the same segment reaches or
// exceeds threshold R1, pass negative advice ... to the IP layer").
func (c *Conn) noteRetransmit() {
	c.retransmits++
	if c.retransmits == c.cfg.R1 {
		c.events |= EventNegativeAdvice
	}
}
