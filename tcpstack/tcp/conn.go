// The connection: its transmission control block, creation, events and state
// reports.
//
// Read before editing: RFC9293 §3.3.1 (TCB variables; the field names below
// follow it), §3.10.1 (OPEN call), §3.10.7.1 (segments for a CLOSED
// connection), RFC9293 MUST-12 (tell the application whether a connection
// closed normally or was aborted).

package tcp

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

// Errors returned by user calls. Terminal connection errors are the errno
// values a kernel socket gives: syscall.ECONNRESET, syscall.ECONNREFUSED and
// syscall.ETIMEDOUT, returned by Err, Read and Write.
var (
	// ErrClosed reports a call on a connection that no longer exists
	// (RFC9293 §3.10: "error: connection does not exist").
	ErrClosed = errors.New("tcp: connection does not exist")
	// ErrClosing reports a send or close after the user already closed its
	// side (RFC9293 §3.10.2, §3.10.4: "error: connection closing").
	ErrClosing = errors.New("tcp: connection closing")
	// ErrWouldBlock reports that a Read has no data yet or a Write found the
	// send buffer full; wait for EventReadable or EventWritable.
	ErrWouldBlock = errors.New("tcp: operation would block")
	// ErrInvalidEndpoint reports an OPEN to an address or port that cannot be
	// a TCP peer (RFC9293 MUST-46: reject OPEN to broadcast or multicast).
	ErrInvalidEndpoint = errors.New("tcp: invalid endpoint")
)

var (
	errReset     error = syscall.ECONNRESET
	errRefused   error = syscall.ECONNREFUSED
	errTimedOut  error = syscall.ETIMEDOUT
	errUserClose       = errors.New("tcp: closed by user")
)

// Event is a set of things that happened on a connection since the caller last
// asked (see Conn.Events).
type Event uint16

// Events.
const (
	// EventEstablished: the handshake completed.
	EventEstablished Event = 1 << iota
	// EventReadable: data or the peer's FIN can be read.
	EventReadable
	// EventWritable: send buffer space was freed.
	EventWritable
	// EventUrgent: urgent data is pending or the urgent pointer advanced
	// (RFC9293 MUST-32); see Conn.UrgentRemaining.
	EventUrgent
	// EventClosed: the connection reached CLOSED (see Conn.Err for why) or a
	// passive connection returned to LISTEN and should be discarded.
	EventClosed
	// EventNegativeAdvice: a segment was retransmitted R1 times; the IP layer
	// may want to re-check its route (RFC9293 §3.8.3 (b), MUST-20).
	EventNegativeAdvice
	// EventSendDone: everything sent, including our FIN when one was queued, has
	// been acknowledged (RFC9293 §3.10.7.4 fifth step, FIN-WAIT-2: "the user's
	// CLOSE can be acknowledged").
	EventSendDone
)

// String lists the events, such as "established|readable".
func (e Event) String() string {
	names := []string{"established", "readable", "writable", "urgent", "closed", "negative-advice", "send-done"}
	var parts []string
	for i, n := range names {
		if e&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "|")
}

