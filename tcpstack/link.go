package tcpstack

import "net"

// Link moves Ethernet frames for a [Stack]. Implementations: link/pcap (a
// live interface through libpcap) and link/pipe (an in-memory pair with
// seeded faults, for tests).
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
