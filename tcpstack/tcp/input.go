// Segment arrival in the synchronized states and SYN-RECEIVED.
//
// Read before editing: RFC9293 §3.10.7.4 (the "otherwise" procedure: first
// sequence check, second RST, third security, fourth SYN, fifth ACK, sixth URG,
// seventh text, eighth FIN — this file follows that order), RFC9293 MUST-58,
// MUST-59, MUST-66, SHLD-31; RFC5961 §3.2 (RST), §4.2 (SYN), §5.2 (ACK), §7
// (throttling); RFC7323 §3.2 (segments without timestamps), §4.3 (TS.Recent),
// §5.3 (PAWS), §5.5 (outdated timestamps); RFC1337 (RST in TIME-WAIT);
// RFC5681 §2, §3.2, §4.2 (duplicate ACKs, generating ACKs); RFC6582 §3.2;
// RFC6675 §5; RFC9293 §3.8.5 (urgent, MUST-30..33, MUST-62); RFC9293 §3.6
// (SHLD-3: data after CLOSE).

package tcp

import (
	"time"
)

// pawsIdle is the age after which TS.Recent is no longer trusted: RFC7323
// §5.5, "If ... the connection has been idle for more than 24 days ... the
// PAWS test is skipped".
const pawsIdle = 24 * 24 * time.Hour

// Input processes one arriving segment at time now. The segment's checksum
// has been verified by the caller (RFC9293 MUST-3) and its ports match the
// connection. Replies are not returned here: call Output next.
func (c *Conn) Input(seg Segment, now time.Time) {
	c.trace("tcp in", &seg)
	state := c.state
	c.outputDue = false
	defer func() {
		if c.state != state {
			c.outputDue = true
		}
	}()
	switch c.state {
	case StateClosed:
		// RFC9293 §3.10.7.1: a segment for a connection that does not exist
		// is answered with a reset.
		if r, ok := ResetFor(seg); ok {
			c.queueCtl(r)
		}
	case StateListen:
		// A passive connection that returned to LISTEN is dead; its Listener
		// handles new SYNs.
	case StateSynSent:
		c.inputSynSent(seg, now)
	default:
		c.inputSynchronized(seg, now)
	}
}

// inputSynchronized is RFC9293 §3.10.7.4 for SYN-RECEIVED and the
// synchronized states.
func (c *Conn) inputSynchronized(seg Segment, now time.Time) {
	rst := seg.Flags&FlagRST != 0
	syn := seg.Flags&FlagSYN != 0
	if syn && !rst && c.simultaneousSynAck(&seg) {
		syn = false
	}
	origSeq := seg.Seq

	if c.tsOK && !rst {
		// RFC7323 §3.2: "If a non-<RST> segment is received without a TSopt, a
		// TCP SHOULD silently drop the segment."
		if !seg.Options.HasTimestamps {
			c.log.Debug().Msg("tcp: drop segment without timestamps")
			return
		}
		// RFC7323 §5.3 R1 (PAWS): "If there is a Timestamps option in the
		// arriving segment, SEG.TSval < TS.Recent, TS.Recent is valid ..., and
		// if the RST bit is not set, then treat the arriving segment as not
		// acceptable: Send an acknowledgment in reply ... and drop the
		// segment."
		if c.tsRecentValid(now) && int32(seg.Options.TSVal-c.tsRecent) < 0 {
			c.log.Debug().Uint32("tsval", seg.Options.TSVal).Uint32("ts_recent", c.tsRecent).Msg("tcp: PAWS drop")
			c.answerUnacceptable(&seg, now)
			return
		}
	}

	// First, check sequence number (RFC9293 §3.10.7.4, the four cases).
	wnd := c.rcvWnd()
	zeroWindow := false
	if !acceptable(seg.Seq, seg.Len(), c.rcvNxt, wnd) {
		// "If the RCV.WND is zero, no segments will be acceptable, but
		// special allowance should be made to accept valid ACKs, URGs, and
		// RSTs" (MUST-66): a segment at RCV.NXT is processed for those, its
		// text dropped.
		if wnd == 0 && seg.Seq == c.rcvNxt {
			zeroWindow = true
		} else {
			// "If an incoming segment is not acceptable, an acknowledgment
			// should be sent in reply (unless the RST bit is set, if so drop
			// the segment and return)".
			if rst {
				return
			}
			if c.state == StateTimeWait && seg.Flags&FlagFIN != 0 {
				// TIME-WAIT: "The only thing that can arrive in this state is
				// a retransmission of the remote FIN. Acknowledge it, and
				// restart the 2 MSL timeout." (RFC9293 §3.10.7.4 fifth step)
				c.timers.set(timerTimeWait, now.Add(2*c.cfg.MSL))
			}
			c.answerUnacceptable(&seg, now)
			return
		}
	}
	// RFC7323 §4.3 (R3 of §5.3): "If SEG.TSval >= TS.Recent and SEG.SEQ <=
	// Last.ACK.sent then SEG.TSval is copied to TS.Recent".
	if c.tsOK && seg.Options.HasTimestamps {
		if (!c.tsRecentValid(now) || int32(seg.Options.TSVal-c.tsRecent) >= 0) && seg.Seq.LessThanEq(c.lastAckSent) {
			c.tsRecent, c.tsRecentAt = seg.Options.TSVal, now
		}
	}
	// The peer is alive: restart the keep-alive idle time (RFC9293 §3.8.4).
	c.armKeepalive(now)

	// "Segments are processed in sequence ... If a segment's contents
	// straddle the boundary between old and new, only the new parts are
	// processed." Trim to the window ("including SYN and FIN").
	seg = c.trimToWindow(seg, zeroWindow)

	// Second, check the RST bit.
	if rst {
		c.inputRST(origSeq, now)
		return
	}
	// Third, check security: no IP security compartments are used
	// (RFC9293 Appendix A.1.2: ignorable for non-MLS implementations).

	// Fourth, check the SYN bit.
	if syn {
		c.inputSYN(now)
		return
	}
	// Fifth, check the ACK field: "if the ACK bit is off, drop the segment
	// and return".
	if seg.Flags&FlagACK == 0 {
		return
	}
	if !c.inputACK(&seg, now) {
		return
	}
	// Sixth to eighth: URG, text, FIN.
	c.inputText(origSeq, seg, now)
	if zeroWindow {
		// The text was refused for lack of window: tell the peer where the
		// window stands.
		c.ackNow = true
	}
}

