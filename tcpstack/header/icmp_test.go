package header

import (
	"bytes"
	"net/netip"
	"testing"
)

func TestICMPv4Echo(t *testing.T) {
	// ping -p: an echo request, id 0x1234, seq 1, 4 bytes of data.
	b := unhex(t, "08 00 0000 1234 0001 61626364")
	ICMPv4(b).SetChecksum(ICMPv4(b).ComputeChecksum())
	m, err := ParseICMPv4(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Type() != ICMPv4Echo || m.Code() != 0 || m.ID() != 0x1234 || m.Seq() != 1 || m.Rest() != 0x12340001 || string(m.Payload()) != "abcd" {
		t.Errorf("type %v code %d id %d seq %d payload %q", m.Type(), m.Code(), m.ID(), m.Seq(), m.Payload())
	}
	if !m.IsChecksumValid() {
		t.Error("checksum")
	}
	// The reply the stack sends: type 0, the rest and data copied.
	r := ICMPv4(AppendICMPv4(nil, &ICMPv4Fields{Type: ICMPv4EchoReply, Rest: m.Rest(), Payload: m.Payload()}))
	if !r.IsChecksumValid() || r.Type() != ICMPv4EchoReply || r.ID() != 0x1234 || r.Seq() != 1 || !bytes.Equal(r[4:], b[4:]) {
		t.Errorf("reply % x", []byte(r))
	}
	// Type 8 to type 0: the checksum changes by the type word (RFC 1624).
	if got := UpdateChecksum(m.Checksum(), 0x0800, 0x0000); got != r.Checksum() {
		t.Errorf("incremental %#x, full %#x", got, r.Checksum())
	}
	b[5] ^= 0xff
	if m.IsChecksumValid() {
		t.Error("corruption not detected")
	}
	_, err = ParseICMPv4(b[:7])
	wantErr(t, err, ErrTruncated, "8", "7")
}

func TestICMPv4Errors(t *testing.T) {
	// What tcpstack sees: fragmentation needed, next-hop MTU 1300, quoting
	// the IP header and the first 8 bytes of one of its TCP segments.
	ip := AppendIPv4(nil, &IPv4Fields{ID: 9, DF: true, TTL: 64, Protocol: IPProtocolTCP,
		Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), PayloadLen: 1460})
	tcp := AppendTCP(nil, &TCPFields{SrcPort: 40000, DstPort: 80, Seq: 1000})
	quote := append(ip, tcp[:8]...)
	m := ICMPv4(AppendICMPv4(nil, &ICMPv4Fields{Type: ICMPv4DstUnreachable, Code: ICMPv4FragmentationNeeded, Rest: 1300, Payload: quote}))
	if !m.IsChecksumValid() || m.MTU() != 1300 || !m.Type().IsError() {
		t.Errorf("MTU %d", m.MTU())
	}
	q, err := m.Quote()
	if err != nil {
		t.Fatal(err)
	}
	if q.Src() != netip.MustParseAddr("10.0.0.1") || q.Protocol() != IPProtocolTCP || q.TotalLen() != 1480 {
		t.Errorf("quoted %v proto %v total %d", q.Src(), q.Protocol(), q.TotalLen())
	}
	qt := TCP(q.Payload())
	if len(qt) != 8 || qt.SrcPort() != 40000 || qt.DstPort() != 80 || qt.Seq() != 1000 {
		t.Errorf("quoted transport % x", []byte(qt))
	}
	// Parameter problem and redirect words.
	pp := ICMPv4(AppendICMPv4(nil, &ICMPv4Fields{Type: ICMPv4ParamProblem, Rest: 20 << 24, Payload: quote}))
	if pp.Pointer() != 20 {
		t.Errorf("pointer %d", pp.Pointer())
	}
	rd := ICMPv4(AppendICMPv4(nil, &ICMPv4Fields{Type: ICMPv4Redirect, Code: 1, Rest: 0xc0000201, Payload: quote}))
	if rd.Gateway() != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("gateway %v", rd.Gateway())
	}
	// Quote fails for a message that is no error, and for a bad quote.
	echo := ICMPv4(AppendICMPv4(nil, &ICMPv4Fields{Type: ICMPv4Echo, Payload: quote}))
	_, err = echo.Quote()
	wantErr(t, err, ErrMalformed, "echo request")
	short := ICMPv4(AppendICMPv4(nil, &ICMPv4Fields{Type: ICMPv4TimeExceeded, Payload: quote[:19]}))
	_, err = short.Quote()
	wantErr(t, err, ErrTruncated, "time exceeded")
}

