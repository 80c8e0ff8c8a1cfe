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
func (c *Conn) SetUserTimeout(d time.Duration) {
	if d == 0 {
		d = DefaultR2
	}
	c.cfg.R2 = d
}

// SetPathMTU lowers the send MSS to fit a path MTU learned from an ICMP
// "fragmentation needed" message (RFC1191 §6.3, RFC1122 §4.2.3.9): the MSS
// becomes mtu - 40, less the timestamp option when in use, and at least 88
// bytes. It never raises the MSS. It reports whether the MSS changed.
func (c *Conn) SetPathMTU(mtu int) bool {
	mss := mtu - 40
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
