// What to send: control segments, retransmissions, new data, FIN, probes and
// ACKs.
//
// Read before editing: RFC9293 §3.7.4 (Nagle, SHLD-7, MUST-17), §3.8.6.2.1
// (sender SWS avoidance, MUST-38), §3.8.6.2.2 (receiver SWS avoidance, window
// updates, MUST-39), §3.8.6.1 (zero-window probing, MUST-35..37), §3.8.6.3
// (delayed ACK), §3.9.1.2 and MAY-16/MUST-60/MUST-61 (PUSH), §3.8.5
// (urgent pointer, MUST-62), §3.8.4 (keep-alive segment, SHLD-12);
// RFC6298 §5 (timer), RFC5681 §3.1, §4.1; RFC6675 §5 (C); RFC2018 §4; RFC7323
// §3.2 (TSopt in every segment), §4.3 (Last.ACK.sent).

package tcp

import (
	"time"
)

// Output emits, through emit, every segment due at now: replies queued by
// Input, the SYN or SYN-ACK, retransmissions, new data, the FIN, window probes,
// keep-alives and ACKs. Expired timers fire first. Each Segment's Payload
// aliases the connection's buffers and is valid only until emit returns.
func (c *Conn) Output(now time.Time, emit func(Segment)) {
	c.fireTimers(now)
	for i := 0; i < c.nctl; i++ {
		c.trace("tcp out", &c.ctl[i])
		emit(c.ctl[i])
		c.ctl[i] = Segment{}
	}
	c.nctl = 0
	switch c.state {
	case StateClosed, StateListen:
		return
	case StateSynSent, StateSynReceived:
		if c.synDue {
			c.sendSYN(now, emit)
		}
		return
	}
	c.transmit(now, emit)
}

// queueCtl queues a segment that Input decided to send, such as a reset. The
// queue is small; when it is full the segment is dropped (the peer's
// retransmission will provoke it again).
func (c *Conn) queueCtl(seg Segment) {
	if c.nctl < len(c.ctl) {
		c.ctl[c.nctl] = seg
		c.nctl++
	}
}

// makeReset forms <SEQ=seq><CTL=RST> for this connection.
func (c *Conn) makeReset(seq Value) Segment {
	return Segment{SrcPort: c.local.Port(), DstPort: c.remote.Port(), Seq: seq, Flags: FlagRST}
}

// transmit sends in a synchronized state.
func (c *Conn) transmit(now time.Time, emit func(Segment)) {
	sent := false
	if c.fastRexmit {
		// Fast retransmit (RFC5681 §3.2 step 2, RFC6675 §5 (4.3)) or a NewReno
		// partial ACK (RFC6582 §3.2 step 5): the first unacknowledged segment.
		c.fastRexmit = false
		if c.sndUna.LessThan(c.sndMax) {
			end := c.sendRange(c.sndUna, c.sndMSS, now, emit)
			if c.sackRecv {
				c.sb.highRxt = maxSeq(c.sb.highRxt, end)
			}
			sent = true
		}
	}
	if c.canSendData() {
		if c.sackRecv && c.cc.inRecovery {
			sent = c.sackSend(now, emit) || sent
		} else {
			sent = c.sendNewData(now, emit) || sent
		}
	}
	if c.probeDue {
		c.probeDue = false
		sent = c.sendProbe(now, emit) || sent
	}
	if c.keepaliveDue {
		// RFC9293 §3.8.4: "a keep-alive segment ... with SEG.SEQ = SND.NXT-1
		// and may or may not contain one garbage octet"; we send none
		// (SHLD-12).
		c.keepaliveDue = false
		seg := c.makeSegment(c.sndMax.Sub(1), nil, FlagACK, now)
		c.emit(&seg, emit)
		sent = true
	}
	if !sent && (c.ackNow || c.windowUpdateDue()) {
		// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. SND.NXT as the peer knows it is
		// SND.MAX: after a timeout rewound SND.NXT, an ACK carrying the
		// rewound value would lie below the peer's RCV.NXT, fail its sequence
		// check and be answered by an ACK that fails ours in turn.
		seg := c.makeSegment(c.sndMax, nil, FlagACK, now)
		c.emit(&seg, emit)
	}
	c.armPersist(now)
}

// canSendData reports whether the state allows sending data or FIN: our SYN
// is acknowledged and the user's FIN has not gone past.
func (c *Conn) canSendData() bool {
	switch c.state {
	case StateEstablished, StateCloseWait, StateFinWait1, StateClosing, StateLastAck:
		return c.sndUna != c.iss
	}
	return false
}

