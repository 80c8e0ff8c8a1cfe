package header

import (
	"net/netip"
	"testing"
)

// The receive path parses every frame: parsing, reading fields, walking
// options and extension headers, and checking checksums must not allocate.
// Neither must building into a buffer with room.

// tcpFrame4 returns an Ethernet frame holding a TCP segment over IPv4 with
// timestamps and SACK options and n bytes of data.
func tcpFrame4(n int) []byte {
	opts := AppendTCPOptions(nil, &TCPOptionFields{HasTimestamps: true, TSVal: 7, TSEcr: 9, SACK: []TCPSACKBlock{{100, 200}, {300, 400}}})
	tf := TCPFields{SrcPort: 40000, DstPort: 80, Seq: 1, Ack: 2, Flags: TCPFlagACK | TCPFlagPSH, Window: 512, Options: opts}
	f := AppendEthernet(nil, &EthernetFields{Dst: MAC{2, 0, 0, 0, 0, 2}, Src: MAC{2, 0, 0, 0, 0, 3}, Type: EtherTypeIPv4})
	f = AppendIPv4(f, &IPv4Fields{ID: 1, DF: true, TTL: 64, Protocol: IPProtocolTCP, Src: fuzzSrc4, Dst: fuzzDst4, PayloadLen: tf.HeaderLen() + n})
	f = AppendTCP(f, &tf)
	f = append(f, make([]byte, n)...)
	t := TCP(f[EthernetLen+IPv4MinLen:])
	t.SetChecksum(t.ComputeChecksum(fuzzSrc4, fuzzDst4))
	return f
}

// tcpFrame6 is tcpFrame4 over IPv6 with a Destination Options header.
func tcpFrame6(n int) []byte {
	tf := TCPFields{SrcPort: 40000, DstPort: 80, Seq: 1, Ack: 2, Flags: TCPFlagACK, Window: 512,
		Options: AppendTCPOptions(nil, &TCPOptionFields{HasTimestamps: true, TSVal: 7, TSEcr: 9})}
	ext := AppendIPv6OptionsHeader(nil, IPProtocolTCP, IPv6Option{Type: 0x1e, Data: []byte{1, 2}})
	f := AppendEthernet(nil, &EthernetFields{Type: EtherTypeIPv6})
	f = AppendIPv6(f, &IPv6Fields{PayloadLen: len(ext) + tf.HeaderLen() + n, NextHeader: IPProtocolDestOpts, HopLimit: 64, Src: fuzzSrc6, Dst: fuzzDst6})
	f = append(f, ext...)
	f = AppendTCP(f, &tf)
	f = append(f, make([]byte, n)...)
	t := TCP(f[EthernetLen+IPv6Len+len(ext):])
	t.SetChecksum(t.ComputeChecksum(fuzzSrc6, fuzzDst6))
	return f
}

// sink keeps results alive so the compiler does not drop the work.
var sink uint64

// parseTCPIPv4Frame is what a receive path does with a frame.
func parseTCPIPv4Frame(frame []byte, opts *TCPOptionFields) bool {
	e, err := ParseEthernet(frame)
	if err != nil || e.EtherType() != EtherTypeIPv4 {
		return false
	}
	ip, err := ParseIPv4(e.Payload())
	if err != nil || !ip.IsChecksumValid() || ip.IsFragment() || ip.Protocol() != IPProtocolTCP {
		return false
	}
	src, dst := ip.Src(), ip.Dst()
	it := ip.Options().Iter()
	for it.Next() {
		sink++
	}
	t, err := ParseTCP(ip.Payload())
	if err != nil || !t.IsChecksumValid(src, dst) {
		return false
	}
	if t.Options().Decode(opts) != nil {
		return false
	}
	sink += uint64(t.SrcPort()) + uint64(t.DstPort()) + uint64(t.Seq()) + uint64(t.Ack()) + uint64(t.Flags()) +
		uint64(t.Window()) + uint64(t.Urgent()) + uint64(len(t.Payload())) + uint64(opts.TSVal) + uint64(len(opts.SACK))
	return true
}

