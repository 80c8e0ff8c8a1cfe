package probe_test

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/netip"

	"tcpregress.dev/tcpstack"
	"tcpregress.dev/tcpstack/link/pipe"
	"tcpregress.dev/tcpstack/probe"
	"tcpregress.dev/tcpstack/tcp"
)

// A probe against a target: here our own stack at the other end of an
// in-memory link, running an echo server. Against the Linux kernel the
// probe's stack uses link/pcap inside a network namespace instead (see
// tcpstack/netns).
func Example() {
	la, lb := pipe.New(net.HardwareAddr{2, 0, 0, 0, 0, 3}, net.HardwareAddr{2, 0, 0, 0, 0, 2}, pipe.Faults{})
	s, err := tcpstack.New(tcpstack.Config{Link: la, Addr: netip.MustParsePrefix("198.18.0.3/24")})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	target, err := tcpstack.New(tcpstack.Config{Link: lb, Addr: netip.MustParsePrefix("198.18.0.2/24"),
		TCP: tcp.Config{ISN: tcp.FixedISN(5000)}})
	if err != nil {
		log.Fatal(err)
	}
	defer target.Close()
	ln, err := target.Listen("tcp", ":7")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()

	p := probe.New(s, probe.Config{})
	defer p.Close()
	c, err := p.Dial(netip.MustParseAddrPort("198.18.0.2:7"), probe.ConnConfig{
		SYNOptions: probe.Options(probe.MSS(1460), probe.NOP(), probe.WScale(7)),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	for _, f := range p.Frames() {
		fmt.Println(f.Dir, &f)
	}
	if err := c.SendLine("P. 1:6(5) ack 1"); err != nil {
		log.Fatal(err)
	}
	data, err := c.ExpectData(5)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("echo %q\n", data)
	// Output:
	// out IP 198.18.0.3.40000 > 198.18.0.2.7: Flags [S], seq 1000000, win 65535, options [mss 1460,nop,wscale 7], length 0
	// in IP 198.18.0.2.7 > 198.18.0.3.40000: Flags [S.], seq 5000, ack 1000001, win 65535, options [mss 1460,nop,wscale 5], length 0
	// out IP 198.18.0.3.40000 > 198.18.0.2.7: Flags [.], ack 5001, win 65535, length 0
	// echo "bcdef"
}

// Lines describe segments with numbers relative to the initial sequence
// numbers, as packetdrill scripts do.
func ExampleParseLine() {
	l, err := probe.ParseLine("S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>")
	if err != nil {
		log.Fatal(err)
	}
	seg, err := l.Segment(1000, 0) // our ISS, the target's IRS
	if err != nil {
		log.Fatal(err)
	}
	seg.SrcPort, seg.DstPort = 40000, 80
	seg.IP.Dst = netip.MustParseAddr("198.18.0.2")
	pkt, err := seg.Marshal(netip.MustParseAddr("198.18.0.3"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(pkt), "bytes")

	_, err = probe.ParseLine("S 0:10(0)")
	fmt.Println(err)
	// Output:
	// 60 bytes
	// probe: bad segment line "S 0:10(0)": sequence "0:10(0)": END-START is 10, not LEN 0
}

// An illegal segment: SYN and FIN together, options in an odd order with a
// broken length, a data offset that lies and a wrong checksum.
func ExampleSegment() {
	seg := probe.Segment{
		SrcPort: 40000, DstPort: 80, Seq: 1000,
		Flags:       tcp.FlagSYN | tcp.FlagFIN,
		Window:      512,
		DataOffset:  6, // claims 4 octets of options, not 12
		Options:     probe.Options(probe.WScale(14), probe.MSS(536), probe.BadLenOption(8, 1)),
		Padding:     probe.PadNOP,
		BadChecksum: true,
		IP:          probe.IPFields{Dst: netip.MustParseAddr("198.18.0.2"), TTL: 1, Options: probe.IPOptionNOP()},
	}
	pkt, err := seg.Marshal(netip.MustParseAddr("198.18.0.3"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("% x\n", pkt[24+20:24+32])
	// Output:
	// 03 03 0e 02 04 02 18 08 01 01 01 01
}

// Expectations combine terse helpers; an explicit "any" says a field was
// left open on purpose.
func ExampleAnd() {
	m := probe.And(probe.Flags(tcp.FlagRST|tcp.FlagACK), probe.SeqAny, probe.Ack(1001),
		probe.From(netip.MustParseAddrPort("198.18.0.2:80")))
	fmt.Println(m)
	// Output: flags [R.], seq any, ack 1001, from 198.18.0.2.80
}
