package header

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

var (
	v6src = netip.MustParseAddr("2001:db8::1")
	v6dst = netip.MustParseAddr("2001:db8::2")
)

func TestParseIPv6(t *testing.T) {
	// Traffic class 0xb9 (DSCP 46, ECN 1), flow label 0xabcde, 8 bytes of
	// TCP-ish payload, hop limit 64, then 2 bytes of link padding.
	b := unhex(t, `6b9a bcde 0008 06 40 20010db8000000000000000000000001 20010db8000000000000000000000002
		0102030405060708 0000`)
	h, err := ParseIPv6(b)
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, []field{
		{"Version", h.Version(), uint8(6)},
		{"TrafficClass", h.TrafficClass(), uint8(0xb9)},
		{"DSCP", h.DSCP(), uint8(46)},
		{"ECN", h.ECN(), uint8(1)},
		{"FlowLabel", h.FlowLabel(), uint32(0xabcde)},
		{"PayloadLen", h.PayloadLen(), 8},
		{"NextHeader", h.NextHeader(), IPProtocolTCP},
		{"HopLimit", h.HopLimit(), uint8(64)},
		{"Src", h.Src(), v6src},
		{"Dst", h.Dst(), v6dst},
		{"Payload", hexString(h.Payload()), hexString(b[40:48])},
	})
}

func TestParseIPv6Errors(t *testing.T) {
	good := AppendIPv6(nil, &IPv6Fields{PayloadLen: 4, NextHeader: IPProtocolNoNext, Src: v6src, Dst: v6dst})
	good = append(good, 1, 2, 3, 4)
	_, err := ParseIPv6(good[:39])
	wantErr(t, err, ErrTruncated, "40", "39")
	_, err = ParseIPv6(good[:43])
	wantErr(t, err, ErrTruncated, "payload length 4", "3 bytes")
	bad := append([]byte(nil), good...)
	bad[0] = 0x40
	_, err = ParseIPv6(bad)
	wantErr(t, err, ErrMalformed, "version 4")
	// The header alone, for an ICMPv6 quote.
	h, err := ParseIPv6Header(good[:42])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(h.Payload(), []byte{1, 2}) {
		t.Errorf("quoted payload % x", h.Payload())
	}
}

func TestIPv6Encode(t *testing.T) {
	for _, f := range []IPv6Fields{
		{TrafficClass: 0xff, FlowLabel: 0xfffff, PayloadLen: 0xffff, NextHeader: IPProtocolICMPv6, HopLimit: 255, Src: v6src, Dst: netip.MustParseAddr("ff02::1")},
		{NextHeader: IPProtocolHopByHop, Src: netip.IPv6Unspecified(), Dst: v6dst},
	} {
		b := AppendIPv6([]byte{0xee}, &f)
		h, err := ParseIPv6Header(b[1:])
		if err != nil {
			t.Fatal(err)
		}
		got := IPv6Fields{TrafficClass: h.TrafficClass(), FlowLabel: h.FlowLabel(), PayloadLen: h.PayloadLen(),
			NextHeader: h.NextHeader(), HopLimit: h.HopLimit(), Src: h.Src(), Dst: h.Dst()}
		if got != f {
			t.Errorf("round trip %+v, want %+v", got, f)
		}
	}
	// Bits of the flow label above 20 do not reach the version or class.
	h := IPv6(AppendIPv6(nil, &IPv6Fields{FlowLabel: 0xfff00001, Src: v6src, Dst: v6dst}))
	if h.Version() != 6 || h.TrafficClass() != 0 || h.FlowLabel() != 1 {
		t.Errorf("version %d class %d label %#x", h.Version(), h.TrafficClass(), h.FlowLabel())
	}
	h.SetPayloadLen(9)
	h.SetNextHeader(IPProtocolUDP)
	h.SetHopLimit(1)
	h.SetSrc(v6dst)
	h.SetDst(v6src)
	if h.PayloadLen() != 9 || h.NextHeader() != IPProtocolUDP || h.HopLimit() != 1 || h.Src() != v6dst || h.Dst() != v6src {
		t.Errorf("after setters: % x", []byte(h))
	}
}

