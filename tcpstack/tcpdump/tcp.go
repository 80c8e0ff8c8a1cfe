package tcpdump

import (
	"bytes"
	"sync"

	"tcpregress.dev/tcpstack/header"
)

// tcpConvKey identifies a TCP connection in both directions, in tcpdump's
// collating order: the endpoint with the lower port (then the lower address)
// first.
type tcpConvKey struct {
	a, b  [16]byte
	ports uint32
	v6    bool
}

// tcpISNs are the numbers tcpdump subtracts for relative sequence and
// acknowledgement numbers: seq for the first endpoint's sequence numbers,
// ack for the second's.
type tcpISNs struct{ seq, ack uint32 }

// tcpPrint prints a TCP segment as tcpdump's tcp_print does. data is the
// captured bytes from the TCP header on, length the segment length from the
// IP header.
func (p *Printer) tcpPrint(b []byte, data []byte, length int, ip *ipHeader) []byte {
	if len(data) < 4 {
		b = appendAddrs(b, ip)
		return append(b, " [|tcp]"...)
	}
	sport, dport := be16(data[0:2]), be16(data[2:4])
	b = appendEndpoints(b, ip, sport, dport)
	if len(data) < 20 {
		return append(b, " [|tcp]"...)
	}
	seq, ack := be32(data[4:8]), be32(data[8:12])
	hlen := int(data[12]>>4) * 4
	flags := header.TCPFlags(data[13])
	win, urp := be16(data[14:16]), be16(data[18:20])
	if hlen < 20 {
		b = append(b, " tcp "...)
		b = appendUint(b, uint64(uint32(length-hlen)))
		b = append(b, " [bad hdr length "...)
		b = appendInt(b, hlen)
		return append(b, " - too short, < 20]"...)
	}
	b = append(b, "Flags ["...)
	b = append(b, flags.String()...)
	b = append(b, ']')

	var thseq, thack uint32
	rev := false
	if !p.Absolute && flags&header.TCPFlagACK != 0 {
		var key tcpConvKey
		key.v6 = ip.v6
		c := bytes.Compare(ip.src, ip.dst)
		rev = sport > dport || (sport == dport && c > 0)
		if rev {
			copy(key.a[:], ip.dst)
			copy(key.b[:], ip.src)
			key.ports = uint32(dport)<<16 | uint32(sport)
		} else {
			copy(key.a[:], ip.src)
			copy(key.b[:], ip.dst)
			key.ports = uint32(sport)<<16 | uint32(dport)
		}
		th, found := p.tcpISN[key]
		if !found || flags&header.TCPFlagSYN != 0 {
			if p.tcpISN == nil {
				p.tcpISN = make(map[tcpConvKey]tcpISNs)
			}
			if rev {
				th = tcpISNs{seq: ack - 1, ack: seq}
			} else {
				th = tcpISNs{seq: seq, ack: ack - 1}
			}
			p.tcpISN[key] = th
		} else if rev {
			seq -= th.ack
			ack -= th.seq
		} else {
			seq -= th.seq
			ack -= th.ack
		}
		thseq, thack = th.seq, th.ack
	}
	if hlen > length {
		b = append(b, " [bad hdr length "...)
		b = appendInt(b, hlen)
		b = append(b, " - too long, > "...)
		b = appendInt(b, length)
		return append(b, ']')
	}
	if p.Verbose > 0 && !ip.fragmented && len(data) >= length {
		b = appendTCPCksum(b, ip, data[:length])
	}
	length -= hlen
	if p.Verbose > 1 || length > 0 || flags&(header.TCPFlagSYN|header.TCPFlagFIN|header.TCPFlagRST) != 0 {
		b = append(b, ", seq "...)
		b = appendUint(b, uint64(seq))
		if length > 0 {
			b = append(b, ':')
			b = appendUint(b, uint64(seq+uint32(length)))
		}
	}
	if flags&header.TCPFlagACK != 0 {
		b = append(b, ", ack "...)
		b = appendUint(b, uint64(ack))
	}
	b = append(b, ", win "...)
	b = appendUint(b, uint64(win))
	if flags&header.TCPFlagURG != 0 {
		b = append(b, ", urg "...)
		b = appendUint(b, uint64(urp))
	}
	if hlen > 20 {
		sub := thack
		if rev {
			sub = thseq
		}
		var ok bool
		// tcpdump reads option kinds and lengths as far as bytes were
		// captured, also past the header.
		b = append(b, ", options "...)
		b, ok = appendTCPOptions(b, data[20:], hlen-20, sub, len(data) >= hlen+length, int(flags))
		if !ok {
			return b
		}
	}
	b = append(b, ", length "...)
	b = appendInt(b, length)
	if length == 0 {
		return b
	}
	if len(data) < hlen {
		// Options ended early (eol) but the header was not all captured.
		return appendShortHeader(b, len(data), hlen, "tcp")
	}
	payload := data[hlen:]
	if length < len(payload) {
		payload = payload[:length]
	}
	if p.Verbose > 0 && flags&header.TCPFlagRST != 0 {
		return appendRSTData(b, payload, length)
	}
	return appendTCPApp(b, sport, dport, payload, length, p.Verbose)
}

