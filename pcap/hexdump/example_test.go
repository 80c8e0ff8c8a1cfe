package hexdump_test

import (
	"fmt"
	"os"
	"strings"

	"tcpregress.dev/pcap/hexdump"
)

var packet = []byte("\x45\x00\x00\x1c\x00\x01\x00\x00\x40\x01\xf7\x9e\x0a\x00\x00\x01\x0a\x00\x00\x02\x08\x00\xf7\xff\x00\x00\x00\x00")

func ExampleFormat() {
	fmt.Print(hexdump.Format(packet, hexdump.Pane))
	// Output:
	// 0000  45 00 00 1c 00 01 00 00  40 01 f7 9e 0a 00 00 01   E....... @.......
	// 0010  0a 00 00 02 08 00 f7 ff  00 00 00 00               ........ ....
}

func ExampleFormat_xxd() {
	fmt.Print(hexdump.Format([]byte("Hello, world!\n"), hexdump.XXD))
	// Output:
	// 00000000: 4865 6c6c 6f2c 2077 6f72 6c64 210a       Hello, world!.
}

func ExampleFormatOptions() {
	// tcpdump -XX prints the space as '.'.
	dump := hexdump.FormatOptions([]byte("GET / HTTP/1.1\r\n\r\n"), hexdump.Options{Style: hexdump.TCPDump, ASCII: true})
	fmt.Print(strings.ReplaceAll(dump, "\t", "<TAB>"))
	// Output:
	// <TAB>0x0000:  4745 5420 2f20 4854 5450 2f31 2e31 0d0a  GET./.HTTP/1.1..
	// <TAB>0x0010:  0d0a                                     ..
}

func ExampleNewWriter() {
	// A streaming dump like hexdump -C: the repeated lines become "*" and
	// Close prints the final offset.
	w := hexdump.NewWriter(os.Stdout, hexdump.Canonical)
	for range 4 {
		w.Write([]byte("0123456789abcdef"))
	}
	w.Write([]byte("tail"))
	if err := w.Close(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|
	// *
	// 00000040  74 61 69 6c                                       |tail|
	// 00000044
}

func ExampleParse() {
	dump := `00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
*
00000030  ff                                                |.|
00000031
`
	b, err := hexdump.Parse(strings.NewReader(dump))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(b), b[47], b[48])

	_, err = hexdump.Parse(strings.NewReader("00000000: 4142 zz43  AB.C\n"))
	fmt.Println(err)
	// Output:
	// 49 0 255
	// hexdump: line 1: bad hex byte "zz" at column 16
}

func ExampleParseStyle() {
	s, err := hexdump.ParseStyle("canonical")
	fmt.Println(s == hexdump.Canonical, err)
	_, err = hexdump.ParseStyle("od")
	fmt.Println(err)
	// Output:
	// true <nil>
	// hexdump: unknown style "od" (valid styles: pane, tshark, canonical, xxd, tcpdump)
}
