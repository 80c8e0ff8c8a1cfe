package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/pcap"
	"tcpregress.dev/pcap/hexdump"
	"tcpregress.dev/tools/cli/clitest"
)

var ethernetPcap = filepath.Join(testdataDir, "ethernet.pcap")

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLimit(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "-c", "3", ethernetPcap)
	if code != 0 || strings.Count(out, "\n") != 3 {
		t.Fatalf("-c 3: exit %d, %d lines, stderr %q", code, strings.Count(out, "\n"), errOut)
	}
	// -c counts the packets that pass the filter, across files.
	_, out, _ = runCLI(t, nil, "-c", "3", "-f", "tcp", ethernetPcap)
	want := []string{"Flags [S], seq 761928449", "Flags [S.], seq 2654932039", "Flags [.], ack 1,"}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("-c 3 -f tcp: %d lines:\n%s", len(lines), out)
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d %q lacks %q", i+1, lines[i], w)
		}
	}
	_, out, _ = runCLI(t, nil, "-c", "40", ethernetPcap, ethernetPcap)
	if n := strings.Count(out, "\n"); n != 40 {
		t.Errorf("-c 40 over two copies of a 33-packet file: %d lines", n)
	}
}

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--count", ethernetPcap}, "33 packets\n"},
		{[]string{"--count", "-f", "icmp", ethernetPcap}, "3 packets\n"},
		{[]string{"--count", "-f", "tcp", ethernetPcap}, "16 packets\n"},
		{[]string{"--count", "-f", "udp", ethernetPcap}, "7 packets\n"},
		{[]string{"--count", "-f", "vlan", ethernetPcap}, "1 packet\n"},
		{[]string{"--count", "-f", "port 9", ethernetPcap}, "0 packets\n"},
		{[]string{"--count", ethernetPcap, filepath.Join(testdataDir, "raw-ipv4.pcap")}, "39 packets\n"},
	} {
		code, out, errOut := runCLI(t, nil, tc.args...)
		if code != 0 || out != tc.want {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %q", tc.args, code, out, errOut, tc.want)
		}
	}
	// A truncated file: the complete packets count, and the error follows.
	code, out, errOut := runCLI(t, nil, "--count", filepath.Join(testdataDir, "truncated.pcap"))
	if code != 1 || out != "5 packets\n" || !strings.Contains(errOut, "truncated.pcap") {
		t.Errorf("--count truncated.pcap: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestBadFilter(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "-f", "tcp port", ethernetPcap)
	if code != 2 || out != "" || !strings.Contains(errOut, "tcp port") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 naming the expression", code, out, errOut)
	}
}

