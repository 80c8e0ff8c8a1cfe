package header

import (
	"bytes"
	"net/netip"
	"testing"
)

// linuxSYN is a SYN as Linux sends it: options mss 1460, sackOK, TS val
// 1 ecr 0, nop, wscale 7.
const linuxSYN = `c000 0050 00000001 00000000 a0 02 ffff 0000 0000
	020405b4 0402080a 00000001 00000000 01030307`

func TestParseTCP(t *testing.T) {
	b := unhex(t, linuxSYN)
	seg, err := ParseTCP(append(b, "data"...))
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, []field{
		{"SrcPort", seg.SrcPort(), uint16(49152)},
		{"DstPort", seg.DstPort(), uint16(80)},
		{"Seq", seg.Seq(), uint32(1)},
		{"Ack", seg.Ack(), uint32(0)},
		{"HeaderLen", seg.HeaderLen(), 40},
		{"Reserved", seg.Reserved(), uint8(0)},
		{"Flags", seg.Flags(), TCPFlagSYN},
		{"Window", seg.Window(), uint16(65535)},
		{"Checksum", seg.Checksum(), uint16(0)},
		{"Urgent", seg.Urgent(), uint16(0)},
		{"Options", hexString(seg.Options()), hexString(b[20:40])},
		{"Payload", string(seg.Payload()), "data"},
	})
	var f TCPOptionFields
	if err := seg.Options().Decode(&f); err != nil {
		t.Fatal(err)
	}
	want := TCPOptionFields{MSS: 1460, HasMSS: true, SACKPermitted: true, TSVal: 1, HasTimestamps: true, WScale: 7, HasWScale: true, SACK: f.SACK}
	if !equalTCPOptionFields(f, want) {
		t.Errorf("options %+v", f)
	}
	// Linux's layout is AppendTCPOptions'.
	if got := AppendTCPOptions(nil, &f); !bytes.Equal(got, seg.Options()) || f.Len() != len(got) {
		t.Errorf("AppendTCPOptions = % x (Len %d), want % x", got, f.Len(), []byte(seg.Options()))
	}
}

func equalTCPOptionFields(a, b TCPOptionFields) bool {
	as, bs := a.SACK, b.SACK
	a.SACK, b.SACK = nil, nil
	return a.MSS == b.MSS && a.HasMSS == b.HasMSS && a.WScale == b.WScale && a.HasWScale == b.HasWScale &&
		a.SACKPermitted == b.SACKPermitted && a.TSVal == b.TSVal && a.TSEcr == b.TSEcr &&
		a.HasTimestamps == b.HasTimestamps && equalSlices(as, bs)
}

func TestParseTCPErrors(t *testing.T) {
	good := unhex(t, linuxSYN)
	cases := []parseErrCase{
		{"19 bytes", good[:19], ErrTruncated, []string{"20", "19"}},
		{"data offset 4", append(append([]byte(nil), good[:12]...), append([]byte{0x40}, good[13:]...)...), ErrMalformed, []string{"data offset 4"}},
		{"data offset 0", append(append([]byte(nil), good[:12]...), append([]byte{0x0f}, good[13:]...)...), ErrMalformed, []string{"data offset 0"}},
		{"options cut", good[:39], ErrTruncated, []string{"40 bytes", "39"}},
	}
	testParseErrors(t, cases, func(b []byte) error { _, err := ParseTCP(b); return err })
}

func TestTCPFlags(t *testing.T) {
	cases := []struct {
		f                    TCPFlags
		tcpdump, packetdrill string
	}{
		{0, "none", "none"},
		{TCPFlagSYN, "S", "S"},
		{TCPFlagSYN | TCPFlagACK, "S.", "S."},
		{TCPFlagACK, ".", "."},
		{TCPFlagPSH | TCPFlagACK, "P.", "P."},
		{TCPFlagFIN | TCPFlagACK, "F.", "F."},
		{TCPFlagFIN | TCPFlagPSH | TCPFlagACK, "FP.", "FP."},
		{TCPFlagRST, "R", "R"},
		{TCPFlagRST | TCPFlagACK, "R.", "R."},
		{TCPFlagSYN | TCPFlagFIN, "FS", "SF"},
		{TCPFlagURG | TCPFlagACK, ".U", "U."},
		{TCPFlagSYN | TCPFlagECE | TCPFlagCWR, "SEW", "SEW"},
		{TCPFlagSYN | TCPFlagACK | TCPFlagECE, "S.E", "SE."},
		{0xff, "FSRP.UEW", "SFRPUEW."},
	}
	for _, tc := range cases {
		if got := tc.f.String(); got != tc.tcpdump {
			t.Errorf("%#02x: String() = %q, want %q", uint8(tc.f), got, tc.tcpdump)
		}
		if got := tc.f.PacketdrillString(); got != tc.packetdrill {
			t.Errorf("%#02x: PacketdrillString() = %q, want %q", uint8(tc.f), got, tc.packetdrill)
		}
	}
	// The wire bits (RFC 9293 §3.1, RFC 3168 §6.1).
	for i, f := range []TCPFlags{TCPFlagFIN, TCPFlagSYN, TCPFlagRST, TCPFlagPSH, TCPFlagACK, TCPFlagURG, TCPFlagECE, TCPFlagCWR} {
		if f != 1<<i {
			t.Errorf("flag %d is %#x", i, uint8(f))
		}
	}
	if !(TCPFlagSYN | TCPFlagACK).Has(TCPFlagSYN) || TCPFlagSYN.Has(TCPFlagSYN|TCPFlagACK) {
		t.Error("Has")
	}
}

