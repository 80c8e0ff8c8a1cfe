// SYN cookies: answering SYNs without keeping state when the listen queue is
// full, and rebuilding the connection from the ACK that returns.
//
// Read before editing: RFC4987 §3.6 (SYN cookies: the ISS of the SYN-ACK
// encodes the connection's parameters and a secret-keyed hash; "the only
// state ... is in the cookie"; the MSS is coded in a few bits, and options
// the cookie cannot carry are lost), RFC7323 §2.2 and §3.2 (window scale
// and timestamps are negotiated on the SYN, so an ACK alone does not carry
// them), RFC2018 §2 (SACK-permitted, likewise), RFC6528 (ISNs: a cookie
// is not one, the deviation RFC4987 §3.6 accepts). Linux and FreeBSD keep the
// window scale and SACK-permitted in the low bits of the SYN-ACK's TSval
// when the peer uses timestamps (its ACK echoes them in TSecr); without
// timestamps they are not offered at all.

package tcp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"net/netip"
	"time"
)

// cookiePeriod is one tick of the cookies' counter. A cookie is accepted
// in the tick it was made and the next, so for 64 to 128 s: longer than any
// handshake (the peer's ACK follows our SYN-ACK by one round trip), short
// enough that a cookie seen on the wire soon stops opening connections.
const cookiePeriod = 64 * time.Second

// SYNCookieLifetime is the longest time a SYN cookie stays valid: the
// ACKs that reach a listener this long after its last cookie need no check.
const SYNCookieLifetime = 2 * cookiePeriod

// cookieMSS is the table of MSS values a cookie can name (3 bits); a peer's
// MSS is rounded down to an entry. The entries are the common values: 536
// (the IPv4 default, RFC9293 MUST-15), 1220 (IPv6's), 1300 to 1460 (tunnels,
// PPPoE, Ethernet) and 8960 (a 9000-byte jumbo frame).
var cookieMSS = [8]uint16{536, 1220, 1300, 1360, 1400, 1440, 1460, 8960}

// cookie TSval bits (RFC7323 TSval low bits, as Linux): the peer's window
// shift, or tsNoWScale, and SACK-permitted.
const (
	tsCookieBits  = 6
	tsCookieMask  = 1<<tsCookieBits - 1
	tsWScaleMask  = 0xf
	tsNoWScale    = 0xf
	tsSACKBit     = 1 << 4
	cookieHashLen = 27 // bits of the keyed hash in a cookie
)

// SYNCookies makes and checks SYN cookies (RFC4987 §3.6) with one secret.
// A stack shares one among its listeners ([Listener.SetSYNCookies]).
// It is not safe for concurrent use.
type SYNCookies struct {
	mac hash.Hash
	buf []byte
}

// NewSYNCookies returns a cookie maker keyed with key; a nil key means a
// fresh random one (RFC4987 §3.6: the secret must not be guessable).
func NewSYNCookies(key []byte) *SYNCookies {
	if key == nil {
		key = make([]byte, 32)
		_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+).
	}
	return &SYNCookies{mac: hmac.New(sha256.New, key)}
}

// counter is the cookie clock at now.
func cookieCounter(now time.Time) uint32 { return uint32(now.UnixNano() / int64(cookiePeriod)) }

// hash is the keyed hash of a cookie's inputs: both endpoints as bytes (so
// IPv4 and IPv6 alike), the peer's ISN, the counter and the MSS index.
func (k *SYNCookies) hash(local, remote netip.AddrPort, irs Value, count uint32, mssIdx uint8) uint32 {
	b := k.buf[:0]
	b = local.Addr().AppendTo(b)
	b = binary.BigEndian.AppendUint16(b, local.Port())
	b = remote.Addr().AppendTo(b)
	b = binary.BigEndian.AppendUint16(b, remote.Port())
	b = binary.BigEndian.AppendUint32(b, uint32(irs))
	b = binary.BigEndian.AppendUint32(b, count)
	b = append(b, mssIdx)
	k.buf = b
	k.mac.Reset()
	k.mac.Write(b)
	var sum [sha256.Size]byte
	return binary.BigEndian.Uint32(k.mac.Sum(sum[:0]))
}