// AppendTCPFlags appends TCP flags (the header's 13th byte) as tcpdump
// prints them between the brackets of "Flags [...]": letters in its order,
// "." for ACK ("S.", "FP.", "SEW"), or "none" (header.TCPFlags.String).
func AppendTCPFlags(b []byte, f uint8) []byte {
	return append(b, header.TCPFlags(f).String()...)
}

// tcpOptionNames are tcpdump's names for the TCP option kinds: header's
// (header.TCPOptionKind.String), but for CC.ECHO, which tcpdump's table
// names with the empty string. They are made once, so that printing an
// unknown kind ("unknown-N") allocates nothing.
var tcpOptionNames = sync.OnceValue(func() *[256]string {
	var names [256]string
	for k := range names {
		names[k] = header.TCPOptionKind(k).String()
	}
	names[13] = "" // TCPOPT_CCECHO
	return &names
})

// tcpOptionName is tcpdump's name for a TCP option kind.
func tcpOptionName(b []byte, kind uint8) []byte {
	return append(b, tcpOptionNames()[kind]...)
}

// AppendTCPOptions appends a TCP header's option bytes (padding included)
// as tcpdump prints them after "options ", with absolute SACK edges:
// "[mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]". Options that run past
// the bytes end with tcpdump's marker: "[wscale 2,[bad opt]]".
func AppendTCPOptions(b []byte, opts []byte) []byte {
	b, _ = appendTCPOptions(b, opts, len(opts), 0, true, -1)
	return b
}

