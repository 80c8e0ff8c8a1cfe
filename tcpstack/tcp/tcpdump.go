package tcp

import (
	"net/netip"
	"strconv"
)

// TCPDump formats the segment in tcpdump's -nn -S grammar, as sent from src
// to dst: "IP 198.18.0.1.40000 > 198.18.0.2.80: Flags [S], seq 1000, win
// 65535, options [mss 1460,sackOK,TS val 1 ecr 0,wscale 7], length 0".
// Options print as AppendTo lays them out (with its NOP padding); a parsed
// segment's options are shown in that layout, not necessarily the one they
// arrived in.
func (s *Segment) TCPDump(src, dst netip.Addr) string {
	b := make([]byte, 0, 160)
	b = append(b, "IP "...)
	b = appendHostPort(b, src, s.SrcPort)
	b = append(b, " > "...)
	b = appendHostPort(b, dst, s.DstPort)
	b = append(b, ": Flags ["...)
	for _, f := range []struct {
		bit  Flags
		name byte
	}{{FlagFIN, 'F'}, {FlagSYN, 'S'}, {FlagRST, 'R'}, {FlagPSH, 'P'}, {FlagACK, '.'}, {FlagURG, 'U'}, {FlagECE, 'E'}, {FlagCWR, 'W'}} {
		if s.Flags&f.bit != 0 {
			b = append(b, f.name)
		}
	}
	if s.Flags == 0 {
		b = append(b, "none"...)
	}
	b = append(b, ']')
	n := len(s.Payload)
	if n > 0 || s.Flags&(FlagSYN|FlagFIN|FlagRST) != 0 {
		b = append(b, ", seq "...)
		b = strconv.AppendUint(b, uint64(s.Seq), 10)
		if n > 0 {
			b = append(b, ':')
			b = strconv.AppendUint(b, uint64(s.Seq.Add(Size(n))), 10)
		}
	}
	if s.Flags&FlagACK != 0 {
		b = append(b, ", ack "...)
		b = strconv.AppendUint(b, uint64(s.Ack), 10)
	}
	b = append(b, ", win "...)
	b = strconv.AppendUint(b, uint64(s.Window), 10)
	if s.Flags&FlagURG != 0 {
		b = append(b, ", urg "...)
		b = strconv.AppendUint(b, uint64(s.Urgent), 10)
	}
	if o := optionsTCPDump(s.AppendTo(nil)); o != "" {
		b = append(b, ", options ["...)
		b = append(b, o...)
		b = append(b, ']')
	}
	b = append(b, ", length "...)
	b = strconv.AppendInt(b, int64(n), 10)
	return string(b)
}

func appendHostPort(b []byte, a netip.Addr, port uint16) []byte {
	b = a.AppendTo(b)
	b = append(b, '.')
	return strconv.AppendUint(b, uint64(port), 10)
}

// optionsTCPDump lists the options of a marshalled TCP header as tcpdump
// prints them.
func optionsTCPDump(h []byte) string {
	if len(h) < HeaderLen {
		return ""
	}
	off := int(h[12]>>4) * 4
	if off > len(h) || off < HeaderLen {
		return ""
	}
	opts := h[HeaderLen:off]
	var b []byte
	add := func(s string) {
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = append(b, s...)
	}
	for i := 0; i < len(opts); {
		kind := opts[i]
		switch kind {
		case 0:
			add("eol")
			i = len(opts)
			continue
		case 1:
			add("nop")
			i++
			continue
		}
		if i+1 >= len(opts) || int(opts[i+1]) < 2 || i+int(opts[i+1]) > len(opts) {
			add("bad opt")
			break
		}
		l := int(opts[i+1])
		d := opts[i+2 : i+l]
		switch {
		case kind == 2 && l == 4:
			add("mss " + strconv.Itoa(int(d[0])<<8|int(d[1])))
		case kind == 3 && l == 3:
			add("wscale " + strconv.Itoa(int(d[0])))
		case kind == 4 && l == 2:
			add("sackOK")
		case kind == 8 && l == 10:
			add("TS val " + strconv.FormatUint(uint64(be32(d[0:4])), 10) + " ecr " + strconv.FormatUint(uint64(be32(d[4:8])), 10))
		case kind == 5 && (l-2)%8 == 0:
			s := "sack " + strconv.Itoa((l-2)/8)
			for j := 0; j+8 <= len(d); j += 8 {
				s += " {" + strconv.FormatUint(uint64(be32(d[j:j+4])), 10) + ":" + strconv.FormatUint(uint64(be32(d[j+4:j+8])), 10) + "}"
			}
			add(s)
		default:
			add("unknown-" + strconv.Itoa(int(kind)))
		}
		i += l
	}
	return string(b)
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