// simultaneousSynAck recognizes, in the SYN-RECEIVED state of a simultaneous
// open, the peer's SYN-ACK: RFC9293 §3.5 Figure 8 line 6, where
// <SEQ=300><ACK=101><CTL=SYN,ACK> takes SYN-RECEIVED to ESTABLISHED (MUST-10).
// Its SYN repeats the one already received (SEG.SEQ = IRS), so the sequence
// test of §3.10.7.4 would refuse it and the handshake would hang until the
// peer sent a bare ACK, which a peer that already considers itself
// established has no reason to send. Like Linux (tcp_rcv_state_process,
// TCP_SYN_RECV), a SYN-ACK with SEG.SEQ = IRS that acknowledges exactly our
// SYN is taken as its ACK: the SYN is stripped and the segment processed from
// RCV.NXT. Its window is not scaled (RFC7323 §2.2), so it is scaled down here
// to be read with the negotiated shift (the next ACK restores precision).
func (c *Conn) simultaneousSynAck(seg *Segment) bool {
	if c.state != StateSynReceived || c.passive || seg.Flags&FlagACK == 0 ||
		seg.Seq != c.irs || seg.Ack != c.iss.Add(1) {
		return false
	}
	seg.Flags &^= FlagSYN
	seg.Seq = seg.Seq.Add(1)
	seg.Window >>= c.sndWScale
	return true
}

// acceptable is the RFC9293 §3.10.7.4 sequence test:
//
//	Segment Length  Receive Window  Test
//	0               0               SEG.SEQ = RCV.NXT
//	0               >0              RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//	>0              0               not acceptable
//	>0              >0              RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//	                                or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
func acceptable(seq Value, segLen Size, rcvNxt Value, wnd uint32) bool {
	switch {
	case segLen == 0 && wnd == 0:
		return seq == rcvNxt
	case segLen == 0:
		return seq.InWindow(rcvNxt, Size(wnd))
	case wnd == 0:
		return false
	default:
		return seq.InWindow(rcvNxt, Size(wnd)) || seq.Add(segLen-1).InWindow(rcvNxt, Size(wnd))
	}
}