// make returns the cookie, our ISS: bits 31-30 the counter's low bits,
// 29-27 the MSS index, 26-0 the keyed hash.
func (k *SYNCookies) make(local, remote netip.AddrPort, irs Value, mssIdx uint8, now time.Time) Value {
	count := cookieCounter(now)
	h := k.hash(local, remote, irs, count, mssIdx) & (1<<cookieHashLen - 1)
	return Value(count&3<<30 | uint32(mssIdx)<<27 | h)
}

// check returns the MSS index of a cookie made for these endpoints and
// peer ISN in this tick or the previous one, and false for anything else.
func (k *SYNCookies) check(local, remote netip.AddrPort, irs, cookie Value, now time.Time) (uint8, bool) {
	now32 := cookieCounter(now)
	mssIdx := uint8(cookie >> 27 & 7)
	for age := uint32(0); age < 2; age++ {
		count := now32 - age
		if uint32(cookie)>>30 != count&3 {
			continue
		}
		if k.hash(local, remote, irs, count, mssIdx)&(1<<cookieHashLen-1) == uint32(cookie)&(1<<cookieHashLen-1) {
			return mssIdx, true
		}
	}
	return 0, false
}

// SetSYNCookies makes the listener use k for its cookies (a random key of
// its own otherwise).
func (l *Listener) SetSYNCookies(k *SYNCookies) { l.cookies = k }

// synAcceptable reports whether seg is a SYN the LISTEN state accepts
// (RFC9293 §3.10.7.2: no RST, no ACK, SYN; MUST-63: a unicast peer).
func synAcceptable(remote netip.Addr, seg *Segment) bool {
	return seg.Flags&(FlagRST|FlagACK|FlagSYN) == FlagSYN && validPeer(netip.AddrPortFrom(remote, seg.SrcPort))
}

// CookieReply returns the SYN-ACK that answers seg, a SYN from remote,
// with a SYN cookie (RFC4987 §3.6) instead of a connection: the listener
// keeps nothing, and [Listener.CookieInput] rebuilds the connection from
// the peer's ACK. ok is false when seg is not an acceptable SYN
// (see [Listener.Input]). Call it instead of Input when the listen queue
// is full.
//
// The cookie carries the peer's MSS rounded down to one of 8 values. When
// the peer and this listener use timestamps, the window scale and
// SACK-permitted the peer offered ride in the low 6 bits of the TSval
// (Linux's and FreeBSD's scheme); without timestamps the SYN-ACK offers
// neither, so the connection runs without them.
func (l *Listener) CookieReply(remote netip.Addr, seg Segment, now time.Time) (synack Segment, ok bool) {
	if !synAcceptable(remote, &seg) {
		return Segment{}, false
	}
	cfg := l.cfg.normalize()
	peer := netip.AddrPortFrom(remote, seg.SrcPort)
	mss := defaultSendMSS(remote)
	if seg.Options.HasMSS && seg.Options.MSS != 0 {
		mss = int(seg.Options.MSS)
	}
	var idx uint8
	for i, m := range cookieMSS {
		if int(m) <= mss {
			idx = uint8(i)
		}
	}
	synack = Segment{
		SrcPort: l.local.Port(), DstPort: seg.SrcPort,
		Seq: l.cookies.make(l.local, peer, seg.Seq, idx, now), Ack: seg.Seq.Add(1),
		Flags: FlagSYN | FlagACK, Window: uint16(min(cfg.RecvBuffer, 65535)),
	}
	o := &synack.Options
	o.HasMSS, o.MSS = true, uint16(cfg.MSS) // RFC9293 MUST-14
	if cfg.DisableTimestamps || !seg.Options.HasTimestamps {
		return synack, true
	}
	if l.cfg.TSEpoch.IsZero() {
		l.cfg.TSEpoch = now // the connections rebuilt later share this clock
	}
	bits := uint32(tsNoWScale)
	if !cfg.DisableWindowScale && seg.Options.HasWScale {
		bits = uint32(min(seg.Options.WScale, maxWScale))
		o.HasWScale, o.WScale = true, windowScaleFor(cfg.RecvBuffer)
	}
	if !cfg.DisableSACK && seg.Options.SACKPermitted {
		bits |= tsSACKBit
		o.SACKPermitted = true
	}
	ts := l.tsNow(peer, now)
	tsval := ts&^tsCookieMask | bits
	if int32(tsval-ts) > 0 {
		// Never ahead of the clock, or the connection's next TSval would
		// go back and the peer's PAWS drop it (RFC7323 §5.3).
		tsval -= 1 << tsCookieBits
	}
	o.HasTimestamps, o.TSVal, o.TSEcr = true, tsval, seg.Options.TSVal
	return synack, true
}