// readPackets reads a capture back.
func readPackets(t *testing.T, r io.Reader, path string) (pcap.LinkType, []gopacket.CaptureInfo, [][]byte) {
	t.Helper()
	var (
		h   *pcap.Handle
		err error
	)
	if r != nil {
		h, err = pcap.OpenOfflineReader(r)
	} else {
		h, err = pcap.OpenOffline(path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var cis []gopacket.CaptureInfo
	var datas [][]byte
	for {
		data, ci, err := h.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return h.LinkType(), cis, datas
		}
		if err != nil {
			t.Fatal(err)
		}
		ci.Timestamp = ci.Timestamp.Truncate(time.Microsecond)
		ci.AncillaryData, ci.InterfaceIndex = nil, 0
		cis = append(cis, ci)
		datas = append(datas, data)
	}
}

func samePackets(t *testing.T, what string, lt1, lt2 pcap.LinkType, c1, c2 []gopacket.CaptureInfo, d1, d2 [][]byte) {
	t.Helper()
	if lt1 != lt2 || len(c1) != len(c2) {
		t.Fatalf("%s: link types %s/%s, %d/%d packets", what, lt1, lt2, len(c1), len(c2))
	}
	for i := range c1 {
		if !c1[i].Timestamp.Equal(c2[i].Timestamp) || c1[i].CaptureLength != c2[i].CaptureLength ||
			c1[i].Length != c2[i].Length || !bytes.Equal(d1[i], d2[i]) {
			t.Errorf("%s: packet %d differs: %+v / %+v", what, i+1, c1[i], c2[i])
		}
	}
}

// TestWrite writes the packets that pass a filter with -w and reads them
// back: the same packets as tcpdump -r in -w out filter writes.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ file, filter string }{
		{"ethernet.pcap", "tcp or icmp6"}, {"nanosecond.pcap", "tcp"}, {"linux-sll.pcap", ""}, {"ng.pcapng", "icmp"},
	} {
		in := filepath.Join(testdataDir, tc.file)
		ours := filepath.Join(dir, "ours-"+tc.file+".pcap")
		args := []string{"-w", ours, in}
		if tc.filter != "" {
			args = append([]string{"-f", tc.filter}, args...)
		}
		code, out, errOut := runCLI(t, nil, args...)
		if code != 0 || out != "" {
			t.Fatalf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
		theirs := filepath.Join(dir, "theirs-"+tc.file+".pcap")
		targs := []string{"-r", in, "-w", theirs}
		if tc.filter != "" {
			targs = append(targs, tc.filter)
		}
		if _, stderr, code := runTcpdump(t, targs...); code != 0 {
			t.Fatalf("tcpdump %q: %s", targs, stderr)
		}
		lt1, c1, d1 := readPackets(t, nil, ours)
		lt2, c2, d2 := readPackets(t, nil, theirs)
		samePackets(t, tc.file, lt1, lt2, c1, c2, d1, d2)
		if len(c1) == 0 {
			t.Errorf("%s: nothing written", tc.file)
		}
	}

	// -w - writes the capture to standard output.
	code, out, errOut := runCLI(t, nil, "-w", "-", "-f", "arp", ethernetPcap)
	if code != 0 {
		t.Fatalf("-w -: exit %d, stderr %q", code, errOut)
	}
	lt, cis, _ := readPackets(t, strings.NewReader(out), "")
	if lt != pcap.LinkTypeEthernet || len(cis) != 2 {
		t.Errorf("-w - -f arp: %s, %d packets", lt, len(cis))
	}

	// Files of different link types cannot share a pcap file.
	code, _, errOut = runCLI(t, nil, "-w", filepath.Join(dir, "mixed.pcap"), ethernetPcap, filepath.Join(testdataDir, "raw-ipv4.pcap"))
	if code != 1 || !strings.Contains(errOut, "link type") {
		t.Errorf("mixed link types: exit %d, stderr %q", code, errOut)
	}
	// -w never overwrites an input.
	if code, _, _ := runCLI(t, nil, "-w", ethernetPcap, ethernetPcap); code != 2 {
		t.Errorf("-w onto the input: exit %d, want 2", code)
	}
}

// TestStats checks --stats on ethernet.pcap number by number.
func TestStats(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "--stats", ethernetPcap)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"Files:             " + ethernetPcap + "\n",
		"Packets:           33\n",
		"Bytes:             3112 on the wire, 3112 captured\n",
		"First packet:      2024-01-01 12:00:00.000000000 UTC\n",
		"Last packet:       2024-01-01 12:00:00.145343000 UTC\n",
		"Time span:         0.145343 s\n",
		"Average rate:      227.05 packets/s, 171291 bits/s (21411 bytes/s)\n",
		"Average size:      94.30 bytes\n",
		"Link types:        EN10MB (Ethernet): 33\n",
		"\n" + fmt.Sprintf("  %-30s %8d\n", "Ethernet", 33),
		"\n" + fmt.Sprintf("  %-30s %8d\n", "IPv4", 20),
		"\n" + fmt.Sprintf("  %-30s %8d\n", "TCP", 16),
		"\n" + fmt.Sprintf("  %-30s %8d\n", "IPv6", 11),
		"\n" + fmt.Sprintf("  %-30s %8d\n", "ARP", 2),
		"\n" + fmt.Sprintf("  %-30s %8d\n", "Dot1Q", 1),
		"TCP conversations: 3\n",
		"     1  198.18.0.1:40000     198.18.0.2:80            6        478         3        276         9        754      0.000330    0.004531\n",
		"     2  198.18.0.1:40002     198.18.0.2:81            1         74         1         60         2        134      0.015111    0.000118\n",
		"     3  [2001:db8::1]:40006  [2001:db8::2]:80         3        340         2        180         5        520      0.134321    0.000622\n",
		"UDP conversations: 4\n",
		"     1  198.18.0.1:53000     198.18.0.2:53            1         71         1         98         2        169      0.035346    0.000402\n",
		"     2  198.18.0.1:40001     198.18.0.2:4242          1         60         0          0         1         60      0.040760    0.000000\n",
		"     3  198.18.0.1:40010     198.18.0.2:4243          1        194         0          0         1        194      0.089899    0.000000\n",
		"     4  [2001:db8::1]:53001  [2001:db8::2]:53         1         91         1        130         2        221      0.144966    0.000377\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--stats lacks %q; output:\n%s", want, out)
		}
	}
}