func TestTCPEncode(t *testing.T) {
	src4, dst4 := netip.MustParseAddr("198.18.0.3"), netip.MustParseAddr("198.18.0.2")
	opts := AppendTCPOptions(nil, &TCPOptionFields{HasTimestamps: true, TSVal: 5, TSEcr: 6, SACK: []TCPSACKBlock{{1, 2}}})
	cases := []TCPFields{
		{SrcPort: 1, DstPort: 2, Seq: 3, Ack: 4, Flags: TCPFlagACK, Window: 5, Urgent: 6},
		{SrcPort: 0xffff, DstPort: 0xffff, Seq: 0xffffffff, Ack: 0xffffffff, Flags: 0xff, Reserved: 0xf, Window: 0xffff, Urgent: 0xffff, Options: opts},
		{Flags: TCPFlagSYN, Options: []byte{2, 4, 5, 0xb4, 1}}, // padded with zeros to 8
		{Options: bytes.Repeat([]byte{1}, 40)},
	}
	for _, f := range cases {
		b := AppendTCP([]byte{0xee}, &f)[1:]
		if len(b) != f.HeaderLen() || f.HeaderLen()%4 != 0 {
			t.Fatalf("%d bytes, HeaderLen %d", len(b), f.HeaderLen())
		}
		b = append(b, "payload"...)
		seg, err := ParseTCP(b)
		if err != nil {
			t.Fatal(err)
		}
		if seg.Checksum() != 0 {
			t.Errorf("checksum %#x, want 0 until set", seg.Checksum())
		}
		for _, a := range [][2]netip.Addr{{src4, dst4}, {v6src, v6dst}} {
			seg.SetChecksum(seg.ComputeChecksum(a[0], a[1]))
			if !seg.IsChecksumValid(a[0], a[1]) || seg.IsChecksumValid(a[1], a[0].Next()) {
				t.Errorf("%v > %v: checksum %#x", a[0], a[1], seg.Checksum())
			}
		}
		padded := append(append([]byte(nil), f.Options...), make([]byte, len(seg.Options())-len(f.Options))...)
		got := TCPFields{SrcPort: seg.SrcPort(), DstPort: seg.DstPort(), Seq: seg.Seq(), Ack: seg.Ack(), Flags: seg.Flags(),
			Reserved: seg.Reserved(), Window: seg.Window(), Urgent: seg.Urgent(), Options: padded}
		if !equalTCPFields(got, f) || !bytes.Equal(seg.Options(), padded) || string(seg.Payload()) != "payload" {
			t.Errorf("round trip %+v, want %+v", got, f)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic for 41 bytes of options")
		}
	}()
	AppendTCP(nil, &TCPFields{Options: make([]byte, 41)})
}

func equalTCPFields(a, b TCPFields) bool {
	ao := append([]byte(nil), a.Options...)
	bo := append([]byte(nil), b.Options...)
	for len(bo) < len(ao) {
		bo = append(bo, 0)
	}
	a.Options, b.Options = nil, nil
	return a.SrcPort == b.SrcPort && a.DstPort == b.DstPort && a.Seq == b.Seq && a.Ack == b.Ack && a.Flags == b.Flags &&
		a.Reserved == b.Reserved && a.Window == b.Window && a.Urgent == b.Urgent && bytes.Equal(ao, bo)
}

func TestTCPSetters(t *testing.T) {
	seg := TCP(AppendTCP(nil, &TCPFields{Reserved: 0x5}))
	seg.SetSrcPort(1)
	seg.SetDstPort(2)
	seg.SetSeq(3)
	seg.SetAck(4)
	seg.SetFlags(TCPFlagRST)
	seg.SetWindow(5)
	seg.SetChecksum(6)
	seg.SetUrgent(7)
	seg.SetDataOffset(15)
	if seg.SrcPort() != 1 || seg.DstPort() != 2 || seg.Seq() != 3 || seg.Ack() != 4 || seg.Flags() != TCPFlagRST ||
		seg.Window() != 5 || seg.Checksum() != 6 || seg.Urgent() != 7 || seg.HeaderLen() != 60 || seg.Reserved() != 5 {
		t.Errorf("% x", []byte(seg))
	}
	seg.SetReserved(0xfa)
	if seg.Reserved() != 0xa || seg.HeaderLen() != 60 {
		t.Errorf("reserved %#x header %d", seg.Reserved(), seg.HeaderLen())
	}
	if _, err := ParseTCP(seg); err == nil {
		t.Error("a data offset of 15 words in 20 bytes parsed")
	}
}

