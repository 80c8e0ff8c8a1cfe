package header

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

// The fuzz targets feed arbitrary bytes to the parsers. Whatever a parser
// accepts, every accessor and iterator of the view must handle without
// panicking, and building the header again from what the accessors return
// must give back the same bytes (the fields a builder computes aside).

var (
	fuzzSrc4, fuzzDst4 = netip.MustParseAddr("198.18.0.3"), netip.MustParseAddr("198.18.0.2")
	fuzzSrc6, fuzzDst6 = netip.MustParseAddr("2001:db8::3"), netip.MustParseAddr("2001:db8::2")
)

func FuzzEthernet(f *testing.F) {
	f.Add(AppendEthernet(nil, &EthernetFields{Dst: BroadcastMAC, Type: EtherTypeARP}))
	f.Add(AppendEthernet(nil, &EthernetFields{Type: EtherTypeIPv6, HasVLAN: true, VLAN: 0xffff}))
	f.Add([]byte("\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x88\xa8\x00\x01\x81\x00\x00\x02\x08\x00"))
	f.Add([]byte("\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x81\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEthernet(b)
		if err != nil {
			return
		}
		hl := e.HeaderLen()
		v, tagged := e.VLAN()
		_ = v.ID() + uint16(v.Priority())
		_, _ = e.Dst().IsMulticast(), e.Src().String()
		if len(e.Payload()) != len(b)-hl {
			t.Fatalf("payload of %d bytes after a %d-byte header in %d", len(e.Payload()), hl, len(b))
		}
		fl := EthernetFields{Dst: e.Dst(), Src: e.Src(), Type: e.EtherType(), VLAN: v, HasVLAN: tagged}
		if hl == fl.HeaderLen() && (!tagged || EtherType(b[12])<<8|EtherType(b[13]) == EtherTypeVLAN) {
			if got := AppendEthernet(nil, &fl); !bytes.Equal(got, b[:hl]) {
				t.Fatalf("rebuilt % x from % x", got, b[:hl])
			}
		}
	})
}

func FuzzARP(f *testing.F) {
	f.Add(AppendARP(nil, &ARPFields{Op: ARPRequest, SenderIP: fuzzSrc4, TargetIP: fuzzDst4}))
	f.Add(make([]byte, 28))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseARP(b)
		if err != nil {
			return
		}
		fl := ARPFields{Op: a.Op(), SenderMAC: a.SenderMAC(), SenderIP: a.SenderIP(), TargetMAC: a.TargetMAC(), TargetIP: a.TargetIP()}
		_ = a.Op().String()
		if got := AppendARP(nil, &fl); !bytes.Equal(got, b[:ARPLen]) {
			t.Fatalf("rebuilt % x from % x", got, b[:ARPLen])
		}
	})
}

// walkIPv4Options exercises every option accessor.
func walkIPv4Options(t *testing.T, o IPv4Options) {
	it := o.Iter()
	n := 0
	for it.Next() {
		opt := it.Option()
		n = opt.Offset + opt.Len()
		_, _, _, _ = opt.Type.Copied(), opt.Type.Class(), opt.Type.Number(), opt.Type.String()
		if r, err := opt.Route(); err == nil {
			for i := range r.Len() {
				_ = r.Addr(i)
			}
			_ = r.Complete()
		}
		_, _ = opt.Timestamp()
	}
	if n > len(o) || (it.Err() != nil && !errors.Is(it.Err(), ErrMalformed)) {
		t.Fatalf("options end at %d of %d, err %v", n, len(o), it.Err())
	}
}