// payloadRoom is the payload that fits one segment: Eff.snd.MSS less the SACK
// blocks this segment will carry.
func (c *Conn) payloadRoom() int {
	room := c.sndMSS
	if c.sackOK && !c.reasm.empty() {
		o := Options{HasTimestamps: c.tsOK}
		k := min(len(c.reasm.ranges), o.sackRoom())
		if k > 0 {
			room -= 4 + 8*k
		}
	}
	return max(room, 1)
}

// sendNewData sends from SND.NXT what the windows, Nagle and SWS avoidance
// allow, then the FIN. It reports whether it sent anything.
func (c *Conn) sendNewData(now time.Time, emit func(Segment)) bool {
	if c.sndUna == c.sndMax {
		c.cc.restartAfterIdle(now, c.rtt.rto()) // RFC5681 §4.1
	}
	sent := false
	for {
		avail := c.unsentBytes()
		end := c.dataEnd()
		finPending := c.finQueued && c.sndNxt.LessThanEq(end)
		if avail == 0 && !finPending {
			break
		}
		// Usable window, RFC9293 §3.8.6.2.1: U = SND.UNA + SND.WND - SND.NXT,
		// also bounded by the congestion window (RFC5681 §3.1). A window that
		// shrank below SND.NXT gives no new data (MUST-34, SHLD-15).
		wnd := min(int(c.sndWnd), c.cc.cwnd)
		edge := c.sndUna.Add(Size(wnd))
		usable := 0
		if c.sndNxt.LessThan(edge) {
			usable = int(c.sndNxt.Size(edge))
		}
		room := c.payloadRoom()
		n := min(avail, usable, room)
		if avail > 0 && n == 0 {
			break // window closed: the persist timer probes it
		}
		if avail > 0 && n < room && !c.maySendShort(n, avail, now) {
			break
		}
		flags := FlagACK
		fin := finPending && n == avail
		if fin {
			// The FIN goes with the last octet, and is not held back by the
			// window (as in Linux): it occupies no buffer at the receiver.
			flags |= FlagFIN
		}
		if n > 0 && n == avail {
			// MUST-61: the PSH bit is set in the last segment of the queued
			// data (each Write is pushed: MAY-16, MUST-60).
			flags |= FlagPSH
		}
		c.sendSegment(c.sndNxt, n, flags, now, emit)
		sent = true
		if fin {
			break
		}
	}
	if sent {
		c.timers.stop(timerSWS)
	}
	return sent
}

// maySendShort decides whether a segment of n < Eff.snd.MSS octets may go now,
// with avail octets queued: the Nagle algorithm (RFC9293 §3.7.4) and the
// sender's SWS avoidance (RFC9293 §3.8.6.2.1, MUST-38):
//
//	(1) a maximum-sized segment can be sent (not here: n is short);
//	(2) data is PUSHed and all queued data can be sent now — with Nagle, only
//	    when no data is unacknowledged;
//	(3) data is PUSHed and at least Fs = 1/2 of the maximum send window can
//	    be sent;
//	(4) data is PUSHed and the override timeout occurs.
func (c *Conn) maySendShort(n, avail int, now time.Time) bool {
	if n == avail {
		// (2). Nagle: "if there is unacknowledged data ... then the sending
		// TCP endpoint buffers all user data ... until the outstanding data
		// has been acknowledged or until the TCP endpoint can send a
		// full-sized segment". It is off with NoDelay (MUST-17), and once the
		// user closed, when nothing more will come (Linux pushes then too).
		return c.cfg.NoDelay || c.finQueued || c.sndNxt == c.sndUna
	}
	if c.swsOverride {
		c.swsOverride = false // (4)
		return true
	}
	if n >= int(c.maxSndWnd)/2 {
		return true // (3)
	}
	if c.sndNxt == c.sndUna && !c.timers.running(timerSWS) {
		// Nothing in flight, so no ACK will reopen the window: start the
		// override timer ("in the range 0.1 - 1.0 seconds").
		c.timers.set(timerSWS, now.Add(c.cfg.SWSOverride))
	}
	return false
}