// appendTCPOptions prints the options as tcpdump does, in brackets: opts is
// the captured part of the option bytes, hlen their length according to
// the header, sub the number subtracted from SACK edges, whole whether the
// segment was captured whole, flags the segment's flags (-1 when not
// known: multipath TCP options then print their subtype only). It reports
// false when printing must stop (damaged or truncated options; the marker
// is printed).
func appendTCPOptions(b []byte, opts []byte, hlen int, sub uint32, whole bool, flags int) ([]byte, bool) {
	b = append(b, '[')
	var ch byte
	cp := 0
	// lenCheck mirrors tcpdump's LENCHECK: l more bytes must be announced
	// by the header (else "[bad opt]") and captured (else "[|tcp]").
	const (
		okay = iota
		bad
		trunc
	)
	lenCheck := func(l int) int {
		if l > hlen {
			return bad
		}
		if cp+l > len(opts) {
			return trunc
		}
		return okay
	}
	// tcpdump names the protocol it last entered in its truncation
	// marker: after a multipath TCP option, "mptcp".
	marker := " [|tcp]"
	end := func(b []byte, how int) ([]byte, bool) {
		if how == bad {
			b = append(b, "[bad opt]"...)
			if ch != 0 {
				b = append(b, ']')
			}
			return b, false
		}
		b = append(b, marker...)
		if ch != 0 {
			b = append(b, '>')
		}
		return b, false
	}
	for hlen > 0 {
		if ch != 0 {
			b = append(b, ch)
		}
		if cp >= len(opts) {
			// tcpdump's GET_U_1 fails here: its top level prints the
			// marker, without the '>' of the option printer.
			return append(b, marker...), false
		}
		opt := opts[cp]
		cp++
		var ln int
		if opt == 0 || opt == 1 {
			ln = 1
		} else {
			if cp >= len(opts) {
				return append(b, marker...), false
			}
			ln = int(opts[cp])
			cp++
			if ln < 2 || ln > hlen {
				return end(b, bad)
			}
			hlen--
		}
		hlen--
		b = tcpOptionName(b, opt)
		datalen := 0
		switch opt {
		case 2: // mss
			datalen = 2
			if r := lenCheck(2); r != okay {
				return end(b, r)
			}
			b = append(b, ' ')
			b = appendUint(b, uint64(be16(opts[cp:])))
		case 3: // wscale
			datalen = 1
			if r := lenCheck(1); r != okay {
				return end(b, r)
			}
			b = append(b, ' ')
			b = appendUint(b, uint64(opts[cp]))
		case 5: // sack
			datalen = ln - 2
			if datalen%8 != 0 {
				b = append(b, " invalid sack"...)
			} else {
				b = append(b, ' ')
				b = appendInt(b, datalen/8)
				b = append(b, ' ')
				for i := 0; i < datalen; i += 8 {
					if r := lenCheck(i + 4); r != okay {
						return end(b, r)
					}
					s := be32(opts[cp+i:]) - sub
					if r := lenCheck(i + 8); r != okay {
						return end(b, r)
					}
					e := be32(opts[cp+i+4:]) - sub
					b = append(b, '{')
					b = appendUint(b, uint64(s))
					b = append(b, ':')
					b = appendUint(b, uint64(e))
					b = append(b, '}')
				}
			}
		case 6, 7, 11, 12, 13: // echo, echoreply, cc, ccnew, ccecho
			datalen = 4
			if r := lenCheck(4); r != okay {
				return end(b, r)
			}
			b = append(b, ' ')
			b = appendUint(b, uint64(be32(opts[cp:])))
		case 8: // timestamps
			datalen = 8
			if r := lenCheck(8); r != okay {
				return end(b, r)
			}
			b = append(b, " val "...)
			b = appendUint(b, uint64(be32(opts[cp:])))
			b = append(b, " ecr "...)
			b = appendUint(b, uint64(be32(opts[cp+4:])))
		case 19: // md5 signature
			datalen = 16
			if r := lenCheck(16); r != okay {
				return end(b, r)
			}
			// tcpdump cannot check signatures without -M.
			if whole {
				b = append(b, " shared secret not supplied with -M, can't check - "...)
			} else {
				b = append(b, " snaplen too short, can't check - "...)
			}
			b = appendHexBytes(b, opts[cp:cp+16], 0)
		case 20: // scps
			datalen = 2
			if r := lenCheck(2); r != okay {
				return end(b, r)
			}
			b = append(b, " cap "...)
			b = appendHex(b, uint64(opts[cp]), 2)
			b = append(b, " id "...)
			b = appendUint(b, uint64(opts[cp+1]))
		case 29: // tcp-ao
			datalen = ln - 2
			if datalen < 2 {
				b = append(b, " (invalid)"...)
				break
			}
			if r := lenCheck(1); r != okay {
				return end(b, r)
			}
			b = append(b, " keyid "...)
			b = appendUint(b, uint64(opts[cp]))
			if r := lenCheck(2); r != okay {
				return end(b, r)
			}
			b = append(b, " rnextkeyid "...)
			b = appendUint(b, uint64(opts[cp+1]))
			if datalen > 2 {
				b = append(b, " mac 0x"...)
				for i := 2; i < datalen; i++ {
					if r := lenCheck(i + 1); r != okay {
						return end(b, r)
					}
					b = appendHex(b, uint64(opts[cp+i]), 2)
				}
			}
		case 0, 1, 4:
		case 28: // user timeout
			datalen = 2
			if r := lenCheck(2); r != okay {
				return end(b, r)
			}
			v := uint64(be16(opts[cp:]))
			b = append(b, " 0x"...)
			b = appendHex(b, v, 1)
			if v&1 != 0 {
				v = (v >> 1) * 60
			} else {
				v >>= 1
			}
			b = append(b, ' ')
			b = appendUint(b, v)
		case 30: // multipath TCP (RFC 8684 section 3)
			datalen = ln - 2
			if r := lenCheck(datalen); r != okay {
				return end(b, r)
			}
			if datalen < 1 {
				return end(b, bad)
			}
			if flags < 0 {
				b = append(b, ' ')
				b = appendInt(b, ln)
				b = append(b, ' ')
				b = append(b, mptcpSubtype(opts[cp]>>4)...)
				break
			}
			// tcpdump reads the option within its length and what was
			// captured of it.
			opt := opts[cp-2 : min(cp-2+ln, len(opts))]
			var r int
			marker = " [|mptcp]"
			if b, r = appendMPTCP(b, opt, ln, uint8(flags)); r != okay {
				if r == trunc {
					return append(b, marker...), false
				}
				return end(b, bad)
			}
		case 34: // fast open
			datalen = ln - 2
			if r := lenCheck(datalen); r != okay {
				return end(b, r)
			}
			b = append(b, ' ')
			b = appendFastOpen(b, opts[cp:cp+datalen])
		case 254: // experimental (RFC 6994)
			datalen = ln - 2
			if r := lenCheck(datalen); r != okay {
				return end(b, r)
			}
			if datalen < 2 {
				return end(b, bad)
			}
			magic := be16(opts[cp:])
			b = append(b, '-')
			if magic == 0xf989 {
				b = append(b, "tfo"...)
				b = appendFastOpen(b, opts[cp+2:cp+datalen])
			} else {
				b = appendHex(b, uint64(magic), 4)
			}
		default:
			datalen = ln - 2
			if datalen > 0 {
				b = append(b, " 0x"...)
			}
			for i := 0; i < datalen; i++ {
				if r := lenCheck(i + 1); r != okay {
					return end(b, r)
				}
				b = appendHex(b, uint64(opts[cp+i]), 2)
			}
		}
		cp += datalen
		hlen -= datalen
		datalen++
		if opt != 0 && opt != 1 {
			datalen++
		}
		if datalen != ln {
			b = append(b, "[len "...)
			b = appendInt(b, ln)
			b = append(b, ']')
		}
		ch = ','
		if opt == 0 {
			break
		}
	}
	return append(b, ']'), true
}

