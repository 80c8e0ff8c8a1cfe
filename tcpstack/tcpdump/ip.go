package tcpdump

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// ipHeader is what the transport printers need of the IP header around them.
type ipHeader struct {
	v6       bool
	src, dst []byte
	// direct is false when extension headers sit between the IPv6 header
	// and the transport header (tcpdump then prints ports without
	// addresses), or for IPv4 when the protocol field names another
	// protocol than the one printed.
	direct     bool
	fragmented bool // MF set or offset non-zero (IPv4), a fragment header (IPv6)
	ttl        int  // the time to live (IPv4) or hop limit (IPv6)
	// finalDst is the last address of a source route, which the
	// transport checksums take for the destination (nil: dst).
	finalDst []byte
}

// ip4 prints an IPv4 datagram. data is the captured bytes from the IP
// header on, length the bytes on the wire from there.
func (p *Printer) ip4(b []byte, d *Decoder, data []byte, length int) []byte {
	if len(data) < 1 {
		return append(b, " [|ip]"...)
	}
	if v := data[0] >> 4; v != 4 {
		if v == 6 {
			b = append(b, "IP6, wrong link-layer encapsulation"...)
		} else {
			b = append(b, "IP"...)
			b = appendUint(b, uint64(v))
		}
		return append(b, " (invalid)"...)
	}
	if !p.LinkHeader {
		b = append(b, "IP "...)
	}
	if len(data) < 20 {
		return append(b, " [|ip]"...)
	}
	if length < 20 {
		b = append(b, "truncated-ip "...)
		return appendInt(b, length)
	}
	hlen := int(data[0]&0x0f) * 4
	if hlen < 20 {
		b = append(b, "bad-hlen "...)
		return appendInt(b, hlen)
	}
	ipLen := int(be16(data[2:4]))
	if length < ipLen {
		b = append(b, "truncated-ip - "...)
		b = appendInt(b, ipLen-length)
		b = append(b, " bytes missing! "...)
	}
	if ipLen < hlen {
		b = append(b, "bad-len "...)
		return appendInt(b, ipLen)
	}

	// The header is sound enough for tcpdump. Take the fields from
	// gopacket's layer when it decoded it (it refuses some headers tcpdump
	// prints, such as ones with damaged options), else from the bytes.
	var (
		src, dst = data[12:16], data[16:20]
		proto    = data[9]
		off      = be16(data[6:8])
		payload  []byte
	)
	if d != nil && d.Has(layers.LayerTypeIPv4) && sameStart(d.IPv4.Contents, data) && len(d.IPv4.Contents) == hlen {
		ip := &d.IPv4
		src, dst = ip.SrcIP, ip.DstIP
		proto = uint8(ip.Protocol)
		off = uint16(ip.Flags)<<13 | ip.FragOffset
		payload = ip.Payload
	} else if hlen <= len(data) {
		payload = data[hlen:min(len(data), ipLen)]
	}
	plen := ipLen - hlen
	hdr := ipHeader{src: src, dst: dst, direct: true, fragmented: off&0x3fff != 0, ttl: int(data[8])}
	if p.Verbose > 0 {
		var ok bool
		if b, ok = appendIPv4Verbose(b, data, hlen); !ok {
			b = appendAddrs(b, &hdr)
			return append(b, " [|ip]"...)
		}
		if hlen > 20 && hlen <= len(data) {
			hdr.finalDst = ipv4FinalDst(data[20:hlen])
		}
	}
	if off&0x1fff != 0 {
		// Not the first fragment: no transport header to print.
		b = appendIPv4(b, src)
		b = append(b, " > "...)
		b = appendIPv4(b, dst)
		b = append(b, ": ip-proto-"...)
		return appendUint(b, uint64(proto))
	}
	if proto != 6 && proto != 17 && proto != 132 && proto != 33 {
		b = appendIPv4(b, src)
		b = append(b, " > "...)
		b = appendIPv4(b, dst)
		b = append(b, ": "...)
	}
	if len(data) < hlen {
		return appendShortHeader(b, len(data), hlen, "ip")
	}
	return p.ipDemux(b, d, proto, payload, plen, &hdr)
}