// Conn is one TCP connection: a state machine fed with segments (Input), user
// calls (Write, Read, Close, Shutdown, Abort) and the current time, which emits
// segments (Output) and says when it next needs the time (NextDeadline). It
// starts no goroutines, reads no clock and owns no socket.
//
// A Conn is not safe for concurrent use; the socket layer serializes calls.
type Conn struct {
	cfg     Config
	log     zerolog.Logger
	onState func(from, to State) // test hook, see state.go

	local, remote netip.AddrPort
	state         State
	passive       bool  // came from LISTEN (RFC9293 MUST-11)
	err           error // why the connection closed; nil while open or after a normal close
	events        Event

	// Send sequence space (RFC9293 §3.3.1). sndMax is the highest sequence
	// sent; sndNxt goes back to sndUna after a timeout (go-back-N).
	iss, sndUna, sndNxt, sndMax Value
	sndWnd                      uint32 // bytes, scaled
	maxSndWnd                   uint32 // MAX.SND.WND of RFC5961 §5
	sndWl1, sndWl2              Value
	sndBuf                      ring
	sndBufSeq                   Value // sequence number of sndBuf's first byte
	finQueued                   bool  // the user closed its side; FIN follows the data
	sndUp                       Value // SND.UP: sequence after the urgent data
	sndUrgent                   bool
	sndMSS                      int   // Eff.snd.MSS for the payload (RFC9293 §3.7.1)
	sndWScale                   uint8 // peer's shift

	// Receive sequence space.
	irs, rcvNxt Value
	rcvAdv      Value // right edge advertised: RCV.NXT + RCV.WND never moves left
	rcvWScale   uint8
	rcvBuf      ring // readable bytes, then out-of-order bytes at their offsets
	reasm       reassembly
	finRcvd     bool  // the peer's FIN was taken in order
	finHeld     bool  // a FIN arrived out of order at finSeq
	finSeq      Value //
	rcvUp       Value // RCV.UP
	rcvUrgent   bool  // urgent data pending (RCV.UP ahead of the read point)
	lastAckSent Value // Last.ACK.sent of RFC7323 §4.3

	// Negotiated options.
	sackOK, tsOK, wsOK bool
	tsRecent           uint32    // TS.Recent
	tsRecentAt         time.Time // when TS.Recent was set (RFC7323 §5.5)
	tsOffset           uint32
	tsEpoch            time.Time

	// What Output owes the peer.
	ackNow        bool      // send an ACK now
	outputDue     bool      // the last Input wants Output before the next one (OutputDue)
	timeWaitAt    time.Time // when TIME-WAIT began
	unackedBytes  int       // bytes received since our last ACK (delayed ACK)
	readSinceAdv  bool      // the application read since we last advertised a window
	rcvClosed     bool      // Close was called: data arriving now is lost (SHLD-3)
	synDue        bool      // (re)send SYN or SYN-ACK
	probeDue      bool      // zero-window probe
	keepaliveDue  bool
	swsOverride   bool
	fastRexmit    bool // retransmit SND.UNA now (fast retransmit, partial ACK)
	ctl           [4]Segment
	nctl          int
	challengeN    int
	challengeFrom time.Time

	timers   timers
	rtt      rttEstimator
	cc       congestion
	sb       scoreboard
	sackRecv bool // loss recovery uses RFC6675

	retransmits  int           // consecutive timeouts of the current segment
	totalRetrans int           // segments retransmitted, all causes
	firstRexmit  time.Time     // when the current segment first timed out (R2)
	synSentAt    time.Time     // first SYN or SYN-ACK (R2SYN)
	synLastAt    time.Time     // latest SYN or SYN-ACK
	userTimeout  time.Duration // set by SetUserTimeout: bounds SYN retransmissions too (0: not set)
	ipOptLen     int           // IP option bytes in every segment sent (SetIPOptionsLen)
	synRexmitted bool
	keepProbes   int
	// The Timestamps clock at the last retransmission timeout; until the
	// data then outstanding is acknowledged, echoes older than it give no RTT
	// sample (see onNewAck).
	rexmitTS      uint32
	rexmitTSValid bool

	scratch []byte
	sackArr [4]SACKBlock
}

// newConn builds the TCB shared by Open and Listener.
func newConn(cfg Config, local, remote netip.AddrPort, now time.Time) *Conn {
	cfg = cfg.normalize()
	c := &Conn{
		cfg:    cfg,
		local:  local,
		remote: remote,
		sndBuf: newRing(cfg.SendBuffer),
		rcvBuf: newRing(cfg.RecvBuffer),
		rtt:    newRTTEstimator(cfg.InitialRTO, cfg.RTOMin, cfg.RTOMax),
	}
	c.log = connLogger(cfg.Logger, local, remote)
	gen := cfg.ISN
	if gen == nil {
		gen = NewRandomISN()
	}
	if o, ok := gen.(TSOffsetter); ok {
		c.tsOffset = o.TSOffset(local, remote)
	}
	c.tsEpoch = now
	if !cfg.TSEpoch.IsZero() {
		c.tsEpoch = cfg.TSEpoch
	}
	// Until the peer's MSS is known, send at most the RFC9293 default
	// (MUST-15: 536 for IPv4, 1220 for IPv6).
	c.sndMSS = min(c.cfg.MSS, defaultSendMSS(remote.Addr()))
	c.setISS(gen.ISN(local, remote, now))
	if !cfg.DisableWindowScale {
		c.rcvWScale = windowScaleFor(cfg.RecvBuffer)
	}
	return c
}

// setISS makes iss the connection's initial send sequence number.
func (c *Conn) setISS(iss Value) {
	c.iss = iss
	c.sndUna, c.sndNxt, c.sndMax = iss, iss, iss
	c.sndBufSeq = iss.Add(1)
	c.sndUp = c.sndBufSeq
	c.cc = newCongestion(c.sndMSS, iss)
}

