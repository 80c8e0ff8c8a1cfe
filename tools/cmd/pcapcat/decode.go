package main

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/pcap"
)

// decoder decodes the common layers of a packet with gopacket's
// DecodingLayerParser into preallocated layers: nothing is allocated per
// packet. Each layer type is decoded at most once per packet (see
// onceContainer), so an encapsulated packet (IP in IP, say) leaves the outer
// headers intact and its bytes in the outer layer's payload, for a nested
// decoder to print.
type decoder struct {
	eth   layers.Ethernet
	dot1q layers.Dot1Q
	sll   layers.LinuxSLL
	sll2  layers.LinuxSLL2
	loop  layers.Loopback
	arp   layers.ARP
	ip4   layers.IPv4
	ip6   layers.IPv6
	tcp   layers.TCP
	udp   layers.UDP
	icmp4 layers.ICMPv4
	icmp6 layers.ICMPv6

	container *onceContainer
	parsers   map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded   []gopacket.LayerType
	err       error // the error that stopped decoding, if any
	// next is the layer type decoding stopped at (unsupported, or the one
	// whose decoding failed), and rest its bytes.
	next gopacket.LayerType
	rest []byte
}

func newDecoder() *decoder {
	d := &decoder{
		parsers: make(map[gopacket.LayerType]*gopacket.DecodingLayerParser),
		decoded: make([]gopacket.LayerType, 0, 16),
	}
	d.container = &onceContainer{}
	for _, l := range []gopacket.DecodingLayer{&d.eth, &d.dot1q, &d.sll, &d.sll2, &d.loop, &d.arp,
		&d.ip4, &d.ip6, &d.tcp, &d.udp, &d.icmp4, &d.icmp6} {
		d.container.Put(l)
	}
	return d
}

// firstLayer returns the layer type a packet of link type lt starts with;
// ok is false for link types decoded by other means.
func firstLayer(lt pcap.LinkType, data []byte) (gopacket.LayerType, bool) {
	switch lt {
	case pcap.LinkTypeEthernet:
		return layers.LayerTypeEthernet, true
	case pcap.LinkTypeLinuxSLL:
		return layers.LayerTypeLinuxSLL, true
	case pcap.LinkTypeLinuxSLL2:
		return layers.LayerTypeLinuxSLL2, true
	case pcap.LinkTypeNull, pcap.LinkTypeLoop:
		return layers.LayerTypeLoopback, true
	case pcap.LinkTypeIPv4:
		return layers.LayerTypeIPv4, true
	case pcap.LinkTypeIPv6:
		return layers.LayerTypeIPv6, true
	case pcap.LinkTypeRaw, 12: // 12 is DLT_RAW on OpenBSD, which libpcap maps to 101
		if len(data) > 0 && data[0]>>4 == 6 {
			return layers.LayerTypeIPv6, true
		}
		return layers.LayerTypeIPv4, true
	}
	return gopacket.LayerTypeZero, false
}

// linkTypeIPoIB is IP over InfiniBand: a 44-byte header whose last 4 bytes
// hold the ethertype.
const linkTypeIPoIB pcap.LinkType = 242

// skipLink returns, for link types whose header gopacket does not decode
// but pcapcat understands, the layer after the header and the header's
// length.
func skipLink(lt pcap.LinkType, data []byte) (gopacket.LayerType, int, bool) {
	if lt == linkTypeIPoIB && len(data) >= 44 {
		switch be16(data[40:42]) {
		case 0x0800:
			return layers.LayerTypeIPv4, 44, true
		case 0x86dd:
			return layers.LayerTypeIPv6, 44, true
		case 0x0806:
			return layers.LayerTypeARP, 44, true
		}
	}
	return gopacket.LayerTypeZero, 0, false
}

// decode decodes data starting with layer type first. Afterwards d.decoded
// lists the layers decoded (their structs in d hold the fields), d.next and
// d.rest say where decoding stopped.
func (d *decoder) decode(first gopacket.LayerType, data []byte) {
	p := d.parsers[first]
	if p == nil {
		p = gopacket.NewDecodingLayerParser(first)
		p.SetDecodingLayerContainer(d.container)
		// Panics reach pcapcat's per-packet recover, which reports them as
		// bugs, rather than turning into decoding errors here.
		p.IgnorePanic = true
		p.IgnoreUnsupported = true
		d.parsers[first] = p
	}
	d.container.reset(first)
	d.err = p.DecodeLayers(data, &d.decoded)
	// Find where decoding stopped.
	d.next, d.rest = first, data
	if n := len(d.decoded); n > 0 {
		l := d.layer(d.decoded[n-1])
		d.next, d.rest = l.NextLayerType(), l.LayerPayload()
	}
}

// layer returns the struct that holds decoded layers of type t.
func (d *decoder) layer(t gopacket.LayerType) gopacket.DecodingLayer {
	l, _ := d.container.layers.Decoder(t)
	return l
}

// has reports whether layer t was decoded.
func (d *decoder) has(t gopacket.LayerType) bool {
	for _, l := range d.decoded {
		if l == t {
			return true
		}
	}
	return false
}

// onceContainer is a gopacket.DecodingLayerContainer that hands out each
// decoder at most once between resets, so that a second header of a type
// already decoded (QinQ, IP in IP) ends decoding instead of overwriting the
// first.
type onceContainer struct {
	layers gopacket.DecodingLayerSparse
	used   [8]uint64 // bit per layer type below 512
}

func (c *onceContainer) Put(l gopacket.DecodingLayer) gopacket.DecodingLayerContainer {
	c.layers = c.layers.Put(l).(gopacket.DecodingLayerSparse)
	return c
}

func (c *onceContainer) reset(first gopacket.LayerType) {
	c.used = [8]uint64{}
	c.mark(first)
}

func (c *onceContainer) mark(t gopacket.LayerType) bool {
	if t < 0 || int(t) >= 64*len(c.used) {
		return false
	}
	w, bit := int(t)/64, uint64(1)<<(uint(t)%64)
	if c.used[w]&bit != 0 {
		return false
	}
	c.used[w] |= bit
	return true
}

func (c *onceContainer) Decoder(t gopacket.LayerType) (gopacket.DecodingLayer, bool) {
	l, ok := c.layers.Decoder(t)
	if !ok || !c.mark(t) {
		return nil, false
	}
	return l, true
}

func (c *onceContainer) LayersDecoder(first gopacket.LayerType, df gopacket.DecodeFeedback) gopacket.DecodingLayerFunc {
	return gopacket.LayersDecoder(c, first, df)
}
