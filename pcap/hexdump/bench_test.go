package hexdump

import (
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// benchInput is 1 MiB of random bytes, the worst case for Canonical's
// squeezing (no two lines are equal).
func benchInput() []byte {
	return randomBytes(rand.New(rand.NewPCG(1, 1)), 1<<20)
}

// BenchmarkWriter measures a streaming Writer to io.Discard, per style.
func BenchmarkWriter(b *testing.B) {
	data := benchInput()
	for _, o := range allOptions() {
		if o.Offset != 0 {
			continue
		}
		name := "style=" + o.Style.String()
		if o.Verbose {
			name += "/verbose"
		}
		if o.ASCII {
			name += "/ascii"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			w := NewWriterOptions(io.Discard, o)
			for b.Loop() {
				if _, err := w.Write(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFormat measures Format on a packet-sized buffer.
func BenchmarkFormat(b *testing.B) {
	data := benchInput()[:1500]
	for _, s := range Styles() {
		b.Run("style="+s.String(), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				_ = Format(data, s)
			}
		})
	}
}

// BenchmarkReverse measures reading a dump back; SetBytes counts the bytes
// produced.
func BenchmarkReverse(b *testing.B) {
	data := benchInput()
	for _, s := range Styles() {
		dump := Format(data, s)
		b.Run("style="+s.String(), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := Reverse(io.Discard, strings.NewReader(dump)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