func TestSolicitedNodeMulticast(t *testing.T) {
	for a, want := range map[string]string{
		"fe80::1:2:3:4":       "ff02::1:ff03:4",
		"2001:db8::abcd:ef12": "ff02::1:ffcd:ef12",
		"2001:db8::":          "ff02::1:ff00:0",
		"::ffff:ffff:ffff":    "ff02::1:ffff:ffff",
	} {
		if got := SolicitedNodeMulticast(netip.MustParseAddr(a)); got != netip.MustParseAddr(want) {
			t.Errorf("SolicitedNodeMulticast(%s) = %v, want %s", a, got, want)
		}
	}
}

// packet6 builds an IPv6 packet with the given next header and extension
// headers (and payload) after the fixed header.
func packet6(next IPProtocol, rest []byte) IPv6 {
	b := AppendIPv6(nil, &IPv6Fields{PayloadLen: len(rest), NextHeader: next, HopLimit: 64, Src: v6src, Dst: v6dst})
	return IPv6(append(b, rest...))
}

func TestIPv6ExtHeaders(t *testing.T) {
	// Hop-by-Hop (Router Alert, padded), Destination Options (an unknown
	// option with action 10), Routing (type 4, 1 segment left), Fragment
	// (the first of several), Destination Options again, then TCP.
	var x []byte
	x = AppendIPv6OptionsHeader(x, IPProtocolDestOpts, IPv6Option{Type: IPv6OptionRouterAlert, Data: []byte{0, 0}})
	x = AppendIPv6OptionsHeader(x, IPProtocolRouting, IPv6Option{Type: 0x9e, Data: []byte{1, 2, 3}})
	x = AppendIPv6Routing(x, IPProtocolFragment, IPv6RoutingTypeSegment, 1, bytes.Repeat([]byte{0xaa}, 20))
	x = AppendIPv6Fragment(x, IPProtocolDestOpts, 0, true, 0xdeadbeef)
	x = AppendIPv6OptionsHeader(x, IPProtocolTCP)
	tcpOff := IPv6Len + len(x)
	x = append(x, make([]byte, 20)...)
	h := packet6(IPProtocolHopByHop, x)
	if _, err := ParseIPv6(h); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		proto  IPProtocol
		offset int
		length int
		next   IPProtocol
	}{
		{IPProtocolHopByHop, 40, 8, IPProtocolDestOpts},
		{IPProtocolDestOpts, 48, 8, IPProtocolRouting},
		{IPProtocolRouting, 56, 24, IPProtocolFragment},
		{IPProtocolFragment, 80, 8, IPProtocolDestOpts},
		{IPProtocolDestOpts, 88, 8, IPProtocolTCP},
	}
	it := h.ExtHeaders()
	i := 0
	for ; it.Next(); i++ {
		x := it.Header()
		if i >= len(want) {
			t.Fatalf("extra header %+v", x)
		}
		w := want[i]
		if x.Protocol != w.proto || x.Offset != w.offset || len(x.Raw) != w.length || x.NextHeader() != w.next {
			t.Errorf("header %d: %v at %d, %d bytes, next %v; want %+v", i, x.Protocol, x.Offset, len(x.Raw), x.NextHeader(), w)
		}
		switch x.Protocol {
		case IPProtocolHopByHop:
			opts := collectIPv6Options(t, x.Options())
			if len(opts) != 2 || opts[0].Type != IPv6OptionRouterAlert || opts[0].Offset != 42 || opts[1].Type != IPv6OptionPadN || opts[1].Offset != 46 {
				t.Errorf("hop-by-hop options %+v", opts)
			}
		case IPProtocolDestOpts:
			opts := collectIPv6Options(t, x.Options())
			if x.Offset == 48 && (len(opts) != 2 || opts[0].Type != 0x9e || opts[0].Type.Action() != IPv6OptionDiscardICMP ||
				opts[0].Offset != 50 || opts[1].Type != IPv6OptionPad1 || opts[1].Offset != 55) {
				t.Errorf("destination options %+v", opts)
			}
		case IPProtocolRouting:
			r := x.Routing()
			if r.Type() != IPv6RoutingTypeSegment || r.SegmentsLeft() != 1 || r.HeaderLen() != 24 || len(r.Data()) != 20 || r.NextHeader() != IPProtocolFragment {
				t.Errorf("routing type %d left %d len %d data %d", r.Type(), r.SegmentsLeft(), r.HeaderLen(), len(r.Data()))
			}
		case IPProtocolFragment:
			f := x.Fragment()
			if f.FragOffset() != 0 || !f.More() || f.ID() != 0xdeadbeef || f.NextHeader() != IPProtocolDestOpts {
				t.Errorf("fragment offset %d more %v id %#x", f.FragOffset(), f.More(), f.ID())
			}
		}
		if x.Protocol != IPProtocolHopByHop && x.Protocol != IPProtocolDestOpts {
			if it := x.Options(); it.Next() {
				t.Errorf("%v has options", x.Protocol)
			}
		}
	}
	if i != len(want) || it.Err() != nil {
		t.Fatalf("%d headers, err %v", i, it.Err())
	}
	if p, off := it.Upper(); p != IPProtocolTCP || off != tcpOff {
		t.Errorf("Upper() = %v %d, want tcp %d", p, off, tcpOff)
	}
	u, err := h.UpperLayer()
	if err != nil || u.Protocol != IPProtocolTCP || u.Offset != tcpOff || u.Fragment == nil || u.Fragment.ID() != 0xdeadbeef {
		t.Errorf("UpperLayer() = %+v, %v", u, err)
	}
}

