package header

import (
	"bytes"
	"net/netip"
	"reflect"
	"testing"
)

// rfcHeader is an IPv4 header (UDP, 0x73 bytes, DF, TTL 64) whose checksum
// is 0xb861.
const rfcHeader = "4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7"

func TestParseIPv4(t *testing.T) {
	b := append(unhex(t, rfcHeader), make([]byte, 0x73-20+6)...) // 6 bytes of Ethernet padding
	h, err := ParseIPv4(b)
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, []field{
		{"Version", h.Version(), uint8(4)},
		{"HeaderLen", h.HeaderLen(), 20},
		{"TOS", h.TOS(), uint8(0)},
		{"TotalLen", h.TotalLen(), 0x73},
		{"ID", h.ID(), uint16(0)},
		{"DF", h.DF(), true},
		{"MF", h.MF(), false},
		{"FragOffset", h.FragOffset(), 0},
		{"IsFragment", h.IsFragment(), false},
		{"TTL", h.TTL(), uint8(64)},
		{"Protocol", h.Protocol(), IPProtocolUDP},
		{"Checksum", h.Checksum(), uint16(0xb861)},
		{"ComputeChecksum", h.ComputeChecksum(), uint16(0xb861)},
		{"IsChecksumValid", h.IsChecksumValid(), true},
		{"Src", h.Src(), netip.MustParseAddr("192.168.0.1")},
		{"Dst", h.Dst(), netip.MustParseAddr("192.168.0.199")},
		{"len(Options)", len(h.Options()), 0},
		{"len(Payload)", len(h.Payload()), 0x73 - 20},
	})
	b[11] ^= 1
	if h.IsChecksumValid() || h.ComputeChecksum() != 0xb861 {
		t.Errorf("corrupted checksum: valid %v, computed %#x", h.IsChecksumValid(), h.ComputeChecksum())
	}
}

func TestIPv4Fields(t *testing.T) {
	// TOS: DSCP 46 (EF) with ECT(0); a fragment at 1480 bytes with MF.
	b := unhex(t, "4700 0030 1234 2000 0106 0000 0a000001 0a000002 01 07 07 04 00000000")
	h := IPv4(b)
	h.SetChecksum(h.ComputeChecksum())
	h.SetTOS(46<<2 | 2)
	h.SetChecksum(h.ComputeChecksum())
	binaryFrag := uint16(0x2000 | 1480/8)
	b[6], b[7] = byte(binaryFrag>>8), byte(binaryFrag)
	h.SetChecksum(h.ComputeChecksum())
	if _, err := ParseIPv4(append(b, make([]byte, 0x30-len(b))...)); err != nil {
		t.Fatal(err)
	}
	if h.DSCP() != 46 || h.ECN() != 2 || h.TOS() != 46<<2|2 {
		t.Errorf("DSCP %d ECN %d TOS %#x", h.DSCP(), h.ECN(), h.TOS())
	}
	if !h.MF() || h.DF() || h.FragOffset() != 1480 || !h.IsFragment() {
		t.Errorf("MF %v DF %v offset %d", h.MF(), h.DF(), h.FragOffset())
	}
	if h.HeaderLen() != 28 || len(h.Options()) != 8 || h.TTL() != 1 || h.Protocol() != IPProtocolTCP {
		t.Errorf("header %d options %d ttl %d proto %v", h.HeaderLen(), len(h.Options()), h.TTL(), h.Protocol())
	}
	if !h.IsChecksumValid() {
		t.Error("checksum")
	}
	// A last fragment: offset alone makes a fragment.
	b[6], b[7] = 0, 1
	if !h.IsFragment() || h.MF() {
		t.Error("offset 8 without MF is a fragment")
	}
}

func TestParseIPv4Errors(t *testing.T) {
	good := unhex(t, rfcHeader)
	good = append(good, make([]byte, 0x73-20)...)
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []parseErrCase{
		{"empty", nil, ErrTruncated, []string{"20", "0"}},
		{"19 bytes", good[:19], ErrTruncated, []string{"20", "19"}},
		{"version 6", mod(func(b []byte) []byte { b[0] = 0x65; return b }), ErrMalformed, []string{"version 6"}},
		{"IHL 4", mod(func(b []byte) []byte { b[0] = 0x44; return b }), ErrMalformed, []string{"IHL 4"}},
		{"IHL 0", mod(func(b []byte) []byte { b[0] = 0x40; return b }), ErrMalformed, []string{"IHL 0"}},
		{"IHL past the bytes", mod(func(b []byte) []byte { b[0] = 0x4f; return b[:40] }), ErrTruncated, []string{"60", "40"}},
		{"total length below the header", mod(func(b []byte) []byte { b[2], b[3] = 0, 19; return b }), ErrMalformed, []string{"total length 19"}},
		{"total length past the bytes", good[:0x72], ErrTruncated, []string{"total length 115", "114"}},
	}
	testParseErrors(t, cases, func(b []byte) error { _, err := ParseIPv4(b); return err })
}

