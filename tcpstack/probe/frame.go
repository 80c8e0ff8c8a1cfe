package probe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/tcpstack/tcp"
	"tcpregress.dev/tcpstack/tcpdump"
)

// A frame's bytes are read from the wire, so every accessor below checks
// lengths first: decoding hostile bytes never panics (FuzzDecodeFrame).

const (
	protoICMP = 1
	protoTCP  = 6

	ipv4MinLen = 20
)

// Direction says whether a frame came from the wire or was sent by the probe.
type Direction uint8

// Directions.
const (
	// In is a packet addressed to the probe.
	In Direction = iota + 1
	// Out is a packet the probe sent.
	Out
)

// String returns "in" or "out".
func (d Direction) String() string {
	switch d {
	case In:
		return "in"
	case Out:
		return "out"
	}
	return fmt.Sprintf("Direction(%d)", uint8(d))
}

// IPv4 holds the header fields of a recorded packet.
type IPv4 struct {
	Src, Dst netip.Addr
	// HeaderLen is the header length in bytes (IHL × 4) and TotalLen the
	// total length field.
	HeaderLen, TotalLen int
	TOS, TTL, Protocol  uint8
	ID                  uint16
	DF, MF              bool
	// FragOffset is the fragment offset in bytes.
	FragOffset int
	// Options are the header's option bytes (padding included).
	Options []byte
	// ChecksumOK reports whether the header checksum is right.
	ChecksumOK bool
}

// ICMP holds an ICMP message (RFC 792).
type ICMP struct {
	Type, Code uint8
	// Rest is the message after the type, code and checksum octets: the
	// "rest of header" word, then the data (for errors, the IP header and
	// first octets of the datagram that caused it).
	Rest []byte
}

// Quoted returns the IP header and the transport bytes quoted by an ICMP
// error message (destination unreachable, time exceeded, parameter problem,
// source quench, redirect), and false for other messages or short quotes.
func (m *ICMP) Quoted() (ip IPv4, transport []byte, ok bool) {
	switch m.Type {
	case 3, 4, 5, 11, 12:
	default:
		return IPv4{}, nil, false
	}
	if len(m.Rest) < 4+ipv4MinLen {
		return IPv4{}, nil, false
	}
	b := m.Rest[4:]
	h, err := parseIPv4(b, false)
	if err != nil || h.HeaderLen > len(b) {
		return IPv4{}, nil, false
	}
	return h, b[h.HeaderLen:], true
}

// Frame is one recorded IPv4 packet, sent or received.
//
// A Frame and the slices in it are never modified after recording; treat
// them as read-only, they are shared by every copy of the record.
type Frame struct {
	// Time is when the stack read the packet (In) or the probe sent it (Out).
	Time time.Time
	Dir  Direction
	// Raw is the whole IPv4 packet, header included.
	Raw []byte
	IP  IPv4
	// TCP is the parsed segment when IP.Protocol is TCP and Err is nil; its
	// Payload aliases Raw. When the header is too short or its data offset
	// wrong, Err says so and only the ports are filled in (when present).
	TCP tcp.Segment
	// ICMP is the parsed message when IP.Protocol is ICMP and Err is nil.
	ICMP ICMP
	// ChecksumOK reports whether the TCP (or ICMP) checksum is right.
	ChecksumOK bool
	// Err says why the transport header could not be decoded: a fragment,
	// a short or malformed header.
	Err error
	// SendErr is the error with which the stack refused an Out frame; such
	// a frame never reached the wire.
	SendErr error
}

// IsTCP reports whether f carries a decodable TCP segment.
func (f *Frame) IsTCP() bool { return f.IP.Protocol == protoTCP && f.Err == nil }

// IsICMP reports whether f carries a decodable ICMP message.
func (f *Frame) IsICMP() bool { return f.IP.Protocol == protoICMP && f.Err == nil }

// Src returns the source address and TCP port (port 0 for other protocols).
func (f *Frame) Src() netip.AddrPort { return netip.AddrPortFrom(f.IP.Src, f.TCP.SrcPort) }

// Dst returns the destination address and TCP port (port 0 for other
// protocols).
func (f *Frame) Dst() netip.AddrPort { return netip.AddrPortFrom(f.IP.Dst, f.TCP.DstPort) }

// Transport returns the bytes after the IP header, up to the total length.
func (f *Frame) Transport() []byte {
	end := min(f.IP.TotalLen, len(f.Raw))
	if f.IP.HeaderLen > end {
		return nil
	}
	return f.Raw[f.IP.HeaderLen:end]
}

// TCPOptions returns the raw option bytes of the TCP header, in wire order
// with padding, or nil when there are none or the header is malformed.
func (f *Frame) TCPOptions() []byte {
	if !f.IsTCP() {
		return nil
	}
	t := f.Transport()
	off := int(t[12]>>4) * 4
	return t[tcp.HeaderLen:off]
}

// errors of decodeFrame; they are wrapped with detail.
var (
	errFragment = errors.New("probe: IP fragment")
	errShort    = errors.New("probe: truncated")
)