// tsRecentValid reports whether TS.Recent may be used for PAWS
// (RFC7323 §5.5: not after 24 days without an update).
func (c *Conn) tsRecentValid(now time.Time) bool {
	return now.Sub(c.tsRecentAt) <= pawsIdle
}

// ackUnacceptable answers an unacceptable segment with
// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. In SYN-RECEIVED our SYN is not yet
// acknowledged, so the SYN-ACK is repeated instead (as Linux does): a peer in
// SYN-SENT ignores a bare ACK, and its repeated SYN means our SYN-ACK was lost.
func (c *Conn) ackUnacceptable() {
	if c.state == StateSynReceived {
		c.synDue = true
		return
	}
	c.ackNow = true
}

// answerUnacceptable acknowledges an unacceptable segment (RFC9293
// §3.10.7.4 first step, RFC7323 §5.3 R1). A segment without data, SYN or
// FIN (a bare ACK) is answered within the challenge ACKs' limit of RFC5961
// §7: a flood of ACKs at random sequence numbers would otherwise draw one
// ACK each, and two endpoints that disagree about the sequence space would
// ACK each other forever (Linux limits these the same way,
// tcp_oow_rate_limited). Segments with data are always answered: their
// sender needs the ACK to stop retransmitting.
func (c *Conn) answerUnacceptable(seg *Segment, now time.Time) {
	if len(seg.Payload) == 0 && seg.Flags&(FlagSYN|FlagFIN) == 0 {
		c.challengeACK(now)
		return
	}
	c.ackUnacceptable()
}

// challengeACK sends the challenge ACK of RFC5961 (§3.2 for RST, §4.2 for SYN,
// §5.2 for ACK), <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, within the rate limit
// of RFC5961 §7 ("An implementation SHOULD include an ACK throttling
// mechanism").
func (c *Conn) challengeACK(now time.Time) {
	if lim := c.cfg.ChallengeACKLimit; lim > 0 {
		if c.challengeFrom.IsZero() || now.Sub(c.challengeFrom) >= time.Second {
			c.challengeFrom, c.challengeN = now, 0
		}
		if c.challengeN >= lim {
			c.log.Debug().Msg("tcp: challenge ACK throttled")
			return
		}
		c.challengeN++
	}
	c.ackUnacceptable()
}

// trimToWindow cuts off the parts of seg before RCV.NXT and after the right
// edge of the window, dropping SYN and FIN when they fall outside
// (RFC9293 §3.10.7.4 first step, last paragraph). With zeroWindow the text and
// FIN are dropped altogether.
func (c *Conn) trimToWindow(seg Segment, zeroWindow bool) Segment {
	if seg.Seq.LessThan(c.rcvNxt) {
		d := int(seg.Seq.Size(c.rcvNxt))
		if seg.Flags&FlagSYN != 0 {
			seg.Flags &^= FlagSYN
			d--
		}
		if d >= len(seg.Payload) {
			if d > len(seg.Payload) {
				seg.Flags &^= FlagFIN // an old FIN
			}
			seg.Payload = nil
		} else {
			seg.Payload = seg.Payload[d:]
		}
		seg.Seq = c.rcvNxt
	}
	if zeroWindow {
		seg.Payload = nil
		seg.Flags &^= FlagFIN
		return seg
	}
	end := c.rcvNxt.Add(Size(c.rcvWnd()))
	if seg.Flags&FlagSYN != 0 {
		return seg // handled (and dropped) by the SYN step
	}
	if room := int(seg.Seq.Size(end)); len(seg.Payload) >= room {
		seg.Payload = seg.Payload[:room]
		seg.Flags &^= FlagFIN // the FIN lies beyond the window
	}
	return seg
}

