package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// formatFrame renders an Ethernet frame as tcpdump -n -S does (absolute
// sequence numbers), for the -vv trace:
//
//	IP 198.18.0.3.49152 > 198.18.0.2.80: Flags [S], seq 1, win 65535, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
//	ARP, Request who-has 198.18.0.2 tell 198.18.0.3, length 28
func formatFrame(f []byte) string {
	if len(f) < ethLen {
		return fmt.Sprintf("[|ether] length %d", len(f))
	}
	switch et := binary.BigEndian.Uint16(f[12:14]); et {
	case etherTypeARP:
		return formatARP(f[ethLen:])
	case etherTypeIPv4:
		return formatIPv4(f[ethLen:])
	default:
		return fmt.Sprintf("ethertype 0x%04x, length %d", et, len(f))
	}
}

func formatARP(b []byte) string {
	if len(b) < 28 || binary.BigEndian.Uint16(b[0:2]) != 1 || binary.BigEndian.Uint16(b[2:4]) != etherTypeIPv4 {
		return fmt.Sprintf("ARP, [|arp] length %d", len(b))
	}
	spa, tpa := addrAt(b, 14), addrAt(b, 24)
	switch op := binary.BigEndian.Uint16(b[6:8]); op {
	case 1:
		return fmt.Sprintf("ARP, Request who-has %s tell %s, length %d", tpa, spa, len(b))
	case 2:
		return fmt.Sprintf("ARP, Reply %s is-at %s, length %d", spa, net.HardwareAddr(b[8:14]), len(b))
	default:
		return fmt.Sprintf("ARP, op %d, length %d", op, len(b))
	}
}

func formatIPv4(b []byte) string {
	if len(b) < 20 || b[0]>>4 != 4 {
		return fmt.Sprintf("IP [|ip] length %d", len(b))
	}
	hl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if hl < 20 || total < hl || len(b) < hl {
		return fmt.Sprintf("IP [|ip] length %d", len(b))
	}
	if total < len(b) {
		b = b[:total] // Ethernet padding
	}
	src, dst := addrAt(b, 12), addrAt(b, 16)
	p := b[hl:]
	switch b[9] {
	case protoTCP:
		return "IP " + formatTCP(src.String(), dst.String(), p)
	case protoICMP:
		if len(p) < 4 {
			return fmt.Sprintf("IP %s > %s: ICMP [|icmp], length %d", src, dst, len(p))
		}
		var what string
		switch p[0] {
		case 0:
			what = "echo reply"
		case 8:
			what = "echo request"
		case 3:
			what = fmt.Sprintf("destination unreachable, code %d", p[1])
		case 11:
			what = "time exceeded"
		default:
			what = fmt.Sprintf("type %d, code %d", p[0], p[1])
		}
		return fmt.Sprintf("IP %s > %s: ICMP %s, length %d", src, dst, what, len(p))
	default:
		return fmt.Sprintf("IP %s > %s: ip-proto-%d %d", src, dst, b[9], len(p))
	}
}

// formatTCP renders a TCP segment: "SRC.PORT > DST.PORT: Flags [S.], seq
// ..., ack ..., win ..., options [...], length N".
func formatTCP(src, dst string, t []byte) string {
	if len(t) < 20 {
		if len(t) >= 4 {
			src += "." + strconv.Itoa(int(binary.BigEndian.Uint16(t[0:2])))
			dst += "." + strconv.Itoa(int(binary.BigEndian.Uint16(t[2:4])))
		}
		return fmt.Sprintf("%s > %s: [|tcp] length %d", src, dst, len(t))
	}
	var b strings.Builder
	sport, dport := binary.BigEndian.Uint16(t[0:2]), binary.BigEndian.Uint16(t[2:4])
	fmt.Fprintf(&b, "%s.%d > %s.%d: ", src, sport, dst, dport)
	off := int(t[12]>>4) * 4
	if off < 20 || off > len(t) {
		fmt.Fprintf(&b, "tcp [bad hdr length %d]", off)
		return b.String()
	}
	seq, ack := binary.BigEndian.Uint32(t[4:8]), binary.BigEndian.Uint32(t[8:12])
	flags := t[13]
	length := len(t) - off
	b.WriteString("Flags [" + tcpFlags(flags) + "]")
	switch {
	case length > 0:
		fmt.Fprintf(&b, ", seq %d:%d", seq, seq+uint32(length))
	case flags&(0x01|0x02|0x04) != 0: // FIN, SYN, RST
		fmt.Fprintf(&b, ", seq %d", seq)
	}
	if flags&tcpFlagACK != 0 {
		fmt.Fprintf(&b, ", ack %d", ack)
	}
	fmt.Fprintf(&b, ", win %d", binary.BigEndian.Uint16(t[14:16]))
	if flags&0x20 != 0 {
		fmt.Fprintf(&b, ", urg %d", binary.BigEndian.Uint16(t[18:20]))
	}
	if off > 20 {
		b.WriteString(", options [" + tcpOptions(t[20:off]) + "]")
	}
	fmt.Fprintf(&b, ", length %d", length)
	return b.String()
}

// tcpFlags renders the control bits in tcpdump's order and letters.
func tcpFlags(f byte) string {
	var b strings.Builder
	for _, x := range []struct {
		bit byte
		c   byte
	}{{0x01, 'F'}, {0x02, 'S'}, {0x04, 'R'}, {0x08, 'P'}, {0x10, '.'}, {0x20, 'U'}, {0x40, 'E'}, {0x80, 'W'}} {
		if f&x.bit != 0 {
			b.WriteByte(x.c)
		}
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// tcpOptions renders options in wire order as tcpdump does, NOPs included.
func tcpOptions(o []byte) string {
	var parts []string
	for len(o) > 0 {
		kind := o[0]
		switch kind {
		case 0:
			parts = append(parts, "eol")
			return strings.Join(parts, ",")
		case 1:
			parts = append(parts, "nop")
			o = o[1:]
			continue
		}
		if len(o) < 2 || int(o[1]) < 2 || int(o[1]) > len(o) {
			parts = append(parts, "[bad opt]")
			return strings.Join(parts, ",")
		}
		v := o[2:o[1]]
		switch {
		case kind == 2 && len(v) == 2:
			parts = append(parts, "mss "+strconv.Itoa(int(binary.BigEndian.Uint16(v))))
		case kind == 3 && len(v) == 1:
			parts = append(parts, "wscale "+strconv.Itoa(int(v[0])))
		case kind == 4 && len(v) == 0:
			parts = append(parts, "sackOK")
		case kind == 5 && len(v)%8 == 0:
			var s strings.Builder
			fmt.Fprintf(&s, "sack %d ", len(v)/8)
			for i := 0; i+8 <= len(v); i += 8 {
				fmt.Fprintf(&s, "{%d:%d}", binary.BigEndian.Uint32(v[i:]), binary.BigEndian.Uint32(v[i+4:]))
			}
			parts = append(parts, s.String())
		case kind == 8 && len(v) == 8:
			parts = append(parts, fmt.Sprintf("TS val %d ecr %d", binary.BigEndian.Uint32(v), binary.BigEndian.Uint32(v[4:])))
		default:
			parts = append(parts, fmt.Sprintf("unknown-%d 0x%x", kind, v))
		}
		o = o[o[1]:]
	}
	return strings.Join(parts, ",")
}