func collectIPv6Options(t *testing.T, it IPv6OptionIter) []IPv6Option {
	t.Helper()
	var opts []IPv6Option
	for it.Next() {
		opts = append(opts, it.Option())
	}
	if it.Err() != nil {
		t.Fatal(it.Err())
	}
	return opts
}

func TestIPv6UpperLayer(t *testing.T) {
	ah := []byte{byte(IPProtocolTCP), 4, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20} // (4+2)*4 = 24 bytes
	cases := []struct {
		name   string
		h      IPv6
		proto  IPProtocol
		offset int
		frag   bool
	}{
		{"no extension headers", packet6(IPProtocolTCP, make([]byte, 20)), IPProtocolTCP, 40, false},
		{"empty payload", packet6(IPProtocolICMPv6, nil), IPProtocolICMPv6, 40, false},
		{"no next header", packet6(IPProtocolDestOpts, append(AppendIPv6OptionsHeader(nil, IPProtocolNoNext), 9, 9, 9)), IPProtocolNoNext, 48, false},
		{"ESP ends the walk", packet6(IPProtocolESP, make([]byte, 16)), IPProtocolESP, 40, false},
		{"AH is walked", packet6(IPProtocolAH, append(ah, make([]byte, 20)...)), IPProtocolTCP, 64, false},
		{"later fragment", packet6(IPProtocolFragment, append(AppendIPv6Fragment(nil, IPProtocolHopByHop, 1448, false, 1), 0, 0xff, 0xff, 0xff)),
			IPProtocolHopByHop, 48, true},
		{"atomic fragment", packet6(IPProtocolFragment, append(AppendIPv6Fragment(nil, IPProtocolUDP, 0, false, 1), make([]byte, 8)...)),
			IPProtocolUDP, 48, true},
		{"routing, no segments left", packet6(IPProtocolRouting, append(AppendIPv6Routing(nil, IPProtocolTCP, 0, 0, nil), make([]byte, 20)...)),
			IPProtocolTCP, 48, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, err := tc.h.UpperLayer()
			if err != nil {
				t.Fatal(err)
			}
			if u.Protocol != tc.proto || u.Offset != tc.offset || (u.Fragment != nil) != tc.frag {
				t.Errorf("UpperLayer() = %v at %d, fragment %v; want %v at %d, %v", u.Protocol, u.Offset, u.Fragment != nil, tc.proto, tc.offset, tc.frag)
			}
		})
	}
}