// inputRST is the second step of RFC9293 §3.10.7.4.
func (c *Conn) inputRST(seq Value, now time.Time) {
	// RFC5961 §3.2, in RFC9293 §3.10.7.4: "1) If the RST bit is set and the
	// sequence number is outside the current receive window, silently drop
	// the segment" (done by the sequence check). "2) If the RST bit is set and
	// the sequence number exactly matches the next expected sequence number
	// (RCV.NXT), then TCP endpoints MUST reset the connection". "3) If the RST
	// bit is set and the sequence number does not exactly match the next
	// expected sequence value, yet is within the current receive window, TCP
	// endpoints MUST send an acknowledgment (challenge ACK)".
	if !c.cfg.DisableRFC5961 && seq != c.rcvNxt {
		c.challengeACK(now)
		return
	}
	switch c.state {
	case StateSynReceived:
		if c.passive {
			// "If this connection was initiated with a passive OPEN (i.e.,
			// came from the LISTEN state), then return this connection to
			// LISTEN state and return. The user need not be informed."
			c.returnToListen()
			return
		}
		// "If this connection was initiated with an active OPEN (i.e., came
		// from SYN-SENT state), then the connection was refused; signal the
		// user 'connection refused'."
		c.close(errRefused)
	case StateEstablished, StateFinWait1, StateFinWait2, StateCloseWait:
		// "any outstanding RECEIVEs and SEND should receive 'reset'
		// responses. All segment queues should be flushed. Users should also
		// receive an unsolicited general 'connection reset' signal. Enter the
		// CLOSED state, delete the TCB, and return."
		c.close(errReset)
	case StateClosing, StateLastAck:
		// "If the RST bit is set, then enter the CLOSED state, delete the
		// TCB, and return."
		c.close(nil)
	case StateTimeWait:
		// RFC1337 §3 (fix F1): ignore RST segments in TIME-WAIT, so an old
		// duplicate RST cannot cut TIME-WAIT short ("TIME-WAIT
		// assassination"). RFC9293 §3.10.7.4 would close; Linux does the same
		// as here with net.ipv4.tcp_rfc1337=1, gVisor always.
	}
}

// returnToListen sends a passive connection back to LISTEN after a reset in
// SYN-RECEIVED (RFC9293 §3.10.7.4, MUST-11): "the retransmission queue should
// be flushed". The Conn is finished; its Listener keeps listening.
func (c *Conn) returnToListen() {
	c.timers.stopAll()
	c.sndBuf.Reset()
	c.rcvBuf.Reset()
	c.synDue, c.ackNow = false, false
	c.setState(StateListen)
}

// inputSYN is the fourth step of RFC9293 §3.10.7.4: a SYN in SYN-RECEIVED or
// a synchronized state.
func (c *Conn) inputSYN(now time.Time) {
	if c.state == StateSynReceived && c.passive {
		// "If the connection was initiated with a passive OPEN, then return
		// this connection to the LISTEN state and return."
		c.returnToListen()
		return
	}
	if c.cfg.DisableRFC5961 {
		// "For implementations that do not follow RFC 5961, the original
		// behavior described in RFC 793 follows in this paragraph. If the SYN
		// is in the window it is an error: send a reset, ... enter the CLOSED
		// state, delete the TCB, and return."
		c.queueCtl(c.makeReset(c.sndMax))
		c.close(errReset)
		return
	}
	// RFC5961 §4.2: "if the SYN bit is set, irrespective of the sequence
	// number, TCP endpoints MUST send a 'challenge ACK' to the remote peer
	// ... After sending the acknowledgment, TCP implementations MUST drop the
	// unacceptable segment and stop processing further."
	c.challengeACK(now)
}

// inputACK is the fifth step of RFC9293 §3.10.7.4. It reports whether
// processing goes on with URG, text and FIN.
func (c *Conn) inputACK(seg *Segment, now time.Time) bool {
	ack := seg.Ack
	if c.state == StateSynReceived {
		// "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state and
		// continue processing with the variables below set to: SND.WND <-
		// SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK. If the segment
		// acknowledgment is not acceptable, form a reset segment
		// <SEQ=SEG.ACK><CTL=RST> and send it."
		if !(c.sndUna.LessThan(ack) && ack.LessThanEq(c.sndMax)) {
			c.queueCtl(c.makeReset(ack))
			return false
		}
		c.establish(seg, now)
	}
	if !c.cfg.DisableRFC5961 {
		// RFC5961 §5.2 (RFC9293 §3.10.7.4 fifth step): "the ACK value is
		// acceptable only if it is in the range of ((SND.UNA - MAX.SND.WND) =<
		// SEG.ACK =< SND.NXT). All incoming segments whose ACK value doesn't
		// satisfy the above condition MUST be discarded and an ACK sent back."
		// SND.MAX stands for SND.NXT, which goes back after a timeout.
		lo := c.sndUna.Sub(Size(c.maxSndWnd))
		if ack.LessThan(lo) || ack.GreaterThan(c.sndMax) {
			c.challengeACK(now)
			return false
		}
	} else if ack.GreaterThan(c.sndMax) {
		// "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then
		// send an ACK, drop the segment, and return."
		c.ackNow = true
		return false
	}
	c.processAck(seg, now)

	switch c.state {
	case StateFinWait1:
		// "In addition to the processing for the ESTABLISHED state, if the
		// FIN segment is now acknowledged, then enter FIN-WAIT-2 and continue
		// processing in that state."
		if c.finAcked() {
			c.setState(StateFinWait2)
			c.events |= EventSendDone
		}
	case StateClosing:
		// "if the ACK acknowledges our FIN, then enter the TIME-WAIT state;
		// otherwise, ignore the segment."
		if !c.finAcked() {
			return false
		}
		c.timeWait(now)
		c.events |= EventSendDone
	case StateLastAck:
		// "The only thing that can arrive in this state is an acknowledgment
		// of our FIN. If our FIN is now acknowledged, delete the TCB, enter
		// the CLOSED state, and return."
		if c.finAcked() {
			c.events |= EventSendDone
			c.close(nil)
		}
		return false
	}
	return true
}

