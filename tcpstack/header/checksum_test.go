package header

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
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

func TestPseudoHeaderSum(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		var s4, d4 [4]byte
		var s16, d16 [16]byte
		for i := range s16 {
			s16[i], d16[i] = byte(r.Uint32()), byte(r.Uint32())
		}
		copy(s4[:], s16[:])
		copy(d4[:], d16[:])
		proto := IPProtocol(r.Uint32())
		n4, n6 := r.IntN(0x10000), r.IntN(1<<24)
		// The pseudo-headers laid out as RFC 9293 §3.1 and RFC 8200 §8.1
		// draw them.
		p4 := append(append(s4[:0:0], s4[:]...), d4[:]...)
		p4 = append(p4, 0, byte(proto), byte(n4>>8), byte(n4))
		p6 := append(append(s16[:0:0], s16[:]...), d16[:]...)
		p6 = append(p6, byte(n6>>24), byte(n6>>16), byte(n6>>8), byte(n6), 0, 0, 0, byte(proto))
		src4, dst4 := netip.AddrFrom4(s4), netip.AddrFrom4(d4)
		if got, want := PseudoHeaderSum(proto, src4, dst4, n4), sumRef(0, p4); got != want {
			t.Fatalf("IPv4: %#x, want %#x", got, want)
		}
		// IPv4-mapped addresses count as IPv4.
		if got, want := PseudoHeaderSum(proto, netip.AddrFrom16(src4.As16()), netip.AddrFrom16(dst4.As16()), n4), sumRef(0, p4); got != want {
			t.Fatalf("IPv4-mapped: %#x, want %#x", got, want)
		}
		s6, d6 := netip.AddrFrom16(s16), netip.AddrFrom16(d16)
		if s6.Is4In6() && d6.Is4In6() {
			continue // the IPv4 pseudo-header, tested above
		}
		if got, want := PseudoHeaderSum(proto, s6, d6, n6), sumRef(0, p6); got != want {
			t.Fatalf("IPv6: %#x, want %#x", got, want)
		}
	}
}

func TestUpdateChecksum(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 20000 {
		// Data whose sum is never zero, as every header that carries a
		// checksum has (RFC 1624 §3 discusses the other case).
		b := make([]byte, 2+2*r.IntN(30))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		b[0] |= 0x40
		check := Checksum(b, 0)
		w := 2 * r.IntN(len(b)/2)
		if i%2 == 0 {
			old := uint16(b[w])<<8 | uint16(b[w+1])
			nw := uint16(r.Uint32())
			if w == 0 {
				nw |= 0x4000
			}
			b[w], b[w+1] = byte(nw>>8), byte(nw)
			if got, want := UpdateChecksum(check, old, nw), Checksum(b, 0); got != want {
				t.Fatalf("% x: word %d %#x -> %#x: %#x, want %#x", b, w, old, nw, got, want)
			}
			continue
		}
		// An address-sized field.
		n := min(len(b)-w, 2+r.IntN(16))
		old := append([]byte(nil), b[w:w+n]...)
		for j := w; j < w+n; j++ {
			b[j] = byte(r.Uint32())
		}
		b[0] |= 0x40
		if got, want := UpdateChecksumBytes(check, old, b[w:w+n]), Checksum(b, 0); got != want {
			t.Fatalf("% x: bytes %d+%d: %#x, want %#x", b, w, n, got, want)
		}
	}
}

func BenchmarkChecksum(b *testing.B) {
	for _, n := range []int{20, 40, 64, 576, 1500, 9000, 65535} {
		buf := make([]byte, n)
		for i := range buf {
			buf[i] = byte(i * 7)
		}
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				Checksum(buf, 0)
			}
		})
	}
}

func BenchmarkPseudoHeaderSum(b *testing.B) {
	for _, a := range [][2]netip.Addr{
		{netip.MustParseAddr("198.18.0.3"), netip.MustParseAddr("198.18.0.2")},
		{netip.MustParseAddr("2001:db8::3"), netip.MustParseAddr("2001:db8::2")},
	} {
		b.Run(map[bool]string{true: "IPv4", false: "IPv6"}[a[0].Is4()], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				PseudoHeaderSum(IPProtocolTCP, a[0], a[1], 1480)
			}
		})
	}
}
