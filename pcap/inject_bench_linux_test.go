package pcap

import (
	"fmt"
	"testing"

	"tcpregress.dev/pcap/internal/netnstest"
)

// benchInject runs send in a sub-benchmark per frame size, each on a new veth
// pair: tx is a handle on side 0, f a frame of that size the peer drops on
// arrival (addressed to a MAC it does not have).
func benchInject(b *testing.B, send func(b *testing.B, tx *Handle, f []byte)) {
	for _, size := range []int{60, 1514} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			p := netnstest.NewPair(b)
			tx := openLive(b, p, 0, nil)
			f := expFrame(p.MAC[1], p.MAC[0], 1, 1, size)
			f[0] ^= 0x02 // not the peer's MAC
			b.SetBytes(int64(size))
			send(b, tx, f)
		})
	}
}

// BenchmarkInject measures one WritePacketData on a veth: the syscall, the
// packet socket and the veth's hand-over to its peer, which drops the frame.
// It is the floor under every frame a userland stack sends through libpcap.
func BenchmarkInject(b *testing.B) {
	benchInject(b, func(b *testing.B, tx *Handle, f []byte) {
		b.ResetTimer()
		for range b.N {
			if err := tx.WritePacketData(f); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkInjectBatch is BenchmarkInject through WritePacketBatch, 64 frames
// per call (one sendmmsg); ns/op is per frame.
func BenchmarkInjectBatch(b *testing.B) {
	benchInject(b, func(b *testing.B, tx *Handle, f []byte) {
		batch := make([][]byte, 64)
		for i := range batch {
			batch[i] = f
		}
		b.ResetTimer()
		for i := 0; i < b.N; i += len(batch) {
			if _, err := tx.WritePacketBatch(batch[:min(len(batch), b.N-i)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