func TestParseIPv4Header(t *testing.T) {
	// An ICMP quote: the header and 8 bytes of a 0x73-byte datagram.
	b := append(unhex(t, rfcHeader), 1, 2, 3, 4, 5, 6, 7, 8)
	if _, err := ParseIPv4(b); err == nil {
		t.Fatal("ParseIPv4 accepted a cut datagram")
	}
	h, err := ParseIPv4Header(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(h.Payload(), b[20:]) {
		t.Errorf("payload % x", h.Payload())
	}
	// A total length below the header gives an empty payload, not a panic.
	b[3] = 10
	if len(h.Payload()) != 0 {
		t.Errorf("payload % x", h.Payload())
	}
	_, err = ParseIPv4Header(b[:19])
	wantErr(t, err, ErrTruncated)
}

func TestIPv4Encode(t *testing.T) {
	rr := AppendIPv4Route(nil, IPv4OptionRecordRoute, 4, netip.IPv4Unspecified(), netip.IPv4Unspecified())
	cases := []IPv4Fields{
		{ID: 1, DF: true, TTL: 64, Protocol: IPProtocolTCP, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), PayloadLen: 100},
		{TOS: 0xb8, ID: 0xffff, MF: true, FragOffset: 8 * 0x1fff, TTL: 255, Protocol: IPProtocolICMP,
			Src: netip.MustParseAddr("255.255.255.255"), Dst: netip.MustParseAddr("224.0.0.1"), Options: rr},
		{Protocol: 200, Src: netip.MustParseAddr("0.0.0.0"), Dst: netip.MustParseAddr("1.2.3.4"), Options: []byte{1}},
		{Protocol: IPProtocolUDP, Src: netip.MustParseAddr("1.1.1.1"), Dst: netip.MustParseAddr("2.2.2.2"), Options: bytes.Repeat([]byte{1}, 40)},
	}
	for _, f := range cases {
		b := AppendIPv4([]byte{0xee}, &f)
		if len(b) != 1+f.HeaderLen() {
			t.Fatalf("appended %d bytes, HeaderLen %d", len(b)-1, f.HeaderLen())
		}
		b = append(b, make([]byte, f.PayloadLen)...)
		h, err := ParseIPv4(b[1:])
		if err != nil {
			t.Fatal(err)
		}
		if !h.IsChecksumValid() {
			t.Error("checksum")
		}
		opts := h.Options()
		padded := append(append([]byte(nil), f.Options...), make([]byte, len(opts)-len(f.Options))...)
		if !bytes.Equal(opts, padded) {
			t.Errorf("options % x, want % x", opts, padded)
		}
		got := IPv4Fields{TOS: h.TOS(), ID: h.ID(), DF: h.DF(), MF: h.MF(), FragOffset: h.FragOffset(), TTL: h.TTL(),
			Protocol: h.Protocol(), Src: h.Src(), Dst: h.Dst(), Options: f.Options, PayloadLen: len(h.Payload())}
		if !equalIPv4Fields(got, f) {
			t.Errorf("round trip %+v, want %+v", got, f)
		}
	}
	// Encode overwrites whatever was there: stale options become padding.
	b := bytes.Repeat([]byte{0xff}, 24)
	IPv4(b).Encode(&IPv4Fields{Src: netip.IPv4Unspecified(), Dst: netip.IPv4Unspecified(), Options: []byte{1}})
	if !bytes.Equal(b[20:], []byte{1, 0, 0, 0}) {
		t.Errorf("options % x", b[20:])
	}
}

func equalIPv4Fields(a, b IPv4Fields) bool {
	ao, bo := a.Options, b.Options
	a.Options, b.Options = nil, nil
	return reflect.DeepEqual(a, b) && bytes.Equal(ao, bo)
}

func TestIPv4EncodePanicsOnLongOptions(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	AppendIPv4(nil, &IPv4Fields{Options: make([]byte, 41)})
}

