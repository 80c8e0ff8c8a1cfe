package pcap

import (
	"testing"

	"tcpregress.dev/pcap/internal/netnstest"
)

// BenchmarkInject measures one WritePacketData on a veth: the syscall, the
// packet socket and the veth's hand-over to its peer, which drops the frame
// (addressed to a MAC it does not have). It is the floor under every frame a
// userland stack sends through libpcap.
func BenchmarkInject(b *testing.B) {
	for _, size := range []int{60, 1514} {
		b.Run(map[int]string{60: "size=60", 1514: "size=1514"}[size], func(b *testing.B) {
			p := netnstest.NewPair(b)
			tx := openLive(b, p, 0, nil)
			f := expFrame(p.MAC[1], p.MAC[0], 1, 1, size)
			f[0] ^= 0x02 // not the peer's MAC: the peer drops it on arrival
			b.SetBytes(int64(size))
			b.ResetTimer()
			for range b.N {
				if err := tx.WritePacketData(f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInjectBatch is BenchmarkInject through WritePacketBatch, 64 frames
// per call (one sendmmsg); ns/op is per frame.
func BenchmarkInjectBatch(b *testing.B) {
	for _, size := range []int{60, 1514} {
		b.Run(map[int]string{60: "size=60", 1514: "size=1514"}[size], func(b *testing.B) {
			p := netnstest.NewPair(b)
			tx := openLive(b, p, 0, nil)
			f := expFrame(p.MAC[1], p.MAC[0], 1, 1, size)
			f[0] ^= 0x02
			batch := make([][]byte, 64)
			for i := range batch {
				batch[i] = f
			}
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := 0; i < b.N; i += len(batch) {
				if _, err := tx.WritePacketBatch(batch[:min(len(batch), b.N-i)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
