package tcpdump

import (
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// other describes bytes that the printer has no tcpdump grammar for with the
// layers gopacket decodes from them, starting with dec; length is their
// length on the wire.
func (p *Printer) other(b []byte, dec gopacket.Decoder, rest []byte, length int) []byte {
	pkt := gopacket.NewPacket(rest, dec, gopacket.NoCopy)
	n := len(b)
	b = appendSummary(b, pkt.Layers(), pkt.ErrorLayer(), length)
	if len(b) == n && p.Verbose > 0 {
		// Nothing decoded: tcpdump's default printer dumps the bytes.
		b = appendDump(b, rest)
	}
	return b
}

// appendSummary appends a short description of gopacket layers: each
// layer's name with its key fields, separated by commas, then the number of
// bytes they span. A layer gopacket could not decode is marked.
func appendSummary(b []byte, ls []gopacket.Layer, errLayer gopacket.ErrorLayer, length int) []byte {
	n := 0
	for _, l := range ls {
		t := l.LayerType()
		if t == gopacket.LayerTypePayload || t == gopacket.LayerTypeDecodeFailure || t == gopacket.LayerTypeFragment {
			continue
		}
		if n > 0 {
			b = append(b, ", "...)
		}
		n++
		b = append(b, t.String()...)
		b = appendLayerDetails(b, l)
	}
	if n == 0 {
		// Nothing gopacket knows. tcpdump prints a hex dump on the
		// following lines here; the line ends like its first.
		return b
	}
	if errLayer != nil && !unsupported(errLayer.Error()) {
		b = append(b, " [malformed: "...)
		msg := errLayer.Error().Error()
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		b = appendPrintable(b, strings.ToLower(msg[:min(len(msg), 1)]))
		b = appendPrintable(b, msg[min(len(msg), 1):])
		b = append(b, ']')
	}
	b = append(b, ", length "...)
	return appendInt(b, length)
}

// appendLayerDetails appends the few fields that identify a layer, after a
// space, for the layers people meet most; nothing for others.
func appendLayerDetails(b []byte, l gopacket.Layer) []byte {
	switch l := l.(type) {
	case *layers.Ethernet:
		b = appendEnds(b, AppendMAC, l.SrcMAC, l.DstMAC)
	case *layers.Dot1Q:
		b = append(b, " vlan "...)
		b = appendUint(b, uint64(l.VLANIdentifier))
	case *layers.LLC:
		b = append(b, " dsap 0x"...)
		b = appendHex(b, uint64(l.DSAP), 2)
		b = append(b, " ssap 0x"...)
		b = appendHex(b, uint64(l.SSAP), 2)
	case *layers.SNAP:
		b = append(b, " oui 0x"...)
		b = appendHexBytes(b, l.OrganizationalCode, 0)
		b = append(b, " type 0x"...)
		b = appendHex(b, uint64(l.Type), 4)
	case *layers.STP:
		b = append(b, " root "...)
		b = appendBridgeID(b, l.RouteID)
		b = append(b, " bridge "...)
		b = appendBridgeID(b, l.BridgeID)
	case *layers.IPv4:
		b = appendEnds(b, AppendAddr, l.SrcIP, l.DstIP)
	case *layers.IPv6:
		b = appendEnds(b, AppendAddr, l.SrcIP, l.DstIP)
	case *layers.TCP:
		b = appendPorts(b, uint16(l.SrcPort), uint16(l.DstPort))
	case *layers.UDP:
		b = appendPorts(b, uint16(l.SrcPort), uint16(l.DstPort))
	case *layers.SCTP:
		b = appendPorts(b, uint16(l.SrcPort), uint16(l.DstPort))
	case *layers.MPLS:
		b = append(b, " label "...)
		b = appendUint(b, uint64(l.Label))
	case *layers.GRE:
		b = append(b, " proto 0x"...)
		b = appendHex(b, uint64(l.Protocol), 4)
	case *layers.VXLAN:
		b = append(b, " vni "...)
		b = appendUint(b, uint64(l.VNI))
	case *layers.PPPoE:
		b = append(b, ' ')
		b = append(b, l.Code.String()...)
		b = append(b, " session 0x"...)
		b = appendHex(b, uint64(l.SessionId), 4)
	case *layers.EAPOL:
		b = append(b, ' ')
		b = append(b, l.Type.String()...)
	case *layers.IGMP:
		b = append(b, ' ')
		b = append(b, l.Type.String()...)
	case *layers.IGMPv1or2:
		b = append(b, ' ')
		b = append(b, l.Type.String()...)
	case *layers.IPSecESP:
		b = appendSPI(b, l.SPI, l.Seq)
	case *layers.IPSecAH:
		b = appendSPI(b, l.SPI, l.Seq)
	case *layers.OSPFv2:
		b = append(b, ' ')
		b = append(b, l.Type.String()...)
	case *layers.OSPFv3:
		b = append(b, ' ')
		b = append(b, l.Type.String()...)
	case *layers.DNS:
		b = append(b, " id "...)
		b = appendUint(b, uint64(l.ID))
		if len(l.Questions) > 0 {
			q := l.Questions[0]
			b = append(b, ' ')
			b = append(b, q.Type.String()...)
			b = append(b, "? "...)
			b = appendPrintable(b, string(q.Name))
		}
	case *layers.CiscoDiscovery:
		b = append(b, " v"...)
		b = appendUint(b, uint64(l.Version))
		b = append(b, " ttl "...)
		b = appendUint(b, uint64(l.TTL))
	case *layers.Dot11:
		b = append(b, ' ')
		b = append(b, l.Type.String()...)
	case *layers.LinuxSLL:
		b = append(b, ' ')
		b = append(b, l.EthernetType.String()...)
	}
	return b
}

// appendEnds appends " src > dst", the two addresses as appendAddr prints
// them.
func appendEnds(b []byte, appendAddr func(b, addr []byte) []byte, src, dst []byte) []byte {
	b = append(b, ' ')
	b = appendAddr(b, src)
	b = append(b, " > "...)
	return appendAddr(b, dst)
}

// appendPorts appends " sport > dport".
func appendPorts(b []byte, sport, dport uint16) []byte {
	b = append(b, ' ')
	b = appendUint(b, uint64(sport))
	b = append(b, " > "...)
	return appendUint(b, uint64(dport))
}

// appendSPI appends the security parameters index and the sequence number
// of an IPsec ESP or AH header: " spi 0x00001234 seq 5".
func appendSPI(b []byte, spi, seq uint32) []byte {
	b = append(b, " spi 0x"...)
	b = appendHex(b, uint64(spi), 8)
	b = append(b, " seq "...)
	return appendUint(b, uint64(seq))
}

// appendBridgeID appends an STP bridge identifier: its priority (with the
// system ID) in hex, a dot and its MAC address.
func appendBridgeID(b []byte, id layers.STPSwitchID) []byte {
	b = appendHex(b, uint64(id.Priority+id.SysID), 4)
	b = append(b, '.')
	return AppendMAC(b, id.HwAddr)
}

// unsupported reports whether a gopacket error only says it has no decoder
// for a layer, which is no damage of the packet.
func unsupported(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "not currently supported") || strings.Contains(msg, "unable to decode")
}

// appendPrintable appends s with bytes outside printable ASCII as '.', so
// that names from packets cannot break the line.
func appendPrintable(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; isPrint(c) {
			b = append(b, c)
		} else {
			b = append(b, '.')
		}
	}
	return b
}
