package main

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/pcap/pcaptest"
	"tcpregress.dev/tcpstack/header"
)

// TestICMPCodesMatchTcpdump prints every destination-unreachable code
// (0-15) and every redirect code (0-4) and compares the lines with
// tcpdump's.
func TestICMPCodesMatchTcpdump(t *testing.T) {
	a1, a2, a9 := netip.AddrFrom4([4]byte{198, 18, 0, 1}), netip.AddrFrom4([4]byte{198, 18, 0, 2}), netip.AddrFrom4([4]byte{198, 18, 0, 9})
	// The quoted datagram: an IPv4 header and the first 8 bytes of its TCP
	// segment (ports and sequence number).
	quoted := header.AppendIPv4(nil, &header.IPv4Fields{TTL: 64, Protocol: header.IPProtocolTCP, Src: a1, Dst: a9, PayloadLen: 8})
	quoted = append(quoted, 0x9c, 0x40, 0, 80, 0, 0, 0, 1)
	var recs []pcaptest.Record
	for _, tc := range []struct {
		typ   header.ICMPv4Type
		codes uint8
	}{{header.ICMPv4DstUnreachable, 16}, {header.ICMPv4Redirect, 5}} {
		for code := uint8(0); code < tc.codes; code++ {
			var rest uint32
			if tc.typ == header.ICMPv4Redirect {
				rest = 198<<24 | 18<<16 | 254 // the gateway, 198.18.0.254
			}
			icmp := header.AppendICMPv4(nil, &header.ICMPv4Fields{Type: tc.typ, Code: code, Rest: rest, Payload: quoted})
			frame := header.AppendEthernet(nil, &header.EthernetFields{Dst: header.MAC{2, 0, 0, 0, 0, 1}, Src: header.MAC{2, 0, 0, 0, 0, 2}, Type: header.EtherTypeIPv4})
			frame = header.AppendIPv4(frame, &header.IPv4Fields{TTL: 64, Protocol: header.IPProtocolICMP, Src: a2, Dst: a1, PayloadLen: len(icmp)})
			recs = append(recs, pcaptest.Record{Data: append(frame, icmp...), Time: time.Unix(1700000000, 0)})
		}
	}
	path := filepath.Join(t.TempDir(), "icmp.pcap")
	pcaptest.WritePcap(t, path, layers.LinkTypeEthernet, 65535, recs...)
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
