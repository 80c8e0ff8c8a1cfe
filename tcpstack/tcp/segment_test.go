package tcp

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"testing"

	hdr "tcpregress.dev/tcpstack/header"
)

func TestSegmentRoundTrip(t *testing.T) {
	cases := []Segment{
		{SrcPort: 1, DstPort: 2, Seq: 100, Flags: FlagSYN, Window: 65535,
			Options: Options{HasMSS: true, MSS: 1460, SACKPermitted: true, HasTimestamps: true, TSVal: 7, HasWScale: true, WScale: 7}},
		{SrcPort: 80, DstPort: 4000, Seq: 0xFFFF_FFF0, Ack: 5, Flags: FlagACK | FlagPSH, Window: 512, Payload: []byte("hello")},
		{SrcPort: 80, DstPort: 4000, Seq: 1, Ack: 2, Flags: FlagACK | FlagURG, Urgent: 3, Payload: []byte("abc"),
			Options: Options{HasTimestamps: true, TSVal: 1, TSEcr: 2, SACK: []SACKBlock{{10, 20}, {30, 40}, {50, 60}}}},
		{SrcPort: 9, DstPort: 9, Flags: FlagRST},
		{SrcPort: 9, DstPort: 9, Flags: FlagACK, Options: Options{SACKPermitted: true}},
		{SrcPort: 9, DstPort: 9, Flags: FlagACK, Options: Options{HasWScale: true, WScale: 14}},
	}
	for i, want := range cases {
		t.Run("case="+itoaTest(i), func(t *testing.T) {
			b := want.Marshal()
			if (len(b)-len(want.Payload))%4 != 0 {
				t.Fatalf("header length %d not a multiple of 4", len(b)-len(want.Payload))
			}
			got, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() || !bytes.Equal(got.Payload, want.Payload) {
				t.Fatalf("got  %s\nwant %s", got.String(), want.String())
			}
		})
	}
}

func itoaTest(i int) string { return strconv.Itoa(i) }

func TestSACKBlocksFit(t *testing.T) {
	blocks := []SACKBlock{{1, 2}, {3, 4}, {5, 6}, {7, 8}}
	// With timestamps only three blocks fit in 40 bytes (RFC2018 §3).
	s := Segment{Flags: FlagACK, Options: Options{HasTimestamps: true, SACK: blocks}}
	got, _ := Parse(s.Marshal())
	if len(got.Options.SACK) != 3 {
		t.Fatalf("with timestamps: %d blocks", len(got.Options.SACK))
	}
	s.Options.HasTimestamps = false
	got, _ = Parse(s.Marshal())
	if len(got.Options.SACK) != 4 {
		t.Fatalf("without timestamps: %d blocks", len(got.Options.SACK))
	}
}

