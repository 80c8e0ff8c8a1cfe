package probe

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"tcpregress.dev/tcpstack/tcp"
)

// DefaultISS is the initial send sequence number of a Conn whose
// ConnConfig.ISS is zero. Tests read numbers relative to it, so its value
// matters only for wrap-around cases, which set their own.
const DefaultISS tcp.Value = 1_000_000

// ErrReset reports that the target reset a connection the probe was
// opening (Dial) or accepting (Accept).
var ErrReset = errors.New("probe: connection reset by target")

// ConnConfig shapes a Conn. The zero value gives the options Linux sends:
// MSS from the stack's MTU, SACK permitted, timestamps, window scale 7.
type ConnConfig struct {
	// LocalPort is the probe's port; zero picks a free one from 40000 up.
	LocalPort uint16
	// ISS is the initial send sequence number; zero means DefaultISS.
	ISS tcp.Value
	// Window is the window field of the segments the Conn fills; zero
	// means 65535. (Send a zero window with Segment.Keep or a line.)
	Window uint16
	// SYNOptions are the option bytes of our SYN (Dial) or SYN-ACK
	// (Accept), sent as they are. Nil means the Linux layout: MSS, SACK
	// permitted, Timestamps, NOP, window scale 7 (in a SYN-ACK only those
	// the target's SYN offered). An empty, non-nil slice sends none.
	SYNOptions []byte
	// NoTimestamps stops the Conn from adding the Timestamps option to the
	// segments it fills once timestamps are negotiated.
	NoTimestamps bool
	// TSOffset is added to the Conn's timestamp clock, which counts
	// milliseconds since the Conn was made, from 1.
	TSOffset uint32
	// Timeout bounds each wait (Dial, Accept, Expect); zero means the
	// probe's.
	Timeout time.Duration
}

// ConnState is what a Conn knows of its connection, from the segments
// recorded in both directions on its 4-tuple (only those with right
// checksums: those a receiver would accept). It is not a TCP: it tracks
// what tests need to number the next segment.
type ConnState struct {
	// ISS and IRS are the initial sequence numbers of the probe's side and
	// of the target's; IRSKnown reports whether the target's SYN was seen.
	ISS, IRS tcp.Value
	IRSKnown bool
	// SndUna is the highest acknowledgment the target sent; SndNxt the
	// sequence number after the last octet (or SYN, FIN) we sent in
	// sequence (a RST, or a segment beyond a gap, does not move it); RcvNxt
	// the one after the last in-order octet (or SYN, FIN) the target sent.
	SndUna, SndNxt, RcvNxt tcp.Value
	// SndWnd is the target's last advertised window in bytes, scaled.
	SndWnd int
	// PeerOptions are the options of the target's SYN or SYN-ACK, OurOptions
	// those of ours.
	PeerOptions, OurOptions tcp.Options
	// Negotiated options (both SYNs carried them). SndWScale is the
	// target's shift, RcvWScale ours.
	SACK, Timestamps, WindowScale bool
	SndWScale, RcvWScale          uint8
	// TSRecent is the latest TSval the target sent in order (RFC7323 §4.3),
	// which our segments echo.
	TSRecent uint32
	// FINReceived and RSTReceived report the target's FIN (in order) and
	// any RST from it; FINSent and RSTSent ours.
	FINReceived, RSTReceived, FINSent, RSTSent bool
	// Received counts the in-order payload octets the target sent.
	Received int
}

// Conn is a connection between the probe and a target, seen from the
// probe's side: it numbers segments from what was sent and received on its
// 4-tuple, fills the fields a test leaves zero, and expects frames of its
// 4-tuple only. It does not retransmit, acknowledge or reassemble by
// itself: the test says every segment.
//
// Its methods are safe for concurrent use.
type Conn struct {
	p             *Probe
	local, remote netip.AddrPort
	cfg           ConnConfig
	born          time.Time
	timeout       time.Duration
	tuple         Match

	// Guarded by p.mu.
	st      ConnState
	data    []byte // the in-order payload received
	readOff int    // how much of data ExpectData returned
	closed  bool
}

