package probe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"time"

	hdr "tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/tcp"
)

var (
	testSrc = netip.MustParseAddr("198.18.0.3")
	testDst = netip.MustParseAddr("198.18.0.2")
)

// build marshals seg from testSrc to testDst and decodes it back.
func build(t *testing.T, seg Segment) Frame {
	t.Helper()
	seg.IP.Dst = testDst
	pkt, err := seg.Marshal(testSrc)
	if err != nil {
		t.Fatal(err)
	}
	return decodeFrame(pkt, time.Unix(0, 0), Out)
}

func TestMarshalFields(t *testing.T) {
	seg := Segment{
		SrcPort: 40000, DstPort: 80, Seq: 1000, Ack: 2000,
		Flags:    tcp.FlagSYN | tcp.FlagFIN | tcp.FlagURG,
		Reserved: 0x5, Window: 1234, Urgent: 7,
		Options: Options(MSS(1460), SACKPermitted(), Timestamps(100, 0), NOP(), WScale(7)),
		Payload: []byte("data"),
		IP:      IPFields{TTL: 9, TOS: 0x10, ID: 4242, DF: true},
	}
	f := build(t, seg)
	if f.Err != nil || !f.ChecksumOK || !f.IP.ChecksumOK {
		t.Fatalf("decoded: err %v, tcp checksum %v, ip checksum %v", f.Err, f.ChecksumOK, f.IP.ChecksumOK)
	}
	s := f.TCP
	if s.SrcPort != 40000 || s.DstPort != 80 || s.Seq != 1000 || s.Ack != 2000 || s.Window != 1234 || s.Urgent != 7 || s.Flags != seg.Flags {
		t.Errorf("header: %v", &s)
	}
	if got := f.Transport()[12] & 0x0f; got != 0x5 {
		t.Errorf("reserved bits %#x, want 0x5", got)
	}
	o := s.Options
	if !o.HasMSS || o.MSS != 1460 || !o.SACKPermitted || !o.HasTimestamps || o.TSVal != 100 || !o.HasWScale || o.WScale != 7 {
		t.Errorf("options: %v", &o)
	}
	if string(s.Payload) != "data" {
		t.Errorf("payload %q", s.Payload)
	}
	h := f.IP
	if h.TTL != 9 || h.TOS != 0x10 || h.ID != 4242 || !h.DF || h.Src != testSrc || h.Dst != testDst || h.Protocol != protoTCP {
		t.Errorf("IP header: %+v", h)
	}
}

func TestMarshalDefaults(t *testing.T) {
	f := build(t, Segment{Flags: tcp.FlagACK})
	if f.IP.TTL != 64 || f.IP.DF || f.IP.HeaderLen != 20 || f.IP.TotalLen != 40 {
		t.Errorf("IP header: %+v", f.IP)
	}
	if got := f.Transport()[12] >> 4; got != 5 {
		t.Errorf("data offset %d, want 5", got)
	}
}

func TestMarshalPadding(t *testing.T) {
	for _, tc := range []struct {
		name string
		pad  Padding
		want []byte // options area as laid out
		off  byte
		tail []byte // first octets after the options area
	}{
		{"pad=zero", PadZero, []byte{3, 3, 7, 0}, 6, []byte("xy")},
		{"pad=nop", PadNOP, []byte{3, 3, 7, 1}, 6, []byte("xy")},
		// Not padded: the offset rounds up and claims the first payload octet.
		{"pad=none", PadNone, []byte{3, 3, 7, 'x'}, 6, []byte("y")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := build(t, Segment{Flags: tcp.FlagACK, Options: WScale(7), Padding: tc.pad, Payload: []byte("xy")})
			tr := f.Transport()
			if tr[12]>>4 != tc.off {
				t.Errorf("data offset %d, want %d", tr[12]>>4, tc.off)
			}
			if !bytes.Equal(tr[20:24], tc.want) {
				t.Errorf("options area % x, want % x", tr[20:24], tc.want)
			}
			if !bytes.Equal(f.TCP.Payload, tc.tail) {
				t.Errorf("payload %q, want %q", f.TCP.Payload, tc.tail)
			}
			if !f.ChecksumOK {
				t.Error("bad checksum")
			}
		})
	}
}

func TestMarshalDataOffsetOverride(t *testing.T) {
	for _, off := range []uint8{1, 4, 15} {
		f := build(t, Segment{Flags: tcp.FlagACK, DataOffset: off})
		if got := f.Transport()[12] >> 4; got != off {
			t.Errorf("offset=%d: field %d", off, got)
		}
		if !errors.Is(f.Err, tcp.ErrMalformed) {
			t.Errorf("offset=%d: decoded with err %v, want ErrMalformed", off, f.Err)
		}
	}
}