// defaultSendMSS is the send MSS to assume without an MSS option
// (RFC9293 §3.7.1, MUST-15).
func defaultSendMSS(a netip.Addr) int {
	if a.Is4() || a.Is4In6() {
		return 536
	}
	return 1220
}

// validPeer reports whether ep can be the remote end of a connection
// (RFC9293 MUST-46 and MUST-63: no broadcast, multicast or unspecified
// addresses, no port 0).
func validPeer(ep netip.AddrPort) bool {
	a := ep.Addr().Unmap()
	if !a.IsValid() || a.IsUnspecified() || a.IsMulticast() || ep.Port() == 0 {
		return false
	}
	if a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return false
	}
	return true
}

// Open performs an active OPEN (RFC9293 §3.10.1): it returns a connection in
// SYN-SENT whose first Output emits the SYN.
func Open(cfg Config, local, remote netip.AddrPort, now time.Time) (*Conn, error) {
	if !validPeer(remote) || !local.Addr().IsValid() || local.Port() == 0 {
		return nil, fmt.Errorf("%w: open %v→%v", ErrInvalidEndpoint, local, remote)
	}
	c := newConn(cfg, local, remote, now)
	// RFC9293 §3.10.1 CLOSED STATE: "issue a SYN segment ... Set SND.UNA to
	// ISS, SND.NXT to ISS+1, enter SYN-SENT state". The SYN is formed by
	// Output; SND.NXT moves when it is sent.
	c.setState(StateSynSent)
	c.synDue = true
	c.synSentAt = now
	return c, nil
}

// State returns the connection state.
func (c *Conn) State() State { return c.state }

// OutputDue reports whether the last [Conn.Input] left output that should
// not wait while the caller processes more queued segments (RFC9293 MUST-59
// lets a caller call Output once after a series of them): the segment
// changed the state, or it arrived out of order on a connection without
// SACK, whose duplicate ACK the peer counts toward fast retransmit.
func (c *Conn) OutputDue() bool { return c.outputDue }

// LocalAddr returns the local endpoint.
func (c *Conn) LocalAddr() netip.AddrPort { return c.local }

// RemoteAddr returns the remote endpoint.
func (c *Conn) RemoteAddr() netip.AddrPort { return c.remote }

// Passive reports whether the connection came from LISTEN (RFC9293 MUST-11).
func (c *Conn) Passive() bool { return c.passive }

// TimeWaitReusable reports whether a new outgoing connection may take over
// this one's 4-tuple although it is in TIME-WAIT, as Linux's tcp_tw_reuse
// allows: both ends sent timestamps, and a second has passed since TIME-WAIT
// began. The new incarnation's timestamps then exceed the old one's (the
// Timestamps clock is shared by every connection of a stack: Config.TSEpoch),
// so the peer's TIME-WAIT accepts its SYN (RFC6191 §2) and PAWS discards old
// duplicates of the previous incarnation (RFC7323 §5).
func (c *Conn) TimeWaitReusable(now time.Time) bool {
	return c.state == StateTimeWait && c.tsOK && now.Sub(c.timeWaitAt) >= time.Second
}

// Events returns the events since the last call and clears them.
func (c *Conn) Events() Event {
	e := c.events
	c.events = 0
	return e
}

// Err returns why the connection ended: nil while it is open or after an
// orderly close, syscall.ECONNRESET after a reset, syscall.ECONNREFUSED when
// the peer refused the handshake, syscall.ETIMEDOUT after R2 or keep-alive
// failure (RFC9293 MUST-12 distinguishes normal close from abort).
func (c *Conn) Err() error {
	if c.err == errUserClose {
		return nil
	}
	return c.err
}

// close enters CLOSED, flushing the queues (RFC9293 §3.10.7.4: "All segment
// queues should be flushed"), and records why. Pending control segments (a
// RST being sent) survive so that Output still emits them.
func (c *Conn) close(err error) {
	if c.state == StateClosed {
		return
	}
	if err != nil {
		c.err = err
	}
	c.timers.stopAll()
	c.sndBuf.Reset()
	if err != nil {
		c.rcvBuf.Reset()
		c.reasm = reassembly{}
	}
	c.ackNow, c.synDue, c.probeDue, c.keepaliveDue, c.fastRexmit = false, false, false, false, false
	c.events |= EventReadable | EventWritable
	c.setState(StateClosed)
}

