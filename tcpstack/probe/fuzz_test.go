package probe

import (
	"strings"
	"testing"
	"time"

	"tcpregress.dev/tcpstack/tcp"
)

// FuzzParseLine feeds the line parser arbitrary text: it must return a
// line or an error wrapping ErrLine, never panic, and what it accepts must
// build, marshal and match without panicking. Seeds: testdata/fuzz/FuzzParseLine.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		"S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>",
		". 1:1(0) ack 1 win 257",
		"P. 1:101(100) ack 1",
		"R 1:1(0)",
		"S. * ack * win * <mss *,TS val * ecr *,sack *:* 1:2>",
		"none -1:-1(0) urg 3 <opt 253 len 40 beef,eol>",
	} {
		f.Add(s)
	}
	frame := decodeFrame(mustMarshal(Segment{Flags: tcp.FlagSYN | tcp.FlagACK, Seq: 1, Ack: 2,
		Options: Options(MSS(1460), SACKPermitted(), Timestamps(1, 2), NOP(), WScale(7), SACK(tcp.SACKBlock{Left: 1, Right: 2}))}), time.Time{}, In)
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLine(s)
		if err != nil {
			if l != nil || !strings.HasPrefix(err.Error(), ErrLine.Error()) {
				t.Fatalf("%q: line %v, error %v", s, l, err)
			}
			return
		}
		if l.String() != strings.TrimSpace(s) {
			t.Fatalf("String %q, input %q", l.String(), s)
		}
		if seg, err := l.segment(lineBase{iss: 1, irs: 2, irsKnown: true, ts: true}); err == nil {
			seg.IP.Dst = testDst
			if pkt, err := seg.Marshal(testSrc); err == nil {
				out := decodeFrame(pkt, time.Time{}, Out)
				_ = out.String()
			}
		}
		_ = l.Match(1, 2).Match(&frame)
		_ = l.mismatch(&frame, lineBase{})
	})
}

// FuzzDecodeFrame feeds the frame decoder, the tcpdump printer and the
// option walkers arbitrary packets. Seeds: testdata/fuzz/FuzzDecodeFrame.
func FuzzDecodeFrame(f *testing.F) {
	f.Add(mustMarshal(Segment{Flags: tcp.FlagSYN, Options: Options(MSS(1460), NOP(), BadLenOption(8, 40))}))
	f.Add(mustMarshal(Segment{Flags: tcp.FlagACK, DataOffset: 15, IP: IPFields{Options: IPOptionRecordRoute(2)}}))
	line, _ := ParseLine("S. 0:0(0) ack 1 <mss *,sackOK,TS val * ecr *,nop,wscale *,sack 1:2>")
	f.Fuzz(func(t *testing.T, b []byte) {
		fr := decodeFrame(b, time.Time{}, In)
		_ = fr.String()
		_ = fr.TCPOptions()
		_ = fr.Transport()
		_, _, _ = fr.ICMP.Quoted()
		_ = line.Match(1, 2).Match(&fr)
		_ = HasOption(8).Match(&fr)
		if fr.IsTCP() && len(fr.TCPOptions()) > 40 {
			t.Fatalf("%d bytes of options", len(fr.TCPOptions()))
		}
	})
}

func mustMarshal(seg Segment) []byte {
	if !seg.IP.Dst.IsValid() {
		seg.IP.Dst = testDst
	}
	b, err := seg.Marshal(testSrc)
	if err != nil {
		panic(err)
	}
	return b
}
