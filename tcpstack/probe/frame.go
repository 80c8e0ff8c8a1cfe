package probe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"tcpregress.dev/tcpstack/tcp"
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
// sequence numbers, no time stamp), such as
//
//	IP 198.18.0.3.40000 > 198.18.0.2.80: Flags [S], seq 1000, win 65535, options [mss 1460], length 0
//
// One addition: a TCP or ICMP checksum that is wrong is flagged at the end
// with " [bad cksum]", which tcpdump shows only with -v.
func (f *Frame) String() string {
	var b strings.Builder
	b.WriteString("IP ")
	h := &f.IP
	if !h.Src.IsValid() {
		fmt.Fprintf(&b, "[malformed: %v]", f.Err)
		return b.String()
	}
	switch {
	case errors.Is(f.Err, errFragment):
		more := ""
		if h.MF {
			more = "+"
		}
		fmt.Fprintf(&b, "%s > %s: ip-proto-%d (frag %d:%d@%d%s)", h.Src, h.Dst, h.Protocol,
			h.ID, h.TotalLen-h.HeaderLen, h.FragOffset, more)
	case f.Err != nil && errors.Is(f.Err, errShort) && h.Protocol != protoTCP:
		fmt.Fprintf(&b, "%s > %s: [|%s] (%v)", h.Src, h.Dst, protoName(h.Protocol), f.Err)
	case h.Protocol == protoTCP:
		f.writeTCP(&b)
	case h.Protocol == protoICMP:
		f.writeICMP(&b)
	default:
		fmt.Fprintf(&b, "%s > %s: ip-proto-%d %d", h.Src, h.Dst, h.Protocol, h.TotalLen-h.HeaderLen)
	}
	if f.Err == nil && !f.ChecksumOK && (h.Protocol == protoTCP || h.Protocol == protoICMP) {
		b.WriteString(" [bad cksum]")
	}
	return b.String()
}

func protoName(p uint8) string {
	switch p {
	case protoTCP:
		return "tcp"
	case protoICMP:
		return "icmp"
	}
	return fmt.Sprintf("ip-proto-%d", p)
}

// tcpdumpFlags renders flags in tcpdump's order (F S R P . U E W), "none"
// for none. tcp.Flags.String uses packetdrill's order instead.
func tcpdumpFlags(fl tcp.Flags) string {
	const order = "FSRP.UEW"
	var b []byte
	for i := range 8 {
		if fl&(1<<i) != 0 {
			b = append(b, order[i])
		}
	}
	if len(b) == 0 {
		return "none"
	}
	return string(b)
}

// writeTCP follows tcpdump's print-tcp.c (tcp_print) for IPv4, -nn -S.
func (f *Frame) writeTCP(b *strings.Builder) {
	h := &f.IP
	t := f.Transport()
	if len(t) < 4 {
		fmt.Fprintf(b, "%s > %s: [|tcp]", h.Src, h.Dst)
		return
	}
	sport, dport := binary.BigEndian.Uint16(t), binary.BigEndian.Uint16(t[2:])
	fmt.Fprintf(b, "%s.%d > %s.%d: ", h.Src, sport, h.Dst, dport)
	if len(t) < tcp.HeaderLen {
		b.WriteString("[|tcp]")
		return
	}
	length := len(t)
	hlen := int(t[12]>>4) * 4
	if hlen < tcp.HeaderLen {
		fmt.Fprintf(b, " tcp %d [bad hdr length %d - too short, < %d]", length-hlen, hlen, tcp.HeaderLen)
		return
	}
	seq := binary.BigEndian.Uint32(t[4:])
	ack := binary.BigEndian.Uint32(t[8:])
	flags := tcp.Flags(t[13])
	win := binary.BigEndian.Uint16(t[14:])
	urp := binary.BigEndian.Uint16(t[18:])
	fmt.Fprintf(b, "Flags [%s]", tcpdumpFlags(flags))
	if hlen > length {
		fmt.Fprintf(b, " [bad hdr length %d - too long, > %d]", hlen, length)
		return
	}
	length -= hlen
	if length > 0 || flags&(tcp.FlagSYN|tcp.FlagFIN|tcp.FlagRST) != 0 {
		fmt.Fprintf(b, ", seq %d", seq)
		if length > 0 {
			fmt.Fprintf(b, ":%d", seq+uint32(length))
		}
	}
	if flags&tcp.FlagACK != 0 {
		fmt.Fprintf(b, ", ack %d", ack)
	}
	fmt.Fprintf(b, ", win %d", win)
	if flags&tcp.FlagURG != 0 {
		fmt.Fprintf(b, ", urg %d", urp)
	}
	if hlen > tcp.HeaderLen {
		b.WriteString(", options [")
		if !writeTCPOptions(b, t[tcp.HeaderLen:hlen]) {
			return // tcpdump stops at a bad option, without the length
		}
	}
	fmt.Fprintf(b, ", length %d", length)
}

// tcpdumpOptionNames are tcpdump's names of option kinds (tcp_option_values).
var tcpdumpOptionNames = map[byte]string{
	0: "eol", 1: "nop", 2: "mss", 3: "wscale", 4: "sackOK", 5: "sack",
	6: "echo", 7: "echoreply", 8: "TS", 11: "cc", 12: "ccnew", 13: "",
	19: "md5", 20: "scps", 28: "uto", 29: "tcp-ao", 30: "mptcp", 34: "tfo",
	254: "exp",
}

