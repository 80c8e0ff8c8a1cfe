//go:build !linux

package pcap

// kernelDirection: libpcap's own direction setting is all there is.
func (h *Handle) kernelDirection(d Direction) {}