func TestTCPOptionIter(t *testing.T) {
	cases := []tlvCase{
		{"linux SYN", "020405b4 0402080a 00000001 00000000 01030307", []tlvOpt{
			{2, "05b4", 0}, {4, "", 4}, {8, "00000001 00000000", 6}, {1, "", 16}, {3, "07", 17}}, nil},
		{"EOL ends", "0101 00 02", []tlvOpt{{1, "", 0}, {1, "", 1}, {0, "", 2}}, nil},
		{"unknown kind kept", "fe 06 f989 0102", []tlvOpt{{254, "f989 0102", 0}}, nil},
		{"wrong length for a known kind", "02 03 05", []tlvOpt{{2, "05", 0}}, nil},
		{"kind without length", "0101 02", []tlvOpt{{1, "", 0}, {1, "", 1}}, []string{"kind 2 at offset 2 has no length octet"}},
		{"length 0", "63 00 0101", nil, []string{"length 0"}},
		{"length 1", "01 03 01", []tlvOpt{{1, "", 0}}, []string{"kind 3 at offset 1 has length 1"}},
		{"past the header", "08 28 0101", nil, []string{"length 40, past the 4-byte"}},
	}
	testTLVIter(t, cases,
		func(b []byte) *TCPOptionIter { it := TCPOptions(b).Iter(); return &it },
		func(it *TCPOptionIter) (tlvOpt, int) {
			o := it.Option()
			return tlvOpt{uint8(o.Kind), hexString(o.Data), o.Offset}, o.Len()
		})
}

func TestTCPOptionAccessors(t *testing.T) {
	o := func(k TCPOptionKind, data ...byte) TCPOption { return TCPOption{Kind: k, Data: data} }
	if v, ok := o(2, 5, 0xb4).MSS(); !ok || v != 1460 {
		t.Error("MSS")
	}
	if _, ok := o(2, 5).MSS(); ok {
		t.Error("MSS of length 3")
	}
	if _, ok := o(3, 5, 0xb4).MSS(); ok {
		t.Error("MSS of a window scale")
	}
	if v, ok := o(3, 15).WScale(); !ok || v != 15 {
		t.Error("WScale keeps the value sent")
	}
	if _, ok := o(3).WScale(); ok {
		t.Error("WScale of length 2")
	}
	if !o(4).IsSACKPermitted() || o(4, 0).IsSACKPermitted() || o(5).IsSACKPermitted() {
		t.Error("IsSACKPermitted")
	}
	if v, e, ok := o(8, 0, 0, 0, 1, 0, 0, 0, 2).Timestamps(); !ok || v != 1 || e != 2 {
		t.Error("Timestamps")
	}
	if _, _, ok := o(8, 0, 0, 0, 1).Timestamps(); ok {
		t.Error("Timestamps of length 6")
	}
	s, ok := o(5, 0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0).SACK()
	if !ok || s.Len() != 2 || s.Block(0) != (TCPSACKBlock{1, 2}) || s.Block(1) != (TCPSACKBlock{0xffffffff, 0}) {
		t.Errorf("SACK %v", s)
	}
	for _, bad := range []TCPOption{o(5), o(5, 1, 2, 3, 4), o(5, 1, 2, 3, 4, 5, 6, 7, 8, 9), o(4, 1, 2, 3, 4, 5, 6, 7, 8)} {
		if _, ok := bad.SACK(); ok {
			t.Errorf("SACK of % x", bad.Data)
		}
	}
	if o(0).Len() != 1 || o(1).Len() != 1 || o(2, 1, 2).Len() != 4 || o(99).Len() != 2 {
		t.Error("Len")
	}
	for k, name := range map[TCPOptionKind]string{0: "eol", 1: "nop", 2: "mss", 3: "wscale", 4: "sackOK", 5: "sack", 8: "TS",
		19: "md5", 28: "uto", 29: "tcp-ao", 30: "mptcp", 34: "tfo", 254: "exp", 99: "unknown-99", 253: "unknown-253"} {
		if got := k.String(); got != name {
			t.Errorf("kind %d: %q, want %q", k, got, name)
		}
	}
}