func appendFastOpen(b []byte, c []byte) []byte {
	if len(c) == 0 {
		return append(b, " cookiereq"...)
	}
	if len(c)%2 != 0 || len(c) < 4 || len(c) > 16 {
		return append(b, " (invalid)"...)
	}
	b = append(b, " cookie "...)
	return appendHexBytes(b, c, 0)
}

// mptcpAddAddrKinds names the low nibble of an ADD_ADDR option's third
// byte: the version (0: RFC 6824, 1: RFC 8684) and the address family or
// echo flag.
var mptcpAddAddrKinds = map[uint8]string{6: "v0-ip6", 4: "v0-ip4", 1: "v1-echo", 0: "v1"}

// appendMPTCP prints a multipath TCP option (RFC 8684 section 3) of length
// ln, whose captured bytes are opt, in a segment with flags, as tcpdump
// 4.99's mptcp_print does. It returns 0 when the option was printed, 1 when
// it is malformed ("[bad opt]"), 2 when it was cut short.
func appendMPTCP(b []byte, opt []byte, ln int, flags uint8) ([]byte, int) {
	const (
		okay = iota
		bad
		trunc
		syn = 0x02
		ack = 0x10
	)
	if ln < 3 {
		return b, bad
	}
	sub := opt[2] >> 4
	if sub > 8 {
		sub = 8
	}
	b = append(b, ' ')
	b = appendInt(b, ln)
	b = append(b, ' ')
	if sub == 8 {
		b = append(b, "unknown"...)
		return b, okay
	}
	b = append(b, mptcpSubtype(sub)...)
	// need reports whether the bytes up to n were captured.
	need := func(n int) bool { return len(opt) >= n }
	hex64 := func(b []byte, at int) []byte {
		return appendHex(b, uint64(be32(opt[at:]))<<32|uint64(be32(opt[at+4:])), 1)
	}
	switch sub {
	case 0: // MP_CAPABLE
		if !((ln == 12 || ln == 4) && flags&syn != 0) && !((ln == 20 || ln == 22) && flags&(syn|ack) == ack) {
			return b, bad
		}
		if !need(3) {
			return b, trunc
		}
		v := opt[2] & 0xf
		if v > 1 {
			b = append(b, " Unknown Version ("...)
			b = appendUint(b, uint64(v))
			return append(b, ')'), okay
		}
		b = append(b, " v"...)
		b = appendUint(b, uint64(v))
		if !need(4) {
			return b, trunc
		}
		if opt[3]&0x80 != 0 {
			b = append(b, " csum"...)
		}
		if ln == 12 || ln >= 20 {
			if !need(12) {
				return b, trunc
			}
			b = append(b, " {0x"...)
			b = hex64(b, 4)
			if ln >= 20 {
				if !need(20) {
					return b, trunc
				}
				b = append(b, ",0x"...)
				b = hex64(b, 12)
			}
			b = append(b, '}')
		}
	case 1: // MP_JOIN
		if !(ln == 12 && flags&syn != 0) && !(ln == 16 && flags&(syn|ack) == syn|ack) && !(ln == 24 && flags&ack != 0) {
			return b, bad
		}
		if ln != 24 {
			if !need(4) {
				return b, trunc
			}
			if opt[2]&1 != 0 {
				b = append(b, " backup"...)
			}
			b = append(b, " id "...)
			b = appendUint(b, uint64(opt[3]))
		}
		switch ln {
		case 12:
			if !need(12) {
				return b, trunc
			}
			b = append(b, " token 0x"...)
			b = appendHex(b, uint64(be32(opt[4:])), 1)
			b = append(b, " nonce 0x"...)
			b = appendHex(b, uint64(be32(opt[8:])), 1)
		case 16:
			if !need(16) {
				return b, trunc
			}
			b = append(b, " hmac 0x"...)
			b = hex64(b, 4)
			b = append(b, " nonce 0x"...)
			b = appendHex(b, uint64(be32(opt[12:])), 1)
		case 24:
			if !need(24) {
				return b, trunc
			}
			b = append(b, " hmac 0x"...)
			b = appendHexBytes(b, opt[4:24], 0)
		}
	case 2: // DSS
		if ln < 4 || flags&syn != 0 {
			return b, bad
		}
		if !need(4) {
			return b, trunc
		}
		f := opt[3]
		if f&0x10 != 0 {
			b = append(b, " fin"...)
		}
		at, left := 4, ln-4
		num := func(b []byte, wide bool) ([]byte, int) {
			size := 4
			if wide {
				size = 8
			}
			if left < size {
				return b, bad
			}
			if !need(at + size) {
				return b, trunc
			}
			if wide {
				b = appendUint(b, uint64(be32(opt[at:]))<<32|uint64(be32(opt[at+4:])))
			} else {
				b = appendUint(b, uint64(be32(opt[at:])))
			}
			at, left = at+size, left-size
			return b, okay
		}
		var r int
		if f&0x01 != 0 {
			b = append(b, " ack "...)
			if b, r = num(b, f&0x02 != 0); r != okay {
				return b, r
			}
		}
		if f&0x04 != 0 {
			b = append(b, " seq "...)
			if b, r = num(b, f&0x08 != 0); r != okay {
				return b, r
			}
			if left < 4 {
				return b, bad
			}
			b = append(b, " subseq "...)
			if b, r = num(b, false); r != okay {
				return b, r
			}
			if left < 2 {
				return b, bad
			}
			if !need(at + 2) {
				return b, trunc
			}
			b = append(b, " len "...)
			b = appendUint(b, uint64(be16(opt[at:])))
			at, left = at+2, left-2
			if left >= 2 {
				if !need(at + 2) {
					return b, trunc
				}
				b = append(b, " csum 0x"...)
				b = appendHex(b, uint64(be16(opt[at:])), 1)
				left -= 2
			}
		}
		if left != 0 {
			return b, bad
		}
	case 3: // ADD_ADDR
		switch ln {
		case 8, 10, 16, 18, 20, 22, 28, 30:
		default:
			return b, bad
		}
		if !need(3) {
			return b, trunc
		}
		b = append(b, ' ')
		b = append(b, tokStr(mptcpAddAddrKinds, opt[2]&0xf, "[bad version/echo]")...)
		if !need(4) {
			return b, trunc
		}
		b = append(b, " id "...)
		b = appendUint(b, uint64(opt[3]))
		alen := 4
		if ln >= 20 {
			alen = 16
		}
		if !need(4 + alen) {
			return b, trunc
		}
		b = append(b, ' ')
		b = AppendAddr(b, opt[4:4+alen])
		at := 4 + alen
		if ln == 10 || ln == 18 || ln == 22 || ln == 30 {
			if !need(at + 2) {
				return b, trunc
			}
			b = append(b, ':')
			b = appendUint(b, uint64(be16(opt[at:])))
			at += 2
		}
		if ln == 16 || ln == 18 || ln == 28 || ln == 30 {
			if !need(at + 8) {
				return b, trunc
			}
			b = append(b, " hmac 0x"...)
			b = hex64(b, at)
		}
	case 4: // REMOVE_ADDR
		if ln < 4 {
			return b, bad
		}
		b = append(b, " id"...)
		for i := 3; i < ln; i++ {
			if !need(i + 1) {
				return b, trunc
			}
			b = append(b, ' ')
			b = appendUint(b, uint64(opt[i]))
		}
	case 5: // MP_PRIO
		if ln != 3 && ln != 4 {
			return b, bad
		}
		if opt[2]&1 != 0 {
			b = append(b, " backup"...)
		} else {
			b = append(b, " non-backup"...)
		}
		if ln == 4 {
			if !need(4) {
				return b, trunc
			}
			b = append(b, " id "...)
			b = appendUint(b, uint64(opt[3]))
		}
	case 6, 7: // MP_FAIL, MP_FASTCLOSE
		if ln != 12 {
			return b, bad
		}
		if !need(12) {
			return b, trunc
		}
		if sub == 6 {
			b = append(b, " seq "...)
			b = appendUint(b, uint64(be32(opt[4:]))<<32|uint64(be32(opt[8:])))
		} else {
			b = append(b, " key 0x"...)
			b = hex64(b, 4)
		}
	}
	return b, okay
}

