package header_test

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"

	"tcpregress.dev/tcpstack/header"
)

// A SYN from 198.18.0.3:49152 to 198.18.0.2:80 as it arrives on the wire:
// Ethernet, IPv4, TCP with Linux's SYN options.
const synFrame = `020000000002 020000000003 0800
	4500 003c 0001 4000 4006 ae91 c6120003 c6120002
	c000 0050 00000001 00000000 a002 ffff fb83 0000
	020405b4 0402080a 00000001 00000000 01030307`

func frameBytes(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

// Parsing a frame layer by layer: each ParseX checks the lengths its
// header gives before the view is used, and nothing is copied.
func ExampleParseEthernet() {
	frame := frameBytes(synFrame)
	eth, err := header.ParseEthernet(frame)
	if err != nil || eth.EtherType() != header.EtherTypeIPv4 {
		fmt.Println("not IPv4:", err)
		return
	}
	ip, err := header.ParseIPv4(eth.Payload())
	if err != nil {
		fmt.Println(err)
		return
	}
	seg, err := header.ParseTCP(ip.Payload())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%v > %v: %v ttl %d, ip checksum ok %v\n", eth.Src(), eth.Dst(), ip.Protocol(), ip.TTL(), ip.IsChecksumValid())
	fmt.Printf("%v.%d > %v.%d: Flags [%v], seq %d, win %d, tcp checksum ok %v\n", ip.Src(), seg.SrcPort(), ip.Dst(), seg.DstPort(),
		seg.Flags(), seg.Seq(), seg.Window(), seg.IsChecksumValid(ip.Src(), ip.Dst()))
	it := seg.Options().Iter()
	for it.Next() {
		o := it.Option()
		switch o.Kind {
		case header.TCPOptionMSS:
			mss, _ := o.MSS()
			fmt.Println(" ", o.Kind, mss)
		case header.TCPOptionTimestamps:
			val, ecr, _ := o.Timestamps()
			fmt.Println(" ", o.Kind, "val", val, "ecr", ecr)
		case header.TCPOptionWScale:
			shift, _ := o.WScale()
			fmt.Println(" ", o.Kind, shift)
		default:
			fmt.Println(" ", o.Kind)
		}
	}
	if err := it.Err(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 02:00:00:00:00:03 > 02:00:00:00:00:02: tcp ttl 64, ip checksum ok true
	// 198.18.0.3.49152 > 198.18.0.2.80: Flags [S], seq 1, win 65535, tcp checksum ok true
	//   mss 1460
	//   sackOK
	//   TS val 1 ecr 0
	//   nop
	//   wscale 7
}

// Building the same frame: each layer is appended from a fields struct into
// one buffer; the TCP checksum, which covers the payload and the
// pseudo-header, is set last.
func ExampleAppendTCP() {
	src, dst := netip.MustParseAddr("198.18.0.3"), netip.MustParseAddr("198.18.0.2")
	opts := header.AppendTCPOptions(nil, &header.TCPOptionFields{
		MSS: 1460, HasMSS: true, SACKPermitted: true, TSVal: 1, HasTimestamps: true, WScale: 7, HasWScale: true,
	})
	tcp := header.TCPFields{SrcPort: 49152, DstPort: 80, Seq: 1, Flags: header.TCPFlagSYN, Window: 65535, Options: opts}

	f := header.AppendEthernet(nil, &header.EthernetFields{
		Dst: header.MAC{2, 0, 0, 0, 0, 2}, Src: header.MAC{2, 0, 0, 0, 0, 3}, Type: header.EtherTypeIPv4,
	})
	f = header.AppendIPv4(f, &header.IPv4Fields{
		ID: 1, DF: true, TTL: 64, Protocol: header.IPProtocolTCP, Src: src, Dst: dst, PayloadLen: tcp.HeaderLen(),
	})
	f = header.AppendTCP(f, &tcp)
	seg := header.TCP(f[header.EthernetLen+header.IPv4MinLen:])
	seg.SetChecksum(seg.ComputeChecksum(src, dst))

	fmt.Println(hex.EncodeToString(f) == hex.EncodeToString(frameBytes(synFrame)))
	fmt.Printf("% x\n", []byte(seg.Options()))
	// Output:
	// true
	// 02 04 05 b4 04 02 08 0a 00 00 00 01 00 00 00 00 01 03 03 07
}

// Walking an IPv6 packet's extension headers to its upper layer, as a
// receiver must (RFC 8200 §4), with the action bits of each option.
func ExampleIPv6_UpperLayer() {
	src, dst := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	var ext []byte
	ext = header.AppendIPv6OptionsHeader(ext, header.IPProtocolDestOpts,
		header.IPv6Option{Type: header.IPv6OptionRouterAlert, Data: []byte{0, 0}})
	ext = header.AppendIPv6OptionsHeader(ext, header.IPProtocolTCP,
		header.IPv6Option{Type: 0x9e, Data: []byte{1, 2, 3}}) // unknown, action 10
	tcp := header.AppendTCP(nil, &header.TCPFields{SrcPort: 1, DstPort: 2, Flags: header.TCPFlagSYN})
	pkt := header.AppendIPv6(nil, &header.IPv6Fields{
		PayloadLen: len(ext) + len(tcp), NextHeader: header.IPProtocolHopByHop, HopLimit: 64, Src: src, Dst: dst,
	})
	pkt = append(append(pkt, ext...), tcp...)

	ip, err := header.ParseIPv6(pkt)
	if err != nil {
		fmt.Println(err)
		return
	}
	it := ip.ExtHeaders()
	for it.Next() {
		x := it.Header()
		fmt.Printf("%v at %d, %d bytes\n", x.Protocol, x.Offset, len(x.Raw))
		opts := x.Options()
		for opts.Next() {
			if o := opts.Option(); o.Type != header.IPv6OptionPadN && o.Type != header.IPv6OptionPad1 {
				fmt.Printf("  option %#x at %d, action %d\n", uint8(o.Type), o.Offset, o.Type.Action())
			}
		}
	}
	u, err := ip.UpperLayer()
	fmt.Println(u.Protocol, u.Offset, err)
	// Output:
	// hopopt at 40, 8 bytes
	//   option 0x5 at 42, action 0
	// ipv6-opts at 48, 8 bytes
	//   option 0x9e at 50, action 2
	// tcp 56 <nil>
}