func TestAppendTCPOptions(t *testing.T) {
	sack := []TCPSACKBlock{{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}}
	cases := []struct {
		name string
		f    TCPOptionFields
		want string
	}{
		{"none", TCPOptionFields{}, ""},
		{"mss", TCPOptionFields{MSS: 536, HasMSS: true}, "02040218"},
		{"ts", TCPOptionFields{TSVal: 1, TSEcr: 2, HasTimestamps: true}, "0101080a 00000001 00000002"},
		{"sackOK", TCPOptionFields{SACKPermitted: true}, "01010402"},
		{"sackOK ts", TCPOptionFields{SACKPermitted: true, TSVal: 1, HasTimestamps: true}, "0402080a 00000001 00000000"},
		{"wscale", TCPOptionFields{WScale: 14, HasWScale: true}, "0103030e"},
		{"sack: four fit alone", TCPOptionFields{SACK: sack}, "0101 0522 00000001 00000002 00000003 00000004 00000005 00000006 00000007 00000008"},
		{"sack: three fit with timestamps", TCPOptionFields{TSVal: 9, TSEcr: 8, HasTimestamps: true, SACK: sack},
			"0101080a 00000009 00000008 0101 051a 00000001 00000002 00000003 00000004 00000005 00000006"},
		{"sack: two fit after the others", TCPOptionFields{MSS: 1, HasMSS: true, SACKPermitted: true, HasTimestamps: true, HasWScale: true, SACK: sack[:3]},
			"02040001 0402080a 00000000 00000000 01030300 0101 0512 00000001 00000002 00000003 00000004"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := AppendTCPOptions([]byte{0xee}, &tc.f)[1:]
			if want := unhex(t, tc.want); !bytes.Equal(got, want) {
				t.Errorf("% x, want % x", got, want)
			}
			if tc.f.Len() != len(got) || len(got)%4 != 0 || len(got) > 40 {
				t.Errorf("Len() = %d, laid out %d", tc.f.Len(), len(got))
			}
			var back TCPOptionFields
			if err := TCPOptions(got).Decode(&back); err != nil {
				t.Fatal(err)
			}
			want := tc.f
			want.SACK = want.SACK[:min(len(want.SACK), tc.f.sackRoom())] // the blocks that fit
			if !equalTCPOptionFields(back, want) {
				t.Errorf("decoded %+v, want %+v", back, want)
			}
		})
	}
	b := AppendTCPOption(nil, TCPOptionNOP, []byte{1, 2})
	b = AppendTCPOption(b, TCPOptionEOL, nil)
	b = AppendTCPOption(b, 99, []byte{1, 2})
	b = AppendTCPSACK(b)
	if !bytes.Equal(b, []byte{1, 0, 99, 4, 1, 2, 5, 2}) {
		t.Errorf("% x", b)
	}
}

func TestTCPOptionsDecode(t *testing.T) {
	ts := "080a 00000001 00000002"
	cases := []struct {
		name string
		opts string
		want TCPOptionFields
		err  bool
	}{
		{"reversed order", "030305 " + ts + " 020405b4", TCPOptionFields{MSS: 1460, HasMSS: true, TSVal: 1, TSEcr: 2, HasTimestamps: true, WScale: 5, HasWScale: true}, false},
		{"odd alignment", "01 02040218 0402 " + ts, TCPOptionFields{MSS: 536, HasMSS: true, SACKPermitted: true, TSVal: 1, TSEcr: 2, HasTimestamps: true}, false},
		{"unknown kind", "6304ffff 020405b4", TCPOptionFields{MSS: 1460, HasMSS: true}, false},
		{"EOL stops", "020405b4 00 030302", TCPOptionFields{MSS: 1460, HasMSS: true}, false},
		{"length 0 stops", "020405b4 6300 030302", TCPOptionFields{MSS: 1460, HasMSS: true}, true},
		{"wrong length skipped", "020305 030301", TCPOptionFields{WScale: 1, HasWScale: true}, false},
		{"bad MSS after a good one", "020405b4 020305", TCPOptionFields{MSS: 1460, HasMSS: true}, false},
		{"last SACK counts", "0101 050a 00000001 00000002 0101 050a 00000003 00000004", TCPOptionFields{SACK: []TCPSACKBlock{{3, 4}}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := TCPOptionFields{MSS: 7, HasMSS: true, SACK: make([]TCPSACKBlock, 3, 4)}
			err := TCPOptions(unhex(t, tc.opts)).Decode(&f)
			if (err != nil) != tc.err {
				t.Errorf("err %v", err)
			}
			if tc.want.SACK == nil {
				tc.want.SACK = []TCPSACKBlock{}
			}
			if !equalTCPOptionFields(f, tc.want) {
				t.Errorf("%+v, want %+v", f, tc.want)
			}
		})
	}
}