// ip6 prints an IPv6 datagram and its extension headers.
func (p *Printer) ip6(b []byte, d *Decoder, data []byte, length int) []byte {
	if len(data) < 40 {
		return append(b, " [|ip6]"...)
	}
	if !p.LinkHeader {
		b = append(b, "IP6 "...)
	}
	if length < 40 {
		b = append(b, "truncated-ip6 "...)
		return appendInt(b, length)
	}
	if v := data[0] >> 4; v != 6 {
		b = append(b, "version error: "...)
		b = appendUint(b, uint64(v))
		return append(b, " != 6"...)
	}
	plen := int(be16(data[4:6]))
	var total int
	if plen != 0 {
		total = plen + 40
		if length < total {
			b = append(b, "truncated-ip6 - "...)
			b = appendInt(b, total-length)
			b = append(b, " bytes missing!"...)
		}
	} else {
		total = length // a jumbogram (RFC 2675), or a length-less capture
	}
	if p.Verbose > 0 {
		b = appendIPv6Verbose(b, data)
	}
	src, dst := data[8:24], data[24:40]
	if d != nil && d.Has(layers.LayerTypeIPv6) && sameStart(d.IPv6.Contents, data) {
		src, dst = d.IPv6.SrcIP, d.IPv6.DstIP
	}
	// The captured bytes end at the end of the datagram.
	if total < len(data) {
		data = data[:total]
	}
	hdr := ipHeader{v6: true, src: src, dst: dst, direct: true, ttl: int(data[7])}
	nh := data[6]
	rest := data[40:]
	remain := total - 40
	first := true
	for {
		if first && nh != 6 && nh != 17 && nh != 132 && nh != 33 {
			b = appendIPv6(b, src)
			b = append(b, " > "...)
			b = appendIPv6(b, dst)
			b = append(b, ": "...)
		}
		var adv int
		switch nh {
		case 0, 60: // hop-by-hop, destination options
			marker, name := " [|hbhopt]", "HBH "
			if nh == 60 {
				marker, name = " [|dstopt]", "DSTOPT "
			}
			if len(rest) < 2 || len(rest) < (int(rest[1])+1)*8 {
				return append(b, marker...)
			}
			adv = (int(rest[1]) + 1) * 8
			b = append(b, name...)
			if nh == 0 && !ip6OptionsFit(rest[2:adv]) {
				// tcpdump walks hop-by-hop options (for a jumbo length)
				// and stops at one that runs past the header.
				return append(b, marker...)
			}
		case 43: // routing
			if len(rest) < 1 {
				return append(b, " [|ip6]"...)
			}
			b, adv = appendRoutingHeader(b, rest)
			if adv < 0 {
				return b
			}
		case 44: // fragment
			if len(rest) < 4 {
				return append(b, " [|frag6]"...)
			}
			offset := be16(rest[2:4]) &^ 7
			b = append(b, "frag ("...)
			b = appendUint(b, uint64(offset))
			b = append(b, '|')
			// tcpdump computes this length in size_t: a header that
			// claims too little wraps around.
			b = appendUint(b, uint64(int64(remain-8)))
			b = append(b, ')')
			hdr.fragmented = true
			if offset != 0 {
				return b // not the first fragment: nothing more to decode
			}
			b = append(b, ' ')
			if len(rest) <= 8 {
				return b // nothing captured after the fragment header
			}
			adv = 8
		case 135, 62: // Mobility Header (RFC 6275 section 6.1), last
			return p.mobilityPrint(b, rest)
		default:
			hdr.direct = first
			return p.ipDemux(b, d, nh, rest, remain, &hdr)
		}
		// Like tcpdump, go on to the next header even when none of it was
		// captured: its printer marks the truncation.
		nh = rest[0]
		if remain < adv {
			return append(b, " [|ip6]"...)
		}
		rest, remain = rest[min(adv, len(rest)):], remain-adv
		first = false
	}
}

// appendRoutingHeader prints an IPv6 routing header as tcpdump's rt6_print
// does: the type, and the addresses of types 0 and 2. It returns the
// header's length, or -1 when printing stops.
func appendRoutingHeader(b []byte, h []byte) ([]byte, int) {
	const trunc = " [|rt6]"
	b = append(b, "RT6"...)
	if len(h) < 2 {
		return append(b, trunc...), -1
	}
	hl := int(h[1])
	b = append(b, " (len="...)
	b = appendInt(b, hl)
	if len(h) < 3 {
		return append(b, trunc...), -1
	}
	typ := h[2]
	b = append(b, ", type="...)
	b = appendUint(b, uint64(typ))
	if typ == 0 {
		b = append(b, " [Deprecated]"...)
	}
	if len(h) < 4 {
		return append(b, trunc...), -1
	}
	b = append(b, ", segleft="...)
	b = appendUint(b, uint64(h[3]))
	switch typ {
	case 0, 2:
	case 4: // segment routing (RFC 8754 section 2)
		return appendSRH(b, h)
	default:
		return append(b, " (unknown type) (invalid)"...), -1
	}
	if len(h) < 8 {
		return append(b, trunc...), -1
	}
	if rsv := be32(h[4:8]); rsv != 0 {
		b = append(b, ", rsv=0x"...)
		b = appendHex(b, uint64(rsv), 1)
	}
	return appendRT6Addrs(b, h)
}

