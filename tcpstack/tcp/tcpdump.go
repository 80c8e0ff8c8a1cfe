package tcp

import (
	"net/netip"

	"tcpregress.dev/tcpstack/tcpdump"
)

// TCPDump formats the segment in tcpdump's -nn -S grammar, as sent from src
// to dst: "IP 198.18.0.1.40000 > 198.18.0.2.80: Flags [S], seq 1000, win
// 65535, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0".
// The segment is printed as AppendTo lays it out (tcpdump.Printer.AppendTCP),
// so a parsed segment's options show in that layout, with its NOP padding,
// not necessarily in the one they arrived in.
func (s *Segment) TCPDump(src, dst netip.Addr) string {
	p := tcpdump.Printer{Absolute: true}
	return string(p.AppendTCP(make([]byte, 0, 160), src, dst, s.Marshal()))
}