// establish completes a handshake in SYN-RECEIVED (RFC9293 §3.10.7.4 fifth
// step).
func (c *Conn) establish(seg *Segment, now time.Time) {
	c.sndUna = c.iss.Add(1) // our SYN is acknowledged
	c.handshakeRTT(seg, now)
	c.retransmits = 0
	c.firstRexmit = time.Time{}
	c.timers.stop(timerRetransmit)
	c.sndWnd = uint32(seg.Window) << c.sndWScale
	c.maxSndWnd = max(c.maxSndWnd, c.sndWnd)
	c.sndWl1, c.sndWl2 = seg.Seq, seg.Ack
	c.setState(StateEstablished)
	c.armKeepalive(now)
	if c.finQueued {
		// A CLOSE in SYN-RECEIVED was queued "for processing after entering
		// ESTABLISHED state" (RFC9293 §3.10.4).
		c.setState(StateFinWait1)
	}
}

// processAck is the ESTABLISHED processing of an acceptable ACK: advance
// SND.UNA, take RTT samples, drive the retransmission timer, congestion
// control and loss recovery, and update the send window.
func (c *Conn) processAck(seg *Segment, now time.Time) {
	ack := seg.Ack
	wnd := uint32(seg.Window) << c.sndWScale
	oldUna := c.sndUna
	inRange := oldUna.LessThanEq(ack) && ack.LessThanEq(c.sndMax)

	sackGrew := false
	if c.sackOK && len(seg.Options.SACK) > 0 {
		sackGrew = c.sb.update(seg.Options.SACK, maxSeq(c.sndUna, ack), c.sndMax)
	}
	if wnd == 0 {
		// The peer answers while its window is closed: it is alive, so a
		// zero window may last indefinitely (RFC9293 MUST-37).
		c.firstRexmit = time.Time{}
	}
	switch {
	case oldUna.LessThan(ack):
		// "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK. Any
		// segments on the retransmission queue that are thereby entirely
		// acknowledged are removed."
		c.onNewAck(seg, ack, now)
	case ack == oldUna:
		c.onDupAck(seg, wnd, sackGrew, now)
		// "If the ACK is a duplicate (SEG.ACK =< SND.UNA), it can be ignored."
	}
	// "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated. If
	// (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)), set
	// SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and set SND.WL2 <- SEG.ACK."
	if inRange && (c.sndWl1.LessThan(seg.Seq) || (c.sndWl1 == seg.Seq && c.sndWl2.LessThanEq(ack))) {
		c.updateWindow(wnd, seg.Seq, ack)
	}
}