// appendSRH prints the rest of a segment routing header (RFC 8754 section
// 2) after its type and segments left, as tcpdump's rt6_print does.
func appendSRH(b []byte, h []byte) ([]byte, int) {
	const trunc = " [|rt6]"
	if len(h) < 5 {
		return append(b, trunc...), -1
	}
	b = append(b, ", last-entry="...)
	b = appendUint(b, uint64(h[4]))
	if len(h) < 6 {
		return append(b, trunc...), -1
	}
	if h[5] != 0 {
		b = append(b, ", flags=0x"...)
		b = appendHex(b, uint64(h[5]), 1)
	}
	if len(h) < 8 {
		return append(b, trunc...), -1
	}
	b = append(b, ", tag="...)
	b = appendHex(b, uint64(be16(h[6:])), 1)
	return appendRT6Addrs(b, h)
}

// appendRT6Addrs prints the IPv6 addresses that follow the first 8 bytes of
// a routing header (the addresses of types 0 and 2, the segment list of
// type 4), numbered as tcpdump's rt6_print does, and returns the header's
// length, or -1 when printing stops.
func appendRT6Addrs(b []byte, h []byte) ([]byte, int) {
	const trunc = " [|rt6]"
	hl := int(h[1])
	if hl%2 == 1 {
		b = append(b, " (invalid length "...)
		b = appendInt(b, hl)
		return append(b, ") (invalid)"...), -1
	}
	addrs := h[8:]
	for i := 0; i < hl/2; i++ {
		if len(addrs) < 16 {
			return append(b, trunc...), -1
		}
		b = append(b, ", ["...)
		b = appendInt(b, i)
		b = append(b, ']')
		b = appendIPv6(b, addrs[:16])
		addrs = addrs[16:]
	}
	return append(b, ") "...), (hl + 1) * 8
}

// ipDemux prints the payload of an IP datagram: protocol proto, captured
// bytes payload, plen bytes according to the IP header(s).
func (p *Printer) ipDemux(b []byte, d *Decoder, proto uint8, payload []byte, plen int, hdr *ipHeader) []byte {
	switch proto {
	case 6:
		return p.tcpPrint(b, payload, plen, hdr)
	case 17:
		return p.udpPrint(b, d, payload, plen, hdr)
	case 1:
		if !hdr.v6 {
			return p.icmpPrint(b, d, payload, plen, hdr)
		}
		return append(b, "[ICMP requires IPv4] (invalid)"...)
	case 58:
		if hdr.v6 {
			return p.icmp6Print(b, d, payload, plen, hdr)
		}
		return append(b, "[ICMPv6 requires IPv6] (invalid)"...)
	case 4:
		// IP in IP: print the inner datagram like tcpdump.
		if out, ok := p.inner(b, layers.LayerTypeIPv4, payload, plen); ok {
			return out
		}
	case 41:
		if out, ok := p.inner(b, layers.LayerTypeIPv6, payload, plen); ok {
			return out
		}
	case 59:
		return append(b, "no next header"...)
	case 103:
		return pimPrint(b, payload, plen)
	case 2:
		if hdr.v6 {
			return append(b, "[IGMP requires IPv4] (invalid)"...)
		}
		if out, ok := igmpPrint(b, payload, plen); ok {
			return out
		}
	case 112:
		return vrrpPrint(b, payload, plen, hdr)
	case 88:
		return eigrpPrint(b, payload, plen)
	case 89:
		if hdr.v6 {
			return ospf6Print(b, payload, plen)
		}
		return ospfPrint(b, payload, plen)
	case 47:
		return p.grePrint(b, payload, plen)
	case 50:
		return espPrint(b, payload, plen)
	case 51:
		if len(payload) < 1 {
			return appendTrunc(b, "ah")
		}
		out, n, ok := ahPrint(b, payload)
		if !ok {
			return out
		}
		// What follows is printed without the addresses, as after IPv6
		// extension headers.
		inner := *hdr
		inner.direct = false
		return p.ipDemux(out, d, payload[0], payload[min(n, len(payload)):], plen-n, &inner)
	case 143:
		if !hdr.v6 {
			return append(b, "[Ethernet requires IPv6] (invalid)"...)
		}
		if out, ok := p.inner(b, layers.LayerTypeEthernet, payload, plen); ok {
			return out
		}
	case 77:
		b = append(b, " nd "...)
		return appendInt(b, plen)
	case 132:
		return sctpPrint(b, payload, plen, hdr)
	case 33:
		return p.dccpPrint(b, payload, plen, hdr)
	}
	// Protocols the printer has no tcpdump grammar for: gopacket's summary when
	// it decodes them, else tcpdump's "ip-proto-N LEN".
	if len(payload) > 0 && summarized(proto) {
		pkt := gopacket.NewPacket(payload, layers.IPProtocol(proto), gopacket.NoCopy)
		ls := pkt.Layers()
		if len(ls) > 0 && ls[0].LayerType() != gopacket.LayerTypePayload && ls[0].LayerType() != gopacket.LayerTypeDecodeFailure {
			return appendSummary(b, ls, pkt.ErrorLayer(), plen)
		}
	}
	// tcpdump prints a space here after the one that follows the addresses.
	b = append(b, " ip-proto-"...)
	b = appendUint(b, uint64(proto))
	b = append(b, ' ')
	return appendInt(b, plen)
}

