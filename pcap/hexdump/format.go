package hexdump

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// bytesPerLine is the number of input bytes on a full line in every style.
const bytesPerLine = 16

// maxLine bounds the length of one output line in any style, including the
// widest possible offset (16 hex digits). Canonical's final offset line, the
// squeeze marker and TShark's blank line are shorter.
const maxLine = 128

const hexDigits = "0123456789abcdef"

// Lookup tables, filled once: 512 + 2*256 bytes, negligible at start-up.
var (
	// hexPair[2*b] and hexPair[2*b+1] are the two lowercase hex digits of b.
	hexPair [512]byte
	// printable maps a byte to itself if it is printable ASCII (0x20–0x7e)
	// and to '.' otherwise: Wireshark, hexdump -C and xxd.
	printable [256]byte
	// graphic is like printable but maps the space to '.' too, as tcpdump -X
	// does (ND_ASCII_ISGRAPH).
	graphic [256]byte
	// hex3[b] is "hh  " as a little-endian word: full lines are written with
	// one 4-byte store per byte, the next store overwriting what is not a
	// separator.
	hex3 [256]uint32
)

func init() {
	for i := range 256 {
		hexPair[2*i] = hexDigits[i>>4]
		hexPair[2*i+1] = hexDigits[i&15]
		printable[i], graphic[i] = '.', '.'
		if i >= 0x20 && i <= 0x7e {
			printable[i] = byte(i)
		}
		if i > 0x20 && i <= 0x7e {
			graphic[i] = byte(i)
		}
		hex3[i] = uint32(hexPair[2*i]) | uint32(hexPair[2*i+1])<<8 | ' '<<16 | ' '<<24
	}
}

// putHex3 writes "hh  " for b at d[i:i+4].
func putHex3(d []byte, i int, b byte) {
	binary.LittleEndian.PutUint32(d[i:i+4], hex3[b])
}

// chars8 returns the characters of p[0:8] from table t as a little-endian
// word.
func chars8(t *[256]byte, p []byte) uint64 {
	_ = p[7]
	return uint64(t[p[0]]) | uint64(t[p[1]])<<8 | uint64(t[p[2]])<<16 | uint64(t[p[3]])<<24 |
		uint64(t[p[4]])<<32 | uint64(t[p[5]])<<40 | uint64(t[p[6]])<<48 | uint64(t[p[7]])<<56
}

// putChars16 writes the characters of a full line at d[i:i+16].
func putChars16(d []byte, i int, t *[256]byte, p []byte) {
	binary.LittleEndian.PutUint64(d[i:i+8], chars8(t, p[0:8]))
	binary.LittleEndian.PutUint64(d[i+8:i+16], chars8(t, p[8:16]))
}

// putHexShort writes the hex area h of a short last line: the two digits of
// byte j of p at h[l.col(j)], spaces everywhere else.
func putHexShort(h []byte, l layout, p []byte) {
	for i := range h {
		h[i] = ' '
	}
	for j, b := range p {
		c := l.col(j)
		h[c], h[c+1] = hexPair[2*int(b)], hexPair[2*int(b)+1]
	}
}

// putChars writes the characters of p from table t at d[:len(p)] and returns
// len(p).
func putChars(d []byte, t *[256]byte, p []byte) int {
	for j, b := range p {
		d[j] = t[b]
	}
	return len(p)
}

// hexLen returns the number of hex digits needed to print v (at least 1).
func hexLen(v uint64) int {
	if v == 0 {
		return 1
	}
	return (bits.Len64(v) + 3) / 4
}

// putOffset writes the low width hex digits of v into d[:width].
func putOffset(d []byte, v uint64, width int) {
	_ = d[width-1]
	i := width
	for ; i >= 2; i -= 2 {
		b := byte(v)
		d[i-2], d[i-1] = hexPair[2*int(b)], hexPair[2*int(b)+1]
		v >>= 8
	}
	if i == 1 {
		d[0] = hexDigits[v&15]
	}
}

