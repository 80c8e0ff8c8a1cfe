// The three-way handshake: option negotiation, SYN and SYN-ACK, and segment
// arrival in SYN-SENT.
//
// Read before editing: RFC9293 §3.5 (establishing a connection, Figure 8
// simultaneous open, MUST-10), §3.10.7.3 (SYN-SENT STATE arrival), §3.7.1
// (MSS, MUST-14..16), RFC7323 §2.2–§2.3 (window scale negotiation; SYN windows
// are never scaled), §3.2 (timestamps negotiation), RFC2018 §2 (SACK-Permitted
// only on SYNs), RFC6298 (5.7) (RTO of 3 s after a lost SYN), RFC5961 §3.2 (RST
// in SYN-SENT).

package tcp

import "time"

// synWindow is the window in our SYN or SYN-ACK: never scaled (RFC7323 §2.2
// "The window field in a segment where the SYN bit is set ... MUST NOT be
// scaled"), so at most 65535.
func (c *Conn) synWindow() uint16 { return uint16(min(c.cfg.RecvBuffer, 65535)) }

// negotiate records the peer's SYN options. For an active open our SYN offered
// every enabled option; for a passive open the SYN-ACK will carry only what
// the peer offered, so the rule is the same: an option is in use when we
// enable it and the peer's SYN carries it.
func (c *Conn) negotiate(o *Options) {
	c.wsOK = !c.cfg.DisableWindowScale && o.HasWScale
	if c.wsOK {
		// RFC7323 §2.3: a shift above 14 is logged and 14 used instead.
		c.sndWScale = min(o.WScale, maxWScale)
		if o.WScale > maxWScale {
			c.log.Debug().Uint8("wscale", o.WScale).Msg("tcp: window scale above 14, using 14")
		}
	} else {
		// RFC7323 §2.2: scaling is used only when both sides sent the
		// option; otherwise both shifts are zero.
		c.sndWScale, c.rcvWScale = 0, 0
	}
	c.sackOK = !c.cfg.DisableSACK && o.SACKPermitted
	c.tsOK = !c.cfg.DisableTimestamps && o.HasTimestamps

	// RFC9293 §3.7.1: "If an MSS Option is not received at connection setup,
	// TCP implementations MUST assume a default send MSS of 536 (576 - 40) for
	// IPv4 or 1220 (1280 - 60) for IPv6 (MUST-15)." A zero MSS is taken as
	// absent (like Linux); tiny values are raised to minMSS.
	peer := defaultSendMSS(c.remote.Addr())
	if o.HasMSS && o.MSS != 0 {
		peer = max(int(o.MSS), minMSS)
	}
	// MUST-16: the effective send MSS is the smaller of the send MSS and what
	// our side can send (cfg.MSS), less the options carried in every segment
	// ("TCPhdrsize ... the fixed TCP header and any options").
	c.sndMSS = min(peer, c.cfg.MSS)
	if c.tsOK {
		c.sndMSS -= 12
	}
	// "- IPoptionsize" (RFC9293 §3.7.1, RFC1122 §4.2.2.6).
	c.sndMSS = max(c.sndMSS-c.ipOptLen, 1)
	c.cc.setSMSS(c.sndMSS)
}

// rcvMSS is RMSS: the largest payload the peer may send us, used to tell
// full-sized segments apart (RFC9293 §3.8.6.3, RFC5681 §4.2).
func (c *Conn) rcvMSS() int {
	if c.tsOK {
		return c.cfg.MSS - 12
	}
	return c.cfg.MSS
}

// sendSYN emits our SYN (active open) or SYN-ACK (passive or simultaneous
// open), with sequence number ISS.
func (c *Conn) sendSYN(now time.Time, emit func(Segment)) {
	seg := Segment{
		SrcPort: c.local.Port(),
		DstPort: c.remote.Port(),
		Seq:     c.iss,
		Flags:   FlagSYN,
		Window:  c.synWindow(),
	}
	// RFC9293 MUST-14: send the MSS option; MUST-65: only on SYNs.
	seg.Options.HasMSS, seg.Options.MSS = true, uint16(c.cfg.MSS)
	if c.state == StateSynSent {
		// Active open: offer every enabled option.
		seg.Options.HasWScale, seg.Options.WScale = !c.cfg.DisableWindowScale, c.rcvWScale
		seg.Options.SACKPermitted = !c.cfg.DisableSACK
		if !c.cfg.DisableTimestamps {
			// RFC7323 §3.2: TSecr is zero in an initial SYN.
			seg.Options.HasTimestamps, seg.Options.TSVal = true, c.tsNow(now)
		}
	} else {
		// SYN-ACK: answer only the options the peer's SYN carried
		// (RFC7323 §2.2, §3.2; RFC2018 §2).
		seg.Flags |= FlagACK
		seg.Ack = c.rcvNxt
		seg.Options.HasWScale, seg.Options.WScale = c.wsOK, c.rcvWScale
		seg.Options.SACKPermitted = c.sackOK
		if c.tsOK {
			seg.Options.HasTimestamps = true
			seg.Options.TSVal, seg.Options.TSEcr = c.tsNow(now), c.tsRecent
		}
		c.rcvAdv = maxSeq(c.rcvAdv, c.rcvNxt.Add(Size(seg.Window)))
		c.lastAckSent = c.rcvNxt
		c.ackNow = false
	}
	if c.synRexmitted {
		c.totalRetrans++
	}
	c.synLastAt = now
	c.synDue = false
	c.sndNxt = c.iss.Add(1)
	c.sndMax = maxSeq(c.sndMax, c.sndNxt)
	if !c.synRexmitted {
		c.rtt.startTiming(c.sndNxt, now)
	}
	if !c.timers.running(timerRetransmit) {
		c.timers.set(timerRetransmit, c.synRexmitDeadline(now, c.rtt.rto())) // RFC6298 (5.1)
	}
	c.trace("tcp out", &seg)
	emit(seg)
}