func TestParseErrors(t *testing.T) {
	good := (&Segment{SrcPort: 1, DstPort: 2}).Marshal()
	short := good[:19]
	badOff := bytes.Clone(good)
	badOff[12] = 4 << 4 // 16 bytes: below the fixed header
	pastEnd := bytes.Clone(good)
	pastEnd[12] = 6 << 4 // 24 bytes with 20 present
	for name, b := range map[string][]byte{"short": short, "offset=4": badOff, "offset=6": pastEnd} {
		t.Run("input="+name, func(t *testing.T) {
			if _, err := Parse(b); !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

// header builds an ACK segment with raw option bytes (padded to 4 with
// zeros).
func header(opts []byte) []byte {
	return hdr.AppendTCP(nil, &hdr.TCPFields{Flags: hdr.TCPFlagACK, Options: opts})
}

// TestParseOptions covers RFC9293 §3.1: options in any order and alignment
// (MUST-64), unknown kinds ignored (MUST-6), illegal lengths survived (MUST-7).
func TestParseOptions(t *testing.T) {
	ts := []byte{8, 10, 0, 0, 0, 1, 0, 0, 0, 2}
	cases := []struct {
		name string
		raw  []byte
		want string
	}{
		{"order=reversed", append(append([]byte{3, 3, 5}, ts...), 2, 4, 0x05, 0xb4), "mss 1460,TS val 1 ecr 2,wscale 5"},
		{"align=odd", append([]byte{1, 2, 4, 0x02, 0x18, 4, 2}, ts...), "mss 536,sackOK,TS val 1 ecr 2"},
		{"unknown=kind99", []byte{99, 4, 0xff, 0xff, 2, 4, 0x05, 0xb4}, "mss 1460"},
		{"unknown=kind30-len3", []byte{30, 3, 7, 3, 3, 2}, "wscale 2"},
		{"eol=stops", []byte{2, 4, 0x05, 0xb4, 0, 3, 3, 2}, "mss 1460"},
		{"len=0", []byte{2, 4, 0x05, 0xb4, 99, 0, 3, 3, 2}, "mss 1460"},
		{"len=1", []byte{2, 4, 0x05, 0xb4, 3, 1, 3, 3, 2}, "mss 1460"},
		{"len=overflow", []byte{2, 4, 0x05, 0xb4, 8, 40, 1, 1}, "mss 1460"},
		{"kind-without-len", []byte{1, 1, 1, 2}, ""},
		{"mss=bad-len", []byte{2, 3, 5, 3, 3, 1}, "wscale 1"},
		{"ts=bad-len", []byte{8, 6, 0, 0, 0, 1, 4, 2}, "sackOK"},
		{"sack=bad-len", []byte{5, 6, 0, 0, 0, 1, 4, 2}, "sackOK"},
		{"sack=two", []byte{1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4}, "sack 1:2 3:4"},
	}
	for _, tc := range cases {
		t.Run("opts="+tc.name, func(t *testing.T) {
			seg, err := Parse(header(tc.raw))
			if err != nil {
				t.Fatalf("segment dropped: %v", err)
			}
			if got := seg.Options.String(); got != tc.want {
				t.Fatalf("got <%s>, want <%s>", got, tc.want)
			}
		})
	}
}

// The layout and the parsing of options are header's (AppendTCPOptions,
// TCPOptions.Decode). These digests pin what the engine puts on the wire and
// reads from it to what its own code did before it moved there: 5000 random
// option sets laid out, 20000 random option areas parsed.
// Digests of TestOptionsWireUnchanged, computed with the engine's own
// layout and parsing code before it moved to header.
const (
	layoutDigest = "ef39fc8cec2174f85df6f889fc686e9751904e4252a5f43c4c5d553ebcf6b9a6"
	parseDigest  = "bab03773dca274011a3f4f835b61a9ba113296334db6f86da947829894345647"
)

func TestOptionsWireUnchanged(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	h := sha256.New()
	for range 5000 {
		var s Segment
		o := &s.Options
		o.HasMSS, o.MSS = r.IntN(2) == 0, uint16(r.Uint32())
		o.HasWScale, o.WScale = r.IntN(2) == 0, uint8(r.IntN(16))
		o.SACKPermitted = r.IntN(2) == 0
		o.HasTimestamps, o.TSVal, o.TSEcr = r.IntN(2) == 0, r.Uint32(), r.Uint32()
		for range r.IntN(6) {
			o.SACK = append(o.SACK, SACKBlock{Left: Value(r.Uint32()), Right: Value(r.Uint32())})
		}
		fmt.Fprintf(h, "%x %d\n", s.Marshal(), o.Len())
	}
	if got, want := fmt.Sprintf("%x", h.Sum(nil)), layoutDigest; got != want {
		t.Errorf("option layout digest %s, want %s", got, want)
	}
	h.Reset()
	for range 20000 {
		opts := make([]byte, 4*r.IntN(11))
		for i := range opts {
			opts[i] = byte(r.IntN(12))
			if r.IntN(4) == 0 {
				opts[i] = byte(r.Uint32())
			}
		}
		seg, err := Parse(header(opts))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s|%v\n", seg.Options.String(), seg.Options)
	}
	if got, want := fmt.Sprintf("%x", h.Sum(nil)), parseDigest; got != want {
		t.Errorf("option parsing digest %s, want %s", got, want)
	}
}

func TestChecksum(t *testing.T) {
	src, dst := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	seg := Segment{SrcPort: 1234, DstPort: 80, Seq: 1, Ack: 2, Flags: FlagACK, Window: 100, Payload: []byte("odd")}
	b := seg.Marshal()
	PutChecksum(src, dst, b)
	if !VerifyChecksum(src, dst, b) {
		t.Fatal("verify failed")
	}
	// The one's-complement sum of pseudo-header and segment, checksum
	// included, is 0xffff (RFC1071).
	var sum uint32
	sum = hdr.Sum(sum, src.AsSlice())
	sum = hdr.Sum(sum, dst.AsSlice())
	sum += 6 + uint32(len(b))
	sum = hdr.Sum(sum, b)
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	if sum != 0xffff {
		t.Fatalf("sum %#x", sum)
	}
	b[len(b)-1] ^= 1
	if VerifyChecksum(src, dst, b) {
		t.Fatal("corruption not detected")
	}
	if VerifyChecksum(src, dst, b[:10]) {
		t.Fatal("short segment verified")
	}
	// IPv6 pseudo-header.
	s6, d6 := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	b = seg.Marshal()
	PutChecksum(s6, d6, b)
	if !VerifyChecksum(s6, d6, b) || VerifyChecksum(src, dst, b) {
		t.Fatal("IPv6 checksum")
	}
	if binary.BigEndian.Uint16(b[16:]) == 0 {
		t.Fatal("checksum not stored")
	}
}

func TestFlagsString(t *testing.T) {
	cases := map[Flags]string{
		FlagSYN: "S", FlagSYN | FlagACK: "S.", FlagACK: ".", FlagPSH | FlagACK: "P.",
		FlagFIN | FlagACK: "F.", FlagRST: "R", FlagURG | FlagACK: "U.", FlagECE | FlagCWR: "EW", 0: "none",
	}
	for f, want := range cases {
		if f.String() != want {
			t.Errorf("%08b: got %q want %q", f, f.String(), want)
		}
	}
}

func BenchmarkChecksum1460(b *testing.B) {
	seg := make([]byte, 1480)
	for i := range seg {
		seg[i] = byte(i * 7)
	}
	src, dst := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2")
	b.SetBytes(int64(len(seg)))
	for range b.N {
		Checksum(src, dst, seg)
	}
}

// Benchmarks of the wire code on every segment's path: a data segment with
// timestamps, a SYN with the usual four options, an ACK with SACK blocks.

func benchSegments() map[string]Segment {
	payload := make([]byte, 1448)
	return map[string]Segment{
		"data": {SrcPort: 80, DstPort: 40000, Seq: 1000, Ack: 2000, Flags: FlagACK | FlagPSH, Window: 502,
			Options: Options{HasTimestamps: true, TSVal: 123456, TSEcr: 654321}, Payload: payload},
		"syn": {SrcPort: 40000, DstPort: 80, Seq: 1000, Flags: FlagSYN, Window: 65535,
			Options: Options{HasMSS: true, MSS: 1460, SACKPermitted: true, HasTimestamps: true, TSVal: 1, HasWScale: true, WScale: 7}},
		"sack": {SrcPort: 80, DstPort: 40000, Seq: 1000, Ack: 2000, Flags: FlagACK, Window: 502,
			Options: Options{HasTimestamps: true, TSVal: 1, TSEcr: 2, SACK: []SACKBlock{{10, 20}, {30, 40}, {50, 60}}}},
	}
}

func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"data", "syn", "sack"} {
		seg := benchSegments()[name]
		wire := seg.Marshal()
		b.Run("seg="+name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := Parse(wire); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendTo(b *testing.B) {
	for _, name := range []string{"data", "syn", "sack"} {
		seg := benchSegments()[name]
		buf := make([]byte, 0, 2048)
		b.Run("seg="+name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				buf = seg.AppendTo(buf[:0])
			}
		})
	}
}

func BenchmarkMarshal(b *testing.B) {
	seg := benchSegments()["syn"]
	b.ReportAllocs()
	for range b.N {
		_ = seg.Marshal()
	}
}

func BenchmarkMarshalChecksum(b *testing.B) {
	seg := benchSegments()["data"]
	src, dst := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2")
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	for range b.N {
		buf = seg.AppendTo(buf[:0])
		PutChecksum(src, dst, buf)
		if !VerifyChecksum(src, dst, buf) {
			b.Fatal("checksum")
		}
	}
}