// NewConn makes a Conn to remote in the CLOSED state, sending nothing: a
// test then opens it segment by segment (SendLine("S 0:0(0) ...")), or
// sends to a port nobody listens on. Dial and Accept are the usual ways.
func (p *Probe) NewConn(remote netip.AddrPort, cfg ConnConfig) (*Conn, error) {
	if !remote.Addr().Is4() {
		return nil, fmt.Errorf("probe: remote %v is not an IPv4 endpoint", remote)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	port := cfg.LocalPort
	if port == 0 {
		port = p.freePortLocked(remote)
	}
	return p.newConnLocked(netip.AddrPortFrom(p.addr, port), remote, cfg)
}

func (p *Probe) newConnLocked(local, remote netip.AddrPort, cfg ConnConfig) (*Conn, error) {
	key := connKey{local, remote}
	if p.conns[key] != nil {
		return nil, fmt.Errorf("probe: a Conn %v > %v exists already", local, remote)
	}
	if cfg.ISS == 0 {
		cfg.ISS = DefaultISS
	}
	if cfg.Window == 0 {
		cfg.Window = 65535
	}
	c := &Conn{p: p, local: local, remote: remote, cfg: cfg, born: p.now(), timeout: cfg.Timeout}
	if c.timeout <= 0 {
		c.timeout = p.timeout
	}
	c.tuple = Tuple(local, remote)
	c.st.ISS, c.st.SndUna, c.st.SndNxt = cfg.ISS, cfg.ISS, cfg.ISS
	p.conns[key] = c
	if p.ports != nil {
		p.ports[local.Port()] = true
	}
	return c, nil
}

// freePortLocked picks a local port no Conn to remote uses.
func (p *Probe) freePortLocked(remote netip.AddrPort) uint16 {
	for {
		port := p.nextPort
		p.nextPort++
		if p.nextPort < 40000 {
			p.nextPort = 40000
		}
		if p.conns[connKey{netip.AddrPortFrom(p.addr, port), remote}] == nil {
			return port
		}
	}
}

// Dial opens a connection to remote actively: it sends a SYN with the
// configured options, waits for the SYN-ACK (acknowledging our ISS+1) and
// answers with an ACK. A RST instead yields an error wrapping ErrReset.
func (p *Probe) Dial(remote netip.AddrPort, cfg ConnConfig) (*Conn, error) {
	c, err := p.NewConn(remote, cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if err := c.Send(Segment{Flags: tcp.FlagSYN, Options: c.synOptions(nil)}); err != nil {
		c.forget()
		return nil, err
	}
	f, err := c.handshakeReply(ctx, HasFlags(tcp.FlagSYN|tcp.FlagACK), "dial", remote)
	if err != nil {
		return nil, err
	}
	if want := c.cfg.ISS.Add(1); f.TCP.Ack != want {
		c.forget()
		return nil, fmt.Errorf("probe: dial %v: SYN-ACK acknowledges %d, not ISS+1 = %d: %v", remote, uint32(f.TCP.Ack), uint32(want), &f)
	}
	if err := c.Ack(); err != nil {
		c.forget()
		return nil, err
	}
	return c, nil
}

// Listener waits for targets that connect to one port of the probe.
type Listener struct {
	p    *Probe
	port uint16
	cfg  ConnConfig
}

// Listen prepares passive opens on port (the probe answers nothing until
// Accept is called: SYNs wait in the record).
func (p *Probe) Listen(port uint16, cfg ConnConfig) *Listener {
	p.Claim(port)
	return &Listener{p: p, port: port, cfg: cfg}
}

// Port returns the listening port.
func (l *Listener) Port() uint16 { return l.port }

// Accept waits for a SYN to the port, answers it with a SYN-ACK (with the
// configured options, by default those of Linux for what the SYN offered)
// and waits for the ACK of it. A RST instead yields an error wrapping
// ErrReset.
func (l *Listener) Accept() (*Conn, error) {
	p := l.p
	timeout := l.cfg.Timeout
	if timeout <= 0 {
		timeout = p.timeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	local := netip.AddrPortFrom(p.addr, l.port)
	syn, err := p.ExpectContext(ctx, And(To(local),
		Func("flags has [S], not [.] or [R]", func(f *Frame) bool {
			return f.IsTCP() && f.TCP.Flags&(tcp.FlagSYN|tcp.FlagACK|tcp.FlagRST) == tcp.FlagSYN
		})))
	if err != nil {
		return nil, fmt.Errorf("probe: accept on %v: %w", local, err)
	}
	p.mu.Lock()
	c, err := p.newConnLocked(local, syn.Src(), l.cfg)
	if err == nil {
		c.trackLocked(&syn)
	}
	p.mu.Unlock()
	if err != nil {
		return nil, err
	}
	st := c.State()
	synAck := Segment{Flags: tcp.FlagSYN | tcp.FlagACK, Seq: st.ISS, Ack: st.RcvNxt,
		Options: c.synOptions(&syn.TCP.Options), Keep: FieldSeq | FieldAck}
	if err := c.Send(synAck); err != nil {
		c.forget()
		return nil, err
	}
	if _, err := c.handshakeReply(ctx, And(HasFlags(tcp.FlagACK), Ack(st.ISS.Add(1))), "accept on", local); err != nil {
		return nil, err
	}
	return c, nil
}

// handshakeReply waits for the segment of an opening handshake that m
// matches (Dial's SYN-ACK, Accept's ACK) or for an RST instead. On an error
// or an RST it forgets the connection and returns an error naming op and
// addr ("dial 198.18.0.2:80"), wrapping ErrReset for an RST.
func (c *Conn) handshakeReply(ctx context.Context, m Match, op string, addr netip.AddrPort) (Frame, error) {
	f, err := c.expect(ctx, Or(m, HasFlags(tcp.FlagRST)), false)
	if err != nil {
		c.forget()
		return f, fmt.Errorf("probe: %s %v: %w", op, addr, err)
	}
	if f.TCP.Flags&tcp.FlagRST != 0 {
		c.forget()
		return f, fmt.Errorf("probe: %s %v: %w: %v", op, addr, ErrReset, &f)
	}
	return f, nil
}

// synOptions returns the options of our SYN (peer nil) or SYN-ACK.
func (c *Conn) synOptions(peer *tcp.Options) []byte {
	if c.cfg.SYNOptions != nil {
		return c.cfg.SYNOptions
	}
	mss := MSS(uint16(c.p.s.MTU() - 40))
	if peer == nil {
		return Options(mss, SACKPermitted(), Timestamps(c.tsNow(), 0), NOP(), WScale(7))
	}
	// Linux's SYN-ACK layout (tcp_options_write): MSS, then SACK-Permitted
	// and Timestamps together or each behind two NOPs, then NOP, WScale.
	b := mss
	switch {
	case peer.SACKPermitted && peer.HasTimestamps:
		b = Options(b, SACKPermitted(), Timestamps(c.tsNow(), peer.TSVal))
	case peer.HasTimestamps:
		b = Options(b, NOP(), NOP(), Timestamps(c.tsNow(), peer.TSVal))
	case peer.SACKPermitted:
		b = Options(b, NOP(), NOP(), SACKPermitted())
	}
	if peer.HasWScale {
		b = Options(b, NOP(), WScale(7))
	}
	return b
}

// tsNow is the Conn's timestamp clock (RFC7323 §5.4: it must advance).
func (c *Conn) tsNow() uint32 {
	return c.cfg.TSOffset + uint32(c.p.now().Sub(c.born).Milliseconds()) + 1
}

// trackLocked updates the state from a recorded segment of the 4-tuple.
func (c *Conn) trackLocked(f *Frame) {
	if c.closed || !f.ChecksumOK || !f.IP.ChecksumOK {
		return // a receiver would drop it: nothing happened
	}
	s, st := &f.TCP, &c.st
	if f.Dir == Out {
		if s.Flags&tcp.FlagSYN != 0 {
			st.OurOptions = s.Options
			c.negotiateLocked()
		}
		// Only a segment that continues the sequence moves SND.NXT: a RST,
		// or a segment sent beyond a gap on purpose, does not.
		if end := s.End(); s.Flags&tcp.FlagRST == 0 && s.Seq.LessThanEq(st.SndNxt) && end.GreaterThan(st.SndNxt) {
			st.SndNxt = end
		}
		st.FINSent = st.FINSent || s.Flags&tcp.FlagFIN != 0
		st.RSTSent = st.RSTSent || s.Flags&tcp.FlagRST != 0
		return
	}
	if s.Flags&tcp.FlagRST != 0 {
		st.RSTReceived = true
		return
	}
	start := s.Seq
	if s.Flags&tcp.FlagSYN != 0 {
		if !st.IRSKnown {
			st.IRS, st.RcvNxt, st.IRSKnown = s.Seq, s.Seq.Add(1), true
			st.PeerOptions = s.Options
			c.negotiateLocked()
		}
		start = start.Add(1)
	}
	if !st.IRSKnown {
		return
	}
	if s.Flags&tcp.FlagACK != 0 && s.Ack.GreaterThan(st.SndUna) && s.Ack.LessThanEq(st.SndNxt) {
		st.SndUna = s.Ack
	}
	if s.Flags&tcp.FlagSYN != 0 {
		st.SndWnd = int(s.Window) // never scaled (RFC7323 §2.2)
	} else {
		st.SndWnd = int(s.Window) << st.SndWScale
	}
	if s.Options.HasTimestamps && s.Seq.LessThanEq(st.RcvNxt) {
		st.TSRecent = s.Options.TSVal
	}
	end := start.Add(tcp.Size(len(s.Payload)))
	if len(s.Payload) > 0 && start.LessThanEq(st.RcvNxt) && end.GreaterThan(st.RcvNxt) {
		c.data = append(c.data, s.Payload[start.Size(st.RcvNxt):]...)
		st.Received += int(st.RcvNxt.Size(end))
		st.RcvNxt = end
	}
	if s.Flags&tcp.FlagFIN != 0 && end == st.RcvNxt && !st.FINReceived {
		st.RcvNxt = st.RcvNxt.Add(1)
		st.FINReceived = true
	}
}

// negotiateLocked derives the negotiated options from both SYNs.
func (c *Conn) negotiateLocked() {
	st := &c.st
	ours, theirs := &st.OurOptions, &st.PeerOptions
	st.SACK = ours.SACKPermitted && theirs.SACKPermitted
	st.Timestamps = ours.HasTimestamps && theirs.HasTimestamps
	st.WindowScale = ours.HasWScale && theirs.HasWScale
	st.SndWScale, st.RcvWScale = 0, 0
	if st.WindowScale {
		// RFC7323 §2.3: a shift above 14 is used as 14.
		st.SndWScale, st.RcvWScale = min(theirs.WScale, 14), min(ours.WScale, 14)
	}
}

// State returns a snapshot of what the Conn knows.
func (c *Conn) State() ConnState {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return c.st
}

// LocalAddr returns the probe's endpoint.
func (c *Conn) LocalAddr() netip.AddrPort { return c.local }

// RemoteAddr returns the target's endpoint.
func (c *Conn) RemoteAddr() netip.AddrPort { return c.remote }

// Received returns a copy of the in-order payload the target sent.
func (c *Conn) Received() []byte {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return append([]byte(nil), c.data...)
}

// fill completes seg from the connection's state (see Segment.Keep).
func (c *Conn) fill(seg *Segment) error {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	st := &c.st
	k := seg.Keep
	if k&FieldPorts == 0 {
		if seg.SrcPort == 0 {
			seg.SrcPort = c.local.Port()
		}
		if seg.DstPort == 0 {
			seg.DstPort = c.remote.Port()
		}
	}
	if k&FieldAddrs == 0 {
		if !seg.IP.Src.IsValid() {
			seg.IP.Src = c.local.Addr()
		}
		if !seg.IP.Dst.IsValid() {
			seg.IP.Dst = c.remote.Addr()
		}
	}
	if k&FieldSeq == 0 && seg.Seq == 0 {
		seg.Seq = st.SndNxt
	}
	if k&FieldAck == 0 && seg.Ack == 0 && seg.Flags&tcp.FlagACK != 0 {
		seg.Ack = st.RcvNxt
	}
	if k&FieldWindow == 0 && seg.Window == 0 {
		seg.Window = c.cfg.Window
	}
	if k&FieldOptions == 0 && st.Timestamps && !c.cfg.NoTimestamps && seg.Flags&tcp.FlagRST == 0 {
		has := false
		for _, o := range walkOptions(seg.Options) {
			has = has || o.kind == 8
		}
		if !has {
			seg.Options = Options(NOP(), NOP(), Timestamps(c.tsNow(), st.TSRecent), seg.Options)
		}
	}
	return nil
}

// Send fills the fields of seg left zero from the connection's state and
// sends it: ports and addresses from the endpoints, Seq from SND.NXT, Ack
// from RCV.NXT (with the ACK flag), Window from ConnConfig.Window, and a
// Timestamps option once negotiated. Fields listed in seg.Keep are sent as
// written, zero or not.
func (c *Conn) Send(seg Segment) error {
	if err := c.fill(&seg); err != nil {
		return err
	}
	return c.p.Send(seg)
}

// SendData sends payload in one segment with PSH and ACK, numbered from
// the state. It does not split payload: keep it within the target's MSS.
func (c *Conn) SendData(payload []byte) error {
	return c.Send(Segment{Flags: tcp.FlagPSH | tcp.FlagACK, Payload: payload})
}

// Ack sends a bare ACK of RCV.NXT.
func (c *Conn) Ack() error { return c.Send(Segment{Flags: tcp.FlagACK}) }

// SendFIN sends a FIN with ACK at SND.NXT.
func (c *Conn) SendFIN() error { return c.Send(Segment{Flags: tcp.FlagFIN | tcp.FlagACK}) }

// Reset sends a RST at SND.NXT.
func (c *Conn) Reset() error { return c.Send(Segment{Flags: tcp.FlagRST}) }

// lineBase returns what the connection's lines resolve against.
func (c *Conn) lineBase() lineBase {
	st := c.State()
	return lineBase{iss: st.ISS, irs: st.IRS, irsKnown: st.IRSKnown, ts: true, tsVal: c.tsNow(), tsEcr: st.TSRecent}
}

// SendLine sends the segment a packetdrill-like line describes, with
// numbers relative to the connection's ISS (seq) and IRS (ack, SACK):
//
//	c.SendLine("S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>")
//	c.SendLine(". 1:1(0) ack 1 win 257")
//	c.SendLine("P. 1:101(100) ack 1")
//	c.SendLine("R 1:1(0)")
//
// "ack" defaults to RCV.NXT when the ACK flag is set, "win" to the
// configured window; without "<...>" the Timestamps option is added once
// negotiated. See ParseLine for the grammar.
func (c *Conn) SendLine(line string) error {
	return c.SendLineData(line, nil)
}

// SendLineData is SendLine with the payload given instead of the pattern;
// its length must be the line's LEN.
func (c *Conn) SendLineData(line string, payload []byte) error {
	l, err := ParseLine(line)
	if err != nil {
		return err
	}
	seg, err := l.segment(c.lineBase())
	if err != nil {
		return err
	}
	if payload != nil {
		if len(payload) != len(seg.Payload) {
			return l.sendError("%d octets of payload given for LEN %d", len(payload), len(seg.Payload))
		}
		seg.Payload = payload
	}
	return c.Send(seg)
}

// expect waits for a frame of the 4-tuple that matches m; none records it
// as an ExpectNone.
func (c *Conn) expect(ctx context.Context, m Match, none bool) (Frame, error) {
	c.p.mu.Lock()
	closed := c.closed
	c.p.mu.Unlock()
	if closed {
		return Frame{}, ErrClosed
	}
	both := And(c.tuple, m)
	return c.p.expect(ctx, Func(m.String()+" ("+c.tuple.String()+")", both.Match), waitFor{desc: m.String(), none: none})
}

// Expect waits, up to the configured timeout, for the next frame from the
// target on this 4-tuple that matches m (see Probe.Expect).
func (c *Conn) Expect(m Match) (Frame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	return c.expect(ctx, m, false)
}

// MatchLine returns the expectation a packetdrill-like line describes on
// this connection: seq relative to the target's IRS, ack and SACK blocks to
// our ISS, "*" for any value, fields left out not checked:
//
//	S. 0:0(0) ack 1 <mss 1460,sackOK,TS val * ecr *,nop,wscale *>
//	. 1:1(0) ack 101
//	R. 0:0(0) ack 1
func (c *Conn) MatchLine(line string) (Match, error) {
	l, err := ParseLine(line)
	if err != nil {
		return nil, err
	}
	return Func("\""+l.text+"\"", func(f *Frame) bool {
		st := c.State()
		return l.mismatch(f, lineBase{iss: st.ISS, irs: st.IRS, irsKnown: st.IRSKnown}) == ""
	}), nil
}

// ExpectLine is Expect with MatchLine. On timeout the error also says,
// for the last segment that came on the 4-tuple, which field differed.
func (c *Conn) ExpectLine(line string) (Frame, error) {
	m, err := c.MatchLine(line)
	if err != nil {
		return Frame{}, err
	}
	f, err := c.Expect(m)
	if err == nil {
		return f, nil
	}
	var ee *ExpectError
	if errors.As(err, &ee) {
		l, _ := ParseLine(line)
		st := c.State()
		for i := len(ee.Frames) - 1; i >= 0; i-- {
			if fr := &ee.Frames[i]; c.tuple.Match(fr) {
				b := lineBase{iss: st.ISS, irs: st.IRS, irsKnown: st.IRSKnown}
				return Frame{}, fmt.Errorf("%w\n\tlast segment on the connection: %s\n\twant %s\n\t got %s",
					err, l.mismatch(fr, b), l, frameLine(fr, b))
			}
		}
	}
	return Frame{}, err
}

// ExpectNone reports an error if a frame of the 4-tuple matching m arrives
// within d (see Probe.ExpectNone, and prefer positive evidence).
func (c *Conn) ExpectNone(d time.Duration, m Match) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	f, err := c.expect(ctx, m, true)
	switch {
	case err == nil:
		return &UnexpectedError{Match: m.String(), Frame: f, Base: c.p.start}
	case errors.Is(err, context.DeadlineExceeded):
		return nil
	}
	return err
}

// ExpectData waits until n more in-order octets have come from the target
// and returns them, taking the data segments it sees on the way. It sends
// no ACK.
func (c *Conn) ExpectData(n int) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	for {
		c.p.mu.Lock()
		if len(c.data)-c.readOff >= n {
			b := append([]byte(nil), c.data[c.readOff:c.readOff+n]...)
			c.readOff += n
			c.p.mu.Unlock()
			return b, nil
		}
		c.p.mu.Unlock()
		if _, err := c.expect(ctx, HasPayload, false); err != nil {
			return nil, fmt.Errorf("probe: waiting for %d octets of data: %w", n, err)
		}
	}
}

// Close ends the Conn: if the connection is open (the target's SYN was
// seen, no RST either way, not both FINs), it sends a RST so the target
// does not keep it; then the Conn stops tracking its 4-tuple, and its
// methods return ErrClosed. Frames of the 4-tuple are still recorded.
func (c *Conn) Close() error {
	st := c.State()
	var err error
	if st.IRSKnown && !st.RSTReceived && !st.RSTSent && !(st.FINSent && st.FINReceived) {
		err = c.Reset()
	}
	c.forget()
	return err
}

// forget unregisters the Conn.
func (c *Conn) forget() {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	c.closed = true
	key := connKey{c.local, c.remote}
	if c.p.conns[key] == c {
		delete(c.p.conns, key)
	}
}