func TestICMPv4Type(t *testing.T) {
	errs := map[ICMPv4Type]bool{3: true, 4: true, 5: true, 11: true, 12: true}
	for typ := range 256 {
		if got := ICMPv4Type(typ).IsError(); got != errs[ICMPv4Type(typ)] {
			t.Errorf("type %d: IsError %v", typ, got)
		}
	}
	if ICMPv4Echo.String() != "echo request" || ICMPv4EchoReply.String() != "echo reply" || ICMPv4Type(42).String() != "type-#42" {
		t.Error("String")
	}
}

func TestICMPv6(t *testing.T) {
	m := ICMPv6(AppendICMPv6(nil, &ICMPv6Fields{Type: ICMPv6EchoRequest, Rest: 7<<16 | 3, Payload: []byte("ping")}, v6src, v6dst))
	if _, err := ParseICMPv6(m); err != nil {
		t.Fatal(err)
	}
	if m.Type() != ICMPv6EchoRequest || m.Code() != 0 || m.ID() != 7 || m.Seq() != 3 || string(m.Payload()) != "ping" || m.Type().IsError() {
		t.Errorf("% x", []byte(m))
	}
	if !m.IsChecksumValid(v6src, v6dst) || m.ComputeChecksum(v6src, v6dst) != m.Checksum() {
		t.Error("checksum")
	}
	// The pseudo-header counts: other addresses, another checksum.
	if m.IsChecksumValid(v6dst, v6src.Next()) {
		t.Error("checksum valid for other addresses")
	}
	// Over the pseudo-header, the message sums to 0xffff (RFC 1071).
	if s := Sum(PseudoHeaderSum(IPProtocolICMPv6, v6src, v6dst, len(m)), m); s != 0xffff {
		t.Errorf("sum %#x", s)
	}
	_, err := ParseICMPv6(m[:7])
	wantErr(t, err, ErrTruncated)

	// Packet too big quoting a packet; parameter problem's pointer.
	inv := append(packet6(IPProtocolTCP, make([]byte, 20)), 0)
	ptb := ICMPv6(AppendICMPv6(nil, &ICMPv6Fields{Type: ICMPv6PacketTooBig, Rest: 1280, Payload: inv[:60]}, v6dst, v6src))
	if ptb.MTU() != 1280 || !ptb.IsChecksumValid(v6dst, v6src) || !ptb.Type().IsError() {
		t.Errorf("MTU %d", ptb.MTU())
	}
	q, err := ptb.Quote()
	if err != nil || q.Dst() != v6dst || q.NextHeader() != IPProtocolTCP {
		t.Errorf("quote %v, %v", q, err)
	}
	pp := ICMPv6(AppendICMPv6(nil, &ICMPv6Fields{Type: ICMPv6ParamProblem, Code: ICMPv6UnrecognizedNext, Rest: 40, Payload: inv[:39]}, v6dst, v6src))
	if pp.Pointer() != 40 {
		t.Errorf("pointer %d", pp.Pointer())
	}
	_, err = pp.Quote()
	wantErr(t, err, ErrTruncated, "parameter problem")
	_, err = m.Quote()
	wantErr(t, err, ErrMalformed, "echo request")
	if ICMPv6NeighborSolicit.String() != "neighbor solicitation" || ICMPv6Type(200).String() != "type-#200" {
		t.Error("String")
	}
}

func TestNDPNeighborSolicit(t *testing.T) {
	target := netip.MustParseAddr("fe80::2")
	mac := MAC{2, 0, 0, 0, 0, 1}
	src, dst := netip.MustParseAddr("fe80::1"), SolicitedNodeMulticast(target)
	opts := AppendNDPLinkLayerAddr(nil, NDPOptionSourceLinkLayerAddr, mac)
	b := AppendNDPNeighborSolicit([]byte{0xee}, src, dst, &NDPNeighborSolicitFields{Target: target, Options: opts})[1:]
	m, err := ParseICMPv6(b)
	if err != nil || !m.IsChecksumValid(src, dst) {
		t.Fatalf("%v, checksum valid %v", err, m.IsChecksumValid(src, dst))
	}
	ns, err := ParseNDPNeighborSolicit(m)
	if err != nil {
		t.Fatal(err)
	}
	if ns.Target() != target {
		t.Errorf("target %v", ns.Target())
	}
	it := ns.Options().Iter()
	if !it.Next() {
		t.Fatal(it.Err())
	}
	o := it.Option()
	if lla, ok := o.LinkLayerAddr(); !ok || lla != mac || o.Type != NDPOptionSourceLinkLayerAddr || o.Len() != 8 || o.Offset != 0 {
		t.Errorf("option %+v", o)
	}
	if it.Next() || it.Err() != nil {
		t.Errorf("second option, err %v", it.Err())
	}
	// Without options.
	bare := AppendNDPNeighborSolicit(nil, netip.IPv6Unspecified(), dst, &NDPNeighborSolicitFields{Target: target})
	if len(bare) != NDPNeighborSolicitLen || !ICMPv6(bare).IsChecksumValid(netip.IPv6Unspecified(), dst) {
		t.Errorf("% x", bare)
	}
}

