package main

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/rs/zerolog"

	libpcap "tcpregress.dev/pcap"
	"tcpregress.dev/tcpstack"
)

// Links that wrap the capture link between it and the stack:
//
//	stack → portLink (-p) → tapLink (--pcap, -vv) → link/pcap
//
// so the capture and the trace show the frames as they are on the wire.

// tapLink passes frames through and records each one read or written: into
// a capture file (--pcap) and as a tcpdump-style trace line (-vv).
type tapLink struct {
	tcpstack.Link
	dump *libpcap.Dumper // nil: no capture
	log  zerolog.Logger  // trace lines when its level allows

	mu  sync.Mutex
	err error // the first capture write error
}

func (t *tapLink) Read(fn func(frames [][]byte)) error {
	return t.Link.Read(func(frames [][]byte) {
		now := time.Now()
		for _, f := range frames {
			t.record(now, f, "in")
		}
		fn(frames)
	})
}

// Write records the frame, then sends it: recording after the send would
// let the reply, recorded by the reader, come first in the capture.
func (t *tapLink) Write(frame []byte) error {
	t.record(time.Now(), frame, "out")
	return t.Link.Write(frame)
}

func (t *tapLink) record(now time.Time, f []byte, dir string) {
	if t.dump != nil {
		ci := gopacket.CaptureInfo{Timestamp: now, CaptureLength: len(f), Length: len(f)}
		if err := t.dump.Write(ci, f); err != nil {
			t.mu.Lock()
			if t.err == nil {
				t.err = err
			}
			t.mu.Unlock()
		}
	}
	if e := t.log.Trace(); e.Enabled() {
		e.Str("dir", dir).Msg(formatFrame(f))
	}
}

// dumpErr returns the first error writing the capture.
func (t *tapLink) dumpErr() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// portLink gives the connection the source port of -p. The stack picks its
// own ephemeral port (tcpstack has no way to choose one); portLink learns
// it from the stack's SYN to the peer and translates it to and from the
// chosen port in every frame between the stack and the peer, ICMP errors
// quoting them included, fixing checksums incrementally (RFC 1624). The
// stack makes one connection, so one mapping is all there is.
type portLink struct {
	tcpstack.Link
	local  netip.Addr     // the stack's address
	remote netip.AddrPort // the peer
	port   uint16         // the source port on the wire

	mu     sync.Mutex
	eph    uint16 // the stack's port, 0 until its SYN went out
	out    []byte // Write's copy of the frame
	frames [][]byte
}

func newPortLink(l tcpstack.Link, local netip.Addr, remote netip.AddrPort, port uint16) *portLink {
	return &portLink{Link: l, local: local, remote: remote, port: port}
}

// Layout constants of the frames portLink edits.
const (
	ethLen         = 14
	etherTypeIPv4  = 0x0800
	etherTypeARP   = 0x0806
	protoICMP      = 1
	protoTCP       = 6
	tcpFlagSYN     = 0x02
	tcpFlagACK     = 0x10
	icmpUnreach    = 3
	tcpChecksumOff = 16
)

// ipv4Payload returns the offsets of the IPv4 header and of its TCP (or other)
// payload in an Ethernet frame, and the protocol, if the frame is an
// unfragmented IPv4 packet with a full header.
func ipv4Payload(f []byte) (ip, l4 int, proto byte, ok bool) {
	if len(f) < ethLen+20 || binary.BigEndian.Uint16(f[12:14]) != etherTypeIPv4 {
		return 0, 0, 0, false
	}
	ip = ethLen
	ihl := int(f[ip]&0x0f) * 4
	if f[ip]>>4 != 4 || ihl < 20 || len(f) < ip+ihl {
		return 0, 0, 0, false
	}
	if binary.BigEndian.Uint16(f[ip+6:ip+8])&0x1fff != 0 {
		return 0, 0, 0, false // a non-first fragment: no transport header
	}
	return ip, ip + ihl, f[ip+9], true
}

