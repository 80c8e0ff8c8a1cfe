//go:build linux

package pcap

import "golang.org/x/sys/unix"

// kernelDirection tells the kernel what libpcap only filters in user space:
// with PACKET_IGNORE_OUTGOING (Linux 4.20) a socket capturing inbound frames
// is not handed the host's outgoing ones at all, where libpcap 1.10 has the
// kernel clone each of them, run the filter on it and copy it into the ring
// only to skip it when reading. Kernels without the option keep libpcap's
// filtering, so its failure is not an error.
func (h *Handle) kernelDirection(d Direction) {
	if h.kind != kindLive || h.fd < 0 {
		return
	}
	v := 0
	if d == DirectionIn {
		v = 1
	}
	_ = unix.SetsockoptInt(h.fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, v)
}