func FuzzIPv4(f *testing.F) {
	rr := AppendIPv4Route(nil, IPv4OptionRecordRoute, 4, fuzzSrc4, fuzzDst4)
	f.Add(append(AppendIPv4(nil, &IPv4Fields{DF: true, TTL: 64, Protocol: IPProtocolTCP, Src: fuzzSrc4, Dst: fuzzDst4, PayloadLen: 4}), 1, 2, 3, 4))
	f.Add(AppendIPv4(nil, &IPv4Fields{MF: true, FragOffset: 64, Protocol: IPProtocolICMP, Src: fuzzSrc4, Dst: fuzzDst4, Options: rr}))
	f.Add(AppendIPv4(nil, &IPv4Fields{Src: fuzzSrc4, Dst: fuzzDst4, Options: []byte{131, 3, 4, 1, 137, 0}}))
	f.Add([]byte("\x4f\x00\x00\x14"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseIPv4(b)
		if err != nil {
			if h, err := ParseIPv4Header(b); err == nil {
				_ = h.Payload()
				walkIPv4Options(t, h.Options())
			}
			return
		}
		_, _, _ = h.DSCP(), h.ECN(), h.IsFragment()
		walkIPv4Options(t, h.Options())
		hl, tl := h.HeaderLen(), h.TotalLen()
		if len(h.Payload()) != tl-hl {
			t.Fatalf("payload of %d bytes, total %d header %d", len(h.Payload()), tl, hl)
		}
		fl := IPv4Fields{TOS: h.TOS(), ID: h.ID(), DF: h.DF(), MF: h.MF(), FragOffset: h.FragOffset(), TTL: h.TTL(),
			Protocol: h.Protocol(), Src: h.Src(), Dst: h.Dst(), Options: h.Options(), PayloadLen: tl - hl}
		want := append([]byte(nil), b[:hl]...)
		want[6] &^= 0x80 // the reserved flag, which IPv4Fields does not carry
		IPv4(want).SetChecksum(IPv4(want).ComputeChecksum())
		got := AppendIPv4(nil, &fl)
		if !bytes.Equal(got, want) || !IPv4(got).IsChecksumValid() {
			t.Fatalf("rebuilt\n% x\nfrom\n% x", got, want)
		}
	})
}

func FuzzIPv6(f *testing.F) {
	tcp := AppendTCP(nil, &TCPFields{SrcPort: 1, DstPort: 2})
	var x []byte
	x = AppendIPv6OptionsHeader(x, IPProtocolRouting, IPv6Option{Type: IPv6OptionRouterAlert, Data: []byte{0, 0}})
	x = AppendIPv6Routing(x, IPProtocolFragment, IPv6RoutingTypeSegment, 1, fuzzDst6.AsSlice())
	x = AppendIPv6Fragment(x, IPProtocolDestOpts, 0, true, 7)
	x = AppendIPv6OptionsHeader(x, IPProtocolTCP, IPv6Option{Type: 0x9e, Data: []byte{1}})
	f.Add([]byte(packet6(IPProtocolHopByHop, append(x, tcp...))))
	f.Add([]byte(packet6(IPProtocolFragment, AppendIPv6Fragment(nil, IPProtocolTCP, 8, false, 1))))
	f.Add([]byte(packet6(IPProtocolAH, []byte{6, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})))
	f.Add([]byte(packet6(IPProtocolDestOpts, []byte{0, 0, 0, 0, 0, 0, 0, 0})))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseIPv6(b)
		if err != nil {
			h, err = ParseIPv6Header(b)
			if err != nil {
				return
			}
		}
		_, _, _, _ = h.TrafficClass(), h.DSCP(), h.ECN(), h.Payload()
		end := IPv6Len + len(h.Payload())
		it := h.ExtHeaders()
		prev := IPv6Len
		for it.Next() {
			x := it.Header()
			if x.Offset != prev || x.Offset+len(x.Raw) > end {
				t.Fatalf("%v at %d+%d, previous ended at %d, packet at %d", x.Protocol, x.Offset, len(x.Raw), prev, end)
			}
			prev = x.Offset + len(x.Raw)
			_ = x.NextHeader()
			o := x.Options()
			for o.Next() {
				opt := o.Option()
				_, _ = opt.Type.Action(), opt.Type.MayChange()
				if opt.Offset < x.Offset+2 || opt.Offset+opt.Len() > prev {
					t.Fatalf("option at %d+%d outside %v at %d+%d", opt.Offset, opt.Len(), x.Protocol, x.Offset, len(x.Raw))
				}
			}
			switch x.Protocol {
			case IPProtocolRouting:
				r := x.Routing()
				_, _, _ = r.Type(), r.SegmentsLeft(), r.Data()
			case IPProtocolFragment:
				fr := x.Fragment()
				_, _, _ = fr.FragOffset(), fr.More(), fr.ID()
			}
		}
		u, err := h.UpperLayer()
		var ce *IPv6ChainError
		switch {
		case err == nil:
			if p, off := it.Upper(); it.Err() != nil || p != u.Protocol || off != u.Offset || u.Offset > end {
				t.Fatalf("UpperLayer %+v, iterator %v %d %v, end %d", u, p, off, it.Err(), end)
			}
		case !errors.As(err, &ce) || ce.Pointer < IPv6Len || ce.Pointer > end || it.Err() == nil:
			t.Fatalf("err %#v, iterator err %v", err, it.Err())
		}
		fl := IPv6Fields{TrafficClass: h.TrafficClass(), FlowLabel: h.FlowLabel(), PayloadLen: h.PayloadLen(),
			NextHeader: h.NextHeader(), HopLimit: h.HopLimit(), Src: h.Src(), Dst: h.Dst()}
		if got := AppendIPv6(nil, &fl); !bytes.Equal(got, b[:IPv6Len]) {
			t.Fatalf("rebuilt % x from % x", got, b[:IPv6Len])
		}
	})
}

