package tcpdump

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// ARCNET (ANSI/ATA 878.1; RFC 1201 for IP over it), on link types ARCNET
// (BSD's header: source, destination, type, and for the new-style types a
// fragmentation flag and sequence number) and ARCNET_LINUX (Linux's: an
// offset field before the type), as print-arcnet.c prints them.

const (
	linkTypeARCNET      layers.LinkType = 7
	linkTypeARCNETLinux layers.LinkType = 129
)

var arcnetTypes = map[uint32]string{240: "oldip", 241: "oldarp", 212: "ip", 213: "arp", 214: "rarp", 221: "atalk",
	247: "banyan", 250: "ipx", 0xc4: "ipv6", 0x80: "diag"}

// arcnetOld reports whether an ARCNET type has the old, short header
// (RFC 1051 IP and ARP, diagnostics).
func arcnetOld(t byte) bool { return t == 240 || t == 241 || t == 0x80 }

// appendARCNETHeader appends -e's "01 02 ip 36: " (tcpdump's arcnet_print;
// it reads the type at the third byte for both header layouts), with the
// sequence number and fragment of a new-style header when phds is set.
func appendARCNETHeader(b []byte, data []byte, length int, phds bool, flag, seqid uint32) []byte {
	b = appendHex(b, uint64(data[0]), 2)
	b = append(b, ' ')
	b = appendHex(b, uint64(data[1]), 2)
	b = append(b, ' ')
	b = appendTokHex(b, arcnetTypes, uint32(data[2]), "", 2, "")
	b = append(b, ' ')
	if phds {
		b = append(b, "seqid "...)
		b = appendHex(b, uint64(seqid), 4)
		b = append(b, ' ')
		switch {
		case flag&1 != 0:
			b = append(b, "(first of "...)
			b = appendUint(b, uint64((flag+3)/2))
			b = append(b, " fragments) "...)
		case flag != 0:
			b = append(b, "(fragment "...)
			b = appendUint(b, uint64(flag/2+1))
			b = append(b, ") "...)
		}
	}
	b = appendInt(b, length)
	return append(b, ": "...)
}

// arcnetPrint prints a frame of link type ARCNET (linux false) or
// ARCNET_LINUX. ok is false for payloads the printer does not decode
// (AppleTalk, IPX).
func (p *Printer) arcnetPrint(b []byte, data []byte, length int, linux bool) ([]byte, bool) {
	proto, hdr, typ := "arcnet", 3, byte(0)
	if linux {
		proto, hdr = "arcnet_linux", 5
	}
	if len(data) < hdr {
		return appendTrunc(b, proto), true
	}
	typ = data[hdr-1]
	var flag, seqid uint32
	phds := false
	switch {
	case linux:
		if !arcnetOld(typ) {
			if hdr = 8; len(data) < hdr {
				return appendTrunc(b, proto), true
			}
		}
	case !arcnetOld(typ):
		phds = true
		if len(data) < 6 {
			b = appendARCNETHeader(b, data, length, false, 0, 0)
			return appendTrunc(append(b, " phds"...), proto), true
		}
		flag, seqid, hdr = uint32(data[3]), uint32(be16(data[4:])), 6
		if flag == 0xff {
			if len(data) < 10 {
				b = appendARCNETHeader(b, data, length, false, 0, 0)
				return appendTrunc(append(b, " phds extended"...), proto), true
			}
			flag, seqid, hdr = uint32(data[7]), uint32(be16(data[8:])), 10
		}
	}
	if p.LinkHeader {
		b = appendARCNETHeader(b, data, length, phds, flag, seqid)
	}
	data, length = data[hdr:], length-hdr
	if phds && flag != 0 && flag&1 == 0 {
		return b, true // a middle fragment
	}
	var first gopacket.LayerType
	switch typ {
	case 240, 212:
		first = layers.LayerTypeIPv4
	case 0xc4:
		first = layers.LayerTypeIPv6
	case 241, 213, 214:
		nd := p.nested()
		if nd == nil {
			return b, true
		}
		defer p.unnest()
		nd.Decode(layers.LayerTypeARP, data)
		return p.arp(b, nd, data, length), true
	case 221, 250:
		return b, false
	default:
		return b, true // tcpdump dumps the payload in hex
	}
	out, _ := p.inner(b, first, data, length)
	return out, true
}

// arcnetHeaderLen is the length of an ARCNET header as tcpdump counts it:
// 0 for a frame too short for its header, which tcpdump dumps whole.
func arcnetHeaderLen(lt layers.LinkType, data []byte) int {
	n := 3
	switch {
	case len(data) < 3:
		return 0
	case lt == linkTypeARCNETLinux:
		n = 5
		if len(data) >= 5 && !arcnetOld(data[4]) {
			n = 8
		}
	case !arcnetOld(data[2]):
		n = 6
		if len(data) >= 6 && data[3] == 0xff {
			n = 10
		}
	}
	if len(data) < n {
		return 0
	}
	return n
}