// onNewAck handles an ACK that advances SND.UNA.
func (c *Conn) onNewAck(seg *Segment, ack Value, now time.Time) {
	acked := int(c.sndUna.Size(ack))
	// Drop acknowledged data from the send buffer; the SYN and FIN occupy
	// sequence space but no buffer.
	if c.sndBufSeq.LessThan(ack) {
		n := int(c.sndBufSeq.Size(minSeq(ack, c.dataEnd())))
		c.sndBuf.Discard(n)
		c.sndBufSeq = c.sndBufSeq.Add(Size(n))
		if n > 0 {
			c.events |= EventWritable
		}
	}
	if c.sndUrgent && c.sndUp.LessThanEq(ack) {
		c.sndUrgent = false
	}
	c.sndUna = ack
	if c.sndNxt.LessThan(ack) {
		c.sndNxt = ack
	}
	// RTT: RFC7323 §4.1 RTTM from the echoed timestamp, else the timed
	// segment of RFC6298 with Karn's rule.
	if c.tsOK && seg.Options.HasTimestamps && seg.Options.TSEcr != 0 {
		// After a timeout the peer may echo the timestamp of an earlier copy
		// whose ACK was lost (TS.Recent only moves with in-order segments,
		// RFC7323 §4.3); that sample would span the whole backoff and inflate
		// the RTO. Like Karn's rule (RFC9293 MUST-18), take samples only from
		// echoes of the retransmission or later.
		if !c.rexmitTSValid || int32(seg.Options.TSEcr-c.rexmitTS) >= 0 {
			c.tsSample(seg.Options.TSEcr, now)
		}
	} else {
		c.rtt.ackedUpTo(ack, now)
	}
	if c.rexmitTSValid && !ack.LessThan(c.cc.recover) {
		c.rexmitTSValid = false
	}
	c.retransmits = 0
	c.firstRexmit = time.Time{}
	if c.sndUna == c.sndMax {
		// RFC6298 (5.2): "When all outstanding data has been acknowledged,
		// turn off the retransmission timer."
		c.timers.stop(timerRetransmit)
	} else {
		// RFC6298 (5.3): "When an ACK is received that acknowledges new data,
		// restart the retransmission timer so that it will expire after RTO
		// seconds (for the current value of RTO)."
		c.timers.set(timerRetransmit, now.Add(c.rtt.rto()))
	}
	c.sb.ackedUpTo(ack)

	flight := int(c.sndUna.Size(c.sndMax))
	switch {
	case c.cc.inRecovery && !ack.LessThan(c.cc.recover):
		// Full acknowledgment: recovery ends (RFC6582 §3.2 step 3,
		// RFC6675 §5 (A)).
		if c.sackRecv {
			c.cc.inRecovery, c.cc.dupAcks, c.sackRecv = false, 0, false
			c.cc.cwnd = c.cc.ssthresh
		} else {
			c.cc.exitRecovery(flight)
		}
	case c.cc.inRecovery:
		// Partial acknowledgment. NewReno (RFC6582 §3.2 step 5): retransmit
		// the first unacknowledged segment and deflate cwnd. SACK recovery
		// (RFC6675 §5 (B)/(C)) lets NextSeg pick what to send.
		if !c.sackRecv {
			c.cc.newRenoPartialAck(acked)
			c.fastRexmit = true
		}
	default:
		c.cc.dupAcks = 0
		c.cc.onNewAck(acked)
	}
}

// onDupAck counts duplicate ACKs and enters loss recovery on the third
// (RFC5681 §3.2) or, with SACK, when RFC6675 §5 says so.
func (c *Conn) onDupAck(seg *Segment, wnd uint32, sackGrew bool, now time.Time) {
	if c.sndUna == c.sndMax || wnd == 0 {
		// Nothing outstanding, or the peer answers a zero-window probe:
		// not a sign of loss.
		return
	}
	var dup bool
	if c.sackRecv || c.sackOK && sackGrew {
		// RFC6675 §2: a DupAck "carries a SACK block that identifies
		// previously unacknowledged and un-SACKed octets".
		dup = sackGrew
	} else {
		// RFC5681 §2: "(a) the receiver of the ACK has outstanding data, (b)
		// the incoming acknowledgment carries no data, (c) the SYN and FIN
		// bits are both off, (d) the acknowledgment number is equal to the
		// greatest acknowledgment received on the given connection (SND.UNA)
		// and (e) the advertised window in the incoming acknowledgment equals
		// the advertised window in the last incoming acknowledgment."
		dup = len(seg.Payload) == 0 && seg.Flags&(FlagSYN|FlagFIN) == 0 && wnd == c.sndWnd
	}
	if !dup {
		return
	}
	c.cc.dupAcks++
	if c.cc.inRecovery {
		if !c.sackRecv {
			// RFC5681 §3.2 step 4: "For each additional duplicate ACK
			// received (after the third), cwnd MUST be incremented by SMSS."
			c.cc.cwnd += c.cc.smss
		}
		return
	}
	enter := c.cc.dupAcks >= dupThresh
	if c.sackOK && !enter {
		// RFC6675 §5 (2): "If DupAcks < DupThresh but IsLost (HighACK + 1)
		// returns true ... go to step (4)".
		enter = c.sb.isLost(c.sndUna, c.sndUna, c.sndMSS)
	}
	if !enter {
		return
	}
	// RFC6582 §3.2 step 2: "If the Cumulative Acknowledgment field didn't
	// cover more than recover, then do not enter fast retransmit"; RFC6675
	// §5.1: no new recovery "until HighACK is greater than or equal to the new
	// value of RecoveryPoint".
	if c.sndUna.LessThan(c.cc.recover) {
		return
	}
	flight := int(c.sndUna.Size(c.sndMax))
	if c.sackOK {
		// RFC6675 §5 (4.1)–(4.3): RecoveryPoint = HighData, ssthresh = cwnd
		// = FlightSize/2, retransmit the first segment.
		c.cc.enterRecovery(flight, c.sndMax, false)
		c.sackRecv = true
		c.sb.highRxt = c.sndUna
	} else {
		// RFC5681 §3.2 steps 2–3 with RFC6582 recover.
		c.cc.enterRecovery(flight, c.sndMax, true)
	}
	c.fastRexmit = true
	c.log.Debug().Uint32("seq", uint32(c.sndUna)).Msg("tcp: fast retransmit")
}

