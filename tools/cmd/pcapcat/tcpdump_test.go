package main

import (
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"tcpregress.dev/pcap"
)

// These tests hold pcapcat to tcpdump 4.99's output. The intended
// differences (README.md, "Differences from tcpdump") are excluded where a
// comparison would meet them.

// checkNoBug fails when pcapcat reported a panic: a panic on any input is
// a bug, even though the run survives it.
func checkNoBug(t *testing.T, stdout, stderr string) {
	t.Helper()
	if strings.Contains(stdout, "pcapcat bug") || strings.Contains(stderr, "internal error") {
		t.Errorf("pcapcat panicked while decoding:\n%s", firstLines(stderr+stdout, 5))
	}
}

func firstLines(s string, n int) string {
	ls := strings.SplitN(s, "\n", n+1)
	if len(ls) > n {
		ls = ls[:n]
	}
	return strings.Join(ls, "\n")
}

// TestLineCountMatchesTcpdump prints every shared capture and every file of
// the tcpdump corpus: one line per packet, as many as tcpdump --count
// counts; files tcpdump cannot read completely fail with an error naming
// them.
func TestLineCountMatchesTcpdump(t *testing.T) {
	for _, f := range captures(t) {
		t.Run("file="+filepath.Base(f), func(t *testing.T) {
			want, ok := tcpdumpCount(t, f)
			code, out, errOut := runCLI(t, nil, f)
			checkNoBug(t, out, errOut)
			if got := strings.Count(out, "\n"); got != want {
				t.Errorf("%d lines, tcpdump counts %d packets", got, want)
			}
			if ok && code != 0 {
				t.Errorf("exit %d, stderr %q; tcpdump reads the file", code, errOut)
			}
			if !ok {
				if code != 1 {
					t.Errorf("exit %d, want 1: tcpdump cannot read the file completely", code)
				}
				if !strings.Contains(errOut, f) {
					t.Errorf("stderr %q does not name %s", errOut, f)
				}
			}
		})
	}
}

// TestEveryModeReadsEveryCapture runs the modes that decode every layer
// (--json, --layers, -v, -vv, --stats, -XX) over every capture: nothing
// panics, --json gives one object per packet tcpdump counts, and -v and
// -vv one packet text (a time-stamped line and the lines under it).
func TestEveryModeReadsEveryCapture(t *testing.T) {
	for _, f := range captures(t) {
		want, _ := tcpdumpCount(t, f)
		for _, mode := range []string{"--json", "--layers", "-v", "-vv", "--stats", "-XX"} {
			t.Run("file="+filepath.Base(f)+"/mode="+mode, func(t *testing.T) {
				code, out, errOut := runCLI(t, nil, mode, f)
				checkNoBug(t, out, errOut)
				if code != 0 && code != 1 {
					t.Fatalf("exit %d, stderr %q", code, errOut)
				}
				switch mode {
				case "--json":
					if got := strings.Count(out, "\n"); got != want {
						t.Errorf("%d JSON objects, tcpdump counts %d packets", got, want)
					}
				case "-v", "-vv":
					if got := len(splitPackets(out)); got != want {
						t.Errorf("%d packet texts, tcpdump counts %d packets", got, want)
					}
				}
			})
		}
	}
}

// tcpFields are the fields of a TCP line that must agree with tcpdump.
type tcpFields struct {
	ip, src, dst, flags, seq, ack, win, length string
}

var tcpLine = regexp.MustCompile(`^\S+ (IP6?) (?:truncated-ip6? - \d+ bytes missing! ?)?(\S+) > (\S+): Flags \[([^\]]*)\](?:, seq (\d+(?::\d+)?))?(?:, ack (\d+))?, win (\d+)`)
var tcpLength = regexp.MustCompile(`, length (\d+)`)

