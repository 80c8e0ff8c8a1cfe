// Package link defines what a [tcpstack.Stack] needs of the network below
// it: a way to move Ethernet frames. Its subpackages implement it: pcap (a
// live interface through libpcap), pipe (an in-memory pair, for tests) and
// faults (loss, delay, duplication and reordering around any Link).
//
// [tcpstack.Stack]: https://pkg.go.dev/tcpregress.dev/tcpstack#Stack
package link

import "net"

// Link moves Ethernet frames for a stack.
type Link interface {
	// Read blocks until at least one frame has arrived, then calls fn once
	// with every frame read in that go. The frames are valid only during fn.
	// After Close it returns net.ErrClosed.
	Read(fn func(frames [][]byte)) error
	// Write sends one frame, link-layer header included. The link does not
	// keep frame after Write returns.
	Write(frame []byte) error
	// HardwareAddr is the link's MAC address.
	HardwareAddr() net.HardwareAddr
	// MTU is the largest IP packet the link carries (1500 on Ethernet).
	MTU() int
	// Close ends the link; a blocked Read returns net.ErrClosed.
	Close() error
}