func FuzzICMPv4(f *testing.F) {
	ip := AppendIPv4(nil, &IPv4Fields{Protocol: IPProtocolTCP, Src: fuzzSrc4, Dst: fuzzDst4, PayloadLen: 100})
	f.Add(AppendICMPv4(nil, &ICMPv4Fields{Type: ICMPv4DstUnreachable, Code: ICMPv4FragmentationNeeded, Rest: 1400, Payload: append(ip, 1, 2, 3, 4, 5, 6, 7, 8)}))
	f.Add(AppendICMPv4(nil, &ICMPv4Fields{Type: ICMPv4Echo, Rest: 0x10001, Payload: []byte("data")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseICMPv4(b)
		if err != nil {
			return
		}
		_, _, _, _, _ = m.ID(), m.Seq(), m.MTU(), m.Pointer(), m.Gateway()
		_, _ = m.Type().String(), m.IsChecksumValid()
		if q, err := m.Quote(); err == nil {
			_, _, _ = q.Src(), q.Protocol(), q.Payload()
			walkIPv4Options(t, q.Options())
		}
		fl := ICMPv4Fields{Type: m.Type(), Code: m.Code(), Rest: m.Rest(), Payload: m.Payload()}
		want := append([]byte(nil), b...)
		ICMPv4(want).SetChecksum(ICMPv4(want).ComputeChecksum())
		if got := AppendICMPv4(nil, &fl); !bytes.Equal(got, want) || !ICMPv4(got).IsChecksumValid() {
			t.Fatalf("rebuilt % x from % x", got, want)
		}
	})
}

// walkNDPOptions exercises every option accessor.
func walkNDPOptions(o NDPOptions) {
	it := o.Iter()
	for it.Next() {
		opt := it.Option()
		_, _ = opt.LinkLayerAddr()
		_, _ = opt.MTU()
		_, _ = opt.PrefixInfo()
	}
}

func FuzzICMPv6(f *testing.F) {
	lla := AppendNDPLinkLayerAddr(nil, NDPOptionSourceLinkLayerAddr, MAC{2, 0, 0, 0, 0, 1})
	f.Add(AppendNDPNeighborSolicit(nil, fuzzSrc6, fuzzDst6, &NDPNeighborSolicitFields{Target: fuzzDst6, Options: lla}))
	f.Add(AppendNDPNeighborAdvert(nil, fuzzSrc6, fuzzDst6, &NDPNeighborAdvertFields{Target: fuzzSrc6, Solicited: true}))
	f.Add(AppendICMPv6(nil, &ICMPv6Fields{Type: ICMPv6PacketTooBig, Rest: 1280, Payload: packet6(IPProtocolTCP, make([]byte, 20))}, fuzzSrc6, fuzzDst6))
	f.Add(unhex(f, "86 00 0000 40 c0 0708 00007530 000003e8 03 04 40 c0 00278d00 00093a80 00000000 20010db8000000000000000000000000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseICMPv6(b)
		if err != nil {
			return
		}
		_, _, _, _ = m.ID(), m.Seq(), m.MTU(), m.Pointer()
		_, _ = m.Type().String(), m.IsChecksumValid(fuzzSrc6, fuzzDst6)
		if q, err := m.Quote(); err == nil {
			_ = q.Src()
			_, _ = q.UpperLayer()
		}
		if ns, err := ParseNDPNeighborSolicit(m); err == nil {
			_ = ns.Target()
			walkNDPOptions(ns.Options())
		}
		if na, err := ParseNDPNeighborAdvert(m); err == nil {
			_, _, _, _ = na.Target(), na.Router(), na.Solicited(), na.Override()
			walkNDPOptions(na.Options())
		}
		if rs, err := ParseNDPRouterSolicit(m); err == nil {
			walkNDPOptions(rs.Options())
		}
		if ra, err := ParseNDPRouterAdvert(m); err == nil {
			_, _, _, _, _, _ = ra.CurHopLimit(), ra.Managed(), ra.Other(), ra.RouterLifetime(), ra.ReachableTime(), ra.RetransTimer()
			walkNDPOptions(ra.Options())
		}
		if rd, err := ParseNDPRedirect(m); err == nil {
			_, _ = rd.Target(), rd.Destination()
			walkNDPOptions(rd.Options())
		}
		walkNDPOptions(NDPOptions(m.Payload()))
		fl := ICMPv6Fields{Type: m.Type(), Code: m.Code(), Rest: m.Rest(), Payload: m.Payload()}
		want := append([]byte(nil), b...)
		ICMPv6(want).SetChecksum(ICMPv6(want).ComputeChecksum(fuzzSrc6, fuzzDst6))
		if got := AppendICMPv6(nil, &fl, fuzzSrc6, fuzzDst6); !bytes.Equal(got, want) || !ICMPv6(got).IsChecksumValid(fuzzSrc6, fuzzDst6) {
			t.Fatalf("rebuilt % x from % x", got, want)
		}
	})
}

// checkTCPOptions walks o with the iterator and Decode, which must agree,
// and lays the decoded options out again, which must decode the same.
func checkTCPOptions(t *testing.T, o TCPOptions) {
	it := o.Iter()
	end := 0
	for it.Next() {
		opt := it.Option()
		if opt.Offset != end || opt.Offset+opt.Len() > len(o) {
			t.Fatalf("option %v at %d+%d, previous ended at %d, area of %d", opt.Kind, opt.Offset, opt.Len(), end, len(o))
		}
		end = opt.Offset + opt.Len()
		_, _ = opt.MSS()
		_, _ = opt.WScale()
		_, _, _ = opt.Timestamps()
		_ = opt.IsSACKPermitted()
		if s, ok := opt.SACK(); ok {
			for i := range s.Len() {
				_ = s.Block(i)
			}
		}
		_ = opt.Kind.String()
	}
	var f TCPOptionFields
	if err := o.Decode(&f); (err != nil) != (it.Err() != nil) {
		t.Fatalf("Decode err %v, iterator err %v", err, it.Err())
	}
	laid := AppendTCPOptions(nil, &f)
	if len(laid) != f.Len() || len(laid) > TCPMaxOptionsLen || len(laid)%4 != 0 {
		t.Fatalf("laid out %d bytes, Len %d", len(laid), f.Len())
	}
	var g TCPOptionFields
	if err := TCPOptions(laid).Decode(&g); err != nil {
		t.Fatal(err)
	}
	f.SACK = f.SACK[:min(len(f.SACK), f.sackRoom())]
	if !equalTCPOptionFields(f, g) {
		t.Fatalf("decoded %+v, laid out % x, decoded again %+v", f, laid, g)
	}
}

func FuzzTCP(f *testing.F) {
	syn := TCPOptionFields{MSS: 1460, HasMSS: true, SACKPermitted: true, HasTimestamps: true, TSVal: 1, HasWScale: true, WScale: 7}
	f.Add(AppendTCP(nil, &TCPFields{SrcPort: 40000, DstPort: 80, Flags: TCPFlagSYN, Window: 65535, Options: AppendTCPOptions(nil, &syn)}))
	ack := TCPOptionFields{HasTimestamps: true, TSVal: 2, TSEcr: 1, SACK: []TCPSACKBlock{{1, 2}, {3, 4}, {5, 6}}}
	f.Add(append(AppendTCP(nil, &TCPFields{Flags: TCPFlagACK | TCPFlagPSH, Options: AppendTCPOptions(nil, &ack)}), "data"...))
	f.Add(AppendTCP(nil, &TCPFields{Options: []byte{2, 0, 1, 3, 1, 8, 40}}))
	f.Add(unhex(f, "0000 0000 00000000 00000000 f0 00 0000 0000 0000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		seg, err := ParseTCP(b)
		if err != nil {
			return
		}
		_ = seg.Flags().String() + seg.Flags().PacketdrillString()
		_ = seg.IsChecksumValid(fuzzSrc4, fuzzDst4) || seg.IsChecksumValid(fuzzSrc6, fuzzDst6)
		checkTCPOptions(t, seg.Options())
		fl := TCPFields{SrcPort: seg.SrcPort(), DstPort: seg.DstPort(), Seq: seg.Seq(), Ack: seg.Ack(), Flags: seg.Flags(),
			Reserved: seg.Reserved(), Window: seg.Window(), Urgent: seg.Urgent(), Options: seg.Options()}
		got := append(AppendTCP(nil, &fl), seg.Payload()...)
		TCP(got).SetChecksum(seg.Checksum())
		if !bytes.Equal(got, b) {
			t.Fatalf("rebuilt\n% x\nfrom\n% x", got, b)
		}
	})
}

func FuzzTCPOptions(f *testing.F) {
	f.Add([]byte{2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7})
	f.Add([]byte{1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4})
	f.Add([]byte{99, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		checkTCPOptions(t, TCPOptions(b))
	})
}