// followCapture builds, with gopacket's layers, a TCP conversation with
// everything --follow must undo: a retransmission, a segment overlapping
// the one before, and two segments in the wrong order. It returns the
// capture and the bytes each side sent.
func followCapture(t *testing.T) (string, string, string) {
	t.Helper()
	const (
		cISN = 1000
		sISN = 5000
	)
	client := "hello, world\n"
	server := "HTTP/1.0 200 OK\r\n\r\nbye\n"
	seg := func(fromClient bool, seq, ack uint32, flags string, payload string) record {
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr(macs[6:]), DstMAC: net.HardwareAddr(macs[:6]), EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: hostA, DstIP: hostB, Flags: layers.IPv4DontFragment}
		tcp := &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: seq, Ack: ack, Window: 502,
			SYN: strings.Contains(flags, "S"), ACK: strings.Contains(flags, "."), PSH: strings.Contains(flags, "P"), FIN: strings.Contains(flags, "F")}
		if !fromClient {
			eth.SrcMAC, eth.DstMAC = eth.DstMAC, eth.SrcMAC
			ip.SrcIP, ip.DstIP = hostB, hostA
			tcp.SrcPort, tcp.DstPort = 80, 40000
		}
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		buf := gopacket.NewSerializeBuffer()
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		if err := gopacket.SerializeLayers(buf, opts, eth, ip, tcp, gopacket.Payload(payload)); err != nil {
			t.Fatal(err)
		}
		f := append([]byte(nil), buf.Bytes()...)
		return record{f, len(f)}
	}
	other := seg(true, 1, 0, "S", "")
	copy(other.data[34:38], []byte{0x04, 0xd2, 0, 22}) // another conversation: ports 1234 > 22
	recs := []record{
		other, // so that the one to follow is number 2
		seg(true, cISN, 0, "S", ""),
		seg(false, sISN, cISN+1, "S.", ""),
		seg(true, cISN+1, sISN+1, ".", ""),
		seg(true, cISN+1, sISN+1, "P.", client[:7]),       // "hello, "
		seg(true, cISN+1, sISN+1, "P.", client[:7]),       // retransmitted
		seg(true, cISN+1+4, sISN+1, "P.", client[4:]),     // "o, world\n": overlaps "o, "
		seg(false, sISN+1+17, cISN+14, "P.", server[17:]), // "\r\nbye\n": before its predecessor
		seg(false, sISN+1, cISN+14, "P.", server[:17]),    // "HTTP/1.0 200 OK\r\n"
		seg(false, sISN+1, cISN+14, "P.", server[:5]),     // a stale retransmission
		seg(true, cISN+14, sISN+1+uint32(len(server)), "F.", ""),
	}
	return writeCapture(t, "follow.pcap", pcap.LinkTypeEthernet, recs), client, server
}