// updateWindow records a new send window and reacts to a zero window opening.
func (c *Conn) updateWindow(wnd uint32, seq, ack Value) {
	wasZero := c.sndWnd == 0
	c.sndWnd, c.sndWl1, c.sndWl2 = wnd, seq, ack
	c.maxSndWnd = max(c.maxSndWnd, wnd)
	if wasZero && wnd > 0 {
		// The window opened: stop probing, and send again whatever the
		// probes put in flight that the peer may have refused.
		c.timers.stop(timerPersist)
		c.probeDue = false
		if c.sndNxt != c.sndUna {
			c.sndNxt = c.sndUna
			c.rtt.timing = false
		}
	}
}

// inputText is the sixth to eighth steps of RFC9293 §3.10.7.4 for a segment
// already trimmed to the window; origSeq is its sequence number before
// trimming, from which the urgent pointer counts.
func (c *Conn) inputText(origSeq Value, seg Segment, now time.Time) {
	receiving := c.state == StateEstablished || c.state == StateFinWait1 || c.state == StateFinWait2
	// Sixth, check the URG bit: "If the URG bit is set, RCV.UP <-
	// max(RCV.UP,SEG.UP), and signal the user that the remote side has urgent
	// data if the urgent pointer (RCV.UP) is in advance of the data consumed.
	// If the user has already been signaled (or is still in the 'urgent mode')
	// for this continuous sequence of urgent data, do not signal the user
	// again." In CLOSE-WAIT and later "This should not occur ... Ignore the
	// URG."
	if seg.Flags&FlagURG != 0 && receiving {
		up := origSeq.Add(Size(seg.Urgent)) // octet after the urgent data (MUST-62)
		readPoint := c.rcvNxt.Sub(Size(c.rcvBuf.Len()))
		if up.GreaterThan(readPoint) && (!c.rcvUrgent || up.GreaterThan(c.rcvUp)) {
			// New or advanced urgent pointer: tell the application
			// asynchronously (MUST-32).
			c.rcvUp, c.rcvUrgent = up, true
			c.events |= EventUrgent
		}
	}
	// Seventh, process the segment text. In CLOSE-WAIT and later "This should
	// not occur since a FIN has been received from the remote side. Ignore the
	// segment text."
	if len(seg.Payload) > 0 && receiving {
		if c.rcvClosedByUser() {
			// RFC9293 §3.6: "if new data is received after CLOSE is called, its
			// TCP implementation SHOULD send a RST to show that data was lost
			// (SHLD-3)".
			c.queueCtl(c.makeReset(c.sndMax))
			c.close(errUserClose)
			return
		}
		c.receiveText(seg, now)
	}
	// Eighth, check the FIN bit. "Do not process the FIN if the state is
	// CLOSED, LISTEN, or SYN-SENT" (cannot happen here).
	if seg.Flags&FlagFIN != 0 {
		at := seg.Seq.Add(Size(len(seg.Payload)))
		switch {
		case at == c.rcvNxt:
			c.receiveFIN(now)
		case at.GreaterThan(c.rcvNxt) && receiving:
			// A FIN beyond a hole is held with the data before it (SHLD-31).
			c.finHeld, c.finSeq = true, at
			c.ackNow = true
		}
	}
}