// Info is a snapshot of the connection, in the spirit of Linux TCP_INFO.
type Info struct {
	State State
	// RTT is SRTT, RTTVar is RTTVAR and RTO the current (backed-off) timeout
	// (RFC6298).
	RTT, RTTVar, RTO time.Duration
	// Cwnd and Ssthresh are the congestion window and threshold in bytes.
	Cwnd, Ssthresh int
	// SndMSS is the effective send MSS for payload; RcvMSS the MSS we
	// advertised.
	SndMSS, RcvMSS int
	// SndWnd is the peer's window in bytes; RcvWnd ours (as advertised).
	SndWnd, RcvWnd int
	// Negotiated options. SndWScale is the peer's shift, RcvWScale ours.
	SACK, Timestamps, WindowScale bool
	SndWScale, RcvWScale          int
	// Sequence numbers.
	ISS, IRS, SndUna, SndNxt, SndMax, RcvNxt Value
	// Unacked is the bytes in flight; SendQueued the unsent bytes in the
	// send buffer; RecvQueued the readable bytes; OutOfOrder the bytes held
	// out of order.
	Unacked, SendQueued, RecvQueued, OutOfOrder int
	// Retransmits counts consecutive timeouts of the current segment;
	// TotalRetransmits all retransmitted segments.
	Retransmits, TotalRetransmits int
	// InRecovery reports fast recovery (NewReno or SACK-based).
	InRecovery bool
	// DupAcks counts duplicate ACKs in the current episode.
	DupAcks int
}

// Info returns a snapshot of the connection.
func (c *Conn) Info() Info {
	in := Info{
		State:            c.state,
		RTT:              c.rtt.srtt,
		RTTVar:           c.rtt.rttvar,
		RTO:              c.rtt.rto(),
		Cwnd:             c.cc.cwnd,
		Ssthresh:         c.cc.ssthresh,
		SndMSS:           c.sndMSS,
		RcvMSS:           c.cfg.MSS,
		SndWnd:           int(c.sndWnd),
		RcvWnd:           int(c.rcvWnd()),
		SACK:             c.sackOK,
		Timestamps:       c.tsOK,
		WindowScale:      c.wsOK,
		ISS:              c.iss,
		IRS:              c.irs,
		SndUna:           c.sndUna,
		SndNxt:           c.sndNxt,
		SndMax:           c.sndMax,
		RcvNxt:           c.rcvNxt,
		Unacked:          int(c.sndUna.Size(c.sndMax)),
		SendQueued:       c.unsentBytes(),
		RecvQueued:       c.rcvBuf.Len(),
		OutOfOrder:       c.reasm.held(),
		Retransmits:      c.retransmits,
		TotalRetransmits: c.totalRetrans,
		InRecovery:       c.cc.inRecovery,
		DupAcks:          c.cc.dupAcks,
	}
	if c.wsOK {
		in.SndWScale, in.RcvWScale = int(c.sndWScale), int(c.rcvWScale)
	}
	return in
}

// rcvWnd returns RCV.WND, the window currently offered: from RCV.NXT to the
// advertised right edge.
func (c *Conn) rcvWnd() uint32 {
	if c.rcvAdv.LessThan(c.rcvNxt) {
		return 0
	}
	return uint32(c.rcvNxt.Size(c.rcvAdv))
}

// dataEnd returns the sequence number after the last byte queued to send.
func (c *Conn) dataEnd() Value { return c.sndBufSeq.Add(Size(c.sndBuf.Len())) }

// unsentBytes returns the queued bytes not yet sent (from SND.NXT).
func (c *Conn) unsentBytes() int {
	end := c.dataEnd()
	if !c.sndNxt.LessThan(end) {
		return 0
	}
	from := maxSeq(c.sndNxt, c.sndBufSeq)
	return int(from.Size(end))
}

// finSent reports whether our FIN has been sent (it may need resending).
func (c *Conn) finSent() bool {
	return c.finQueued && c.dataEnd().LessThan(c.sndMax)
}

// finAcked reports whether our FIN has been acknowledged.
func (c *Conn) finAcked() bool {
	return c.finQueued && c.dataEnd().LessThan(c.sndUna)
}

// tsNow returns our Timestamps clock: milliseconds since the connection began
// plus the per-connection offset (RFC7323 §5.4).
func (c *Conn) tsNow(now time.Time) uint32 {
	return uint32(now.Sub(c.tsEpoch)/time.Millisecond) + c.tsOffset
}

// connLogger is l with the connection's endpoints, or l itself when it logs
// nothing: the context would cost every idle connection half a kilobyte.
func connLogger(l zerolog.Logger, local, remote netip.AddrPort) zerolog.Logger {
	e := l.Debug()
	if !e.Enabled() {
		return l
	}
	e.Discard()
	return l.With().Str("local", local.String()).Str("remote", remote.String()).Logger()
}