func TestNDPNeighborAdvert(t *testing.T) {
	target := netip.MustParseAddr("2001:db8::2")
	for _, f := range []NDPNeighborAdvertFields{
		{Target: target, Solicited: true, Override: true, Options: AppendNDPLinkLayerAddr(nil, NDPOptionTargetLinkLayerAddr, MAC{2, 0, 0, 0, 0, 2})},
		{Target: target, Router: true},
		{Target: target},
	} {
		b := AppendNDPNeighborAdvert(nil, v6src, v6dst, &f)
		if !ICMPv6(b).IsChecksumValid(v6src, v6dst) {
			t.Error("checksum")
		}
		na, err := ParseNDPNeighborAdvert(ICMPv6(b))
		if err != nil {
			t.Fatal(err)
		}
		if na.Target() != target || na.Router() != f.Router || na.Solicited() != f.Solicited || na.Override() != f.Override || !bytes.Equal(na.Options(), f.Options) {
			t.Errorf("%+v: R %v S %v O %v", f, na.Router(), na.Solicited(), na.Override())
		}
		if b[4]&0x1f != 0 || b[5] != 0 || b[6] != 0 || b[7] != 0 {
			t.Errorf("reserved bits set: % x", b[4:8])
		}
	}
}

func TestNDPErrors(t *testing.T) {
	target := netip.MustParseAddr("fe80::2")
	ns := func(f func(b []byte) []byte) ICMPv6 {
		b := AppendNDPNeighborSolicit(nil, v6src, v6dst, &NDPNeighborSolicitFields{Target: target,
			Options: AppendNDPLinkLayerAddr(nil, NDPOptionSourceLinkLayerAddr, MAC{2})})
		return ICMPv6(f(b))
	}
	cases := []struct {
		name  string
		m     ICMPv6
		kind  error
		words string
	}{
		{"short", ns(func(b []byte) []byte { return b[:23] }), ErrTruncated, "needs 24 bytes"},
		{"code 1", ns(func(b []byte) []byte { b[1] = 1; return b }), ErrMalformed, "code 1"},
		{"not an NS", ns(func(b []byte) []byte { b[0] = byte(ICMPv6NeighborAdvert); return b }), ErrMalformed, "is not a neighbor solicitation"},
		{"multicast target", ns(func(b []byte) []byte { b[8] = 0xff; return b }), ErrMalformed, "multicast target"},
		{"option length 0", ns(func(b []byte) []byte { b[25] = 0; return b }), ErrMalformed, "length zero"},
		{"option past the end", ns(func(b []byte) []byte { b[25] = 2; return b }), ErrMalformed, "runs past"},
		{"option without length", ns(func(b []byte) []byte { return append(b, 1) }), ErrMalformed, "no length octet"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseNDPNeighborSolicit(tc.m)
			wantErr(t, err, tc.kind, tc.words)
		})
	}
	na := AppendNDPNeighborAdvert(nil, v6src, v6dst, &NDPNeighborAdvertFields{Target: netip.MustParseAddr("ff02::1")})
	_, err := ParseNDPNeighborAdvert(ICMPv6(na))
	wantErr(t, err, ErrMalformed, "multicast target")
}