func mptcpSubtype(s uint8) string {
	switch s {
	case 0:
		return "capable"
	case 1:
		return "join"
	case 2:
		return "dss"
	case 3:
		return "add-addr"
	case 4:
		return "rem-addr"
	case 5:
		return "prio"
	case 6:
		return "fail"
	case 7:
		return "fast-close"
	case 8:
		return "tcprst"
	}
	return "unknown"
}

// appendTCPApp prints the application protocols tcpdump recognises by port
// in its default output and the printer too: the first line of HTTP, FTP, SMTP,
// WHOIS and RTSP, SSH version strings, BGP's name and DNS. The ports
// tcpdump decodes otherwise (telnet, NFS, Redis, ...) print nothing more
// here. verbose is tcpdump's -v level (DNS answers' names with -v).
func appendTCPApp(b []byte, sport, dport uint16, payload []byte, length int, verbose int) []byte {
	is := func(port uint16) bool { return sport == port || dport == port }
	switch {
	case is(23):
	case is(25):
		b = append(b, ": SMTP"...)
		return appendTxtProto(b, "smtp", payload, length, nil, verbose)
	case is(43):
		b = append(b, ": WHOIS"...)
		return appendTxtProto(b, "whois", payload, length, nil, verbose)
	case is(179):
		return append(b, ": BGP"...)
	case is(1723), is(6379):
	case is(22):
		return appendSSH(b, payload, length)
	case is(139), is(445), is(10288), is(6633), is(6653):
	case is(21):
		b = append(b, ": FTP"...)
		return appendTxtProto(b, "ftp", payload, length, nil, verbose)
	case is(80), is(8080):
		b = append(b, ": HTTP"...)
		return appendTxtProto(b, "http", payload, length, httpCommands, verbose)
	case is(554), is(8554):
		b = append(b, ": RTSP"...)
		return appendTxtProto(b, "rtsp", payload, length, rtspCommands, verbose)
	case is(53):
		if out, ok := domainPrint(b, payload, length, true, false, verbose); ok {
			return out
		}
	case is(639): // MSDP
	case is(323): // RPKI-RTR (RFC 8210): tcpdump names it, its PDUs only with -v
		return append(b, ", RPKI-RTR"...)
	case is(646):
		return ldpPrint(b, payload, length)
	}
	return b
}

