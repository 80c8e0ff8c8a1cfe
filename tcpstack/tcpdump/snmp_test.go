package tcpdump

import (
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// snmpPacket is a raw IPv4 packet from 198.18.0.1.40000 to 198.18.0.2.161
// carrying msg.
func snmpPacket(msg []byte) []byte {
	n := 28 + len(msg)
	p := []byte{0x45, 0, byte(n >> 8), byte(n), 0, 1, 0x40, 0, 64, 17, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2,
		0x9c, 0x40, 0, 161, byte((n - 20) >> 8), byte(n - 20), 0, 0}
	return append(p, msg...)
}

// v2c GetResponse, community "private", request ID 1, two bindings: a
// string and TimeTicks.
var snmpResponse = []byte{0x30, 0x3b, 2, 1, 1, 4, 7, 'p', 'r', 'i', 'v', 'a', 't', 'e',
	0xa2, 0x2d, 2, 1, 1, 2, 1, 0, 2, 1, 0, 0x30, 0x22,
	0x30, 0x10, 6, 8, 0x2b, 6, 1, 2, 1, 1, 1, 0, 4, 4, 'h', 'o', 's', 't',
	0x30, 0x0e, 6, 8, 0x2b, 6, 1, 2, 1, 1, 3, 0, 0x43, 2, 0x30, 0x39}

// TestSNMP prints an SNMP message as tcpdump -nn does, whole and cut (the
// comparisons with tcpdump itself are pcapcat's).
func TestSNMP(t *testing.T) {
	var p Printer
	pkt := snmpPacket(snmpResponse)
	for _, tc := range []struct {
		cut  int
		want string
	}{
		{len(pkt), `IP 198.18.0.1.40000 > 198.18.0.2.161:  C="private" GetResponse(45)  .1.3.6.1.2.1.1.1.0="host" .1.3.6.1.2.1.1.3.0=12345`},
		// tcpdump checks that an element's contents were captured before
		// it prints them, the message's outer sequence first.
		{len(pkt) - 1, `IP 198.18.0.1.40000 > 198.18.0.2.161:   [|snmp]`},
		{29, `IP 198.18.0.1.40000 > 198.18.0.2.161:   [|snmp]`},
	} {
		got := string(p.AppendPacket(nil, pkt[:tc.cut], layers.LinkTypeRaw, len(pkt)))
		if got != tc.want {
			t.Errorf("cut at %d:\n got %s\nwant %s", tc.cut, got, tc.want)
		}
	}
}
