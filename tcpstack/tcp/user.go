// User calls: SEND, RECEIVE, CLOSE, ABORT.
//
// Read before editing: RFC9293 §3.10.2 (SEND), §3.10.3 (RECEIVE), §3.10.4
// (CLOSE; MAY-1 half-duplex close), §3.10.5 (ABORT), §3.6 (SHLD-3: RST when
// data is lost at close), §3.8.5 (urgent data, MUST-30..33, MUST-62),
// §3.9.1.2 (PUSH: MAY-16, MUST-60, MUST-61).

package tcp

import "io"

// Write queues b for sending (RFC9293 §3.10.2 SEND) and returns how much of it
// fit in the send buffer. When not all of b fit it returns ErrWouldBlock with
// the count; wait for EventWritable. Data written before the handshake
// completes is sent once it does. Every write is pushed (RFC9293 MAY-16: no
// PUSH flag on SEND; the PSH bit is set on the last segment, MUST-61).
//
// After Close or CloseWrite it returns ErrClosing; on a connection that ended
// it returns the error that ended it (Err) or ErrClosed.
func (c *Conn) Write(b []byte) (int, error) {
	switch c.state {
	case StateSynSent, StateSynReceived, StateEstablished, StateCloseWait:
		// "If in SYN-SENT or SYN-RECEIVED ... queue the data for transmission
		// after entering ESTABLISHED state"; in ESTABLISHED and CLOSE-WAIT
		// "Segmentize the buffer and send it".
		if c.finQueued {
			return 0, ErrClosing
		}
		n := c.sndBuf.Write(b)
		if n < len(b) {
			// "If there is insufficient space to remember this buffer, simply
			// return 'error: insufficient resources'": here, a short write.
			return n, ErrWouldBlock
		}
		return n, nil
	case StateClosed, StateListen:
		if err := c.Err(); err != nil {
			return 0, err
		}
		return 0, ErrClosed
	default:
		// FIN-WAIT-1 and later: "Return 'error: connection closing' and do not
		// service request."
		return 0, ErrClosing
	}
}

// WriteUrgent queues b like Write and marks it urgent: the urgent pointer
// will point to the octet following b (RFC9293 §3.8.5, MUST-62), for urgent
// data of any length (MUST-31). b must not be empty ("To send an urgent
// indication, the user must also send at least one data octet"). Only the
// part of b that fit is urgent. New applications should not use urgent data
// (RFC9293 SHLD-13).
func (c *Conn) WriteUrgent(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, err := c.Write(b)
	if n > 0 {
		c.sndUp = c.dataEnd()
		c.sndUrgent = true
	}
	return n, err
}

// Read copies received data into b (RFC9293 §3.10.3 RECEIVE). It returns
// ErrWouldBlock when no data is there yet, io.EOF after the peer's FIN once
// the data before it was read, and the connection's error after a reset or
// timeout (the queues were flushed: "any outstanding RECEIVEs ... should
// receive 'reset' responses").
func (c *Conn) Read(b []byte) (int, error) {
	if c.rcvBuf.Len() > 0 && len(b) > 0 {
		readPoint := c.rcvNxt.Sub(Size(c.rcvBuf.Len()))
		n := c.rcvBuf.Read(b)
		if c.rcvUrgent && !readPoint.Add(Size(n)).LessThan(c.rcvUp) {
			c.rcvUrgent = false // read past the urgent data
		}
		c.readSinceAdv = true
		return n, nil
	}
	if c.rcvBuf.Len() > 0 {
		return 0, nil
	}
	if err := c.Err(); err != nil {
		return 0, err
	}
	if c.finRcvd {
		// "If no text is awaiting delivery, the RECEIVE will get a
		// 'connection closing' response" (CLOSE-WAIT and later).
		return 0, io.EOF
	}
	if c.state == StateClosed || c.state == StateListen {
		return 0, ErrClosed
	}
	return 0, ErrWouldBlock
}

// Readable returns the number of bytes Read can return now.
func (c *Conn) Readable() int { return c.rcvBuf.Len() }

