package hexdump

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzReverse feeds arbitrary text to the Reader: it must never panic, fail
// only with a *SyntaxError, and what it accepts must survive a round trip
// through the detected style.
func FuzzReverse(f *testing.F) {
	f.Add("")
	f.Add(Format([]byte("Hello, world!\n\x00\xffAB"), Pane))
	f.Add(Format(make([]byte, 100), Canonical))
	f.Add("00000000: 4142 4344  ABCD\n*\n00000010\n")
	f.Add("IP 1 > 2\n\t0x0000:  4142 4344\n\n0000  41\n")
	f.Fuzz(func(t *testing.T, in string) {
		r := NewReader(strings.NewReader(in))
		// "*" can expand a short dump to any size: read 1 MiB at most.
		out, err := io.ReadAll(io.LimitReader(r, 1<<20))
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line < 1 {
				t.Fatalf("error %v (%T) is not a *SyntaxError with a line", err, err)
			}
			return
		}
		if len(out) == 1<<20 {
			return
		}
		again, err := Parse(strings.NewReader(Format(out, r.Style())))
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("%v dump of the %d bytes read does not read back: %v", r.Style(), len(out), err)
		}
	})
}

// FuzzRoundTrip formats arbitrary bytes in every style, through a Writer
// with arbitrary chunking too, and reads them back.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("Hello, world!\n\x00\xffAB"), uint8(0), false, false, uint32(0), uint8(7))
	f.Add(make([]byte, 100), uint8(2), false, false, uint32(3), uint8(16))
	f.Add(bytes.Repeat([]byte{'A'}, 40), uint8(4), false, true, uint32(0xfff8), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, style uint8, verbose, ascii bool, offset uint32, chunk uint8) {
		o := Options{Style: Style(int(style) % len(styleNames)), Verbose: verbose, ASCII: ascii, Offset: int64(offset)}
		dump := FormatOptions(data, o)

		var buf bytes.Buffer
		o.Size = int64(len(data))
		w := NewWriterOptions(&buf, o)
		n := int(chunk) + 1
		for p := data; len(p) > 0; p = p[min(n, len(p)):] {
			if _, err := w.Write(p[:min(n, len(p))]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if buf.String() != dump {
			t.Fatalf("%+v: Writer output differs from FormatOptions", o)
		}

		got, err := Parse(strings.NewReader(dump))
		if err != nil {
			t.Fatalf("%+v: %v\n%s", o, err, dump)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("%+v: round trip gives %x, want %x", o, got, data)
		}
	})
}