func TestIPv6ChainErrors(t *testing.T) {
	hbh := AppendIPv6OptionsHeader(nil, IPProtocolTCP)
	cases := []struct {
		name    string
		h       IPv6
		kind    error
		pointer int
		words   string
	}{
		// RFC 8200 §4: a Next Header of 0 anywhere but the IPv6 header;
		// the pointer is that Next Header field.
		{"hop-by-hop second", packet6(IPProtocolDestOpts, append(AppendIPv6OptionsHeader(nil, IPProtocolHopByHop), hbh...)),
			ErrMalformed, 40, "Hop-by-Hop"},
		{"hop-by-hop third", packet6(IPProtocolHopByHop, append(AppendIPv6OptionsHeader(AppendIPv6OptionsHeader(nil, IPProtocolDestOpts), IPProtocolHopByHop), hbh...)),
			ErrMalformed, 48, "Hop-by-Hop"},
		{"header past the payload", packet6(IPProtocolDestOpts, []byte{6, 1, 1, 4, 0, 0, 0, 0, 0, 0}),
			ErrTruncated, 40, "16 bytes with 10"},
		{"one byte left", packet6(IPProtocolRouting, []byte{6}), ErrTruncated, 40, "at least 2"},
		{"nothing left", packet6(IPProtocolFragment, nil), ErrTruncated, 40, "at least 2"},
		{"fragment cut", packet6(IPProtocolFragment, []byte{6, 0, 0, 0, 0, 0}), ErrTruncated, 40, "8 bytes with 6"},
		{"second header cut", packet6(IPProtocolHopByHop, append(AppendIPv6OptionsHeader(nil, IPProtocolAH), 6, 10, 0, 0)),
			ErrTruncated, 48, "48 bytes with 4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.h.UpperLayer()
			wantErr(t, err, tc.kind, tc.words)
			var ce *IPv6ChainError
			if !errors.As(err, &ce) || ce.Pointer != tc.pointer {
				t.Errorf("err %#v, want pointer %d", err, tc.pointer)
			}
		})
	}
	// The walk stops at the payload length, whatever follows in the view.
	h := packet6(IPProtocolDestOpts, hbh)
	h.SetPayloadLen(4)
	_, err := h.UpperLayer()
	wantErr(t, err, ErrTruncated)
}

func TestIPv6OptionIter(t *testing.T) {
	cases := []struct {
		name  string
		opts  string
		types []IPv6OptionType
		offs  []int
		err   string
	}{
		{"pad1 and padN", "00 01 02 0000 00", []IPv6OptionType{0, 1, 0}, []int{0, 1, 5}, ""},
		{"jumbo", "c2 04 00010000", []IPv6OptionType{0xc2}, []int{0}, ""},
		{"empty data", "3e 00", []IPv6OptionType{0x3e}, []int{0}, ""},
		{"no length octet", "00 05", []IPv6OptionType{0}, []int{0}, "type 5 at offset 1 has no length octet"},
		{"past the header", "05 03 0000", nil, nil, "runs past"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			it := IPv6Options(unhex(t, tc.opts)).Iter()
			var types []IPv6OptionType
			var offs []int
			for it.Next() {
				o := it.Option()
				types, offs = append(types, o.Type), append(offs, o.Offset)
			}
			if !equalSlices(types, tc.types) || !equalSlices(offs, tc.offs) {
				t.Errorf("types %v at %v, want %v at %v", types, offs, tc.types, tc.offs)
			}
			if tc.err == "" {
				if it.Err() != nil {
					t.Error(it.Err())
				}
			} else {
				wantErr(t, it.Err(), ErrMalformed, tc.err)
			}
		})
	}
}