// Writable returns the room left in the send buffer, zero once the user closed.
func (c *Conn) Writable() int {
	switch c.state {
	case StateSynSent, StateSynReceived, StateEstablished, StateCloseWait:
		if !c.finQueued {
			return c.sndBuf.Free()
		}
	}
	return 0
}

// UrgentRemaining reports whether urgent data is pending and how many bytes
// remain to be read up to its end, the urgent mark (RFC9293 MUST-33). Urgent
// data is delivered in line by Read.
func (c *Conn) UrgentRemaining() (int, bool) {
	if !c.rcvUrgent {
		return 0, false
	}
	readPoint := c.rcvNxt.Sub(Size(c.rcvBuf.Len()))
	return int(readPoint.Size(c.rcvUp)), true
}

// CloseWrite is RFC9293 CLOSE, a half-close (MAY-1): the FIN is sent after the
// queued data, and data can still be received.
//
//	SYN-SENT: the connection is deleted.
//	SYN-RECEIVED: the FIN is queued until ESTABLISHED.
//	ESTABLISHED: FIN-WAIT-1; CLOSE-WAIT: LAST-ACK.
//	Later states: ErrClosing ("error: connection closing").
func (c *Conn) CloseWrite() error {
	switch c.state {
	case StateClosed, StateListen:
		return ErrClosed
	case StateSynSent:
		// "Delete the TCB and return 'error: closing' responses to any queued
		// SENDs, or RECEIVEs."
		c.close(errUserClose)
		return nil
	case StateSynReceived:
		// "If no SENDs have been issued and there is no pending data to send,
		// then form a FIN segment and send it, and enter FIN-WAIT-1 state;
		// otherwise, queue for processing after entering ESTABLISHED state."
		// The FIN always waits for ESTABLISHED here, so that it never
		// precedes the acknowledgment of our SYN.
		c.finQueued = true
	case StateEstablished:
		// "Queue this until all preceding SENDs have been segmentized, then
		// form a FIN segment and send it. In any case, enter FIN-WAIT-1
		// state."
		c.finQueued = true
		c.setState(StateFinWait1)
	case StateCloseWait:
		// "Queue this request until all preceding SENDs have been
		// segmentized; then send a FIN segment, enter LAST-ACK state."
		c.finQueued = true
		c.setState(StateLastAck)
	default:
		return ErrClosing
	}
	return nil
}

// Close closes both directions. It is CloseWrite plus the rule of RFC9293 §3.6:
// "If such a host issues a CLOSE call while received data is still pending in
// TCP, or if new data is received after CLOSE is called, its TCP
// implementation SHOULD send a RST to show that data was lost (SHLD-3)." With
// unread data it therefore aborts.
func (c *Conn) Close() error {
	if c.rcvBuf.Len() > 0 && c.state.synchronized() {
		c.Abort()
		return nil
	}
	c.rcvClosed = true
	return c.CloseWrite()
}

// rcvClosedByUser reports whether Close was called, so that arriving data is
// lost.
func (c *Conn) rcvClosedByUser() bool { return c.rcvClosed }

// Abort resets the connection (RFC9293 §3.10.5 ABORT): in SYN-RECEIVED,
// ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2 and CLOSE-WAIT "Send a reset segment:
// <SEQ=SND.NXT><CTL=RST>"; in every state the queues are flushed and the
// connection goes to CLOSED. Call Output to emit the reset.
func (c *Conn) Abort() {
	switch c.state {
	case StateSynReceived, StateEstablished, StateFinWait1, StateFinWait2, StateCloseWait:
		// SND.MAX is SND.NXT as the peer knows it, even after a timeout moved
		// SND.NXT back.
		c.queueCtl(c.makeReset(c.sndMax))
	}
	// LISTEN, SYN-SENT, CLOSING, LAST-ACK, TIME-WAIT: no reset, "delete the
	// TCB, enter CLOSED state, and return."
	c.close(errUserClose)
}