func TestIPv4Setters(t *testing.T) {
	f := IPv4Fields{TTL: 64, Protocol: IPProtocolTCP, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2")}
	h := IPv4(AppendIPv4(nil, &f))
	old := h.Checksum()
	h.SetTTL(63)
	// RFC 1624: the incremental update agrees with a full computation.
	if got, want := UpdateChecksum(old, 64<<8|6, 63<<8|6), h.ComputeChecksum(); got != want {
		t.Errorf("UpdateChecksum = %#x, ComputeChecksum = %#x", got, want)
	}
	h.SetID(7)
	h.SetTotalLen(1500)
	h.SetSrc(netip.MustParseAddr("192.0.2.1"))
	h.SetDst(netip.MustParseAddr("192.0.2.2"))
	h.SetChecksum(h.ComputeChecksum())
	if h.TTL() != 63 || h.ID() != 7 || h.TotalLen() != 1500 || h.Src() != netip.MustParseAddr("192.0.2.1") ||
		h.Dst() != netip.MustParseAddr("192.0.2.2") || !h.IsChecksumValid() {
		t.Errorf("after setters: % x", []byte(h))
	}
}

func TestIPv4OptionIter(t *testing.T) {
	cases := []tlvCase{
		{"empty", "", nil, nil},
		{"padding", "01 01 00 00", []tlvOpt{{1, "", 0}, {1, "", 1}, {0, "", 2}}, nil},
		{"EOL stops", "00 07 07 04", []tlvOpt{{0, "", 0}}, nil},
		{"RR", "07 07 04 00000000 00", []tlvOpt{{7, "04 00000000", 0}, {0, "", 7}}, nil},
		{"router alert and NOP", "94 04 0000 01", []tlvOpt{{148, "0000", 0}, {1, "", 4}}, nil},
		{"no length octet", "01 83", []tlvOpt{{1, "", 0}}, []string{"kind 131", "no length octet"}},
		{"length 0", "83 00 0000", nil, []string{"length 0"}},
		{"length 1", "01 83 01 00", []tlvOpt{{1, "", 0}}, []string{"offset 1", "length 1"}},
		{"past the area", "83 0b 04 0a000001 0a00", nil, []string{"length 11", "past the 9-byte"}},
	}
	testTLVIter(t, cases,
		func(b []byte) *IPv4OptionIter { it := IPv4Options(b).Iter(); return &it },
		func(it *IPv4OptionIter) (tlvOpt, int) {
			o := it.Option()
			return tlvOpt{uint8(o.Type), hexString(o.Data), o.Offset}, o.Len()
		})
}

func TestIPv4OptionType(t *testing.T) {
	cases := []struct {
		typ           IPv4OptionType
		copied        bool
		class, number uint8
		name          string
	}{
		{IPv4OptionEOL, false, 0, 0, "EOL"},
		{IPv4OptionNOP, false, 0, 1, "NOP"},
		{IPv4OptionRecordRoute, false, 0, 7, "RR"},
		{IPv4OptionTimestamp, false, 2, 4, "TS"},
		{IPv4OptionLSRR, true, 0, 3, "LSRR"},
		{IPv4OptionSSRR, true, 0, 9, "SSRR"},
		{IPv4OptionRouterAlert, true, 0, 20, "RA"},
		{IPv4OptionSecurity, true, 0, 2, "security"},
		{IPv4OptionStreamID, true, 0, 8, "SID"},
		{25, false, 0, 25, "opt-25"},
	}
	for _, tc := range cases {
		if tc.typ.Copied() != tc.copied || tc.typ.Class() != tc.class || tc.typ.Number() != tc.number || tc.typ.String() != tc.name {
			t.Errorf("%d: copied %v class %d number %d name %q", tc.typ, tc.typ.Copied(), tc.typ.Class(), tc.typ.Number(), tc.typ.String())
		}
	}
}

func TestIPv4Route(t *testing.T) {
	a, b, c := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")
	opt := AppendIPv4Route(nil, IPv4OptionLSRR, 16, a, b, c)
	if !bytes.Equal(opt, unhex(t, "83 0f 10 0a000001 0a000002 0a000003")) {
		t.Fatalf("AppendIPv4Route: % x", opt)
	}
	it := IPv4Options(opt).Iter()
	if !it.Next() {
		t.Fatal(it.Err())
	}
	r, err := it.Option().Route()
	if err != nil {
		t.Fatal(err)
	}
	if r.Pointer != 16 || r.Len() != 3 || r.Addr(0) != a || r.Addr(2) != c || !r.Complete() {
		t.Errorf("route %+v: len %d complete %v", r, r.Len(), r.Complete())
	}
	for ptr, complete := range map[uint8]bool{4: false, 12: false, 15: false, 16: true, 40: true} {
		if got := (IPv4Route{Pointer: ptr, Addrs: r.Addrs}).Complete(); got != complete {
			t.Errorf("pointer %d: Complete() = %v", ptr, got)
		}
	}
	bad := []struct {
		o     IPv4Option
		words string
	}{
		{IPv4Option{Type: IPv4OptionNOP}, "not a route"},
		{IPv4Option{Type: IPv4OptionTimestamp, Data: []byte{5, 0}}, "not a route"},
		{IPv4Option{Type: IPv4OptionSSRR}, "length 2"},
		{IPv4Option{Type: IPv4OptionRecordRoute, Data: []byte{4, 0, 0, 0}}, "length 6"},
		{IPv4Option{Type: IPv4OptionLSRR, Data: []byte{3, 0, 0, 0, 0}}, "pointer 3"},
	}
	for _, tc := range bad {
		_, err := tc.o.Route()
		wantErr(t, err, ErrMalformed, tc.words)
	}
}

func TestIPv4Timestamp(t *testing.T) {
	it := IPv4Options(unhex(t, "44 0c 09 31 0a000001 00000064")).Iter()
	if !it.Next() {
		t.Fatal(it.Err())
	}
	ts, err := it.Option().Timestamp()
	if err != nil {
		t.Fatal(err)
	}
	if ts.Pointer != 9 || ts.Overflow != 3 || ts.Flag != 1 || len(ts.Data) != 8 {
		t.Errorf("%+v", ts)
	}
	for _, o := range []IPv4Option{{Type: IPv4OptionRecordRoute, Data: []byte{5, 0}}, {Type: IPv4OptionTimestamp, Data: []byte{5}}, {Type: IPv4OptionTimestamp, Data: []byte{4, 0}}} {
		if _, err := o.Timestamp(); err == nil {
			t.Errorf("%v % x accepted", o.Type, o.Data)
		}
	}
}

func TestAppendIPv4Option(t *testing.T) {
	b := AppendIPv4Option(nil, IPv4OptionNOP, []byte{9})
	b = AppendIPv4Option(b, IPv4OptionRouterAlert, []byte{0, 0})
	b = AppendIPv4Option(b, IPv4OptionEOL, nil)
	if !bytes.Equal(b, []byte{1, 148, 4, 0, 0, 0}) {
		t.Errorf("% x", b)
	}
}

// TestIPv4SourceRouteReversal shows that the option API covers what
// tcpstack does with a received source route (RFC 1122 §3.2.1.8 (c)): the
// route is walked, reversed, and sent back in an option of the same type,
// padded with EOL, to the last gateway.
func TestIPv4SourceRouteReversal(t *testing.T) {
	src := netip.MustParseAddr("10.0.0.9")
	g1, g2, g3 := netip.MustParseAddr("10.1.0.1"), netip.MustParseAddr("10.2.0.1"), netip.MustParseAddr("10.3.0.1")
	// Case (B) of RFC 1122 §3.2.1.8: the recorded route starts with the
	// source, which the reply leaves out.
	opts := AppendIPv4Option(nil, IPv4OptionNOP, nil)
	opts = AppendIPv4Route(opts, IPv4OptionSSRR, 20, src, g1, g2, g3)
	reply := func(opts IPv4Options) (hop netip.Addr, opt []byte, ok bool) {
		it := opts.Iter()
		for it.Next() {
			o := it.Option()
			if o.Type != IPv4OptionLSRR && o.Type != IPv4OptionSSRR {
				continue
			}
			r, err := o.Route()
			if err != nil || !r.Complete() {
				return netip.Addr{}, nil, false
			}
			var rec []netip.Addr
			for i := range r.Len() {
				rec = append(rec, r.Addr(i))
			}
			if len(rec) > 0 && rec[0] == src {
				rec = rec[1:]
			}
			if len(rec) == 0 {
				return netip.Addr{}, nil, false
			}
			var rev []netip.Addr
			for i := len(rec) - 2; i >= 0; i-- {
				rev = append(rev, rec[i])
			}
			opt = AppendIPv4Route(nil, o.Type, 4, append(rev, src)...)
			return rec[len(rec)-1], opt, true
		}
		return netip.Addr{}, nil, false
	}
	hop, opt, ok := reply(opts)
	if !ok || hop != g3 {
		t.Fatalf("hop %v ok %v", hop, ok)
	}
	if want := unhex(t, "89 0f 04 0a020001 0a010001 0a000009"); !bytes.Equal(opt, want) {
		t.Errorf("option % x, want % x", opt, want)
	}
	// In a header the option is padded with EOL to 16 bytes.
	h := IPv4(AppendIPv4(nil, &IPv4Fields{Src: src, Dst: hop, Options: opt}))
	if h.HeaderLen() != 36 || !bytes.Equal(h.Options()[15:], []byte{0}) {
		t.Errorf("header length %d, options % x", h.HeaderLen(), []byte(h.Options()))
	}
	// A route not yet followed to its end gives no reply.
	opts[3] = 8
	if _, _, ok := reply(opts); ok {
		t.Error("incomplete route reversed")
	}
}
