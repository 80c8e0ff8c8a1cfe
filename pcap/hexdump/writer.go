package hexdump

import (
	"errors"
	"io"
)

// Options configure a dump. The zero value is the Pane style from offset 0.
type Options struct {
	// Style is the layout.
	Style Style
	// Verbose prints every line in the Canonical style instead of replacing
	// runs of identical lines with "*", like hexdump -v.
	Verbose bool
	// ASCII adds the character column to the TCPDump style, turning the
	// "tcpdump -xx" layout into "tcpdump -XX". Other styles always have it.
	ASCII bool
	// Offset is the offset printed on the first line, for a dump of bytes
	// that start inside a larger input (hexdump -s and xxd -s print such
	// absolute offsets). Lines still hold 16 bytes counted from the first
	// one. Negative values are treated as 0.
	Offset int64
	// Size is the total number of bytes that will be written, if known
	// (Format and Dump set it). Pane and TShark print offsets with at least
	// 4 hex digits, and more on every line when the largest offset of the
	// dump needs them, as Wireshark does; without a Size a streaming
	// [Writer] prints 4 digits until offsets pass 0xffff and then widens.
	// Other styles ignore it.
	Size int64
}

// bufSize is the size of a Writer's output buffer.
const bufSize = 64 << 10

// ErrClosed is returned by Write, Flush and Close after Close.
var ErrClosed = errors.New("hexdump: write to closed Writer")

// A Writer dumps the bytes written to it in one style. Any chunking of the
// writes gives the same output. It holds at most one line of input and a
// buffer of output; call [Writer.Close] at the end, which prints the last
// partial line and the trailer of the style and flushes the output.
//
// A Writer is not safe for concurrent use.
type Writer struct {
	f      formatter
	w      io.Writer
	out    []byte
	part   [bytesPerLine]byte // pending partial line
	npart  int
	err    error
	closed bool
}

// NewWriter returns a Writer that dumps to w in the given style with default
// options.
func NewWriter(w io.Writer, style Style) *Writer {
	return NewWriterOptions(w, Options{Style: style})
}

// NewWriterOptions returns a Writer that dumps to w as o describes.
func NewWriterOptions(w io.Writer, o Options) *Writer {
	return newWriter(w, o, bufSize)
}

func newWriter(w io.Writer, o Options, size int) *Writer {
	return &Writer{f: newFormatter(o), w: w, out: make([]byte, 0, size)}
}

// Write dumps p. Output is buffered: it reaches the underlying writer when
// the buffer fills, on [Writer.Flush] and on [Writer.Close].
func (w *Writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, ErrClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	total := len(p)
	if w.npart > 0 {
		c := copy(w.part[w.npart:], p)
		w.npart += c
		p = p[c:]
		if w.npart < bytesPerLine {
			return total, nil
		}
		w.npart = 0
		if err := w.emit(w.part[:]); err != nil {
			return 0, err
		}
	}
	for len(p) >= bytesPerLine {
		if err := w.emit(p[:bytesPerLine]); err != nil {
			return total - len(p), err
		}
		p = p[bytesPerLine:]
	}
	w.npart = copy(w.part[:], p)
	return total, nil
}

// emit formats one line, flushing the buffer first if it could overflow.
func (w *Writer) emit(line []byte) error {
	if cap(w.out)-len(w.out) < maxLine {
		if err := w.flush(); err != nil {
			return err
		}
	}
	w.out = w.f.line(w.out, line)
	return nil
}

func (w *Writer) flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.out) == 0 {
		return nil
	}
	n, err := w.w.Write(w.out)
	if err == nil && n < len(w.out) {
		err = io.ErrShortWrite
	}
	w.out = w.out[:0]
	if err != nil {
		w.err = err
	}
	return err
}

// Flush writes the complete lines dumped so far to the underlying writer.
// The current partial line stays pending, so the dump can go on; use
// [Writer.Close] to end it.
func (w *Writer) Flush() error {
	if w.closed {
		return ErrClosed
	}
	return w.flush()
}

// Close ends the dump: it prints the last partial line and the style's
// trailer (Canonical's final offset line, TShark's blank line) and flushes
// everything to the underlying writer, which it does not close. An empty
// dump prints nothing, as the reference tools do.
func (w *Writer) Close() error {
	if w.closed {
		return ErrClosed
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if w.npart > 0 {
		w.out = w.f.line(w.out, w.part[:w.npart])
		w.npart = 0
	}
	w.out = w.f.trailer(w.out)
	return w.flush()
}

// Dump writes the dump of b to w as o describes (o.Size defaults to len(b)).
func Dump(w io.Writer, b []byte, o Options) error {
	if o.Size == 0 {
		o.Size = int64(len(b))
	}
	dw := newWriter(w, o, min(bufSize, outputSize(len(b), o)))
	if _, err := dw.Write(b); err != nil {
		return err
	}
	return dw.Close()
}

// Format returns the dump of b in the given style.
func Format(b []byte, style Style) string {
	return FormatOptions(b, Options{Style: style})
}

// FormatOptions returns the dump of b as o describes (o.Size defaults to
// len(b)).
func FormatOptions(b []byte, o Options) string {
	if o.Size == 0 {
		o.Size = int64(len(b))
	}
	f := newFormatter(o)
	dst := make([]byte, 0, outputSize(len(b), o))
	for len(b) > 0 {
		n := min(len(b), bytesPerLine)
		dst = f.line(dst, b[:n])
		b = b[n:]
	}
	return string(f.trailer(dst))
}

// outputSize is an upper bound of the dump size of n bytes, with the slack
// the formatter needs for the line it is writing.
func outputSize(n int, o Options) int {
	// The longest line is 74 bytes plus the offset digits (tcpdump -XX:
	// "\t0x", offset, 61 bytes); trailers are shorter than a line.
	digits := max(8, hexLen(uint64(max(o.Offset, 0))+uint64(n)))
	return (n/bytesPerLine+2)*(74+digits) + maxLine
}
