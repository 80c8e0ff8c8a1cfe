package main

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"

	"tcpregress.dev/pcap"
)

func inetSum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

func ipv4Packet(src, dst [4]byte, proto byte, payload []byte) []byte {
	h := make([]byte, 20, 20+len(payload))
	h[0], h[8], h[9] = 0x45, 64, proto
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)))
	copy(h[12:], src[:])
	copy(h[16:], dst[:])
	binary.BigEndian.PutUint16(h[10:], inetSum(h))
	return append(h, payload...)
}

// TestICMPCodesMatchTcpdump prints every destination-unreachable code
// (0-15) and every redirect code (0-4) and compares the lines with
// tcpdump's.
func TestICMPCodesMatchTcpdump(t *testing.T) {
	quoted := ipv4Packet([4]byte{198, 18, 0, 1}, [4]byte{198, 18, 0, 9}, 6, []byte{0x9c, 0x40, 0, 80, 0, 0, 0, 1})[:28]
	dead, err := pcap.OpenDead(pcap.LinkTypeEthernet, 65535)
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	path := filepath.Join(t.TempDir(), "icmp.pcap")
	d, err := pcap.OpenDump(dead, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ typ, codes byte }{{3, 16}, {5, 5}} {
		for code := byte(0); code < tc.codes; code++ {
			rest := []byte{0, 0, 0, 0}
			if tc.typ == 5 {
				rest = []byte{198, 18, 0, 254}
			}
			icmp := append(append([]byte{tc.typ, code, 0, 0}, rest...), quoted...)
			binary.BigEndian.PutUint16(icmp[2:], inetSum(icmp))
			frame := append([]byte{2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0}, ipv4Packet([4]byte{198, 18, 0, 2}, [4]byte{198, 18, 0, 1}, 1, icmp)...)
			d.Write(gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, 0), CaptureLength: len(frame), Length: len(frame)}, frame)
		}
	}
	d.Close()
	want, stderr, code := runTcpdump(t, "-nn", "-t", "-r", path)
	if code != 0 {
		t.Fatalf("tcpdump: exit status %d\n%s", code, stderr)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"-t", path}, bytes.NewReader(nil), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if out.String() != want {
		t.Errorf("pcapcat:\n%s\ntcpdump:\n%s", out.String(), want)
	}
}