func addrAt(b []byte, off int) netip.Addr { return netip.AddrFrom4([4]byte(b[off : off+4])) }

func (p *portLink) Write(frame []byte) error {
	p.mu.Lock()
	ip, t, proto, ok := ipv4Payload(frame)
	if !ok || proto != protoTCP || len(frame) < t+20 ||
		addrAt(frame, ip+12) != p.local || addrAt(frame, ip+16) != p.remote.Addr() ||
		binary.BigEndian.Uint16(frame[t+2:]) != p.remote.Port() {
		p.mu.Unlock()
		return p.Link.Write(frame)
	}
	src := binary.BigEndian.Uint16(frame[t:])
	if p.eph == 0 && frame[t+13]&(tcpFlagSYN|tcpFlagACK) == tcpFlagSYN {
		p.eph = src
	}
	if src != p.eph || src == p.port {
		p.mu.Unlock()
		return p.Link.Write(frame)
	}
	p.out = append(p.out[:0], frame...)
	replace16(p.out, t, t+tcpChecksumOff, p.port)
	err := p.Link.Write(p.out)
	p.mu.Unlock()
	return err
}

func (p *portLink) Read(fn func(frames [][]byte)) error {
	return p.Link.Read(func(frames [][]byte) {
		p.mu.Lock()
		eph := p.eph
		p.mu.Unlock()
		if eph == 0 || eph == p.port {
			fn(frames)
			return
		}
		p.frames = p.frames[:0]
		for _, f := range frames {
			if p.translateIn(f, eph) {
				p.frames = append(p.frames, f)
			}
		}
		fn(p.frames)
	})
}

// translateIn rewrites, in place, a frame from the peer to the chosen port
// into one for the stack's port, and an ICMP error quoting a segment we sent
// from the chosen port. It reports false for a frame to drop: a segment from
// the peer to the stack's own port, which is not on the wire.
func (p *portLink) translateIn(f []byte, eph uint16) bool {
	ip, t, proto, ok := ipv4Payload(f)
	if !ok || addrAt(f, ip+16) != p.local {
		return true
	}
	switch proto {
	case protoTCP:
		if len(f) < t+20 || addrAt(f, ip+12) != p.remote.Addr() || binary.BigEndian.Uint16(f[t:]) != p.remote.Port() {
			return true
		}
		switch binary.BigEndian.Uint16(f[t+2:]) {
		case p.port:
			replace16(f, t+2, t+tcpChecksumOff, eph)
		case eph:
			return false
		}
	case protoICMP:
		// Type 3 (destination unreachable): 8 bytes of ICMP, then the quoted
		// IP header and at least 8 bytes of our segment.
		if len(f) < t+8+20 || f[t] != icmpUnreach {
			return true
		}
		q := t + 8
		qhl := int(f[q]&0x0f) * 4
		if qhl < 20 || len(f) < q+qhl+4 || f[q+9] != protoTCP || addrAt(f, q+12) != p.local ||
			addrAt(f, q+16) != p.remote.Addr() || binary.BigEndian.Uint16(f[q+qhl:]) != p.port {
			return true
		}
		// The quoted port lies at an even offset from the start of the
		// ICMP message, so the incremental update of the ICMP checksum
		// (offset 2) holds.
		replace16(f, q+qhl, t+2, eph)
	}
	return true
}

// replace16 stores v at b[off:off+2] and updates the Internet checksum at
// b[sum:sum+2] to match, by RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m').
func replace16(b []byte, off, sum int, v uint16) {
	old := binary.BigEndian.Uint16(b[off:])
	binary.BigEndian.PutUint16(b[off:], v)
	hc := binary.BigEndian.Uint16(b[sum:])
	s := uint32(^hc) + uint32(^old) + uint32(v)
	s = (s & 0xffff) + (s >> 16)
	s = (s & 0xffff) + (s >> 16)
	binary.BigEndian.PutUint16(b[sum:], ^uint16(s))
}