// receiveText stores in-window data (RFC9293 §3.10.7.4 seventh step) in
// order or out of order, and decides when to acknowledge.
func (c *Conn) receiveText(seg Segment, now time.Time) {
	off := int(c.rcvNxt.Size(seg.Seq))
	if room := c.rcvBuf.Free() - off; len(seg.Payload) > room {
		// Cannot happen while RCV.NXT+RCV.WND stays within the buffer; keep
		// memory bounded regardless.
		seg.Payload = seg.Payload[:max(room, 0)]
	}
	n := len(seg.Payload)
	if n == 0 {
		return
	}
	c.rcvBuf.writeAt(c.rcvBuf.Len()+off, seg.Payload)
	if off > 0 {
		// "Segments with higher beginning sequence numbers SHOULD be held for
		// later processing (SHLD-31)", and RFC5681 §4.2: "A TCP receiver
		// SHOULD send an immediate duplicate ACK when an out-of-order segment
		// arrives" (also RFC9293 MAY-13).
		if !c.reasm.add(seqRange{seg.Seq, seg.Seq.Add(Size(n))}) {
			c.log.Debug().Msg("tcp: out-of-order queue full, segment dropped")
		}
		c.ackNow = true
		// Without SACK the peer learns of the hole only by counting these
		// duplicate ACKs (RFC5681 §3.2: fast retransmit after three), so
		// each must leave, not one for a batch of them.
		c.outputDue = !c.sackOK
		return
	}
	hadHole := !c.reasm.empty()
	next := c.reasm.advance(c.rcvNxt.Add(Size(n)))
	c.rcvBuf.commit(int(c.rcvNxt.Size(next)))
	// "Once the TCP endpoint takes responsibility for the data, it advances
	// RCV.NXT over the data accepted".
	c.rcvNxt = next
	c.events |= EventReadable
	if c.finHeld && c.finSeq == c.rcvNxt {
		c.receiveFIN(now)
		return
	}
	switch {
	case hadHole, c.cfg.DisableDelayedACK:
		// RFC5681 §4.2: "an immediate ACK SHOULD be generated when ... the
		// incoming segment fills in all or part of a gap".
		c.ackNow = true
	default:
		// RFC9293 §3.8.6.3 delayed ACK (SHLD-18): "an ACK should not be
		// excessively delayed; in particular, the delay MUST be less than 0.5
		// seconds (MUST-40). An ACK should be generated for at least every
		// second full-sized segment or 2*RMSS bytes of new data (SHLD-19)".
		c.unackedBytes += n
		if c.unackedBytes >= 2*c.rcvMSS() {
			c.ackNow = true
		} else if !c.timers.running(timerDelayedACK) {
			c.timers.set(timerDelayedACK, now.Add(c.cfg.DelayedACKTimeout))
		}
	}
}

// receiveFIN is the eighth step of RFC9293 §3.10.7.4 for a FIN at RCV.NXT.
func (c *Conn) receiveFIN(now time.Time) {
	// "signal the user 'connection closing' and return any pending RECEIVEs
	// with same message, advance RCV.NXT over the FIN, and send an
	// acknowledgment for the FIN."
	c.rcvNxt = c.rcvNxt.Add(1)
	c.finRcvd, c.finHeld = true, false
	c.ackNow = true
	c.events |= EventReadable
	switch c.state {
	case StateSynReceived, StateEstablished:
		// "Enter the CLOSE-WAIT state."
		c.setState(StateCloseWait)
	case StateFinWait1:
		// "If our FIN has been ACKed (perhaps in this segment), then enter
		// TIME-WAIT, start the time-wait timer, turn off the other timers;
		// otherwise, enter the CLOSING state."
		if c.finAcked() {
			c.timeWait(now)
		} else {
			c.setState(StateClosing)
		}
	case StateFinWait2:
		// "Enter the TIME-WAIT state. Start the time-wait timer, turn off the
		// other timers."
		c.timeWait(now)
	case StateTimeWait:
		// "Remain in the TIME-WAIT state. Restart the 2 MSL time-wait
		// timeout."
		c.timers.set(timerTimeWait, now.Add(2*c.cfg.MSL))
	}
	// CLOSE-WAIT, CLOSING, LAST-ACK: remain.
}