func TestFollow(t *testing.T) {
	path, client, server := followCapture(t)
	code, out, errOut := runCLI(t, nil, "--follow", "2", "--follow-format=raw", path)
	if code != 0 || out != client+server {
		t.Errorf("raw: exit %d, stderr %q, output %q, want %q", code, errOut, out, client+server)
	}
	code, out, errOut = runCLI(t, nil, "--follow", "2", path)
	want := `===================================================================
Follow: tcp,ascii
Conversation: 2
Node 0: 198.18.0.1:40000
Node 1: 198.18.0.2:80
13
hello, world

` + "\t23\n" + `HTTP/1.0 200 OK.
.
bye

===================================================================
`
	if code != 0 || out != want {
		t.Errorf("ascii: exit %d, stderr %q, output\n%s\nwant\n%s", code, errOut, out, want)
	}
	code, out, _ = runCLI(t, nil, "--follow", "2", "--follow-format=hex", path)
	if code != 0 || !strings.Contains(out, hexdump.Format([]byte(client), hexdump.Pane)) ||
		!strings.Contains(out, "\t0000  48 54 54 50") {
		t.Errorf("hex: exit %d, output\n%s", code, out)
	}
	// A conversation that does not exist is an error.
	code, _, errOut = runCLI(t, nil, "--follow", "3", path)
	if code != 1 || !strings.Contains(errOut, "2 TCP conversation") {
		t.Errorf("--follow 3: exit %d, stderr %q", code, errOut)
	}
	// The follow sees the packets that pass the filter, numbered as --stats
	// numbers them.
	_, stats, _ := runCLI(t, nil, "--stats", path)
	if !regexp.MustCompile(`\n +2  198\.18\.0\.1:40000 +198\.18\.0\.2:80 +6 `).MatchString(stats) {
		t.Errorf("--stats does not number the conversation 2:\n%s", stats)
	}
	code, out, _ = runCLI(t, nil, "--follow", "1", "--follow-format=raw", "-f", "port 80", path)
	if code != 0 || out != client+server {
		t.Errorf("--follow 1 -f 'port 80': exit %d, output %q", code, out)
	}
}

func TestTruncatedFile(t *testing.T) {
	for _, name := range []string{"truncated.pcap", "truncated-header.pcap"} {
		path := filepath.Join(testdataDir, name)
		code, out, errOut := runCLI(t, nil, path)
		_, full, _ := runCLI(t, nil, "-c", "5", filepath.Join(testdataDir, "truncated.pcap"))
		if code != 1 || strings.Count(out, "\n") != 5 || out != full {
			t.Errorf("%s: exit %d, %d lines; want the 5 complete packets and exit 1", name, code, strings.Count(out, "\n"))
		}
		if !strings.Contains(errOut, path) || !strings.Contains(errOut, "truncated") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%s: stderr %q: want one line naming the file and the truncation", name, errOut)
		}
	}
}

func TestUnreadableFiles(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(testdataDir, "garbage.pcap"), "unknown file format"},
		{filepath.Join(testdataDir, "zero.pcap"), "truncated"},
		{filepath.Join(dir, "missing.pcap"), "no such file"},
		{dir, "directory"},
	} {
		code, out, errOut := runCLI(t, nil, tc.path)
		if code != 1 || out != "" || !strings.Contains(errOut, tc.path) || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 naming the file and %q", tc.path, code, out, errOut, tc.want)
		}
	}
	// Like cat: report, go on, exit 1 at the end.
	raw := filepath.Join(testdataDir, "raw-ipv4.pcap")
	garbage := filepath.Join(testdataDir, "garbage.pcap")
	code, out, errOut := runCLI(t, nil, garbage, raw, filepath.Join(dir, "missing.pcap"))
	if code != 1 || strings.Count(out, "\n") != 6 {
		t.Errorf("garbage, raw-ipv4, missing: exit %d, %d lines", code, strings.Count(out, "\n"))
	}
	lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], garbage) || !strings.Contains(lines[1], "missing.pcap") ||
		!strings.Contains(lines[2], "2 of 3 inputs") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

