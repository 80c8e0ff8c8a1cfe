// Package hexdump prints bytes in the layouts network people meet, byte for
// byte as the reference tools print them, and reads such dumps back.
//
// The styles, each with a full line and a short last line:
//
// [Pane], Wireshark's Packet Bytes pane. The offset has at least 4 hex
// digits, more on every line when the largest offset needs them; the last
// line is padded so that every line has the same width:
//
//	0000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 00 ff   Hello, w orld!...
//	0010  41 42                                              AB
//
// [TShark], "tshark -x": no gap after the 8th byte, a 48-column hex area, the
// characters unpadded, and a blank line after the buffer:
//
//	0000  48 65 6c 6c 6f 2c 20 77 6f 72 6c 64 21 0a 00 ff   Hello, world!...
//	0010  41 42                                             AB
//
// [Canonical], util-linux "hexdump -C". A run of lines equal to the one
// before is printed as a single "*" unless [Options].Verbose is set (like
// "-v"); the dump ends with the offset just past the data:
//
//	00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 00 ff  |Hello, world!...|
//	00000010  41 42                                             |AB|
//	00000012
//
// [XXD], the default layout of "xxd":
//
//	00000000: 4865 6c6c 6f2c 2077 6f72 6c64 210a 00ff  Hello, world!...
//	00000010: 4142                                     AB
//
// [TCPDump], the hex lines of "tcpdump -xx" (the whole frame, link-layer
// header included; "-x" leaves that header out), or with [Options].ASCII
// those of "tcpdump -XX", whose character column shows the space as '.':
//
//	<TAB>0x0000:  4865 6c6c 6f2c 2077 6f72 6c64 210a 00ff  Hello,.world!...
//	<TAB>0x0010:  4142                                     AB
//
// Characters are shown if they are printable ASCII (0x20–0x7e) and as '.'
// otherwise. An empty input gives an empty dump in every style.
//
// [Format] and [Dump] print a buffer; a [Writer] prints a stream of any size
// while holding only one line of it, and any chunking of the writes gives
// the same output. All of them write whole lines into a reused buffer with
// table lookups: no allocation per line.
//
// [NewReader], [Parse] and [Reverse] turn a dump in any of the styles back
// into bytes, like "xxd -r", detecting the style from the first line. They
// undo Canonical's "*" squeezing, check that offsets follow each other, accept
// several dumps one after another (separated by blank lines, or each starting
// again at the first dump's offset) and the packet header lines between
// tcpdump dumps, and report bad input as a [*SyntaxError] with its line
// number.
package hexdump