func parseTCP(line string) (tcpFields, bool) {
	m := tcpLine.FindStringSubmatch(line)
	if m == nil {
		return tcpFields{}, false
	}
	f := tcpFields{ip: m[1], src: m[2], dst: m[3], flags: m[4], seq: m[5], ack: m[6], win: m[7]}
	if l := tcpLength.FindAllStringSubmatch(line, -1); l != nil {
		f.length = l[len(l)-1][1]
	}
	return f, true
}

// TestTCPFieldsMatchTcpdump compares addresses, ports, flags, sequence and
// acknowledgement numbers, window and length of every TCP packet over IPv4
// and IPv6 with tcpdump -nn -S, for the shared captures and the corpus.
func TestTCPFieldsMatchTcpdump(t *testing.T) {
	total := 0
	for _, f := range captures(t) {
		theirs, _, _ := runTcpdump(t, "-#", "-nn", "-S", "-r", f)
		_, ours, _ := runCLI(t, nil, "-#", "-S", f)
		tl, ol := numbered(theirs), numbered(ours)
		for n, line := range tl {
			want, ok := parseTCP(line)
			if !ok {
				continue
			}
			total++
			got, ok := parseTCP(ol[n])
			if !ok || got != want {
				t.Errorf("%s packet %d:\n tcpdump: %s\n pcapcat: %s", f, n, line, ol[n])
			}
		}
	}
	t.Logf("%d TCP packets compared", total)
	if total < 50 {
		t.Errorf("only %d TCP packets compared", total)
	}
}

// TestOutputMatchesTcpdump compares whole outputs byte for byte with
// tcpdump -nn for the shared captures under many flag sets, through a
// filter that lets every packet pass (to test -f too).
func TestOutputMatchesTcpdump(t *testing.T) {
	files := []string{"ethernet.pcap", "linux-sll.pcap", "loopback-null.pcap", "raw-ipv4.pcap",
		"nanosecond.pcap", "ng.pcapng", "snaplen.pcap", "truncated.pcap", "truncated-header.pcap", "empty.pcap"}
	flagSets := [][]string{nil, {"-e"}, {"-S"}, {"-t"}, {"-tt"}, {"-ttt"}, {"-tttt"}, {"-ttttt"}, {"-#"},
		{"-x"}, {"-xx"}, {"-X"}, {"-XX"}, {"--nano"}, {"-e", "-S", "-tttt", "--nano"}, {"-c", "7"}}
	const filter = "not port 9"
	for _, name := range files {
		path := filepath.Join(testdataDir, name)
		for _, flags := range flagSets {
			t.Run("file="+name+"/flags="+strings.Join(flags, " "), func(t *testing.T) {
				args := append(append([]string{"-nn"}, flags...), "-r", path, filter)
				want, _, _ := runTcpdump(t, args...)
				_, got, errOut := runCLI(t, nil, append(append([]string{}, flags...), "-f", filter, path)...)
				checkNoBug(t, got, errOut)
				if got != want {
					t.Errorf("tcpdump %s:\n%s\npcapcat:\n%s", strings.Join(args, " "), want, got)
				}
			})
		}
	}
}

// intended matches tcpdump lines that pcapcat prints differently on
// purpose: application protocols it does not decode and protocols it
// summarises from gopacket (README.md).
var intended = regexp.MustCompile(`Null >|igrp|PGM|EGP|egp|DCCP|dccp|RSVP|dvmrp|pimv1|mobil|IPComp|node information|who-are-you|ipcomp`)

// compareNumbered compares tcpdump -# and pcapcat -# lines (see numbered)
// packet by packet, skipping the intended differences, and returns the
// number of packets compared.
func compareNumbered(t *testing.T, tl, ol map[int]string, max int) int {
	t.Helper()
	n, bad := 0, 0
	for k, want := range tl {
		if intended.MatchString(want) {
			continue
		}
		n++
		if got := ol[k]; got != want {
			bad++
			if bad <= max {
				t.Errorf("packet %d:\n tcpdump: %q\n pcapcat: %q", k, want, got)
			}
		}
	}
	if bad > max {
		t.Errorf("... %d mismatches in all", bad)
	}
	return n
}

