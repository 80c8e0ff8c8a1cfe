package tcpdump_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/tcpstack/tcpdump"
)

// A SYN and its SYN-ACK in Ethernet frames, as a capture would hold them.
var (
	syn = []byte{
		0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00, // Ethernet
		0x45, 0, 0, 44, 0, 1, 0x40, 0, 64, 6, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2, // IPv4
		0x9c, 0x40, 0, 80, 0, 0, 0x03, 0xe8, 0, 0, 0, 0, 0x60, 0x02, 0xff, 0xff, 0, 0, 0, 0, // TCP
		2, 4, 0x05, 0xb4, // MSS 1460
	}
	synAck = []byte{
		0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00,
		0x45, 0, 0, 44, 0, 1, 0x40, 0, 64, 6, 0, 0, 198, 18, 0, 2, 198, 18, 0, 1,
		0, 80, 0x9c, 0x40, 0, 0, 0x13, 0x88, 0, 0, 0x03, 0xe9, 0x60, 0x12, 0xfe, 0x88, 0, 0, 0, 0,
		2, 4, 0x05, 0xb4,
	}
)

func Example() {
	// The zero Printer prints like tcpdump -nn; the options are tcpdump's
	// flags. Time stamps are in local time unless Location says otherwise.
	p := tcpdump.Printer{Location: time.UTC}
	t0 := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	for i, frame := range [][]byte{syn, synAck} {
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * 180 * time.Microsecond), CaptureLength: len(frame), Length: len(frame)}
		fmt.Println(p.Format(frame, layers.LinkTypeEthernet, ci))
	}
	// Output:
	// 12:00:00.000000 IP 198.18.0.1.40000 > 198.18.0.2.80: Flags [S], seq 1000, win 65535, options [mss 1460], length 0
	// 12:00:00.000180 IP 198.18.0.2.80 > 198.18.0.1.40000: Flags [S.], seq 5000, ack 1001, win 65160, options [mss 1460], length 0
}

func ExamplePrinter_Append() {
	// Append reuses a buffer: with room in it, a line costs no allocation.
	// LinkHeader is tcpdump's -e, Time its -t forms.
	p := tcpdump.Printer{LinkHeader: true, Time: tcpdump.TimeEpoch}
	buf := make([]byte, 0, 256)
	ci := gopacket.CaptureInfo{Timestamp: time.Unix(1704110400, 1000), CaptureLength: len(syn), Length: len(syn)}
	buf = p.Append(buf[:0], syn, layers.LinkTypeEthernet, ci)
	fmt.Println(string(buf))
	// Output:
	// 1704110400.000001 02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 58: 198.18.0.1.40000 > 198.18.0.2.80: Flags [S], seq 1000, win 65535, options [mss 1460], length 0
}

func ExamplePrinter_AppendTCP() {
	// A TCP engine's segment has no IP header: AppendTCP prints it from the
	// addresses, here with absolute numbers (tcpdump -S).
	p := tcpdump.Printer{Absolute: true}
	seg := synAck[14+20:]
	fmt.Println(string(p.AppendTCP(nil, netip.MustParseAddr("2001:db8::2"), netip.MustParseAddr("2001:db8::1"), seg)))
	// Output:
	// IP6 2001:db8::2.80 > 2001:db8::1.40000: Flags [S.], seq 5000, ack 1001, win 65160, options [mss 1460], length 0
}
