package segline_test

import (
	"fmt"

	"tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/segline"
)

func ExampleParse() {
	seg, err := segline.Parse("S. 0:0(0) ack 1 win * <mss 1460,sackOK,TS val * ecr 100,nop,wscale 7>")
	if err != nil {
		panic(err)
	}
	fmt.Println(seg.Flags.Has(header.TCPFlagSYN|header.TCPFlagACK), seg.Seq, seg.Len, seg.Ack, seg.Win)
	for _, o := range seg.Options {
		fmt.Printf("%v: %v\n", o.Kind, o)
	}
	// What a matcher does with the numbers: "*" accepts any value, an
	// exact one its value modulo 2^32.
	fmt.Println(seg.Win.Matches(512), seg.Ack.Matches(1), seg.Ack.Matches(2))

	_, err = segline.Parse("S 0:1(0)")
	fmt.Println(err)
	// Output:
	// true 0 0 1 *
	// mss: mss 1460
	// sackOK: sackOK
	// TS: TS val * ecr 100
	// nop: nop
	// wscale: wscale 7
	// true true false
	// segline: "S 0:1(0)": sequence "0:1(0)": END-START is 1, not LEN 0
}

func ExampleSegment_String() {
	// A segment seen on the wire, written in the grammar with numbers
	// relative to the initial sequence numbers, to show beside the line
	// that was expected.
	got := segline.Segment{
		Flags: header.TCPFlagPSH | header.TCPFlagACK,
		Seq:   segline.N(1), Len: 100,
		Ack: segline.N(1), Win: segline.N(502),
		HasOptions: true,
		Options: []segline.Option{
			segline.NOP(), segline.NOP(),
			segline.SACK(segline.Block{Left: segline.N(5), Right: segline.N(9)}),
		},
	}
	fmt.Println(got)
	// Output:
	// P. 1:101(100) ack 1 win 502 <nop,nop,sack 5:9>
}