// sackSend is RFC6675 §5 (C): "If cwnd - pipe >= 1 SMSS, the sender SHOULD
// transmit one or more segments", chosen by NextSeg().
func (c *Conn) sackSend(now time.Time, emit func(Segment)) bool {
	sent := false
	smss := c.sndMSS
	pipe := c.sb.pipe(c.sndUna, c.sndMax, smss)
	for c.cc.cwnd-pipe >= smss {
		// NextSeg rule (1): a lost, un-retransmitted segment.
		r, ok := c.sb.nextRetransmit(c.sndUna, c.sndMax, smss, true)
		if !ok {
			// Rule (2): new data, if the receive window allows.
			if n := c.newDataRoom(); n > 0 {
				end := c.dataEnd()
				flags := FlagACK
				if c.sndNxt.Add(Size(n)) == end {
					flags |= FlagPSH
					if c.finQueued {
						flags |= FlagFIN
					}
				}
				c.sendSegment(c.sndNxt, n, flags, now, emit)
				pipe += n
				sent = true
				continue
			}
			// Rule (3): an un-SACKed segment below the highest SACKed octet.
			r, ok = c.sb.nextRetransmit(c.sndUna, c.sndMax, smss, false)
			if !ok {
				break
			}
		}
		end := c.sendRange(r.start, int(r.size()), now, emit)
		// (C.2): "HighRxt MUST be set to the highest sequence number of the
		// retransmitted segment".
		c.sb.highRxt = maxSeq(c.sb.highRxt, end)
		pipe += int(r.size())
		sent = true
	}
	return sent
}

// newDataRoom returns how many new octets may be sent now by the receive
// window alone, up to one segment.
func (c *Conn) newDataRoom() int {
	avail := c.unsentBytes()
	edge := c.sndUna.Add(Size(c.sndWnd))
	if avail == 0 || !c.sndNxt.LessThan(edge) {
		return 0
	}
	return min(avail, int(c.sndNxt.Size(edge)), c.payloadRoom())
}

// sendRange (re)sends up to maxLen octets from seq, which lies in
// [SND.UNA, SND.MAX), with the FIN if it was sent before and is reached. It
// returns the sequence number after what it sent.
func (c *Conn) sendRange(seq Value, maxLen int, now time.Time, emit func(Segment)) Value {
	end := c.dataEnd()
	n := 0
	if seq.LessThan(end) {
		n = min(maxLen, int(seq.Size(end)), c.payloadRoom())
	}
	flags := FlagACK
	if n > 0 && seq.Add(Size(n)) == end {
		flags |= FlagPSH
	}
	if c.finSent() && seq.Add(Size(n)) == end {
		flags |= FlagFIN
	}
	return c.sendSegment(seq, n, flags, now, emit)
}

// sendProbe sends a zero-window probe: RFC9293 §3.8.6.1, "The sending TCP
// peer must regularly transmit at least one octet of new data (if available),
// or retransmit to the receiving TCP peer even if the send window is zero, in
// order to 'probe' the window" (MUST-35, MUST-36).
func (c *Conn) sendProbe(now time.Time, emit func(Segment)) bool {
	switch {
	case c.sndUna.LessThan(c.sndNxt):
		c.sendRange(c.sndUna, 1, now, emit)
	case c.unsentBytes() > 0:
		c.sendSegment(c.sndNxt, 1, FlagACK, now, emit)
	default:
		return false
	}
	return true
}

// armPersist starts the persist timer when the peer's window is zero, data
// waits and nothing is in flight (so no retransmission timer runs): "The
// transmitting host SHOULD send the first zero-window probe when a zero window
// has existed for the retransmission timeout period (SHLD-29)"; later probes
// back off with the RTO (SHLD-30).
func (c *Conn) armPersist(now time.Time) {
	if c.sndWnd != 0 || !c.canSendData() {
		c.timers.stop(timerPersist)
		return
	}
	if c.sndUna == c.sndMax && c.unsentBytes() > 0 && !c.timers.running(timerPersist) && !c.timers.running(timerRetransmit) {
		c.timers.set(timerPersist, now.Add(c.rtt.rto()))
	}
}

// sendSegment emits n octets from seq with flags (ACK always set), updating
// SND.NXT, SND.MAX, the retransmission timer and RTT timing. It returns the
// sequence number after the segment.
func (c *Conn) sendSegment(seq Value, n int, flags Flags, now time.Time, emit func(Segment)) Value {
	var payload []byte
	if n > 0 {
		if cap(c.scratch) < n {
			c.scratch = make([]byte, n)
		}
		payload = c.sndBuf.Peek(int(c.sndBufSeq.Size(seq)), n, c.scratch[:n])
	}
	seg := c.makeSegment(seq, payload, flags, now)
	end := seq.Add(seg.Len())
	if seq.LessThan(c.sndMax) {
		// A retransmission: count it, and take no RTT sample from it
		// (Karn's algorithm, RFC9293 MUST-18).
		c.totalRetrans++
		if c.rtt.timing && seq.LessThan(c.rtt.timedSeq) {
			c.rtt.timing = false
		}
	} else if !c.tsOK && end != seq {
		c.rtt.startTiming(end, now)
	}
	if c.sndNxt.LessThan(end) {
		c.sndNxt = end
	}
	if c.sndMax.LessThan(end) {
		c.sndMax = end
	}
	if end != seq && !c.timers.running(timerRetransmit) {
		// RFC6298 (5.1): "Every time a packet containing data is sent
		// (including a retransmission), if the timer is not running, start it
		// running so that it will expire after RTO seconds."
		c.timers.set(timerRetransmit, now.Add(c.rtt.rto()))
	}
	c.cc.lastSend = now
	c.emit(&seg, emit)
	return end
}

