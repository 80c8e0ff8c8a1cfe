package header_test

import (
	"bytes"
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/tcpstack/header"
)

// Cross-checks against gopacket's layers, an independent implementation:
// what this package builds, gopacket decodes to the same fields; what
// gopacket serializes, this package parses to the same fields. Headers are
// random.

const rounds = 2000

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func randMAC(r *rand.Rand) header.MAC { return header.MAC(randBytes(r, 6)) }

func randAddr4(r *rand.Rand) netip.Addr { return netip.AddrFrom4([4]byte(randBytes(r, 4))) }

func randAddr6(r *rand.Rand) netip.Addr {
	for {
		if a := netip.AddrFrom16([16]byte(randBytes(r, 16))); !a.Is4In6() {
			return a
		}
	}
}

func ipOf(a netip.Addr) net.IP { return net.IP(a.AsSlice()) }

func serialize(t *testing.T, l ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, l...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var etherTypes = []header.EtherType{header.EtherTypeIPv4, header.EtherTypeIPv6, header.EtherTypeARP, 0x88cc, 0x0600}

func TestEthernetAgainstGopacket(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for i := range rounds {
		f := header.EthernetFields{Dst: randMAC(r), Src: randMAC(r), Type: etherTypes[r.IntN(len(etherTypes))],
			HasVLAN: i%2 == 0, VLAN: header.VLANTag(r.Uint32())}
		payload := randBytes(r, r.IntN(80))
		b := append(header.AppendEthernet(nil, &f), payload...)
		var eth layers.Ethernet
		if err := eth.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(eth.DstMAC, f.Dst[:]) || !bytes.Equal(eth.SrcMAC, f.Src[:]) {
			t.Fatalf("gopacket: dst %v src %v, built %+v", eth.DstMAC, eth.SrcMAC, f)
		}
		if f.HasVLAN {
			var q layers.Dot1Q
			if eth.EthernetType != layers.EthernetTypeDot1Q || q.DecodeFromBytes(eth.Payload, gopacket.NilDecodeFeedback) != nil {
				t.Fatalf("gopacket: type %v", eth.EthernetType)
			}
			if q.Priority != f.VLAN.Priority() || q.DropEligible != f.VLAN.DEI() || q.VLANIdentifier != f.VLAN.ID() ||
				uint16(q.Type) != uint16(f.Type) || !bytes.Equal(q.Payload, payload) {
				t.Fatalf("gopacket: %+v, built %+v", q, f)
			}
		} else if uint16(eth.EthernetType) != uint16(f.Type) || !bytes.Equal(eth.Payload, payload) {
			t.Fatalf("gopacket: type %v, built %v", eth.EthernetType, f.Type)
		}

		// And back: gopacket's frame (padded to 60 bytes) parsed here.
		gl := []gopacket.SerializableLayer{&layers.Ethernet{DstMAC: f.Dst[:], SrcMAC: f.Src[:], EthernetType: layers.EthernetType(f.Type)}}
		if f.HasVLAN {
			gl[0].(*layers.Ethernet).EthernetType = layers.EthernetTypeDot1Q
			gl = append(gl, &layers.Dot1Q{Priority: f.VLAN.Priority(), DropEligible: f.VLAN.DEI(), VLANIdentifier: f.VLAN.ID(), Type: layers.EthernetType(f.Type)})
		}
		gb := serialize(t, append(gl, gopacket.Payload(payload))...)
		e, err := header.ParseEthernet(gb)
		if err != nil {
			t.Fatal(err)
		}
		v, tagged := e.VLAN()
		if e.Dst() != f.Dst || e.Src() != f.Src || e.EtherType() != f.Type || tagged != f.HasVLAN || (tagged && v != f.VLAN) ||
			!bytes.HasPrefix(e.Payload(), payload) || len(gb) < header.EthernetMinFrameLen {
			t.Fatalf("parsed gopacket's % x: %v %v %v %#x %v", gb, e.Dst(), e.Src(), e.EtherType(), v, tagged)
		}
	}
}

func TestARPAgainstGopacket(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for range rounds {
		f := header.ARPFields{Op: header.ARPOp(1 + r.IntN(2)), SenderMAC: randMAC(r), SenderIP: randAddr4(r), TargetMAC: randMAC(r), TargetIP: randAddr4(r)}
		var a layers.ARP
		if err := a.DecodeFromBytes(header.AppendARP(nil, &f), gopacket.NilDecodeFeedback); err != nil {
			t.Fatal(err)
		}
		if a.AddrType != layers.LinkTypeEthernet || a.Protocol != layers.EthernetTypeIPv4 || a.HwAddressSize != 6 || a.ProtAddressSize != 4 ||
			a.Operation != uint16(f.Op) || !bytes.Equal(a.SourceHwAddress, f.SenderMAC[:]) || !bytes.Equal(a.SourceProtAddress, f.SenderIP.AsSlice()) ||
			!bytes.Equal(a.DstHwAddress, f.TargetMAC[:]) || !bytes.Equal(a.DstProtAddress, f.TargetIP.AsSlice()) {
			t.Fatalf("gopacket: %+v, built %+v", a, f)
		}
		p, err := header.ParseARP(serialize(t, &a))
		if err != nil {
			t.Fatal(err)
		}
		got := header.ARPFields{Op: p.Op(), SenderMAC: p.SenderMAC(), SenderIP: p.SenderIP(), TargetMAC: p.TargetMAC(), TargetIP: p.TargetIP()}
		if got != f {
			t.Fatalf("parsed %+v, want %+v", got, f)
		}
	}
}

// randIPv4Options returns well-formed IPv4 options, at most 40 bytes,
// unpadded.
func randIPv4Options(r *rand.Rand) []byte {
	var o []byte
	for range r.IntN(6) {
		var next []byte
		switch r.IntN(7) {
		case 0:
			next = header.AppendIPv4Option(nil, header.IPv4OptionNOP, nil)
		case 1:
			n := r.IntN(3)
			addrs := make([]netip.Addr, 1+n)
			for i := range addrs {
				addrs[i] = randAddr4(r)
			}
			types := []header.IPv4OptionType{header.IPv4OptionRecordRoute, header.IPv4OptionLSRR, header.IPv4OptionSSRR}
			next = header.AppendIPv4Route(nil, types[r.IntN(3)], uint8(4+4*r.IntN(n+2)), addrs...)
		case 2:
			next = header.AppendIPv4Option(nil, header.IPv4OptionTimestamp, append([]byte{5, 0}, randBytes(r, 4*r.IntN(3))...))
		case 3:
			next = header.AppendIPv4Option(nil, header.IPv4OptionRouterAlert, []byte{0, 0})
		case 4, 5:
			next = header.AppendIPv4Option(nil, header.IPv4OptionType(2+r.IntN(254)), randBytes(r, r.IntN(7)))
		case 6:
			next = header.AppendIPv4Option(nil, header.IPv4OptionEOL, nil)
		}
		if len(o)+len(next) > header.IPv4MaxOptionsLen {
			break
		}
		o = append(o, next...)
		if next[0] == 0 {
			break
		}
	}
	return o
}

func TestIPv4AgainstGopacket(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for range rounds {
		f := header.IPv4Fields{TOS: uint8(r.Uint32()), ID: uint16(r.Uint32()), DF: r.IntN(2) == 0, MF: r.IntN(2) == 0,
			FragOffset: 8 * r.IntN(0x2000), TTL: uint8(r.Uint32()), Protocol: header.IPProtocol(r.Uint32()),
			Src: randAddr4(r), Dst: randAddr4(r), Options: randIPv4Options(r), PayloadLen: r.IntN(100)}
		b := append(header.AppendIPv4(nil, &f), randBytes(r, f.PayloadLen)...)
		h := header.IPv4(b)
		var ip layers.IPv4
		if err := ip.DecodeFromBytes(b, gopacket.NilDecodeFeedback); err != nil {
			t.Fatalf("gopacket refused % x: %v", b, err)
		}
		if ip.Version != 4 || int(ip.IHL)*4 != f.HeaderLen() || ip.TOS != f.TOS || int(ip.Length) != len(b) || ip.Id != f.ID ||
			(ip.Flags&layers.IPv4DontFragment != 0) != f.DF || (ip.Flags&layers.IPv4MoreFragments != 0) != f.MF ||
			int(ip.FragOffset)*8 != f.FragOffset || ip.TTL != f.TTL || uint8(ip.Protocol) != uint8(f.Protocol) ||
			ip.Checksum != h.Checksum() || !ip.SrcIP.Equal(ipOf(f.Src)) || !ip.DstIP.Equal(ipOf(f.Dst)) {
			t.Fatalf("gopacket: %+v\nbuilt %+v", ip, f)
		}
		if err, res := ip.VerifyChecksum(); err != nil || !res.Valid {
			t.Fatalf("gopacket: checksum of % x: %+v %v", b, res, err)
		}
		// The options, one by one (gopacket lists NOP and EOL too).
		it := h.Options().Iter()
		for i, g := range ip.Options {
			if !it.Next() {
				t.Fatalf("options % x: gopacket has %d, this package %d (%v)", f.Options, len(ip.Options), i, it.Err())
			}
			o := it.Option()
			if uint8(o.Type) != g.OptionType || o.Len() != int(g.OptionLength) || !bytes.Equal(o.Data, g.OptionData) {
				t.Fatalf("option %d: %v % x, gopacket %+v", i, o.Type, o.Data, g)
			}
		}
		if it.Next() || it.Err() != nil {
			t.Fatalf("options % x: more than gopacket's %d, %v", f.Options, len(ip.Options), it.Err())
		}

		// And back.
		gp := ip
		gp.IHL, gp.Length, gp.Checksum = 0, 0, 0
		gb := serialize(t, &gp, gopacket.Payload(h.Payload()))
		p, err := header.ParseIPv4(gb)
		if err != nil {
			t.Fatalf("gopacket's % x: %v", gb, err)
		}
		if !bytes.Equal(p, b) || !p.IsChecksumValid() {
			t.Fatalf("gopacket built\n% x\nthis package\n% x", gb, b)
		}
	}
}

// randTCPOptions returns TCP options, mostly well-formed; with bad set, the
// last one may be malformed. MPTCP (kind 30) is left out, even where a
// malformed option's length makes random bytes read as one: gopacket checks
// its subtypes' lengths, which RFC 9293 leaves to MPTCP.
func randTCPOptions(r *rand.Rand, bad bool) []byte {
	for {
		o := randTCPOptions1(r, bad)
		it := header.TCPOptions(o).Iter()
		mptcp := false
		for it.Next() {
			mptcp = mptcp || it.Option().Kind == header.TCPOptionMPTCP
		}
		if !mptcp {
			return o
		}
	}
}

func randTCPOptions1(r *rand.Rand, bad bool) []byte {
	var o []byte
	for len(o) < header.TCPMaxOptionsLen {
		var next []byte
		switch r.IntN(9) {
		case 0:
			next = header.AppendTCPMSS(nil, uint16(r.Uint32()))
		case 1:
			next = header.AppendTCPWScale(nil, uint8(r.IntN(15)))
		case 2:
			next = header.AppendTCPSACKPermitted(nil)
		case 3:
			next = header.AppendTCPTimestamps(nil, r.Uint32(), r.Uint32())
		case 4:
			blocks := make([]header.TCPSACKBlock, 1+r.IntN(4))
			for i := range blocks {
				blocks[i] = header.TCPSACKBlock{Left: r.Uint32(), Right: r.Uint32()}
			}
			next = header.AppendTCPSACK(nil, blocks...)
		case 5:
			next = []byte{byte(header.TCPOptionNOP)}
		case 6:
			k := header.TCPOptionKind(2 + r.IntN(254))
			if k == header.TCPOptionMPTCP {
				k++
			}
			next = header.AppendTCPOption(nil, k, randBytes(r, r.IntN(10)))
		case 7:
			next = []byte{byte(header.TCPOptionEOL)}
		case 8:
			if bad {
				next = []byte{byte(2 + r.IntN(20)), byte(r.IntN(60))} // length 0, 1, or past the end
			}
		}
		if len(o)+len(next) > header.TCPMaxOptionsLen {
			break
		}
		o = append(o, next...)
		if len(next) > 0 && next[0] == 0 {
			break
		}
	}
	return o
}

func TestTCPAgainstGopacket(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for i := range rounds {
		f := header.TCPFields{SrcPort: uint16(r.Uint32()), DstPort: uint16(r.Uint32()), Seq: r.Uint32(), Ack: r.Uint32(),
			Flags: header.TCPFlags(r.Uint32()), Reserved: uint8(r.IntN(16)), Window: uint16(r.Uint32()), Urgent: uint16(r.Uint32()),
			Options: randTCPOptions(r, i%3 == 0)}
		payload := randBytes(r, r.IntN(100))
		seg := header.TCP(append(header.AppendTCP(nil, &f), payload...))
		var net gopacket.NetworkLayer
		var src, dst netip.Addr
		if i%2 == 0 {
			src, dst = randAddr4(r), randAddr4(r)
			net = &layers.IPv4{SrcIP: ipOf(src), DstIP: ipOf(dst), Protocol: layers.IPProtocolTCP}
		} else {
			src, dst = randAddr6(r), randAddr6(r)
			net = &layers.IPv6{SrcIP: ipOf(src), DstIP: ipOf(dst), NextHeader: layers.IPProtocolTCP}
		}
		seg.SetChecksum(seg.ComputeChecksum(src, dst))

		var g layers.TCP
		if err := g.DecodeFromBytes(seg, gopacket.NilDecodeFeedback); err != nil {
			t.Fatal(err)
		}
		flags := []bool{g.FIN, g.SYN, g.RST, g.PSH, g.ACK, g.URG, g.ECE, g.CWR}
		for b, set := range flags {
			if set != f.Flags.Has(1<<b) {
				t.Fatalf("flags %v (%#x): gopacket's bit %d is %v", f.Flags, uint8(f.Flags), b, set)
			}
		}
		if uint16(g.SrcPort) != f.SrcPort || uint16(g.DstPort) != f.DstPort || g.Seq != f.Seq || g.Ack != f.Ack ||
			int(g.DataOffset)*4 != f.HeaderLen() || g.NS != (f.Reserved&1 != 0) || g.Window != f.Window ||
			g.Urgent != f.Urgent || g.Checksum != seg.Checksum() || !bytes.Equal(g.Payload, payload) {
			t.Fatalf("gopacket: %+v\nbuilt %+v", g, f)
		}
		g.SetNetworkLayerForChecksum(net)
		if err, res := g.VerifyChecksum(); err != nil || !res.Valid {
			t.Fatalf("gopacket: checksum %+v %v", res, err)
		}
		// The options: gopacket stops at a malformed one, as the iterator
		// does, and keeps the ones before.
		it := seg.Options().Iter()
		for j, o := range g.Options {
			if !it.Next() {
				t.Fatalf("options % x: gopacket has %d, this package %d (%v)", f.Options, len(g.Options), j, it.Err())
			}
			m := it.Option()
			if uint8(m.Kind) != uint8(o.OptionType) || m.Len() != int(o.OptionLength) || !bytes.Equal(m.Data, o.OptionData) {
				t.Fatalf("option %d of % x: %v % x, gopacket %+v", j, f.Options, m.Kind, m.Data, o)
			}
		}
		if it.Next() {
			t.Fatalf("options % x: more than gopacket's %d", f.Options, len(g.Options))
		}
		stopped := len(g.Options) == 0 || g.Options[len(g.Options)-1].OptionType != layers.TCPOptionKindEndList
		stopped = stopped && len(g.Padding) > 0 && !allZero(g.Padding)
		if (it.Err() != nil) != stopped && !(it.Err() == nil && allZero(g.Padding)) {
			t.Fatalf("options % x: err %v, gopacket padding % x", f.Options, it.Err(), g.Padding)
		}

		// And back, when the options are well-formed.
		if it.Err() != nil {
			continue
		}
		gp := g
		gp.DataOffset, gp.Checksum, gp.Padding = 0, 0, nil
		gp.SetNetworkLayerForChecksum(net)
		gb := header.TCP(serialize(t, &gp, gopacket.Payload(payload)))
		p, err := header.ParseTCP(gb)
		if err != nil {
			t.Fatal(err)
		}
		if p.SrcPort() != f.SrcPort || p.DstPort() != f.DstPort || p.Seq() != f.Seq || p.Ack() != f.Ack || p.Flags() != f.Flags ||
			p.Reserved()&1 != f.Reserved&1 || p.Window() != f.Window || p.Urgent() != f.Urgent ||
			!bytes.HasPrefix(p.Options(), optionsUpToEOL(f.Options)) || !bytes.Equal(p.Payload(), payload) || !p.IsChecksumValid(src, dst) {
			t.Fatalf("gopacket built % x from %+v", []byte(gb), f)
		}
	}
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// optionsUpToEOL returns o up to and including its EOL, if any: gopacket
// keeps what follows as padding and writes zeros there.
func optionsUpToEOL(o []byte) []byte {
	it := header.TCPOptions(o).Iter()
	end := 0
	for it.Next() {
		end = it.Option().Offset + it.Option().Len()
	}
	return o[:end]
}

func TestICMPv4AgainstGopacket(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for range rounds {
		f := header.ICMPv4Fields{Type: header.ICMPv4Type(r.IntN(20)), Code: uint8(r.IntN(16)), Rest: r.Uint32(), Payload: randBytes(r, r.IntN(60))}
		m := header.ICMPv4(header.AppendICMPv4(nil, &f))
		var g layers.ICMPv4
		if err := g.DecodeFromBytes(m, gopacket.NilDecodeFeedback); err != nil {
			t.Fatal(err)
		}
		if g.TypeCode.Type() != uint8(f.Type) || g.TypeCode.Code() != f.Code || g.Checksum != m.Checksum() ||
			g.Id != m.ID() || g.Seq != m.Seq() || uint32(g.Id)<<16|uint32(g.Seq) != f.Rest || !bytes.Equal(g.Payload, f.Payload) {
			t.Fatalf("gopacket %+v, built %+v", g, f)
		}
		if err, res := g.VerifyChecksum(); err != nil || !res.Valid {
			t.Fatalf("gopacket: checksum %+v %v", res, err)
		}
		gb := serialize(t, &layers.ICMPv4{TypeCode: g.TypeCode, Id: g.Id, Seq: g.Seq}, gopacket.Payload(f.Payload))
		p, err := header.ParseICMPv4(gb)
		if err != nil || !bytes.Equal(p, m) || !p.IsChecksumValid() {
			t.Fatalf("gopacket built % x, this package % x (%v)", gb, []byte(m), err)
		}
	}
}

// randIPv6Options returns options for a Hop-by-Hop or Destination Options
// header.
func randIPv6Options(r *rand.Rand) []header.IPv6Option {
	var opts []header.IPv6Option
	for range r.IntN(4) {
		switch r.IntN(4) {
		case 0:
			opts = append(opts, header.IPv6Option{Type: header.IPv6OptionPad1})
		case 1:
			opts = append(opts, header.IPv6Option{Type: header.IPv6OptionPadN, Data: make([]byte, r.IntN(6))})
		case 2:
			opts = append(opts, header.IPv6Option{Type: header.IPv6OptionRouterAlert, Data: []byte{0, 0}})
		case 3:
			typ := header.IPv6OptionType(2 + r.IntN(254))
			if typ == header.IPv6OptionJumbo {
				typ++ // gopacket checks the Jumbo Payload option's length
			}
			opts = append(opts, header.IPv6Option{Type: typ, Data: randBytes(r, r.IntN(20))})
		}
	}
	return opts
}

// gopacketTLV is what gopacket decodes an option into.
type gopacketTLV struct {
	OptionType, OptionLength uint8
	ActualLength             int
	OptionData               []byte
}

func compareIPv6Options(t *testing.T, x header.IPv6ExtHeader, g []gopacketTLV) {
	t.Helper()
	it := x.Options()
	for i, o := range g {
		if !it.Next() {
			t.Fatalf("%v: gopacket has %d options, this package %d (%v)", x.Protocol, len(g), i, it.Err())
		}
		m := it.Option()
		if uint8(m.Type) != o.OptionType || m.Len() != o.ActualLength || !bytes.Equal(m.Data, o.OptionData) {
			t.Fatalf("%v option %d: %#x % x, gopacket %+v", x.Protocol, i, uint8(m.Type), m.Data, o)
		}
	}
	if it.Next() || it.Err() != nil {
		t.Fatalf("%v: more options than gopacket's %d (%v)", x.Protocol, len(g), it.Err())
	}
}

func TestIPv6ExtHeadersAgainstGopacket(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	for i := range rounds {
		// A random chain: maybe Hop-by-Hop, then Destination Options and
		// Routing headers (no segments left, so the destination is final),
		// maybe a Fragment header, then TCP, ICMPv6 or nothing.
		type ext struct {
			proto header.IPProtocol
			opts  []header.IPv6Option
		}
		var chain []ext
		if r.IntN(2) == 0 {
			chain = append(chain, ext{proto: header.IPProtocolHopByHop, opts: randIPv6Options(r)})
		}
		for range r.IntN(4) {
			chain = append(chain, ext{proto: []header.IPProtocol{header.IPProtocolDestOpts, header.IPProtocolRouting}[r.IntN(2)], opts: randIPv6Options(r)})
		}
		fragOffset := -1
		if r.IntN(3) == 0 {
			fragOffset = 0
			if r.IntN(2) == 0 {
				fragOffset = 8 * (1 + r.IntN(100))
			}
			chain = append(chain, ext{proto: header.IPProtocolFragment})
		}
		upper := []header.IPProtocol{header.IPProtocolTCP, header.IPProtocolICMPv6, header.IPProtocolNoNext}[r.IntN(3)]
		src, dst := randAddr6(r), randAddr6(r)
		var upperBytes []byte
		switch upper {
		case header.IPProtocolTCP:
			upperBytes = header.AppendTCP(nil, &header.TCPFields{SrcPort: 1, DstPort: 2, Flags: header.TCPFlagACK})
			header.TCP(upperBytes).SetChecksum(header.TCP(upperBytes).ComputeChecksum(src, dst))
		case header.IPProtocolICMPv6:
			upperBytes = header.AppendICMPv6(nil, &header.ICMPv6Fields{Type: header.ICMPv6EchoRequest, Rest: 0x10002}, src, dst)
		case header.IPProtocolNoNext:
			// Bytes after No Next Header are ignored (RFC 8200 §4.7); some
			// keep the payload length from 0, which gopacket reads as a
			// jumbogram's.
			upperBytes = randBytes(r, 1+r.IntN(8))
		}
		var x []byte
		for j, e := range chain {
			next := upper
			if j+1 < len(chain) {
				next = chain[j+1].proto
			}
			switch e.proto {
			case header.IPProtocolHopByHop, header.IPProtocolDestOpts:
				x = header.AppendIPv6OptionsHeader(x, next, e.opts...)
			case header.IPProtocolRouting:
				x = header.AppendIPv6Routing(x, next, uint8(2+r.IntN(250)), 0, randBytes(r, r.IntN(30)))
			case header.IPProtocolFragment:
				x = header.AppendIPv6Fragment(x, next, fragOffset, r.IntN(2) == 0, r.Uint32())
			}
		}
		first := upper
		if len(chain) > 0 {
			first = chain[0].proto
		}
		b := header.AppendIPv6(nil, &header.IPv6Fields{TrafficClass: uint8(r.Uint32()), FlowLabel: r.Uint32(), PayloadLen: len(x) + len(upperBytes),
			NextHeader: first, HopLimit: uint8(r.Uint32()), Src: src, Dst: dst})
		b = append(append(b, x...), upperBytes...)
		h, err := header.ParseIPv6(b)
		if err != nil {
			t.Fatal(err)
		}
		u, err := h.UpperLayer()
		if err != nil {
			t.Fatal(err)
		}
		if u.Protocol != upper || u.Offset != header.IPv6Len+len(x) || (u.Fragment != nil) != (fragOffset >= 0) {
			t.Fatalf("chain %v: upper layer %+v, want %v at %d", chain, u, upper, header.IPv6Len+len(x))
		}

		pkt := gopacket.NewPacket(b, layers.LayerTypeIPv6, gopacket.Default)
		if el := pkt.ErrorLayer(); el != nil {
			t.Fatalf("gopacket: %v", el.Error())
		}
		ip6 := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		if ip6.TrafficClass != h.TrafficClass() || ip6.FlowLabel != h.FlowLabel() || int(ip6.Length) != h.PayloadLen() ||
			uint8(ip6.NextHeader) != uint8(h.NextHeader()) || ip6.HopLimit != h.HopLimit() || !ip6.SrcIP.Equal(ipOf(src)) || !ip6.DstIP.Equal(ipOf(dst)) {
			t.Fatalf("gopacket: %+v", ip6)
		}
		// gopacket's extension layers, in order; Hop-by-Hop is part of its
		// IPv6 layer.
		type gext struct {
			proto header.IPProtocol
			next  header.IPProtocol
			len   int
			opts  []gopacketTLV
			layer gopacket.Layer
		}
		var g []gext
		if hb := ip6.HopByHop; hb != nil {
			e := gext{proto: header.IPProtocolHopByHop, next: header.IPProtocol(hb.NextHeader), len: hb.ActualLength}
			for _, o := range hb.Options {
				e.opts = append(e.opts, gopacketTLV{o.OptionType, o.OptionLength, o.ActualLength, o.OptionData})
			}
			g = append(g, e)
		}
		var gupper gopacket.Layer
		for _, l := range pkt.Layers()[1:] {
			switch l := l.(type) {
			case *layers.IPv6HopByHop:
				// Taken from the IPv6 layer above.
			case *layers.IPv6Destination:
				e := gext{proto: header.IPProtocolDestOpts, next: header.IPProtocol(l.NextHeader), len: l.ActualLength, layer: l}
				for _, o := range l.Options {
					e.opts = append(e.opts, gopacketTLV{o.OptionType, o.OptionLength, o.ActualLength, o.OptionData})
				}
				g = append(g, e)
			case *layers.IPv6Routing:
				g = append(g, gext{proto: header.IPProtocolRouting, next: header.IPProtocol(l.NextHeader), len: l.ActualLength, layer: l})
			case *layers.IPv6Fragment:
				g = append(g, gext{proto: header.IPProtocolFragment, next: header.IPProtocol(l.NextHeader), len: 8, layer: l})
			default:
				if gupper == nil {
					gupper = l
				}
			}
		}
		it := h.ExtHeaders()
		for j, e := range g {
			if !it.Next() {
				t.Fatalf("chain %v: gopacket has %d headers, this package %d (%v)", chain, len(g), j, it.Err())
			}
			m := it.Header()
			if m.Protocol != e.proto || m.NextHeader() != e.next || len(m.Raw) != e.len {
				t.Fatalf("header %d: %v next %v len %d; gopacket %+v", j, m.Protocol, m.NextHeader(), len(m.Raw), e)
			}
			switch l := e.layer.(type) {
			case *layers.IPv6Routing:
				rt := m.Routing()
				if rt.Type() != l.RoutingType || rt.SegmentsLeft() != l.SegmentsLeft || !bytes.Equal(rt.Data(), append(append([]byte(nil), l.Reserved...), l.Data...)) {
					t.Fatalf("routing: type %d left %d; gopacket %+v", rt.Type(), rt.SegmentsLeft(), l)
				}
			case *layers.IPv6Fragment:
				fr := m.Fragment()
				if fr.FragOffset() != int(l.FragmentOffset)*8 || fr.More() != l.MoreFragments || fr.ID() != l.Identification {
					t.Fatalf("fragment: offset %d more %v id %d; gopacket %+v", fr.FragOffset(), fr.More(), fr.ID(), l)
				}
			}
			if e.proto == header.IPProtocolHopByHop || e.proto == header.IPProtocolDestOpts {
				compareIPv6Options(t, m, e.opts)
			}
		}
		// gopacket decodes past an atomic fragment only.
		if fragOffset <= 0 && (it.Next() || it.Err() != nil) {
			t.Fatalf("chain %v: more headers than gopacket's %d (%v)", chain, len(g), it.Err())
		}
		if gupper != nil && (u.Fragment == nil || (u.Fragment.FragOffset() == 0 && !u.Fragment.More())) {
			if at := len(b) - len(gupper.LayerContents()) - len(gupper.LayerPayload()); at != u.Offset {
				t.Fatalf("chain %v: gopacket's %v at %d, this package's %v at %d", chain, gupper.LayerType(), at, u.Protocol, u.Offset)
			}
		}
		if i%50 == 0 && testing.Verbose() {
			t.Logf("chain %v upper %v: ok", chain, upper)
		}
	}
}

func TestIPv6FromGopacket(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for range rounds {
		src, dst := randAddr6(r), randAddr6(r)
		ip6 := &layers.IPv6{Version: 6, TrafficClass: uint8(r.Uint32()), FlowLabel: r.Uint32() & 0xfffff,
			NextHeader: layers.IPProtocolIPv6Destination, HopLimit: uint8(r.Uint32()), SrcIP: ipOf(src), DstIP: ipOf(dst)}
		// Destination options that fill the header to a multiple of 8
		// without gopacket's padding: a router alert, then PadN.
		n := 2 + 4
		pad := (8 - (n+2)%8) % 8
		dopts := &layers.IPv6Destination{Options: []*layers.IPv6DestinationOption{
			{OptionType: 5, OptionData: []byte{0, 0}},
			{OptionType: 1, OptionData: make([]byte, pad)},
		}}
		dopts.NextHeader = layers.IPProtocolIPv6Fragment
		frag := &layers.IPv6Fragment{NextHeader: layers.IPProtocolTCP, FragmentOffset: uint16(r.IntN(0x2000)), MoreFragments: r.IntN(2) == 0, Identification: r.Uint32()}
		payload := randBytes(r, 8+r.IntN(40))
		b := serialize(t, ip6, dopts, frag, gopacket.Payload(payload))
		h, err := header.ParseIPv6(b)
		if err != nil {
			t.Fatal(err)
		}
		if h.TrafficClass() != ip6.TrafficClass || h.FlowLabel() != ip6.FlowLabel || h.HopLimit() != ip6.HopLimit || h.Src() != src || h.Dst() != dst ||
			h.PayloadLen() != len(b)-header.IPv6Len {
			t.Fatalf("parsed % x", b[:40])
		}
		u, err := h.UpperLayer()
		if err != nil {
			t.Fatal(err)
		}
		if u.Protocol != header.IPProtocolTCP || u.Offset != len(b)-len(payload) || u.Fragment == nil ||
			u.Fragment.FragOffset() != int(frag.FragmentOffset)*8 || u.Fragment.More() != frag.MoreFragments || u.Fragment.ID() != frag.Identification {
			t.Fatalf("upper layer %+v in % x", u, b)
		}
		it := h.ExtHeaders()
		if !it.Next() {
			t.Fatal(it.Err())
		}
		opts := it.Header().Options()
		if !opts.Next() || opts.Option().Type != header.IPv6OptionRouterAlert || opts.Option().Offset != 42 {
			t.Fatalf("options of % x", it.Header().Raw)
		}
	}
}

func TestICMPv6AgainstGopacket(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	for i := range rounds {
		src, dst := randAddr6(r), randAddr6(r)
		target := randAddr6(r)
		for target.IsMulticast() {
			target = randAddr6(r)
		}
		var opts []byte
		for range r.IntN(3) {
			switch r.IntN(3) {
			case 0:
				opts = header.AppendNDPLinkLayerAddr(opts, header.NDPOptionSourceLinkLayerAddr, randMAC(r))
			case 1:
				opts = header.AppendNDPLinkLayerAddr(opts, header.NDPOptionTargetLinkLayerAddr, randMAC(r))
			case 2:
				opts = header.AppendNDPOption(opts, header.NDPOptionNonce, randBytes(r, 6))
			}
		}
		var m []byte
		var typ header.ICMPv6Type
		na := header.NDPNeighborAdvertFields{Target: target, Router: r.IntN(2) == 0, Solicited: r.IntN(2) == 0, Override: r.IntN(2) == 0, Options: opts}
		switch i % 3 {
		case 0:
			typ, m = header.ICMPv6NeighborSolicit, header.AppendNDPNeighborSolicit(nil, src, dst, &header.NDPNeighborSolicitFields{Target: target, Options: opts})
		case 1:
			typ, m = header.ICMPv6NeighborAdvert, header.AppendNDPNeighborAdvert(nil, src, dst, &na)
		case 2:
			typ, m = header.ICMPv6EchoRequest, header.AppendICMPv6(nil, &header.ICMPv6Fields{Type: header.ICMPv6EchoRequest, Rest: r.Uint32(), Payload: opts}, src, dst)
		}
		ip6 := &layers.IPv6{Version: 6, NextHeader: layers.IPProtocolICMPv6, HopLimit: 255, SrcIP: ipOf(src), DstIP: ipOf(dst)}
		b := append(header.AppendIPv6(nil, &header.IPv6Fields{PayloadLen: len(m), NextHeader: header.IPProtocolICMPv6, HopLimit: 255, Src: src, Dst: dst}), m...)
		pkt := gopacket.NewPacket(b, layers.LayerTypeIPv6, gopacket.Default)
		if el := pkt.ErrorLayer(); el != nil {
			t.Fatalf("gopacket: %v", el.Error())
		}
		g := pkt.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6)
		if g.TypeCode.Type() != uint8(typ) || g.TypeCode.Code() != 0 || g.Checksum != header.ICMPv6(m).Checksum() {
			t.Fatalf("gopacket %+v", g)
		}
		g.SetNetworkLayerForChecksum(pkt.NetworkLayer())
		if err, res := g.VerifyChecksum(); err != nil || !res.Valid {
			t.Fatalf("gopacket: checksum %+v %v", res, err)
		}
		var gl []gopacket.SerializableLayer
		switch l := pkt.Layers()[2].(type) {
		case *layers.ICMPv6NeighborSolicitation:
			if !l.TargetAddress.Equal(ipOf(target)) || !sameNDPOptions(l.Options, opts) {
				t.Fatalf("gopacket %+v", l)
			}
			gl = append(gl, &layers.ICMPv6NeighborSolicitation{TargetAddress: l.TargetAddress, Options: l.Options})
		case *layers.ICMPv6NeighborAdvertisement:
			if !l.TargetAddress.Equal(ipOf(target)) || l.Router() != na.Router || l.Solicited() != na.Solicited || l.Override() != na.Override || !sameNDPOptions(l.Options, opts) {
				t.Fatalf("gopacket %+v, built %+v", l, na)
			}
			gl = append(gl, &layers.ICMPv6NeighborAdvertisement{Flags: l.Flags, TargetAddress: l.TargetAddress, Options: l.Options})
		case *layers.ICMPv6Echo:
			if l.Identifier != header.ICMPv6(m).ID() || l.SeqNumber != header.ICMPv6(m).Seq() || !bytes.Equal(l.Payload, opts) {
				t.Fatalf("gopacket %+v", l)
			}
			gl = append(gl, &layers.ICMPv6Echo{Identifier: l.Identifier, SeqNumber: l.SeqNumber}, gopacket.Payload(opts))
		default:
			t.Fatalf("gopacket decoded a %v", l.LayerType())
		}

		// And back. gopacket writes ICMPv6 options last to first (it
		// prepends each one), so they are given to it reversed.
		for _, l := range gl {
			var o *layers.ICMPv6Options
			switch l := l.(type) {
			case *layers.ICMPv6NeighborSolicitation:
				o = &l.Options
			case *layers.ICMPv6NeighborAdvertisement:
				o = &l.Options
			default:
				continue
			}
			rev := append(layers.ICMPv6Options(nil), *o...)
			for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
				rev[i], rev[j] = rev[j], rev[i]
			}
			*o = rev
		}
		gi := &layers.ICMPv6{TypeCode: g.TypeCode}
		gi.SetNetworkLayerForChecksum(ip6)
		gb := serialize(t, append([]gopacket.SerializableLayer{ip6, gi}, gl...)...)
		h, err := header.ParseIPv6(gb)
		if err != nil {
			t.Fatal(err)
		}
		p, err := header.ParseICMPv6(h.Payload())
		if err != nil || !p.IsChecksumValid(src, dst) || !bytes.Equal(p, m) {
			t.Fatalf("gopacket built % x, this package % x (%v)", h.Payload(), m, err)
		}
		switch typ {
		case header.ICMPv6NeighborSolicit:
			ns, err := header.ParseNDPNeighborSolicit(p)
			if err != nil || ns.Target() != target || !bytes.Equal(ns.Options(), opts) {
				t.Fatalf("NS % x: %v", []byte(p), err)
			}
		case header.ICMPv6NeighborAdvert:
			a, err := header.ParseNDPNeighborAdvert(p)
			if err != nil || a.Target() != target || a.Router() != na.Router || a.Solicited() != na.Solicited || a.Override() != na.Override {
				t.Fatalf("NA % x: %v", []byte(p), err)
			}
		}
	}
}

func sameNDPOptions(g layers.ICMPv6Options, opts []byte) bool {
	it := header.NDPOptions(opts).Iter()
	for _, o := range g {
		if !it.Next() || uint8(it.Option().Type) != uint8(o.Type) || !bytes.Equal(it.Option().Data, o.Data) {
			return false
		}
		if mac, ok := it.Option().LinkLayerAddr(); ok != (o.Type == layers.ICMPv6OptSourceAddress || o.Type == layers.ICMPv6OptTargetAddress) || (ok && !bytes.Equal(mac[:], o.Data)) {
			return false
		}
	}
	return !it.Next() && it.Err() == nil
}
