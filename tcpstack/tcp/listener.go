// Passive open: the LISTEN state, and replies for segments that reach no
// connection.
//
// Read before editing: RFC9293 §3.10.7.1 (CLOSED: reply with RST),
// §3.10.7.2 (LISTEN: RST ignored, ACK answered with RST, SYN creates the
// connection), §3.10.1 (passive OPEN), MUST-11 (SYN-RECEIVED remembers it came
// from LISTEN), MUST-57 and MUST-63 (discard SYNs from or to broadcast and
// multicast addresses).

package tcp

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/rs/zerolog"
)

// Listener is a TCB in the LISTEN state (RFC9293 §3.10.1 passive OPEN) for one
// local endpoint. Each acceptable SYN yields a new Conn in SYN-RECEIVED; the
// Listener itself keeps listening. It holds no per-peer state (no backlog:
// the socket layer bounds how many Conns it keeps, and answers SYNs beyond
// that with SYN cookies, see CookieReply).
type Listener struct {
	cfg     Config
	local   netip.AddrPort
	log     zerolog.Logger
	cookies *SYNCookies
}

// NewListener returns a listener for local, whose connections use cfg.
func NewListener(cfg Config, local netip.AddrPort) (*Listener, error) {
	if !local.Addr().IsValid() || local.Port() == 0 {
		return nil, fmt.Errorf("%w: listen on %v", ErrInvalidEndpoint, local)
	}
	if cfg.ISN == nil {
		// One generator for all the listener's connections keeps ISNs of
		// successive incarnations increasing (RFC6528 §3).
		cfg.ISN = NewRandomISN()
	}
	return &Listener{cfg: cfg, local: local, log: cfg.Logger, cookies: NewSYNCookies(nil)}, nil
}

// Addr returns the local endpoint.
func (l *Listener) Addr() netip.AddrPort { return l.local }

// Input processes a segment that arrived from remote for the listening
// endpoint, following RFC9293 §3.10.7.2. For an acceptable SYN it returns a
// new Conn in SYN-RECEIVED whose next Output emits the SYN-ACK. For a segment
// that must be answered with a reset it returns that reset and true.
// Everything else is dropped.
func (l *Listener) Input(remote netip.Addr, seg Segment, now time.Time) (c *Conn, rst Segment, sendRST bool) {
	// "First, check for a RST: An incoming RST segment could not be valid
	// since it could not have been sent in response to anything sent by this
	// incarnation of the connection. An incoming RST should be ignored."
	if seg.Flags&FlagRST != 0 {
		return nil, Segment{}, false
	}
	// "Second, check for an ACK: Any acknowledgment is bad if it arrives on a
	// connection still in the LISTEN state. An acceptable reset segment should
	// be formed for any arriving ACK-bearing segment. The RST should be
	// formatted as follows: <SEQ=SEG.ACK><CTL=RST>"
	if seg.Flags&FlagACK != 0 {
		return nil, resetReply(seg), true
	}
	// "Third, check for a SYN".
	if seg.Flags&FlagSYN == 0 {
		// "Fourth, other data or control: This should not be reached. Drop
		// the segment and return."
		return nil, Segment{}, false
	}
	peer := netip.AddrPortFrom(remote, seg.SrcPort)
	if !validPeer(peer) {
		// RFC9293 MUST-63: a SYN from a broadcast or multicast address is
		// silently discarded.
		return nil, Segment{}, false
	}
	return l.synReceived(peer, &seg, now), Segment{}, false
}

// synReceived returns the connection an acceptable SYN from peer creates,
// in SYN-RECEIVED, its SYN-ACK due.
func (l *Listener) synReceived(peer netip.AddrPort, seg *Segment, now time.Time) *Conn {
	c := newConn(l.cfg, l.local, peer, now)
	c.passive = true
	// "Set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ, and any other control
	// or text should be queued for processing later. ISS should be selected
	// and a SYN segment sent of the form: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>
	// SND.NXT is set to ISS+1 and SND.UNA to ISS. The connection state should
	// be changed to SYN-RECEIVED."
	//
	// Deviation: text and FIN carried by the SYN are not queued but dropped
	// (they are not acknowledged, so the peer sends them again), as Linux does
	// without TCP Fast Open.
	c.irs = seg.Seq
	c.rcvNxt = seg.Seq.Add(1)
	c.rcvAdv, c.lastAckSent = c.rcvNxt, c.rcvNxt
	c.negotiate(&seg.Options)
	c.sndWnd = uint32(seg.Window) // a SYN's window is never scaled (RFC7323 §2.2)
	c.maxSndWnd = c.sndWnd
	c.sndWl1, c.sndWl2 = seg.Seq, seg.Ack
	if seg.Options.HasTimestamps && c.tsOK {
		c.tsRecent, c.tsRecentAt = seg.Options.TSVal, now
	}
	c.log = connLogger(l.cfg.Logger, c.local, peer)
	c.state = StateListen
	c.setState(StateSynReceived)
	c.events = 0
	c.synDue = true
	c.synSentAt = now
	return c
}

// ResetFor returns the reset RFC9293 §3.10.7.1 prescribes for a segment that
// arrives for a connection that does not exist (state CLOSED), and false when
// none is due (the segment itself is a RST). Ports are swapped.
func ResetFor(seg Segment) (Segment, bool) {
	// "An incoming segment containing a RST is discarded."
	if seg.Flags&FlagRST != 0 {
		return Segment{}, false
	}
	return resetReply(seg), true
}

// resetReply forms the reset for an unwanted segment: "If the ACK bit is off,
// sequence number zero is used, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. If
// the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>" (RFC9293 §3.10.7.1).
func resetReply(seg Segment) Segment {
	r := Segment{SrcPort: seg.DstPort, DstPort: seg.SrcPort, Flags: FlagRST}
	if seg.Flags&FlagACK != 0 {
		r.Seq = seg.Ack
	} else {
		r.Ack = seg.End()
		r.Flags |= FlagACK
	}
	return r
}

// SetRecvBuffer sets the receive buffer of the connections the listener
// creates from now on (SO_RCVBUF on a listening socket), which bounds their
// windows and chooses the window scale of their SYN-ACKs. Zero restores the
// default.
func (l *Listener) SetRecvBuffer(n int) { l.cfg.RecvBuffer = max(n, 0) }