// inputSynSent processes a segment arriving in SYN-SENT (RFC9293 §3.10.7.3).
func (c *Conn) inputSynSent(seg Segment, now time.Time) {
	ackOK := false
	// "First, check the ACK bit".
	if seg.Flags&FlagACK != 0 {
		// "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless the
		// RST bit is set, if so drop the segment and return)
		// <SEQ=SEG.ACK><CTL=RST> and discard the segment. Return."
		if seg.Ack.LessThanEq(c.iss) || seg.Ack.GreaterThan(c.sndMax) {
			if seg.Flags&FlagRST == 0 {
				c.queueCtl(resetReply(seg))
			}
			return
		}
		// "If SND.UNA < SEG.ACK =< SND.NXT, then the ACK is acceptable."
		ackOK = c.sndUna.LessThan(seg.Ack)
	}
	// "Second, check the RST bit". RFC5961 §3.2 as adopted by RFC9293: "In
	// the SYN-SENT state (a RST received in response to an initial SYN), the
	// RST is acceptable if the ACK field acknowledges the SYN."
	if seg.Flags&FlagRST != 0 {
		if ackOK {
			// "signal to the user 'error: connection reset', drop the segment,
			// enter CLOSED state, delete TCB, and return."
			c.close(errRefused)
		}
		// "Otherwise (no ACK), drop the segment and return."
		return
	}
	// "Third, check the security": no IP security compartments are used
	// (RFC9293 Appendix A.1.2: ignorable for non-MLS implementations).

	// "Fourth, check the SYN bit": only if the ACK is acceptable or absent,
	// which the first step ensured.
	if seg.Flags&FlagSYN == 0 {
		// "Fifth, if neither of the SYN or RST bits is set, then drop the
		// segment and return."
		return
	}
	c.irs = seg.Seq
	c.rcvNxt = seg.Seq.Add(1)
	c.rcvAdv = c.rcvNxt.Add(Size(c.synWindow()))
	c.lastAckSent = c.rcvNxt
	c.negotiate(&seg.Options)
	if c.tsOK {
		c.tsRecent, c.tsRecentAt = seg.Options.TSVal, now
	}
	// The window of a SYN is not scaled (RFC7323 §2.2).
	c.sndWnd = uint32(seg.Window)
	c.maxSndWnd = c.sndWnd
	c.sndWl1, c.sndWl2 = seg.Seq, seg.Ack
	if ackOK {
		// "SND.UNA should be advanced to equal SEG.ACK (if there is an ACK),
		// and any segments on the retransmission queue that are thereby
		// acknowledged should be removed."
		c.sndUna = seg.Ack
		c.handshakeRTT(&seg, now)
		c.timers.stop(timerRetransmit)
		c.retransmits = 0
		// "If SND.UNA > ISS (our SYN has been ACKed), change the connection
		// state to ESTABLISHED, form an ACK segment
		// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it."
		c.setState(StateEstablished)
		c.armKeepalive(now)
		c.ackNow = true
		if c.finQueued {
			c.setState(StateFinWait1)
		}
		// "If there are other controls or text in the segment, then continue
		// processing at the sixth step ... where the URG bit is checked".
		if len(seg.Payload) > 0 || seg.Flags&(FlagFIN|FlagURG) != 0 {
			orig := seg.Seq
			seg.Seq = seg.Seq.Add(1)
			seg.Flags &^= FlagSYN
			seg = c.trimToWindow(seg, false)
			c.inputText(orig.Add(1), seg, now)
		}
		return
	}
	// "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment
	// <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send it." This is the
	// simultaneous open of RFC9293 §3.5 Figure 8 (MUST-10). Text in the SYN
	// is dropped rather than queued (it is not acknowledged, so the peer sends
	// it again).
	c.setState(StateSynReceived)
	c.synDue = true
	c.timers.stop(timerRetransmit)
}

// handshakeRTT takes the RTT sample of the handshake and applies
// RFC6298 (5.7).
func (c *Conn) handshakeRTT(seg *Segment, now time.Time) {
	if c.tsOK && seg.Options.HasTimestamps && seg.Options.TSEcr != 0 {
		c.tsSample(seg.Options.TSEcr, now)
	} else {
		// Karn's rule (RFC9293 MUST-18): no sample once the SYN was
		// retransmitted; startTiming was skipped then.
		c.rtt.ackedUpTo(c.sndUna, now)
	}
	// RFC6298 (5.7): "If the timer expires awaiting the ACK of a SYN segment
	// and the TCP implementation is using an RTO less than 3 seconds, the RTO
	// MUST be re-initialized to 3 seconds when data transmission begins".
	if c.synRexmitted && !c.rtt.hasSample {
		c.rtt.base = max(c.rtt.base, 3*time.Second)
		c.rtt.backoff = 0
	}
}

// tsSample takes an RTT sample from an echoed timestamp (RFC7323 §4.1).
func (c *Conn) tsSample(ecr uint32, now time.Time) {
	d := int32(c.tsNow(now) - ecr)
	if d >= 0 {
		c.rtt.sample(time.Duration(d) * time.Millisecond)
	}
}
