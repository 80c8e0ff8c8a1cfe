//go:build !linux

package pcap

// batchTx is the scratch of WritePacketBatch; other platforms need none.
type batchTx struct{}

// writeBatch injects one frame at a time: BPF devices take one frame per
// write(2). h is in use and h.txMu is held.
func (h *Handle) writeBatch(frames [][]byte) (int, error) { return h.injectEach(frames) }