// parseIPv4 decodes an IPv4 header. With checkLen the total length must fit
// in b (a recorded packet); without it (an ICMP quote) the header alone is
// enough.
func parseIPv4(b []byte, checkLen bool) (IPv4, error) {
	if len(b) < ipv4MinLen || b[0]>>4 != 4 {
		return IPv4{}, fmt.Errorf("%w: not an IPv4 header (%d bytes)", errShort, len(b))
	}
	hl := int(b[0]&0x0f) * 4
	if hl < ipv4MinLen || hl > len(b) {
		return IPv4{}, fmt.Errorf("%w: IPv4 header length %d with %d bytes", errShort, hl, len(b))
	}
	frag := binary.BigEndian.Uint16(b[6:])
	h := IPv4{
		Src:        netip.AddrFrom4([4]byte(b[12:16])),
		Dst:        netip.AddrFrom4([4]byte(b[16:20])),
		HeaderLen:  hl,
		TotalLen:   int(binary.BigEndian.Uint16(b[2:])),
		TOS:        b[1],
		TTL:        b[8],
		Protocol:   b[9],
		ID:         binary.BigEndian.Uint16(b[4:]),
		DF:         frag&0x4000 != 0,
		MF:         frag&0x2000 != 0,
		FragOffset: int(frag&0x1fff) * 8,
		ChecksumOK: internetChecksum(b[:hl]) == 0,
	}
	if hl > ipv4MinLen {
		h.Options = b[ipv4MinLen:hl]
	}
	if checkLen && (h.TotalLen < hl || h.TotalLen > len(b)) {
		return h, fmt.Errorf("%w: IPv4 total length %d with header %d and %d bytes", errShort, h.TotalLen, hl, len(b))
	}
	return h, nil
}

// decodeFrame decodes pkt, which the frame keeps (the caller gives up pkt).
func decodeFrame(pkt []byte, t time.Time, dir Direction) Frame {
	f := Frame{Time: t, Dir: dir, Raw: pkt}
	h, err := parseIPv4(pkt, true)
	f.IP = h
	if err != nil {
		f.Err = err
		return f
	}
	if h.MF || h.FragOffset != 0 {
		f.Err = fmt.Errorf("%w: offset %d, more fragments %v", errFragment, h.FragOffset, h.MF)
		return f
	}
	b := pkt[h.HeaderLen:h.TotalLen]
	switch h.Protocol {
	case protoTCP:
		if len(b) >= 4 {
			f.TCP.SrcPort = binary.BigEndian.Uint16(b)
			f.TCP.DstPort = binary.BigEndian.Uint16(b[2:])
		}
		seg, err := tcp.Parse(b)
		if err != nil {
			f.Err = err
			return f
		}
		f.TCP = seg
		f.ChecksumOK = tcp.VerifyChecksum(h.Src, h.Dst, b)
	case protoICMP:
		if len(b) < 4 {
			f.Err = fmt.Errorf("%w: ICMP message of %d bytes", errShort, len(b))
			return f
		}
		f.ICMP = ICMP{Type: b[0], Code: b[1], Rest: b[4:]}
		f.ChecksumOK = internetChecksum(b) == 0
	}
	return f
}

// internetChecksum returns the one's-complement of the one's-complement sum
// of b (RFC1071); over bytes that include a right checksum it is zero.
func internetChecksum(b []byte) uint16 {
	var sum uint32
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// String renders the frame the way `tcpdump -nn -S` prints it (absolute
// sequence numbers, no time stamp), with package tcpdump's printer, such as
//
//	IP 198.18.0.3.40000 > 198.18.0.2.80: Flags [S], seq 1000, win 65535, options [mss 1460], length 0
//
// Two additions, which tcpdump shows only with -v, follow at the end: a
// wrong TCP or ICMP checksum is flagged with " [bad cksum]", and a fragment
// is marked " (frag ID:LEN@OFFSET)", with "+" after the offset when more
// fragments follow.
func (f *Frame) String() string {
	p := printers.Get().(*tcpdump.Printer)
	b := p.AppendPacket(make([]byte, 0, 128), f.Raw, layers.LinkTypeIPv4, len(f.Raw))
	printers.Put(p)
	h := &f.IP
	if errors.Is(f.Err, errFragment) {
		b = fmt.Appendf(b, " (frag %d:%d@%d", h.ID, h.TotalLen-h.HeaderLen, h.FragOffset)
		if h.MF {
			b = append(b, '+')
		}
		b = append(b, ')')
	}
	if f.Err == nil && !f.ChecksumOK && (h.Protocol == protoTCP || h.Protocol == protoICMP) {
		b = append(b, " [bad cksum]"...)
	}
	return string(b)
}

// printers are the printers of Frame.String: absolute numbers, so that a
// frame's line does not depend on the frames printed before it.
var printers = sync.Pool{New: func() any { return &tcpdump.Printer{Absolute: true} }}

// tcpdumpFlags renders flags as tcpdump does ("S.", "none");
// tcp.Flags.String uses packetdrill's order instead.
func tcpdumpFlags(fl tcp.Flags) string { return string(tcpdump.AppendTCPFlags(nil, uint8(fl))) }