// writeTCPOptions prints an options area as tcpdump does, closing bracket
// included: the option walk, the "[len N]" mark for a length that disagrees
// with the kind and "[bad opt]" for a length that leaves the area, after
// which it reports false. Kinds tcpdump decodes specially (md5, mptcp, tfo,
// ...) are shown as hex.
func writeTCPOptions(b *strings.Builder, cp []byte) bool {
	hlen := len(cp)
	sep := false
	for hlen > 0 {
		if sep {
			b.WriteByte(',')
		}
		opt := cp[0]
		cp = cp[1:]
		var length int
		if opt == 0 || opt == 1 {
			length = 1
		} else {
			if len(cp) == 0 {
				goto bad
			}
			length = int(cp[0])
			cp = cp[1:]
			if length < 2 || length > hlen {
				goto bad
			}
			hlen--
		}
		hlen--
		if name, ok := tcpdumpOptionNames[opt]; ok {
			b.WriteString(name)
		} else {
			fmt.Fprintf(b, "unknown-%d", opt)
		}
		{
			datalen := 0
			switch opt {
			case 0, 1, 4:
			case 2:
				datalen = 2
				if datalen > hlen {
					goto bad
				}
				fmt.Fprintf(b, " %d", binary.BigEndian.Uint16(cp))
			case 3:
				datalen = 1
				if datalen > hlen {
					goto bad
				}
				fmt.Fprintf(b, " %d", cp[0])
			case 5:
				datalen = length - 2
				if datalen%8 != 0 {
					b.WriteString(" invalid sack")
				} else {
					fmt.Fprintf(b, " %d ", datalen/8)
					for i := 0; i < datalen; i += 8 {
						if i+8 > hlen {
							goto bad
						}
						fmt.Fprintf(b, "{%d:%d}", binary.BigEndian.Uint32(cp[i:]), binary.BigEndian.Uint32(cp[i+4:]))
					}
				}
			case 6, 7, 11, 12, 13:
				datalen = 4
				if datalen > hlen {
					goto bad
				}
				fmt.Fprintf(b, " %d", binary.BigEndian.Uint32(cp))
			case 8:
				datalen = 8
				if datalen > hlen {
					goto bad
				}
				fmt.Fprintf(b, " val %d ecr %d", binary.BigEndian.Uint32(cp), binary.BigEndian.Uint32(cp[4:]))
			default:
				datalen = length - 2
				if datalen > hlen {
					goto bad
				}
				if datalen > 0 {
					fmt.Fprintf(b, " 0x%x", cp[:datalen])
				}
			}
			cp = cp[datalen:]
			hlen -= datalen
			datalen++
			if opt != 0 && opt != 1 {
				datalen++
			}
			if datalen != length {
				fmt.Fprintf(b, "[len %d]", length)
			}
		}
		sep = true
		if opt == 0 {
			break
		}
	}
	b.WriteByte(']')
	return true
bad:
	b.WriteString("[bad opt]")
	if sep {
		b.WriteByte(']')
	}
	return false
}

// writeICMP follows tcpdump's print-icmp.c for the common messages.
func (f *Frame) writeICMP(b *strings.Builder) {
	h := &f.IP
	m := &f.ICMP
	length := h.TotalLen - h.HeaderLen
	fmt.Fprintf(b, "%s > %s: ICMP ", h.Src, h.Dst)
	switch {
	case m.Type == 0 || m.Type == 8:
		kind := "echo reply"
		if m.Type == 8 {
			kind = "echo request"
		}
		id, seq := uint16(0), uint16(0)
		if len(m.Rest) >= 4 {
			id, seq = binary.BigEndian.Uint16(m.Rest), binary.BigEndian.Uint16(m.Rest[2:])
		}
		fmt.Fprintf(b, "%s, id %d, seq %d", kind, id, seq)
	case m.Type == 3:
		q, qt, ok := m.Quoted()
		switch {
		case !ok:
			fmt.Fprintf(b, "type-#3 code %d", m.Code)
		case m.Code == 3 && len(qt) >= 4 && (q.Protocol == protoTCP || q.Protocol == 17):
			fmt.Fprintf(b, "%s %s port %d unreachable", q.Dst, map[uint8]string{6: "tcp", 17: "udp"}[q.Protocol], binary.BigEndian.Uint16(qt[2:]))
		case m.Code == 0:
			fmt.Fprintf(b, "net %s unreachable", q.Dst)
		case m.Code == 1:
			fmt.Fprintf(b, "%s unreachable", q.Dst)
		case m.Code == 2:
			fmt.Fprintf(b, "%s protocol %d unreachable", q.Dst, q.Protocol)
		case m.Code == 4:
			mtu := 0
			if len(m.Rest) >= 4 {
				mtu = int(binary.BigEndian.Uint16(m.Rest[2:]))
			}
			fmt.Fprintf(b, "%s unreachable - need to frag (mtu %d)", q.Dst, mtu)
		default:
			fmt.Fprintf(b, "%s unreachable - code %d", q.Dst, m.Code)
		}
	case m.Type == 11:
		if q, _, ok := m.Quoted(); ok {
			fmt.Fprintf(b, "time exceeded in-transit, %s", q.Dst)
		} else {
			b.WriteString("time exceeded in-transit")
		}
	default:
		fmt.Fprintf(b, "type-#%d code %d", m.Type, m.Code)
	}
	fmt.Fprintf(b, ", length %d", length)
}