var httpCommands = []string{"GET", "PUT", "COPY", "HEAD", "LOCK", "MOVE", "POLL", "POST",
	"BCOPY", "BMOVE", "MKCOL", "TRACE", "LABEL", "MERGE", "DELETE", "SEARCH", "UNLOCK",
	"REPORT", "UPDATE", "NOTIFY", "BDELETE", "CONNECT", "OPTIONS", "CHECKIN", "PROPFIND",
	"CHECKOUT", "CCM_POST", "SUBSCRIBE", "PROPPATCH", "BPROPFIND", "BPROPPATCH",
	"UNCHECKOUT", "MKACTIVITY", "MKWORKSPACE", "UNSUBSCRIBE", "RPC_CONNECT",
	"VERSION-CONTROL", "BASELINE-CONTROL"}

var rtspCommands = []string{"DESCRIBE", "ANNOUNCE", "GET_PARAMETER", "OPTIONS", "PAUSE",
	"PLAY", "RECORD", "REDIRECT", "SETUP", "SET_PARAMETER", "TEARDOWN"}

func isPrint(c byte) bool { return c >= 0x20 && c < 0x7f }

// fetchToken is tcpdump's fetch_token: the token at idx, and the index after
// it and its trailing blanks, or 0. Reading past the captured bytes ends
// the token like an error.
func fetchToken(p []byte, idx, length int) (tok []byte, next int) {
	start := idx
	for ; idx < length; idx++ {
		if idx >= len(p) {
			return nil, 0
		}
		c := p[idx]
		if c >= 0x80 {
			return nil, 0
		}
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			break
		}
		if !isPrint(c) || idx-start+2 > 129 {
			return nil, 0
		}
	}
	if idx == start {
		return nil, 0
	}
	tok = p[start:idx]
	for ; idx < length && idx < len(p); idx++ {
		c := p[idx]
		if c == '\r' || c == '\n' || !isPrint(c) || (c != ' ' && c != '\t') {
			break
		}
	}
	return tok, idx
}