// tsNow is the Timestamps clock a connection to peer would read at now.
func (l *Listener) tsNow(peer netip.AddrPort, now time.Time) uint32 {
	var off uint32
	if o, ok := l.cfg.ISN.(TSOffsetter); ok {
		off = o.TSOffset(l.local, peer)
	}
	return uint32(now.Sub(l.cfg.TSEpoch)/time.Millisecond) + off
}

// CookieInput checks whether seg, a segment from remote with ACK set and
// no SYN or RST that matches no connection, is the ACK of a SYN-ACK that
// [Listener.CookieReply] sent at most 128 s ago, and if so returns the
// connection it completes, in ESTABLISHED (or beyond: the ACK may carry data
// and a FIN, which it has processed; call Output next). ok is false for
// anything else: the caller then treats seg as Input does.
func (l *Listener) CookieInput(remote netip.Addr, seg Segment, now time.Time) (c *Conn, ok bool) {
	if seg.Flags&(FlagACK|FlagSYN|FlagRST) != FlagACK {
		return nil, false
	}
	peer := netip.AddrPortFrom(remote, seg.SrcPort)
	if !validPeer(peer) {
		return nil, false
	}
	iss, irs := seg.Ack.Sub(1), seg.Seq.Sub(1)
	idx, ok := l.cookies.check(l.local, peer, irs, iss, now)
	if !ok {
		return nil, false
	}
	// The SYN as the cookie remembers it.
	syn := Segment{SrcPort: seg.SrcPort, DstPort: seg.DstPort, Seq: irs, Flags: FlagSYN, Window: seg.Window}
	syn.Options.HasMSS, syn.Options.MSS = true, cookieMSS[idx]
	if !l.cfg.DisableTimestamps && seg.Options.HasTimestamps && !l.cfg.TSEpoch.IsZero() {
		ecr := seg.Options.TSEcr
		// The echo must be a TSval we could have sent within the cookie's
		// life; anything else was not ours.
		if age := l.tsNow(peer, now) - ecr; int32(age) < 0 || age > uint32(2*cookiePeriod/time.Millisecond)+1<<tsCookieBits {
			return nil, false
		}
		syn.Options.HasTimestamps, syn.Options.TSVal = true, seg.Options.TSVal
		if ws := ecr & tsWScaleMask; ws != tsNoWScale {
			syn.Options.HasWScale, syn.Options.WScale = true, uint8(ws)
		}
		syn.Options.SACKPermitted = ecr&tsSACKBit != 0
	}
	c = l.synReceived(peer, &syn, now)
	c.setISS(iss)
	// Our SYN-ACK went out with the cookie: what sendSYN records.
	c.synDue = false
	c.sndNxt, c.sndMax = iss.Add(1), iss.Add(1)
	c.rcvAdv = c.rcvNxt.Add(Size(c.synWindow()))
	c.synLastAt = now
	c.Input(seg, now)
	if c.state == StateSynReceived || c.state == StateClosed || c.state == StateListen {
		return nil, false
	}
	return c, true
}