func TestStdin(t *testing.T) {
	data := mustRead(t, ethernetPcap)
	_, want, _ := runCLI(t, nil, ethernetPcap)
	for _, args := range [][]string{{"-"}, nil, {"-", "-c", "5"}} {
		code, out, errOut := runCLI(t, data, args...)
		w := want
		if len(args) == 3 {
			w = strings.Join(strings.SplitAfter(want, "\n")[:5], "")
		}
		if code != 0 || out != w {
			t.Errorf("%q: exit %d, stderr %q, output differs from reading the file", args, code, errOut)
		}
	}
	code, out, errOut := runCLI(t, mustRead(t, filepath.Join(testdataDir, "truncated.pcap")), "-")
	if code != 1 || strings.Count(out, "\n") != 5 || !strings.Contains(errOut, "standard input") {
		t.Errorf("truncated stdin: exit %d, %d lines, stderr %q", code, strings.Count(out, "\n"), errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--bogus", ethernetPcap},
		{"-c", "-1", ethernetPcap},
		{"-c", "x", ethernetPcap},
		{"--hex=nope", ethernetPcap},
		{"-x", "-X", ethernetPcap},
		{"-xxx", ethernetPcap},
		{"-tttttt", ethernetPcap},
		{"--json", "-v", ethernetPcap},
		{"--json", "--layers", ethernetPcap},
		{"-vvvv", ethernetPcap},
		{"--count", "-x", ethernetPcap},
		{"--follow", "1", "--stats", ethernetPcap},
		{"--follow-format=pdf", "--follow", "1", ethernetPcap},
		{"--log-level=loud", ethernetPcap},
	} {
		code, out, errOut := runCLI(t, nil, args...)
		if code != 2 || out != "" || errOut == "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and a message", args, code, out, errOut)
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := runCLI(t, nil, "-V")
	if code != 0 || !strings.HasPrefix(out, "pcapcat ") {
		t.Errorf("-V: exit %d, %q", code, out)
	}
	code, out, _ = runCLI(t, nil, "--help")
	for _, want := range []string{"Usage: pcapcat", "Examples:", "--follow", "--stats", "--log-format", "Exit status"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("--help: exit %d, lacks %q", code, want)
		}
	}
}

// TestClosedPipe: when the reader of stdout goes away (pcapcat big.pcap |
// head), pcapcat ends quietly with 0.
func TestClosedPipe(t *testing.T) {
	w := clitest.ClosedPipe(t)
	var args []string
	for i := 0; i < 200; i++ { // more than the output buffer and the pipe hold
		args = append(args, ethernetPcap)
	}
	var stderr bytes.Buffer
	code := run(args, strings.NewReader(""), w, &stderr)
	if code != 0 || stderr.Len() != 0 {
		t.Errorf("closed pipe: exit %d, stderr %q", code, stderr.String())
	}
	// The same through a writer that fails with EPIPE part way.
	code = run(args, strings.NewReader(""), &failWriter{n: 100000, err: syscall.EPIPE, w: io.Discard}, &stderr)
	if code != 0 || stderr.Len() != 0 {
		t.Errorf("EPIPE: exit %d, stderr %q", code, stderr.String())
	}
	// Other write errors are failures.
	code = run(args, strings.NewReader(""), &failWriter{n: 100000, err: syscall.ENOSPC, w: io.Discard}, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "no space") {
		t.Errorf("ENOSPC: exit %d, stderr %q", code, stderr.String())
	}
}