// TestDamagedPacketsMatchTcpdump cuts every frame of ethernet.pcap and of
// hand-made frames for many protocol corners at every length, and shortens
// their wire lengths, and compares every line with tcpdump: the damage must
// be marked as tcpdump marks it ([|tcp], truncated-ip, bad hdr length...).
func TestDamagedPacketsMatchTcpdump(t *testing.T) {
	frames := append(captureFrames(t, "ethernet.pcap"), extraFrames()...)
	var cut, short []record
	for _, f := range frames {
		for c := 0; c < len(f); c++ {
			cut = append(cut, record{f[:c], len(f)})
		}
		for w := 14; w < len(f); w++ {
			short = append(short, record{f[:w], w})
		}
		cut = append(cut, record{f, len(f)})
	}
	for _, tc := range []struct {
		name string
		recs []record
	}{{"cut", cut}, {"short", short}} {
		t.Run("damage="+tc.name, func(t *testing.T) {
			path := writeCapture(t, tc.name+".pcap", pcap.LinkTypeEthernet, tc.recs)
			theirs, _, _ := runTcpdump(t, "-#", "-t", "-nn", "-r", path)
			_, ours, errOut := runCLI(t, nil, "-#", "-t", path)
			checkNoBug(t, ours, errOut)
			n := compareNumbered(t, numbered(theirs), numbered(ours), 20)
			t.Logf("%d of %d packets compared", n, len(tc.recs))
		})
	}
}

