package probe

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/gopacket/gopacket/layers"

	hdr "tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/tcp"
	"tcpregress.dev/tcpstack/tcpdump"
)

// A frame's bytes are read from the wire, so every accessor below checks
// lengths first (header's Parse functions, or a length test before a view's
// accessor): decoding hostile bytes never panics (FuzzDecodeFrame).

const (
	protoICMP = uint8(hdr.IPProtocolICMP)
	protoTCP  = uint8(hdr.IPProtocolTCP)

	ipv4MinLen = hdr.IPv4MinLen
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
	if !hdr.ICMPv4Type(m.Type).IsError() || len(m.Rest) < 4 {
		return IPv4{}, nil, false
	}
	q, err := hdr.ParseIPv4Header(m.Rest[4:]) // after the unused word
	if err != nil {
		return IPv4{}, nil, false
	}
	return ipv4Record(q), q[q.HeaderLen():], true
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
	return hdr.TCP(f.Transport()).Options()
}

// errors of decodeFrame; they are wrapped with detail.
var (
	errFragment = errors.New("probe: IP fragment")
	errShort    = errors.New("probe: truncated")
)

// ipv4Record returns the fields of h, a header that ParseIPv4Header
// accepted.
func ipv4Record(h hdr.IPv4) IPv4 {
	r := IPv4{
		Src:        h.Src(),
		Dst:        h.Dst(),
		HeaderLen:  h.HeaderLen(),
		TotalLen:   h.TotalLen(),
		TOS:        h.TOS(),
		TTL:        h.TTL(),
		Protocol:   uint8(h.Protocol()),
		ID:         h.ID(),
		DF:         h.DF(),
		MF:         h.MF(),
		FragOffset: h.FragOffset(),
		ChecksumOK: h.IsChecksumValid(),
	}
	if r.HeaderLen > ipv4MinLen {
		r.Options = h.Options()
	}
	return r
}

// decodeFrame decodes pkt, which the frame keeps (the caller gives up pkt).
// The IP fields are filled in whenever the header is whole, even when the
// total length is wrong.
func decodeFrame(pkt []byte, t time.Time, dir Direction) Frame {
	f := Frame{Time: t, Dir: dir, Raw: pkt}
	v, err := hdr.ParseIPv4Header(pkt)
	if err != nil {
		f.Err = fmt.Errorf("probe: %w", err)
		return f
	}
	f.IP = ipv4Record(v)
	if v, err = hdr.ParseIPv4(pkt); err != nil {
		f.Err = fmt.Errorf("probe: %w", err)
		return f
	}
	h := &f.IP
	if v.IsFragment() {
		f.Err = fmt.Errorf("%w: offset %d, more fragments %v", errFragment, h.FragOffset, h.MF)
		return f
	}
	b := v.Payload()
	switch h.Protocol {
	case protoTCP:
		if len(b) >= 4 {
			f.TCP.SrcPort, f.TCP.DstPort = hdr.TCP(b).SrcPort(), hdr.TCP(b).DstPort()
		}
		seg, err := tcp.Parse(b)
		if err != nil {
			f.Err = err
			return f
		}
		f.TCP = seg
		f.ChecksumOK = hdr.TCP(b).IsChecksumValid(h.Src, h.Dst)
	case protoICMP:
		if len(b) < 4 {
			f.Err = fmt.Errorf("%w: ICMP message of %d bytes", errShort, len(b))
			return f
		}
		m := hdr.ICMPv4(b) // the type, code and checksum are there; the rest need not be
		f.ICMP = ICMP{Type: uint8(m.Type()), Code: m.Code(), Rest: b[4:]}
		f.ChecksumOK = m.IsChecksumValid()
	}
	return f
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
func tcpdumpFlags(fl tcp.Flags) string { return hdr.TCPFlags(fl).String() }