// TestJSON checks that every line is a JSON object with the documented
// keys, in order, and the packet's values.
func TestJSON(t *testing.T) {
	for _, name := range []string{"ethernet.pcap", "linux-sll.pcap", "loopback-null.pcap", "nanosecond.pcap", "ng.pcapng", "snaplen.pcap"} {
		path := filepath.Join(testdataDir, name)
		code, out, errOut := runCLI(t, nil, "--json", path)
		if code != 0 {
			t.Fatalf("%s: exit %d, %s", name, code, errOut)
		}
		_, lines, _ := runCLI(t, nil, path)
		summaries := strings.Split(strings.TrimSuffix(lines, "\n"), "\n")
		_, cis, _ := readPackets(t, nil, path)
		objs := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(objs) != len(cis) {
			t.Fatalf("%s: %d objects for %d packets", name, len(objs), len(cis))
		}
		for i, line := range objs {
			var keys []string
			dec := json.NewDecoder(strings.NewReader(line))
			tok, err := dec.Token()
			for err == nil && dec.More() {
				tok, err = dec.Token()
				if err != nil {
					break
				}
				keys = append(keys, tok.(string))
				var skip json.RawMessage
				err = dec.Decode(&skip)
			}
			if err != nil {
				t.Fatalf("%s line %d: %v: %s", name, i+1, err, line)
			}
			if got := strings.Join(keys, ","); got != "number,file,timestamp,caplen,len,linktype,summary,layers" {
				t.Errorf("%s line %d: keys %s", name, i+1, got)
			}
			var p struct {
				Number    int
				File      string
				Timestamp string
				Caplen    int
				Len       int
				Linktype  string
				Summary   string
				Layers    []map[string]any
			}
			if err := json.Unmarshal([]byte(line), &p); err != nil {
				t.Fatal(err)
			}
			ts, err := time.Parse(time.RFC3339Nano, p.Timestamp)
			if err != nil || !ts.Equal(cis[i].Timestamp) && !ts.Truncate(time.Microsecond).Equal(cis[i].Timestamp) {
				t.Errorf("%s line %d: timestamp %q, want %v (%v)", name, i+1, p.Timestamp, cis[i].Timestamp, err)
			}
			if p.Number != i+1 || p.File != path || p.Caplen != cis[i].CaptureLength || p.Len != cis[i].Length || p.Linktype == "" {
				t.Errorf("%s line %d: %+v", name, i+1, p)
			}
			if want := summaries[i][strings.IndexByte(summaries[i], ' ')+1:]; p.Summary != want {
				t.Errorf("%s line %d: summary %q, want %q", name, i+1, p.Summary, want)
			}
			if len(p.Layers) == 0 {
				t.Errorf("%s line %d: no layers", name, i+1)
			}
			for _, l := range p.Layers {
				_, hasFields := l["fields"]
				_, hasData := l["data"]
				if l["layer"] == nil || hasFields == hasData {
					t.Errorf("%s line %d: layer %v", name, i+1, l)
				}
			}
		}
	}
}

func TestLayers(t *testing.T) {
	code, out, _ := runCLI(t, nil, "--layers", ethernetPcap)
	if code != 0 {
		t.Fatal(code)
	}
	heads, layerLines := 0, 0
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if strings.HasPrefix(l, "    ") {
			layerLines++
		} else {
			heads++
		}
	}
	if heads != 33 || layerLines < 3*33 {
		t.Errorf("--layers: %d packet lines, %d layer lines", heads, layerLines)
	}
	for _, want := range []string{
		"    Ethernet SrcMAC=02:00:00:00:00:01 DstMAC=ff:ff:ff:ff:ff:ff EthernetType=ARP",
		"SourceProtAddress=198.18.0.1",
		"    IPv4 Version=4 IHL=5 TOS=0 Length=60 Id=7239 Flags=DF",
		"    TCP SrcPort=40000 DstPort=80 Seq=761928449",
		"    Dot1Q Priority=0 DropEligible=false VLANIdentifier=100 Type=IPv4",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--layers lacks %q", want)
		}
	}
}

func TestHexStyles(t *testing.T) {
	frames := captureFrames(t, "ethernet.pcap")
	for _, s := range hexdump.Styles() {
		code, out, _ := runCLI(t, nil, "--hex="+s.String(), "-c", "3", ethernetPcap)
		if code != 0 {
			t.Fatalf("--hex=%s: exit %d", s, code)
		}
		for i := 0; i < 3; i++ {
			if !strings.Contains(out, hexdump.Format(frames[i], s)) {
				t.Errorf("--hex=%s: packet %d's dump missing", s, i+1)
			}
		}
	}
}

func TestNano(t *testing.T) {
	path := filepath.Join(testdataDir, "nanosecond.pcap")
	_, out, _ := runCLI(t, nil, "--nano", "-c", "1", path)
	if !strings.HasPrefix(out, "12:00:00.123456789 ") {
		t.Errorf("--nano: %q", out)
	}
	_, out, _ = runCLI(t, nil, "-c", "1", path)
	if !strings.HasPrefix(out, "12:00:00.123456 ") {
		t.Errorf("default: %q", out)
	}
}