// appendTxtProto is tcpdump's txtproto_print without -v: the protocol name
// is already printed; when the payload looks like a request (a command of
// cmds) or a response (a 3-digit code), or cmds is nil, the first line
// follows. proto names the truncation marker.
func appendTxtProto(b []byte, proto string, p []byte, length int, cmds []string, verbose int) []byte {
	printThis := cmds == nil
	if cmds != nil {
		tok, idx := fetchToken(p, 0, length)
		if idx != 0 {
			for _, c := range cmds {
				if len(c) == len(tok) && bytes.EqualFold([]byte(c), tok) {
					printThis = true
					break
				}
			}
			tok, idx = fetchToken(p, idx, length)
			if idx != 0 && len(tok) == 3 && isDigit(tok[0]) && isDigit(tok[1]) && isDigit(tok[2]) {
				printThis = true
			}
		}
	}
	if !printThis {
		return b
	}
	if verbose == 0 {
		b, _ = appendTxtLine(b, ": ", proto, p, 0, length)
		return b
	}
	// With -v, tcpdump prints every line while they are text.
	b = append(b, ", length: "...)
	b = appendInt(b, length)
	for idx := 0; idx < length && idx >= 0; {
		b, idx = appendTxtLine(b, "\n\t", proto, p, idx, length)
		if idx == 0 {
			break
		}
	}
	return b
}