func parseTCPIPv6Frame(frame []byte, opts *TCPOptionFields) bool {
	e, err := ParseEthernet(frame)
	if err != nil || e.EtherType() != EtherTypeIPv6 {
		return false
	}
	ip, err := ParseIPv6(e.Payload())
	if err != nil {
		return false
	}
	it := ip.ExtHeaders()
	for it.Next() {
		o := it.Header().Options()
		for o.Next() {
			sink += uint64(o.Option().Type.Action())
		}
	}
	u, err := ip.UpperLayer()
	if err != nil || u.Protocol != IPProtocolTCP || u.Fragment != nil {
		return false
	}
	t, err := ParseTCP(ip[u.Offset : IPv6Len+ip.PayloadLen()])
	if err != nil || !t.IsChecksumValid(ip.Src(), ip.Dst()) || t.Options().Decode(opts) != nil {
		return false
	}
	sink += uint64(t.Seq()) + uint64(opts.TSVal)
	return true
}

func TestZeroAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	f4, f6 := tcpFrame4(100), tcpFrame6(100)
	opts := TCPOptionFields{SACK: make([]TCPSACKBlock, 0, 4)}
	ndp := AppendNDPNeighborSolicit(nil, fuzzSrc6, fuzzDst6, &NDPNeighborSolicitFields{Target: fuzzDst6,
		Options: AppendNDPLinkLayerAddr(nil, NDPOptionSourceLinkLayerAddr, MAC{2})})
	quote := append(AppendIPv4(nil, &IPv4Fields{Protocol: IPProtocolTCP, Src: fuzzSrc4, Dst: fuzzDst4, PayloadLen: 100}), make([]byte, 8)...)
	icmp4 := AppendICMPv4(nil, &ICMPv4Fields{Type: ICMPv4DstUnreachable, Code: ICMPv4FragmentationNeeded, Rest: 1400, Payload: quote})
	arp := AppendARP(nil, &ARPFields{Op: ARPRequest, SenderIP: fuzzSrc4, TargetIP: fuzzDst4})
	buf := make([]byte, 0, 2048)
	cases := []struct {
		name string
		f    func()
	}{
		{"parse TCP/IPv4 frame", func() {
			if !parseTCPIPv4Frame(f4, &opts) {
				t.Fatal("frame refused")
			}
		}},
		{"parse TCP/IPv6 frame", func() {
			if !parseTCPIPv6Frame(f6, &opts) {
				t.Fatal("frame refused")
			}
		}},
		{"ARP", func() {
			a, err := ParseARP(arp)
			if err != nil {
				t.Fatal(err)
			}
			sink += uint64(a.Op()) + uint64(a.SenderMAC()[5]) + uint64(a.TargetIP().As4()[3])
		}},
		{"ICMPv4 error", func() {
			m, err := ParseICMPv4(icmp4)
			if err != nil || !m.IsChecksumValid() {
				t.Fatal(err)
			}
			q, err := m.Quote()
			if err != nil {
				t.Fatal(err)
			}
			sink += uint64(m.MTU()) + uint64(TCP(q.Payload()).SrcPort())
		}},
		{"NDP", func() {
			m, err := ParseICMPv6(ndp)
			if err != nil || !m.IsChecksumValid(fuzzSrc6, fuzzDst6) {
				t.Fatal(err)
			}
			ns, err := ParseNDPNeighborSolicit(m)
			if err != nil {
				t.Fatal(err)
			}
			it := ns.Options().Iter()
			for it.Next() {
				mac, _ := it.Option().LinkLayerAddr()
				sink += uint64(mac[0])
			}
		}},
		{"build TCP/IPv4 frame", func() {
			var ob [TCPMaxOptionsLen]byte
			o := AppendTCPOptions(ob[:0], &TCPOptionFields{HasTimestamps: true, TSVal: 1, TSEcr: 2})
			tf := TCPFields{SrcPort: 1, DstPort: 2, Flags: TCPFlagACK, Options: o}
			b := AppendEthernet(buf[:0], &EthernetFields{Type: EtherTypeIPv4})
			b = AppendIPv4(b, &IPv4Fields{TTL: 64, Protocol: IPProtocolTCP, Src: fuzzSrc4, Dst: fuzzDst4, PayloadLen: tf.HeaderLen() + 100})
			b = AppendTCP(b, &tf)
			b = append(b, f4[len(f4)-100:]...)
			seg := TCP(b[EthernetLen+IPv4MinLen:])
			seg.SetChecksum(seg.ComputeChecksum(fuzzSrc4, fuzzDst4))
			sink += uint64(len(b))
		}},
		{"build IPv6 and ICMPv6", func() {
			b := AppendIPv6(buf[:0], &IPv6Fields{PayloadLen: 8, NextHeader: IPProtocolICMPv6, Src: fuzzSrc6, Dst: fuzzDst6})
			b = AppendIPv6Fragment(b, IPProtocolICMPv6, 0, false, 1)
			b = AppendICMPv6(b, &ICMPv6Fields{Type: ICMPv6EchoRequest}, fuzzSrc6, fuzzDst6)
			b = AppendNDPNeighborAdvert(b, fuzzSrc6, fuzzDst6, &NDPNeighborAdvertFields{Target: fuzzSrc6})
			sink += uint64(len(b))
		}},
		{"build ARP and ICMPv4", func() {
			b := AppendARP(buf[:0], &ARPFields{Op: ARPReply, SenderIP: fuzzSrc4, TargetIP: fuzzDst4})
			b = AppendICMPv4(b, &ICMPv4Fields{Type: ICMPv4EchoReply, Payload: quote})
			sink += uint64(len(PadEthernet(b)))
		}},
		{"checksums", func() {
			sink += uint64(Checksum(f4, 0)) + uint64(PseudoHeaderSum(IPProtocolTCP, fuzzSrc6, fuzzDst6, 1000)) +
				uint64(UpdateChecksum(1, 2, 3)) + uint64(UpdateChecksumBytes(1, f4[:4], f4[4:8]))
		}},
	}
	for _, tc := range cases {
		if n := testing.AllocsPerRun(100, tc.f); n != 0 {
			t.Errorf("%s: %v allocations", tc.name, n)
		}
	}
}