// formatter turns lines of input into lines of output for one style. It does
// no I/O: Writer and Format feed it and own the output buffer.
type formatter struct {
	style   Style
	verbose bool
	ascii   bool
	size    uint64 // Options.Size, 0 if unknown
	start   uint64 // Options.Offset
	off     uint64 // offset of the next line
	width   int    // Pane and TShark: offset digits in use

	// Canonical squeezing: the previous full line and whether a "*" has
	// been printed for the run of lines equal to it.
	prev      [bytesPerLine]byte
	havePrev  bool
	squeezing bool
}

func newFormatter(o Options) formatter {
	f := formatter{style: o.Style, verbose: o.Verbose, ascii: o.ASCII}
	if o.Offset > 0 {
		f.start = uint64(o.Offset)
	}
	if o.Size > 0 {
		f.size = uint64(o.Size)
	}
	f.off = f.start
	f.width = 4
	if f.size > 0 {
		// Wireshark: at least 4 digits, more only if the largest offset in
		// the buffer needs them.
		f.width = max(4, hexLen(f.start+f.size-1))
	}
	return f
}

// line appends the output for one line of input p (1 to 16 bytes; fewer than
// 16 only for the last line) to dst.
func (f *formatter) line(dst []byte, p []byte) []byte {
	off := f.off
	f.off += uint64(len(p))
	if f.style == Canonical && !f.verbose && len(p) == bytesPerLine {
		if f.havePrev && string(p) == string(f.prev[:]) {
			if !f.squeezing {
				f.squeezing = true
				dst = append(dst, '*', '\n')
			}
			return dst
		}
		copy(f.prev[:], p)
		f.havePrev = true
		f.squeezing = false
	}
	if cap(dst)-len(dst) < maxLine {
		dst = slices.Grow(dst, maxLine)
	}
	n := len(dst)
	d := dst[n : n+maxLine]
	var k int
	switch f.style {
	case TShark:
		k = f.tshark(d, off, p)
	case Canonical:
		k = canonical(d, off, p)
	case XXD:
		k = xxd(d, off, p)
	case TCPDump:
		k = tcpdump(d, off, p, f.ascii)
	default:
		k = f.pane(d, off, p)
	}
	return dst[:n+k]
}

// trailer appends what a style prints after the last line of a non-empty
// dump of total bytes.
func (f *formatter) trailer(dst []byte) []byte {
	if f.off == f.start {
		return dst // empty input: every reference tool prints nothing
	}
	switch f.style {
	case Canonical:
		// hexdump -C ends with the offset just past the data ("%08.8_Ax").
		w := max(8, hexLen(f.off))
		dst = slices.Grow(dst, w+1)
		n := len(dst)
		dst = dst[:n+w]
		putOffset(dst[n:], f.off, w)
		dst = append(dst, '\n')
	case TShark:
		dst = append(dst, '\n')
	}
	return dst
}

// offsetWidth returns the Pane/TShark offset width for a line whose last byte
// is at offset last. It grows when a streaming dump without a Size hint
// passes 0xffff, and never shrinks.
func (f *formatter) offsetWidth(last uint64) int {
	if w := hexLen(last); w > f.width {
		f.width = w
	}
	return f.width
}

// pane: "0000  45 00 00 54 00 00 40 00  40 01 f7 a4 c0 a8 00 01   E..T..@. @.......".
// Short lines are padded with spaces to the full width.
func (f *formatter) pane(d []byte, off uint64, p []byte) int {
	w := f.offsetWidth(off + uint64(len(p)) - 1)
	putOffset(d, off, w)
	if len(p) == bytesPerLine {
		d = d[w : w+72]
		d[0], d[1] = ' ', ' '
		for j, b := range p[:bytesPerLine] {
			putHex3(d, 2+3*j+j/8, b) // the 8th byte's store writes the gap
		}
		d[52] = ' '
		binary.LittleEndian.PutUint64(d[53:61], chars8(&printable, p[0:8]))
		d[61] = ' '
		binary.LittleEndian.PutUint64(d[62:70], chars8(&printable, p[8:16]))
		d[70] = '\n'
		return w + 71
	}
	d = d[w : w+71]
	d[0], d[1] = ' ', ' '
	putHexShort(d[2:53], layoutPane, p) // with the 3 spaces before the characters
	a := d[53:70]
	for i := range a {
		a[i] = ' '
	}
	for j, b := range p {
		a[j+j/8] = printable[b] // a space after the 8th
	}
	d[70] = '\n'
	return w + 71
}

