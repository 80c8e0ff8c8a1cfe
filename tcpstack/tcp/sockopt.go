package tcp

import "time"

// Socket options that the application may change on an open connection.
// Each takes effect from the next Output.

// SetNoDelay turns the Nagle algorithm off (true) or on (RFC9293 MUST-17:
// "there MUST be a way for an application to disable the Nagle algorithm on
// an individual connection").
func (c *Conn) SetNoDelay(on bool) { c.cfg.NoDelay = on }

// SetKeepAlive turns keep-alive probes on or off (RFC9293 MUST-24) and, for
// values above zero, sets the idle time before the first probe, the interval
// between probes and the count of unanswered probes that ends the
// connection.
func (c *Conn) SetKeepAlive(on bool, idle, intvl time.Duration, cnt int, now time.Time) {
	c.cfg.KeepAlive = on
	if idle > 0 {
		c.cfg.KeepIdle = idle
	}
	if intvl > 0 {
		c.cfg.KeepIntvl = intvl
	}
	if cnt > 0 {
		c.cfg.KeepCnt = cnt
	}
	if !on {
		c.timers.stop(timerKeepalive)
		c.keepProbes = 0
		return
	}
	switch c.state {
	case StateEstablished, StateCloseWait, StateFinWait2:
		c.armKeepalive(now)
	}
}

// SetUserTimeout sets R2, how long data may stay unacknowledged before the
// connection is closed with ETIMEDOUT (RFC9293 MUST-21: "An application MUST
// be able to set the value for R2 for a particular connection"; Linux's
// TCP_USER_TIMEOUT). Zero restores the default; negative means never.
//
// A user timeout also bounds the connection attempt: set before the
// handshake completes (in SYN-SENT or SYN-RECEIVED), it replaces R2SYN, and
// the retransmission timer is clamped so that the attempt fails with
// ETIMEDOUT when it expires, not at the next backed-off retransmission.
// Grounds: the user timeout is RFC 793's OPEN timeout (RFC 5482 §1), given
// at OPEN for "all data submitted"; RFC9293 MUST-22 has SYN retransmissions
// "handled in the general way just described for data retransmissions", and
// MUST-23 lets the application "give up on the open attempt" before R2SYN's
// 3 minutes. Linux's TCP_USER_TIMEOUT bounds SYN-SENT the same way. Zero
// returns the attempt to R2SYN.
func (c *Conn) SetUserTimeout(d time.Duration) {
	c.userTimeout = d
	if d == 0 {
		d = DefaultR2
	}
	c.cfg.R2 = d
	if (c.state == StateSynSent || c.state == StateSynReceived) && c.timers.running(timerRetransmit) && c.userTimeout > 0 {
		if end := c.synSentAt.Add(c.userTimeout); end.Before(c.timers.at[timerRetransmit]) {
			c.timers.set(timerRetransmit, end)
		}
	}
}

// synRexmitDeadline is when the retransmission timer of a SYN or SYN-ACK
// armed at now for rto fires: at now+rto, but no later than the user
// timeout's expiry (as Linux's tcp_clamp_rto_to_user_timeout), so that the
// attempt is given up on time.
func (c *Conn) synRexmitDeadline(now time.Time, rto time.Duration) time.Time {
	at := now.Add(rto)
	if c.userTimeout > 0 {
		if end := c.synSentAt.Add(c.userTimeout); end.Before(at) {
			at = maxTime(end, now)
		}
	}
	return at
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// SetPathMTU lowers the send MSS to fit a path MTU learned from an ICMP
// "fragmentation needed" message (RFC1191 §6.3, RFC1122 §4.2.3.9): the MSS
// becomes mtu - 40, less the timestamp option when in use, and at least 88
// bytes. It never raises the MSS. It reports whether the MSS changed.
func (c *Conn) SetPathMTU(mtu int) bool {
	mss := mtu - 40 - c.ipOptLen // IP options too (RFC9293 §3.7.1)
	if c.tsOK {
		mss -= 12
	}
	if mss < 88 {
		mss = 88 // RFC1191 §3: a plateau of 68 leaves room for little else
	}
	if mss >= c.sndMSS {
		return false
	}
	c.sndMSS = mss
	c.cc.smss = mss // cwnd stays: it is in bytes, not segments
	return true
}

// SetIPOptionsLen tells the engine that every segment of the connection
// goes out with n octets of IP options (a return source route: RFC9293
// MUST-53), so that the effective send MSS leaves room for them: RFC9293
// §3.7.1 (RFC1122 §4.2.2.6), "Eff.snd.MSS = min(SendMSS+20, MMS_S) -
// TCPhdrsize - IPoptionsize". It may be called before or after the
// handshake; a later call replaces the earlier size.
func (c *Conn) SetIPOptionsLen(n int) {
	n = max(n, 0)
	delta := n - c.ipOptLen
	c.ipOptLen = n
	c.sndMSS = max(c.sndMSS-delta, 1)
	c.cc.smss = c.sndMSS
}