// TestMutatedPacketsDoNotPanic flips random bytes of the frames (seeded,
// replayable) and checks that every packet still gets exactly one line and
// nothing panics, and that the lines of the protocols pcapcat mirrors still
// match tcpdump's.
func TestMutatedPacketsDoNotPanic(t *testing.T) {
	seed := uint64(20240101)
	rng := rand.New(rand.NewPCG(seed, 1))
	frames := append(captureFrames(t, "ethernet.pcap"), extraFrames()...)
	var recs []record
	for round := 0; round < 12; round++ {
		for _, f := range frames {
			b := append([]byte(nil), f...)
			for k := 1 + rng.IntN(3); k > 0; k-- {
				b[12+rng.IntN(len(b)-12)] = byte(rng.Uint32())
			}
			c := len(b)
			if rng.IntN(3) == 0 {
				c = rng.IntN(len(b) + 1)
			}
			recs = append(recs, record{b[:c], len(b)})
		}
	}
	path := writeCapture(t, "mutated.pcap", pcap.LinkTypeEthernet, recs)
	code, ours, errOut := runCLI(t, nil, "-#", "-t", path)
	checkNoBug(t, ours, errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := strings.Count(ours, "\n"); got != len(recs) {
		t.Errorf("%d lines for %d packets (seed %d)", got, len(recs), seed)
	}
	// The mutations reach protocols tcpdump decodes and pcapcat only
	// summarises (LLC, unknown ethertypes, UDP ports of applications it
	// does not print, such as timed or AppleTalk): those lines are not
	// compared.
	theirs, _, _ := runTcpdump(t, "-#", "-t", "-nn", "-r", path)
	tl, ol := numbered(theirs), numbered(ours)
	for k, l := range tl {
		if strings.Contains(l, "ethertype") || strings.HasPrefix(l, "LLC") ||
			udpFallback.MatchString(ol[k]) && !strings.Contains(l, "UDP, length") {
			delete(tl, k)
		}
	}
	compareNumbered(t, tl, ol, 10)
}

// udpFallback matches pcapcat's line for a datagram whose application it
// does not print.
var udpFallback = regexp.MustCompile(`: UDP, length \d+$`)

// TestSLL2MatchesTcpdump rewrites linux-sll.pcap's frames as Linux cooked
// v2 frames and compares with tcpdump, which names the interface as this
// host knows its index.
func TestSLL2MatchesTcpdump(t *testing.T) {
	var recs []record
	for _, f := range captureFrames(t, "linux-sll.pcap") {
		// SLL: type(2) hatype(2) halen(2) addr(8) proto(2). SLL2: proto(2)
		// reserved(2) ifindex(4) hatype(2) type(1) halen(1) addr(8).
		v2 := cat(f[14:16], []byte{0, 0}, u32(1), f[2:4], []byte{f[1], f[5]}, f[6:14], f[16:])
		recs = append(recs, record{v2, len(v2)})
	}
	path := writeCapture(t, "sll2.pcap", pcap.LinkTypeLinuxSLL2, recs)
	for _, flags := range [][]string{nil, {"-e"}, {"-xx"}} {
		want, _, _ := runTcpdump(t, append(append([]string{"-nn"}, flags...), "-r", path)...)
		_, got, _ := runCLI(t, nil, append(flags, path)...)
		if got != want {
			t.Errorf("flags %q:\ntcpdump:\n%s\npcapcat:\n%s", flags, want, got)
		}
	}
}

// hexDump matches the lines of a hex dump tcpdump prints under a packet.
var hexDump = regexp.MustCompile(`(?m)^\t0x[0-9a-f]{4}: .*\n`)

// TestLinkTypesMatchTcpdump prints PPP in HDLC-like framing (link type
// PPP_SERIAL), Cisco HDLC (C_HDLC), ARCNET (BSD's and Linux's header) and
// Juniper Ethernet (JUNIPER_ETHER) frames — IP, LCP, ARP, frames that still hold their control escapes,
// SLARP, fragments, unknown addresses and protocols — whole, cut at every
// length and with -e and -x, and compares them with tcpdump.
func TestLinkTypesMatchTcpdump(t *testing.T) {
	inner := ipv4(1, []byte{8, 0, 0, 0, 0, 1, 0, 2}, nil)
	slarp := func(code uint32, rest []byte) []byte { return cat([]byte{0x8f, 0}, u16(0x8035), u32(code), rest) }
	for _, lt := range []struct {
		name   string
		lt     pcap.LinkType
		dumped int // the frame whose bytes tcpdump dumps, -x or not
		frames [][]byte
	}{
		{"ppp-serial", pcap.LinkType(50), 3, [][]byte{
			cat([]byte{0xff, 3}, u16(0x0021), inner), cat([]byte{0xff, 3}, u16(0xc021), []byte{9, 3}, u16(8), u32(1)),
			cat([]byte{0xff, 3}, u16(0x0057), ipv6(17, udpDgram(1, 2, nil))), cat([]byte{0xff, 3}, u16(0x4321), []byte{1, 2}),
			cat([]byte{0xff, 3}, []byte{0x7e, 0x7d, 0x01, 0x21, 0x7d, 0x21, 1, 0, 0x7d, 0x20, 0x10, 2, 3, 4}),
			cat([]byte{0xff, 3}, []byte{0x7e, 0xff, 0x03, 0x7e, 0x99}), cat([]byte{0xff, 3}, []byte{0x7e, 0x21}, inner),
			cat([]byte{0x0f, 0}, u16(0x0800), inner), cat([]byte{0x42, 0x43}, u16(0x0800), inner), {0xff, 3, 0x80},
		}},
		{"c-hdlc", pcap.LinkType(104), 6, [][]byte{
			cat([]byte{0x0f, 0}, u16(0x0800), inner), cat([]byte{0x8f, 0}, u16(0x86dd), ipv6(17, udpDgram(1, 2, nil))),
			slarp(0, make([]byte, 14)), slarp(1, cat(hostA, []byte{255, 255, 255, 0}, make([]byte, 6))),
			slarp(2, cat(u32(13), u32(0x57405e26), u16(0x4ff), u32(4280000123))), slarp(2, cat(u32(1), u32(2), u16(3))),
			slarp(7, make([]byte, 10)), cat([]byte{0x0f, 0}, u16(0x8847), u32(0x000001ff), inner),
			cat([]byte{0x0f, 0}, u16(0x1234), []byte{1, 2}), cat([]byte{0x33, 0}, u16(0x0800), inner),
		}},
		{"arcnet", pcap.LinkType(7), 5, [][]byte{
			cat([]byte{1, 2, 212, 0}, u16(7), inner), cat([]byte{1, 2, 240}, inner),
			cat([]byte{1, 2, 213, 0}, u16(8), []byte{0, 7, 8, 0, 1, 4, 0, 1, 1}, hostA, []byte{0}, hostB),
			cat([]byte{1, 2, 212, 3}, u16(9), inner), cat([]byte{1, 2, 212, 2}, u16(9), inner),
			cat([]byte{1, 2, 0x80}, []byte{1, 2, 3}), cat([]byte{1, 2, 0xc4, 0xff, 0xc4, 1}, u16(10), ipv6(17, udpDgram(1, 2, nil))),
			{1, 2, 212, 0, 0}, {1, 2, 212, 0xff, 0, 0, 0},
		}},
		{"arcnet-linux", pcap.LinkType(129), 3, [][]byte{
			cat([]byte{1, 2, 0, 0, 212, 0}, u16(7), inner), cat([]byte{1, 2, 0, 0, 240}, inner),
			cat([]byte{1, 2, 0, 0, 241}, []byte{0, 7, 8, 0, 1, 4, 0, 2, 1}, hostA, []byte{9}, hostB),
			cat([]byte{1, 2, 0, 0, 0x80}, []byte{1, 2, 3}), cat([]byte{3, 4, 0, 0, 0xc4, 0}, u16(1), ipv6(17, udpDgram(1, 2, nil))),
		}},
		{"juniper-ether", pcap.LinkType(178), -1, [][]byte{
			cat([]byte("MGC\x01"), ether(0x0800, inner)), cat([]byte("MGC\x80"), u16(7), []byte{1, 2, 0, 5, 4, 1, 9}, ether(0x86dd, ipv6(17, udpDgram(1, 2, nil)))),
			cat([]byte("MGC\x03"), u32(0), inner), cat([]byte("MGC\x02"), u32(0), []byte{0x99, 1}), cat([]byte("XYZ\x01"), ether(0x0800, inner)),
			cat([]byte("MGC\x80"), u16(4), []byte{1, 9, 0, 0}, ether(0x0800, inner)),
		}},
	} {
		var whole, cut, hex []record
		for i, f := range lt.frames {
			whole = append(whole, record{f, len(f)})
			if i != lt.dumped {
				hex = append(hex, record{f, len(f)})
			}
			for c := 0; c < len(f); c++ {
				cut = append(cut, record{f[:c], len(f)})
			}
		}
		for _, c := range []struct {
			name  string
			recs  []record
			flags [][]string
		}{{"whole", whole, [][]string{nil, {"-e"}}}, {"hex", hex, [][]string{{"-x"}}}, {"cut", cut, [][]string{nil, {"-e"}}}} {
			path := writeCapture(t, lt.name+"-"+c.name+".pcap", lt.lt, c.recs)
			for _, flags := range c.flags {
				t.Run(lt.name+"/"+c.name+"/"+strings.Join(flags, " "), func(t *testing.T) {
					want, _, _ := runTcpdump(t, append(append([]string{"-nn"}, flags...), "-r", path)...)
					if len(flags) == 0 || flags[0] != "-x" {
						want = hexDump.ReplaceAllString(want, "") // printed without -x: left out
					}
					_, got, errOut := runCLI(t, nil, append(flags, path)...)
					checkNoBug(t, got, errOut)
					if got != want {
						t.Errorf("tcpdump:\n%s\npcapcat:\n%s", want, got)
					}
				})
			}
		}
	}
}