func equalSlices[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestIPv6OptionType(t *testing.T) {
	cases := []struct {
		typ    IPv6OptionType
		action IPv6OptionAction
		change bool
	}{
		{IPv6OptionPad1, IPv6OptionSkip, false},
		{IPv6OptionRouterAlert, IPv6OptionSkip, false},
		{IPv6OptionJumbo, IPv6OptionDiscardICMPUnicast, false},
		{0x1e, IPv6OptionSkip, false},
		{0x3e, IPv6OptionSkip, true},
		{0x5e, IPv6OptionDiscard, false},
		{0x9e, IPv6OptionDiscardICMP, false},
		{0xfe, IPv6OptionDiscardICMPUnicast, true},
	}
	for _, tc := range cases {
		if tc.typ.Action() != tc.action || tc.typ.MayChange() != tc.change {
			t.Errorf("%#x: action %d change %v", uint8(tc.typ), tc.typ.Action(), tc.typ.MayChange())
		}
	}
}

func TestAppendIPv6OptionsHeader(t *testing.T) {
	// Every amount of option data pads to a multiple of 8 with one Pad1 or
	// one PadN, which the iterator reads back.
	for n := range 20 {
		opt := IPv6Option{Type: 0x1e, Data: bytes.Repeat([]byte{0xab}, n)}
		b := AppendIPv6OptionsHeader([]byte{0xee}, IPProtocolTCP, opt)[1:]
		if len(b)%8 != 0 || int(b[1]) != len(b)/8-1 || IPProtocol(b[0]) != IPProtocolTCP {
			t.Fatalf("%d bytes of data: header % x", n, b)
		}
		opts := collectIPv6Options(t, IPv6Options(b[2:]).Iter())
		if !bytes.Equal(opts[0].Data, opt.Data) || opts[0].Type != opt.Type {
			t.Errorf("%d bytes: first option %+v", n, opts[0])
		}
		pad := len(b) - 4 - n
		switch {
		case pad == 0 && len(opts) == 1:
		case pad == 1 && len(opts) == 2 && opts[1].Type == IPv6OptionPad1:
		case pad >= 2 && len(opts) == 2 && opts[1].Type == IPv6OptionPadN && len(opts[1].Data) == pad-2:
		default:
			t.Errorf("%d bytes: %d of padding, options %+v", n, pad, opts)
		}
	}
	b := AppendIPv6OptionsHeader(nil, IPProtocolNoNext, IPv6Option{Type: IPv6OptionPad1}, IPv6Option{Type: IPv6OptionPad1})
	if !bytes.Equal(b, []byte{59, 0, 0, 0, 1, 2, 0, 0}) {
		t.Errorf("% x", b)
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic for a 2056-byte header")
		}
	}()
	AppendIPv6OptionsHeader(nil, IPProtocolNoNext, IPv6Option{Type: 0x1e, Data: make([]byte, 255)},
		IPv6Option{Type: 0x1e, Data: make([]byte, 255)}, IPv6Option{Type: 0x1e, Data: make([]byte, 255)},
		IPv6Option{Type: 0x1e, Data: make([]byte, 255)}, IPv6Option{Type: 0x1e, Data: make([]byte, 255)},
		IPv6Option{Type: 0x1e, Data: make([]byte, 255)}, IPv6Option{Type: 0x1e, Data: make([]byte, 255)},
		IPv6Option{Type: 0x1e, Data: make([]byte, 255)}, IPv6Option{Type: 0x1e, Data: make([]byte, 10)})
}

func TestIPv6FragmentAndRouting(t *testing.T) {
	f := IPv6Fragment(AppendIPv6Fragment(nil, IPProtocolUDP, 65528, true, 1))
	if !bytes.Equal(f, []byte{17, 0, 0xff, 0xf9, 0, 0, 0, 1}) || f.FragOffset() != 65528 || !f.More() || f.ID() != 1 {
		t.Errorf("% x", []byte(f))
	}
	r := IPv6Routing(AppendIPv6Routing(nil, IPProtocolTCP, IPv6RoutingTypeMobile, 1, v6dst.AsSlice()))
	if len(r) != 24 || r.HeaderLen() != 24 || r[1] != 2 || r.Type() != 2 || r.SegmentsLeft() != 1 ||
		!bytes.Equal(r.Data()[:16], v6dst.AsSlice()) || !bytes.Equal(r.Data()[16:], make([]byte, 4)) {
		t.Errorf("% x", []byte(r))
	}
}
