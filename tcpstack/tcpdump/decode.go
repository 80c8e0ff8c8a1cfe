package tcpdump

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Decoder decodes the layers the [Printer] knows (Ethernet, 802.1Q, Linux
// SLL and SLL2, BSD loopback, ARP, IPv4, IPv6, TCP, UDP, ICMP, ICMPv6) with
// gopacket's DecodingLayerParser into its preallocated layer fields: nothing
// is allocated per packet. A Printer decodes with one; programs that want the
// same fields for other purposes (statistics, stream reassembly) can use
// their own.
//
// Each layer type is decoded at most once per packet, so an encapsulated
// packet (IP in IP, say) leaves the outer headers in the fields and its
// bytes in the outer layer's payload, for another Decoder to take.
//
// A Decoder is not safe for concurrent use.
type Decoder struct {
	Ethernet  layers.Ethernet
	Dot1Q     layers.Dot1Q
	LinuxSLL  layers.LinuxSLL
	LinuxSLL2 layers.LinuxSLL2
	Loopback  layers.Loopback
	ARP       layers.ARP
	IPv4      layers.IPv4
	IPv6      layers.IPv6
	TCP       layers.TCP
	UDP       layers.UDP
	ICMPv4    layers.ICMPv4
	ICMPv6    layers.ICMPv6

	// Decoded lists the layers the last Decode decoded, outermost first;
	// their fields hold their values.
	Decoded []gopacket.LayerType
	// Err is the error that stopped decoding, if any.
	Err error
	// Next is the layer type decoding stopped at (one the Decoder does not
	// know, or the one whose decoding failed), and Rest its bytes.
	Next gopacket.LayerType
	Rest []byte

	container *onceContainer
	parsers   map[gopacket.LayerType]*gopacket.DecodingLayerParser
}

// NewDecoder returns a Decoder.
func NewDecoder() *Decoder {
	d := &Decoder{
		parsers: make(map[gopacket.LayerType]*gopacket.DecodingLayerParser),
		Decoded: make([]gopacket.LayerType, 0, 16),
	}
	d.container = &onceContainer{}
	for _, l := range []gopacket.DecodingLayer{&d.Ethernet, &d.Dot1Q, &d.LinuxSLL, &d.LinuxSLL2, &d.Loopback, &d.ARP,
		&d.IPv4, &d.IPv6, &d.TCP, &d.UDP, &d.ICMPv4, &d.ICMPv6} {
		d.container.Put(l)
	}
	return d
}

// FirstLayer returns the layer a packet of link type lt starts with after
// offset bytes of link-level header the Decoder does not decode itself (IP
// over InfiniBand's), for [Decoder.Decode]. ok is false for link types the
// Decoder has no layer for.
func FirstLayer(lt layers.LinkType, data []byte) (first gopacket.LayerType, offset int, ok bool) {
	if first, ok := firstLayer(lt, data); ok {
		return first, 0, true
	}
	return skipLink(lt, data)
}

// firstLayer returns the layer type a packet of link type lt starts with;
// ok is false for link types decoded by other means.
func firstLayer(lt layers.LinkType, data []byte) (gopacket.LayerType, bool) {
	switch lt {
	case layers.LinkTypeEthernet:
		return layers.LayerTypeEthernet, true
	case layers.LinkTypeLinuxSLL:
		return layers.LayerTypeLinuxSLL, true
	case layers.LinkTypeLinuxSLL2:
		return layers.LayerTypeLinuxSLL2, true
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return layers.LayerTypeLoopback, true
	case layers.LinkTypeIPv4:
		return layers.LayerTypeIPv4, true
	case layers.LinkTypeIPv6:
		return layers.LayerTypeIPv6, true
	case layers.LinkTypeRaw, 12: // 12 is DLT_RAW on OpenBSD, which libpcap maps to 101
		if len(data) > 0 && data[0]>>4 == 6 {
			return layers.LayerTypeIPv6, true
		}
		return layers.LayerTypeIPv4, true
	}
	return gopacket.LayerTypeZero, false
}

// linkTypeIPoIB is IP over InfiniBand: a 44-byte header whose last 4 bytes
// hold the ethertype.
const linkTypeIPoIB layers.LinkType = 242

// skipLink returns, for link types whose header gopacket does not decode
// but the printer understands, the layer after the header and the header's
// length.
func skipLink(lt layers.LinkType, data []byte) (gopacket.LayerType, int, bool) {
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

// Decode decodes data starting with layer type first (see [FirstLayer]).
// Afterwards d.Decoded lists the layers decoded (their fields in d hold the
// values, which refer to data), d.Next and d.Rest say where decoding
// stopped.
func (d *Decoder) Decode(first gopacket.LayerType, data []byte) {
	p := d.parsers[first]
	if p == nil {
		p = gopacket.NewDecodingLayerParser(first)
		p.SetDecodingLayerContainer(d.container)
		// Panics reach the caller, which may report them as bugs, rather
		// than turning into decoding errors here.
		p.IgnorePanic = true
		p.IgnoreUnsupported = true
		d.parsers[first] = p
	}
	d.container.reset(first)
	d.Err = p.DecodeLayers(data, &d.Decoded)
	// Find where decoding stopped.
	d.Next, d.Rest = first, data
	if n := len(d.Decoded); n > 0 {
		l := d.layer(d.Decoded[n-1])
		d.Next, d.Rest = l.NextLayerType(), l.LayerPayload()
	}
}

// layer returns the struct that holds decoded layers of type t.
func (d *Decoder) layer(t gopacket.LayerType) gopacket.DecodingLayer {
	l, _ := d.container.layers.Decoder(t)
	return l
}

// Has reports whether the last Decode decoded a layer of type t.
func (d *Decoder) Has(t gopacket.LayerType) bool {
	for _, l := range d.Decoded {
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