// appendTxtLine prints the line at idx after prefix, as tcpdump's
// print_txt_line does: up to LF or CR LF, if all printable, and returns the
// index after it; 0 when printing stops (binary data, or the end of the
// captured bytes, marked as a truncation).
func appendTxtLine(b []byte, prefix, proto string, p []byte, idx, length int) ([]byte, int) {
	start := idx
	for idx < length {
		if idx >= len(p) {
			return appendTrunc(b, proto), 0
		}
		c := p[idx]
		switch {
		case c == '\n':
			b = append(b, prefix...)
			return append(b, p[start:idx]...), idx + 1
		case c == '\r':
			if idx+1 >= length {
				return b, 0
			}
			if idx+1 >= len(p) {
				return appendTrunc(b, proto), 0
			}
			if p[idx+1] == '\n' {
				b = append(b, prefix...)
				return append(b, p[start:idx]...), idx + 2
			}
			return b, 0
		case !isPrint(c) && c != '\t':
			return b, 0
		}
		idx++
	}
	// A line without its end: tcpdump prints it and marks it truncated.
	b = append(b, prefix...)
	b = append(b, p[start:idx]...)
	return appendTrunc(b, proto), 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// appendSSH prints an SSH version line ("SSH-2.0-...") as tcpdump does,
// and its truncation marker when the bytes it reads were not captured.
func appendSSH(b []byte, p []byte, length int) []byte {
	for idx, want := range []byte("SSH-") {
		if idx >= len(p) {
			return append(b, " [|ssh]"...)
		}
		if p[idx] != want {
			return b
		}
	}
	for idx := 4; idx < length; idx++ {
		if idx >= len(p) {
			return append(b, " [|ssh]"...)
		}
		c := p[idx]
		switch {
		case c == '\n':
			b = append(b, ": SSH: "...)
			return append(b, p[:idx]...)
		case c == '\r':
			if idx+1 >= length {
				return b
			}
			if idx+1 >= len(p) {
				return append(b, " [|ssh]"...)
			}
			if p[idx+1] == '\n' {
				b = append(b, ": SSH: "...)
				return append(b, p[:idx]...)
			}
			return b
		case !isPrint(c):
			return b
		}
	}
	return b
}

// maxRSTData is how much of a reset's payload tcpdump -v prints.
const maxRSTData = 30

// appendRSTData appends the payload of a reset as tcpdump -v does: RFC
// 1122 section 4.2.2.12 lets it carry text explaining the reset.
func appendRSTData(b []byte, payload []byte, length int) []byte {
	if len(payload) >= length {
		b = append(b, " [RST"...)
	} else {
		b = append(b, " [!RST"...)
	}
	if length > maxRSTData {
		length = maxRSTData
		b = append(b, '+')
	}
	b = append(b, ' ')
	for _, c := range payload[:min(length, len(payload))] {
		b = appendCharEscaped(b, c)
	}
	return append(b, ']')
}