// makeSegment builds a segment of this connection carrying the current ACK,
// window, timestamps, SACK blocks and urgent pointer.
func (c *Conn) makeSegment(seq Value, payload []byte, flags Flags, now time.Time) Segment {
	seg := Segment{
		SrcPort: c.local.Port(),
		DstPort: c.remote.Port(),
		Seq:     seq,
		Ack:     c.rcvNxt,
		Flags:   flags | FlagACK,
		Window:  c.advertise(),
		Payload: payload,
	}
	if c.tsOK {
		// RFC7323 §3.2: "the TSopt MUST be sent in every non-<RST> segment";
		// TSecr echoes TS.Recent (§4.3).
		seg.Options.HasTimestamps = true
		seg.Options.TSVal, seg.Options.TSEcr = c.tsNow(now), c.tsRecent
	}
	if c.sackOK && !c.reasm.empty() {
		// RFC2018 §4: report the out-of-order data, most recent first.
		seg.Options.SACK = c.reasm.blocks(c.sackArr[:0], seg.Options.sackRoom())
	}
	if c.sndUrgent && seq.LessThan(c.sndUp) {
		// RFC9293 §3.8.5: the urgent pointer is the offset from SEG.SEQ to
		// the octet following the urgent data (MUST-62); one that does not
		// fit 16 bits is sent as 65535, still ahead of this segment.
		seg.Flags |= FlagURG
		seg.Urgent = uint16(min(int(seq.Size(c.sndUp)), 65535))
	}
	// Every segment carries the ACK: the delayed ACK is satisfied.
	c.lastAckSent = c.rcvNxt // Last.ACK.sent, RFC7323 §4.3
	c.ackNow = false
	c.unackedBytes = 0
	c.readSinceAdv = false
	c.timers.stop(timerDelayedACK)
	return seg
}

// emit logs and hands over one segment.
func (c *Conn) emit(seg *Segment, emit func(Segment)) {
	c.trace("tcp out", seg)
	emit(*seg)
}

// advertise returns the window field to send and moves the advertised right
// edge. Receiver SWS avoidance (RFC9293 §3.8.6.2.2, MUST-39): "keep
// RCV.NXT+RCV.WND fixed until the reduction satisfies: RCV.BUFF - RCV.USER -
// RCV.WND >= min( Fr * RCV.BUFF, Eff.snd.MSS )" with Fr = 1/2; the edge never
// moves left ("The total of RCV.NXT and RCV.WND should not be reduced").
func (c *Conn) advertise() uint16 {
	cur := int(c.rcvWnd())
	win := cur
	if potential := c.potentialWindow(); potential-cur >= c.swsThreshold() {
		win = potential
	}
	scaled := win >> c.rcvWScale
	edge := c.rcvNxt.Add(Size(scaled << c.rcvWScale))
	c.rcvAdv = maxSeq(c.rcvAdv, edge)
	return uint16(scaled)
}

// potentialWindow is the window the buffer could offer now, capped by what the
// window field can express.
func (c *Conn) potentialWindow() int {
	return min(c.rcvBuf.Free(), 65535<<c.rcvWScale)
}

// swsThreshold is min(Fr * RCV.BUFF, Eff.snd.MSS) of RFC9293 §3.8.6.2.2.
func (c *Conn) swsThreshold() int {
	return max(min(c.rcvBuf.Cap()/2, c.rcvMSS()), 1)
}

// windowUpdateDue reports whether the application's reads opened the window
// enough to send an update on its own: by the SWS threshold, and by at least
// as much as is currently offered or with less than two segments offered
// (Linux uses the same "window at least doubles" rule in tcp_cleanup_rbuf).
func (c *Conn) windowUpdateDue() bool {
	if !c.readSinceAdv || c.finRcvd {
		return false
	}
	cur := int(c.rcvWnd())
	grow := c.potentialWindow() - cur
	return grow >= c.swsThreshold() && (grow >= cur || cur < 2*c.rcvMSS())
}

// trace logs a segment at trace level.
func (c *Conn) trace(msg string, seg *Segment) {
	if e := c.log.Trace(); e.Enabled() {
		e.Str("state", c.state.String()).
			Uint32("seq", uint32(seg.Seq)).
			Uint32("ack", uint32(seg.Ack)).
			Uint16("win", seg.Window).
			Str("flags", seg.Flags.String()).
			Int("len", len(seg.Payload)).
			Msg(msg)
	}
}