func BenchmarkParseTCPIPv4Frame(b *testing.B) {
	f := tcpFrame4(1400)
	opts := TCPOptionFields{SACK: make([]TCPSACKBlock, 0, 4)}
	b.SetBytes(int64(len(f)))
	b.ReportAllocs()
	for b.Loop() {
		if !parseTCPIPv4Frame(f, &opts) {
			b.Fatal("frame refused")
		}
	}
}

func BenchmarkParseTCPIPv6Frame(b *testing.B) {
	f := tcpFrame6(1400)
	opts := TCPOptionFields{SACK: make([]TCPSACKBlock, 0, 4)}
	b.SetBytes(int64(len(f)))
	b.ReportAllocs()
	for b.Loop() {
		if !parseTCPIPv6Frame(f, &opts) {
			b.Fatal("frame refused")
		}
	}
}

// BenchmarkParseTCPIPv4Headers is the parse without the checksums.
func BenchmarkParseTCPIPv4Headers(b *testing.B) {
	f := tcpFrame4(1400)
	opts := TCPOptionFields{SACK: make([]TCPSACKBlock, 0, 4)}
	b.ReportAllocs()
	for b.Loop() {
		e, _ := ParseEthernet(f)
		ip, _ := ParseIPv4(e.Payload())
		t, _ := ParseTCP(ip.Payload())
		_ = t.Options().Decode(&opts)
		sink += uint64(t.Seq()) + uint64(opts.TSVal)
	}
}

func BenchmarkBuildTCPIPv4Frame(b *testing.B) {
	payload := make([]byte, 1400)
	buf := make([]byte, 0, 1600)
	src, dst := netip.MustParseAddr("198.18.0.3"), netip.MustParseAddr("198.18.0.2")
	b.SetBytes(int64(EthernetLen + IPv4MinLen + TCPMinLen + 12 + len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		var ob [TCPMaxOptionsLen]byte
		o := AppendTCPOptions(ob[:0], &TCPOptionFields{HasTimestamps: true, TSVal: 1, TSEcr: 2})
		tf := TCPFields{SrcPort: 1, DstPort: 2, Seq: 3, Ack: 4, Flags: TCPFlagACK, Window: 5, Options: o}
		f := AppendEthernet(buf[:0], &EthernetFields{Type: EtherTypeIPv4})
		f = AppendIPv4(f, &IPv4Fields{DF: true, TTL: 64, Protocol: IPProtocolTCP, Src: src, Dst: dst, PayloadLen: tf.HeaderLen() + len(payload)})
		f = AppendTCP(f, &tf)
		f = append(f, payload...)
		t := TCP(f[EthernetLen+IPv4MinLen:])
		t.SetChecksum(t.ComputeChecksum(src, dst))
	}
}

func BenchmarkTCPChecksum(b *testing.B) {
	f := tcpFrame4(1448)
	t := TCP(f[EthernetLen+IPv4MinLen:])
	b.SetBytes(int64(len(t)))
	b.ReportAllocs()
	for b.Loop() {
		if !t.IsChecksumValid(fuzzSrc4, fuzzDst4) {
			b.Fatal("checksum")
		}
	}
}