// TestHugeSnaplen reads captures whose headers claim 4 GiB: a snapshot
// length of 0xffffffff in the file header (libpcap holds it to its maximum,
// so nothing of that size is allocated) and a record whose captured length
// is 0xffffffff (an error naming the length and the file, after the
// packets before it). From a file and from standard input.
func TestHugeSnaplen(t *testing.T) {
	frame := bytes.Repeat([]byte{0xff}, 6)
	frame = append(frame, 2, 0, 0, 0, 0, 1, 0x08, 0x06) // ARP
	frame = append(frame, make([]byte, 46)...)
	le := func(vs ...uint32) []byte {
		var b []byte
		for _, v := range vs {
			b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
		}
		return b
	}
	header := append(le(0xa1b2c3d4), 2, 0, 4, 0) // magic, version 2.4
	header = append(header, le(0, 0, 0xffffffff, 1)...)
	record := append(le(1, 0, uint32(len(frame)), uint32(len(frame))), frame...)
	huge := append(le(2, 0, 0xffffffff, 0xffffffff), frame...)
	// pcapng: a section header, an interface whose snaplen is
	// 0xffffffff, enhanced packet blocks.
	block := func(typ uint32, body []byte) []byte {
		body = append(body, make([]byte, (4-len(body)%4)%4)...)
		n := uint32(12 + len(body))
		return append(append(le(typ, n), body...), le(n)...)
	}
	shb := block(0x0a0d0d0a, append(le(0x1a2b3c4d), 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
	idb := block(1, append([]byte{1, 0, 0, 0}, le(0xffffffff)...))
	epb := block(6, append(le(0, 0, 1000000, uint32(len(frame)), uint32(len(frame))), frame...))
	hugeEPB := block(6, append(le(0, 0, 2000000, 0xffffffff, 0xffffffff), frame...))
	dir := t.TempDir()
	for _, f := range []struct {
		snap, caplen []byte
		ext          string
	}{
		{append(append([]byte(nil), header...), record...), append(append(append([]byte(nil), header...), record...), huge...), "pcap"},
		{append(append(append([]byte(nil), shb...), idb...), epb...), append(append(append(append([]byte(nil), shb...), idb...), epb...), hugeEPB...), "pcapng"},
	} {
		snap := filepath.Join(dir, "snaplen-4g."+f.ext)
		os.WriteFile(snap, f.snap, 0o644)
		caplen := filepath.Join(dir, "caplen-4g."+f.ext)
		os.WriteFile(caplen, f.caplen, 0o644)
		readHuge(t, snap, caplen)
	}
}

// readHuge reads snap, a capture whose snapshot length is 4 GiB, and
// caplen, which adds a record of 4 GiB, from the files and from standard
// input.
func readHuge(t *testing.T, snap, caplen string) {
	t.Helper()
	for _, stdin := range []bool{false, true} {
		args, in := []string{snap}, []byte(nil)
		if stdin {
			args, in = []string{"-"}, mustRead(t, snap)
		}
		code, out, errOut := runCLI(t, in, args...)
		if code != 0 || strings.Count(out, "\n") != 1 || errOut != "" {
			t.Errorf("%v (stdin %v): exit %d, stdout %q, stderr %q; want the packet", args, stdin, code, out, errOut)
		}
		args, in = []string{caplen}, nil
		if stdin {
			args, in = []string{"-"}, mustRead(t, caplen)
		}
		code, out, errOut = runCLI(t, in, args...)
		if code != 1 || strings.Count(out, "\n") != 1 || !strings.Contains(errOut, "4294967295") || !strings.Contains(errOut, args[0]) && !stdin {
			t.Errorf("%v (stdin %v): exit %d, stdout %q, stderr %q; want the first packet, then exit 1 naming the length", args, stdin, code, out, errOut)
		}
	}
	h, err := pcap.OpenOffline(snap)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if n := h.SnapLen(); n <= 0 || n > 1<<20 {
		t.Errorf("SnapLen of a file claiming 0xffffffff: %d, want it held to libpcap's maximum", n)
	}
}