// tshark: "0000  45 00 00 54 00 00 40 00 40 01 f7 a4 c0 a8 00 01   E..T..@.@.......",
// hex area 48 columns, ASCII not padded.
func (f *formatter) tshark(d []byte, off uint64, p []byte) int {
	w := f.offsetWidth(off + uint64(len(p)) - 1)
	putOffset(d, off, w)
	d = d[w:]
	d[0], d[1] = ' ', ' '
	if len(p) == bytesPerLine {
		for j, b := range p[:bytesPerLine] {
			putHex3(d, 2+3*j, b)
		}
		d[51] = ' '
		putChars16(d, 52, &printable, p)
		d[68] = '\n'
		return w + 69
	}
	putHexShort(d[2:52], layoutTShark, p) // with the 2 spaces before the characters
	n := 52 + putChars(d[52:], &printable, p)
	d[n] = '\n'
	return w + n + 1
}

// canonical: "00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 20 54 68  |Hello, world! Th|".
func canonical(d []byte, off uint64, p []byte) int {
	w := max(8, hexLen(off))
	putOffset(d, off, w)
	d = d[w:]
	d[0], d[1] = ' ', ' '
	if len(p) == bytesPerLine {
		for j, b := range p[:bytesPerLine] {
			putHex3(d, 2+3*j+j/8, b)
		}
		d[52] = '|'
		putChars16(d, 53, &printable, p)
		d[69], d[70] = '|', '\n'
		return w + 71
	}
	putHexShort(d[2:52], layoutPane, p) // with the 2 spaces before '|'
	d[52] = '|'
	n := 53 + putChars(d[53:], &printable, p)
	d[n], d[n+1] = '|', '\n'
	return w + n + 2
}

// xxd: "00000000: 4865 6c6c 6f2c 2077 6f72 6c64 2120 5468  Hello, world! Th".
func xxd(d []byte, off uint64, p []byte) int {
	w := max(8, hexLen(off))
	putOffset(d, off, w)
	d = d[w:]
	d[0], d[1] = ':', ' '
	if len(p) == bytesPerLine {
		for g := range 8 {
			putHex3(d, 2+5*g, p[2*g])
			putHex3(d, 4+5*g, p[2*g+1]) // "hh  ": the group's space and one more
		}
		putChars16(d, 43, &printable, p)
		d[59] = '\n'
		return w + 60
	}
	putHexShort(d[2:43], layoutGroups, p) // with the space before the characters
	n := 43 + putChars(d[43:], &printable, p)
	d[n] = '\n'
	return w + n + 1
}

// tcpdump: "\t0x0000:  4500 0054 0000 4000 4001 f7a4 c0a8 0001" (tcpdump -xx),
// with ascii the hex area is padded to 40 columns and followed by two spaces
// and the bytes with only graphic characters shown (tcpdump -XX).
func tcpdump(d []byte, off uint64, p []byte, ascii bool) int {
	w := max(4, hexLen(off))
	d[0], d[1], d[2] = '\t', '0', 'x'
	putOffset(d[3:], off, w)
	d = d[3+w:]
	d[0], d[1] = ':', ' '
	if len(p) == bytesPerLine {
		d[2] = ' '
		for g := range 8 {
			putHex3(d, 3+5*g, p[2*g])
			putHex3(d, 5+5*g, p[2*g+1]) // its trailing space starts the next group
		}
		if !ascii {
			d[42] = '\n'
			return 3 + w + 43
		}
		putChars16(d, 44, &graphic, p)
		d[60] = '\n'
		return 3 + w + 61
	}
	h := d[2:43] // 40 columns of hex and room for the newline
	i := 0
	for j := 0; j < len(p); j++ {
		if j&1 == 0 {
			h[i] = ' '
			i++
		}
		b := p[j]
		h[i] = hexPair[2*int(b)]
		h[i+1] = hexPair[2*int(b)+1]
		i += 2
	}
	if !ascii {
		h[i] = '\n'
		return 3 + w + 2 + i + 1
	}
	for ; i < 40; i++ {
		h[i] = ' '
	}
	d[42], d[43] = ' ', ' '
	n := 44 + putChars(d[44:], &graphic, p)
	d[n] = '\n'
	return 3 + w + n + 1
}
