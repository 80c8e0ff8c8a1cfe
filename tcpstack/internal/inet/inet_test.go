package inet

import (
	"math/rand/v2"
	"testing"
)

// sumRef is RFC1071's loop, 16 bits at a time: the reference Sum
// must agree with.
func sumRef(sum uint32, b []byte) uint32 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
		for sum > 0xffff {
			sum = sum>>16 + sum&0xffff
		}
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return sum
}

func TestSumMatchesRFC1071(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	fill := func(b []byte, v byte) {
		for i := range b {
			b[i] = v
		}
	}
	for i := 0; i < 20000; i++ {
		n := r.IntN(1600)
		b := make([]byte, n)
		switch i % 4 {
		case 0:
			fill(b, 0xff) // every add carries
		case 1:
			fill(b, 0)
		default:
			for j := range b {
				b[j] = byte(r.Uint32())
			}
		}
		start := uint32(r.IntN(0x10000))
		if got, want := Sum(start, b), sumRef(start, b); got != want {
			t.Fatalf("len %d start %#x: Sum = %#x, RFC1071 loop = %#x", n, start, got, want)
		}
	}
}

func TestChecksumOfCorrectDataIsZero(t *testing.T) {
	// An IPv4 header from RFC1071's era of examples: 45 00 00 73 00 00 40 00
	// 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7 (checksum b861).
	h := []byte{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7}
	if c := Checksum(h, 0); c != 0 {
		t.Errorf("Checksum over a header with its checksum = %#04x, want 0", c)
	}
	h[10], h[11] = 0, 0
	if c := Checksum(h, 0); c != 0xb861 {
		t.Errorf("Checksum = %#04x, want 0xb861", c)
	}
}