func TestNDPRouterMessages(t *testing.T) {
	// A Router Advertisement: hop limit 64, M and O set, lifetime 1800 s,
	// reachable 30000 ms, retrans 1000 ms; prefix 2001:db8::/64 (L, A)
	// and MTU 1500 options.
	ra := unhex(t, `86 00 0000 40 c0 0708 00007530 000003e8
		03 04 40 c0 00278d00 00093a80 00000000 20010db8000000000000000000000000
		05 01 0000 000005dc
		01 01 020000000001`)
	r, err := ParseNDPRouterAdvert(ICMPv6(ra))
	if err != nil {
		t.Fatal(err)
	}
	if r.CurHopLimit() != 64 || !r.Managed() || !r.Other() || r.RouterLifetime() != 1800 || r.ReachableTime() != 30000 || r.RetransTimer() != 1000 {
		t.Errorf("RA fields: %d %v %v %d %d %d", r.CurHopLimit(), r.Managed(), r.Other(), r.RouterLifetime(), r.ReachableTime(), r.RetransTimer())
	}
	it := r.Options().Iter()
	var types []NDPOptionType
	for it.Next() {
		o := it.Option()
		types = append(types, o.Type)
		switch o.Type {
		case NDPOptionPrefixInfo:
			p, ok := o.PrefixInfo()
			want := NDPPrefixInfo{Prefix: netip.MustParsePrefix("2001:db8::/64"), OnLink: true, Autonomous: true, ValidLifetime: 2592000, PreferredLifetime: 604800}
			if !ok || p != want {
				t.Errorf("prefix %+v", p)
			}
			if _, ok := o.MTU(); ok {
				t.Error("a prefix option has an MTU")
			}
		case NDPOptionMTU:
			if mtu, ok := o.MTU(); !ok || mtu != 1500 {
				t.Errorf("MTU %d", mtu)
			}
			if _, ok := o.LinkLayerAddr(); ok {
				t.Error("an MTU option has a link-layer address")
			}
		case NDPOptionSourceLinkLayerAddr:
			if mac, ok := o.LinkLayerAddr(); !ok || mac != (MAC{2, 0, 0, 0, 0, 1}) {
				t.Errorf("mac %v", mac)
			}
			if _, ok := o.PrefixInfo(); ok {
				t.Error("a link-layer option has a prefix")
			}
		}
	}
	if it.Err() != nil || !equalSlices(types, []NDPOptionType{3, 5, 1}) {
		t.Errorf("options %v, err %v", types, it.Err())
	}
	// A prefix length above 128 is no prefix.
	ra[18] = 129
	if p, ok := (NDPOption{Type: NDPOptionPrefixInfo, Data: ra[18:48]}).PrefixInfo(); ok {
		t.Errorf("prefix %v", p)
	}

	rs := unhex(t, "85 00 0000 00000000 01 01 020000000001")
	s, err := ParseNDPRouterSolicit(ICMPv6(rs))
	if err != nil || len(s.Options()) != 8 {
		t.Errorf("RS: %v", err)
	}
	_, err = ParseNDPRouterAdvert(ICMPv6(rs))
	wantErr(t, err, ErrMalformed, "not a router advertisement")
	_, err = ParseNDPRouterAdvert(ICMPv6(ra[:15]))
	wantErr(t, err, ErrTruncated, "needs 16 bytes")
	_, err = ParseNDPRouterSolicit(ICMPv6(ra))
	wantErr(t, err, ErrMalformed, "not a router solicitation")
}

func TestNDPRedirect(t *testing.T) {
	b := unhex(t, `89 00 0000 00000000 fe800000000000000000000000000001 20010db8000000000000000000000099
		02 01 020000000007`)
	r, err := ParseNDPRedirect(ICMPv6(b))
	if err != nil {
		t.Fatal(err)
	}
	if r.Target() != netip.MustParseAddr("fe80::1") || r.Destination() != netip.MustParseAddr("2001:db8::99") || len(r.Options()) != 8 {
		t.Errorf("target %v destination %v", r.Target(), r.Destination())
	}
	// The target may be the destination itself (it is on-link).
	copy(b[8:24], b[24:40])
	if _, err := ParseNDPRedirect(ICMPv6(b)); err != nil {
		t.Error(err)
	}
	b[23] ^= 1 // a global target that is not the destination
	_, err = ParseNDPRedirect(ICMPv6(b))
	wantErr(t, err, ErrMalformed, "neither link-local")
	b[24] = 0xff
	_, err = ParseNDPRedirect(ICMPv6(b))
	wantErr(t, err, ErrMalformed, "multicast destination")
}

func TestAppendNDPOption(t *testing.T) {
	for n := range 20 {
		b := AppendNDPOption([]byte{0xee}, NDPOptionNonce, bytes.Repeat([]byte{1}, n))[1:]
		it := NDPOptions(b).Iter()
		if !it.Next() || it.Option().Len() != len(b) || len(b)%8 != 0 || !bytes.Equal(it.Option().Data[:n], bytes.Repeat([]byte{1}, n)) {
			t.Errorf("%d bytes: % x", n, b)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	AppendNDPOption(nil, NDPOptionNonce, make([]byte, 2039))
}