func TestMarshalBadChecksums(t *testing.T) {
	// Every payload length and checksum value: the flipped checksum must
	// never verify (0x0000 and 0xffff are the same in one's complement).
	for n := range 64 {
		f := build(t, Segment{Flags: tcp.FlagACK, Seq: tcp.Value(n * 7919), Payload: make([]byte, n), BadChecksum: true, IP: IPFields{BadChecksum: true}})
		if f.ChecksumOK || f.IP.ChecksumOK {
			t.Fatalf("len=%d: checksum verifies (tcp %v, ip %v)", n, f.ChecksumOK, f.IP.ChecksumOK)
		}
		if hdr.Checksum(f.Raw[:20], 0) == 0 {
			t.Fatalf("len=%d: IP checksum verifies", n)
		}
	}
}

func TestMarshalIPOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []byte
		hl   int
	}{
		{"nop", IPOptionNOP(), 24},
		{"eol", IPOptionEOL(), 24},
		{"rr", IPOptionRecordRoute(2), 32},
		{"rr9", IPOptionRecordRoute(9), 60},
	} {
		t.Run("ipopt="+tc.name, func(t *testing.T) {
			f := build(t, Segment{Flags: tcp.FlagSYN, IP: IPFields{Options: tc.opts}})
			if f.IP.HeaderLen != tc.hl || !f.IP.ChecksumOK || !f.ChecksumOK || f.Err != nil {
				t.Fatalf("IP header %+v, err %v", f.IP, f.Err)
			}
			if !bytes.HasPrefix(f.IP.Options, tc.opts) {
				t.Errorf("options % x, want % x first", f.IP.Options, tc.opts)
			}
			if f.TCP.Flags != tcp.FlagSYN {
				t.Errorf("TCP header misplaced: %v", &f.TCP)
			}
		})
	}
}

func TestMarshalErrors(t *testing.T) {
	for name, seg := range map[string]Segment{
		"tcpopts=44": {Options: make([]byte, 44), IP: IPFields{Dst: testDst}},
		"ipopts=44":  {IP: IPFields{Dst: testDst, Options: make([]byte, 44)}},
		"nodst":      {},
		"ipv6":       {IP: IPFields{Dst: netip.MustParseAddr("2001:db8::1")}},
		"huge":       {Payload: make([]byte, 70000), IP: IPFields{Dst: testDst}},
	} {
		if _, err := seg.Marshal(testSrc); !errors.Is(err, ErrBuild) {
			t.Errorf("%s: err %v, want ErrBuild", name, err)
		}
	}
}

func TestOptionHelpers(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want []byte
	}{
		{"mss", MSS(1460), []byte{2, 4, 0x05, 0xb4}},
		{"wscale", WScale(14), []byte{3, 3, 14}},
		{"sackOK", SACKPermitted(), []byte{4, 2}},
		{"sack", SACK(tcp.SACKBlock{Left: 1, Right: 2}), []byte{5, 10, 0, 0, 0, 1, 0, 0, 0, 2}},
		{"ts", Timestamps(1, 2), []byte{8, 10, 0, 0, 0, 1, 0, 0, 0, 2}},
		{"nop", NOP(), []byte{1}},
		{"eol", EOL(), []byte{0}},
		{"raw", RawOption(30, 0xab), []byte{30, 3, 0xab}},
		{"badlen", BadLenOption(2, 0), []byte{2, 0}},
		{"join", Options(NOP(), WScale(1)), []byte{1, 3, 3, 1}},
	} {
		if !bytes.Equal(tc.got, tc.want) {
			t.Errorf("%s: % x, want % x", tc.name, tc.got, tc.want)
		}
	}
}

func TestDecodeShortAndFragments(t *testing.T) {
	f := build(t, Segment{Flags: tcp.FlagSYN, Payload: []byte("abc")})
	frag := bytes.Clone(f.Raw)
	binary.BigEndian.PutUint16(frag[6:], 0x2000) // MF
	if d := decodeFrame(frag, time.Time{}, In); !errors.Is(d.Err, errFragment) {
		t.Errorf("fragment: err %v", d.Err)
	}
	for n := range len(f.Raw) {
		d := decodeFrame(f.Raw[:n], time.Time{}, In) // total length beyond the bytes
		if d.Err == nil {
			t.Errorf("truncated to %d: no error", n)
		}
		_ = d.String()
	}
}