// inner prints a packet carried inside the current one (IP in IP,
// Ethernet in IP or GRE) starting with layer first (IPv4, IPv6 or
// Ethernet), with a decoder of its own. ok is false when packets are
// nested too deep.
func (p *Printer) inner(b []byte, first gopacket.LayerType, data []byte, length int) ([]byte, bool) {
	nd := p.nested()
	if nd == nil {
		return b, false
	}
	defer p.unnest()
	nd.Decode(first, data)
	switch first {
	case layers.LayerTypeIPv4:
		return p.ip4(b, nd, data, length), true
	case layers.LayerTypeIPv6:
		return p.ip6(b, nd, data, length), true
	}
	if length < len(data) {
		// ether_print is told how many bytes were captured after the
		// outer header; a frame longer than its length says is invalid.
		b = append(b, "[length "...)
		b = appendInt(b, length)
		b = append(b, " < caplen "...)
		b = appendInt(b, len(data))
		return append(b, "] (invalid)"...), true
	}
	return p.ether(b, nd, data, length), true
}

// appendEndpoints appends "src.sport > dst.dport: " or, when the IP header is not directly
// in front (extension headers), the port alone, as tcpdump does.
func appendEndpoints(b []byte, hdr *ipHeader, sport, dport uint16) []byte {
	if hdr.direct {
		b = AppendAddr(b, hdr.src)
		b = append(b, '.')
	}
	b = appendUint(b, uint64(sport))
	b = append(b, " > "...)
	if hdr.direct {
		b = AppendAddr(b, hdr.dst)
		b = append(b, '.')
	}
	b = appendUint(b, uint64(dport))
	return append(b, ": "...)
}

// appendAddrs appends "src > dst:" (no trailing space).
func appendAddrs(b []byte, hdr *ipHeader) []byte {
	b = AppendAddr(b, hdr.src)
	b = append(b, " > "...)
	b = AppendAddr(b, hdr.dst)
	return append(b, ':')
}

// summarized reports whether the printer prints gopacket's summary for an IP
// protocol: those tcpdump decodes too that the printer does not, or not
// always (IGMP, RSVP). For the others tcpdump prints "ip-proto-N", and so
// does the printer.
func summarized(proto uint8) bool {
	switch proto {
	case 2, 46:
		return true
	}
	return false
}

// ip6OptionsFit reports whether the TLV options of a hop-by-hop header all
// lie within it.
func ip6OptionsFit(opts []byte) bool {
	for i := 0; i < len(opts); {
		if opts[i] == 0 { // Pad1
			i++
			continue
		}
		if len(opts)-i < 2 {
			return false
		}
		n := int(opts[i+1]) + 2
		if n > len(opts)-i {
			return false
		}
		i += n
	}
	return true
}
