package tcpstack

import (
	"time"

	"tcpregress.dev/tcpstack/link"
)

// Link moves Ethernet frames for a [Stack]: see package [link]. Its
// implementations are link/pcap (a live interface through libpcap),
// link/pipe (an in-memory pair, for tests) and link/faults (seeded loss,
// delay and reordering around either).
type Link = link.Link

// StampedReader is a [Link] that knows when each frame arrived: link/pcap's
// capture time stamps, taken by the kernel as the frame came in. The stack
// hands them to its raw handler (the probe records them as the frames'
// times), so that what a tester measures does not include the time the
// frames waited to be read. Other links get the time the stack read them.
type StampedReader interface {
	// ReadStamped is Read whose fn also gets stamp: stamp(i) is when
	// frames[i] arrived, or the zero time if the link does not know. stamp
	// is valid only during fn.
	ReadStamped(fn func(frames [][]byte, stamp func(i int) time.Time)) error
}
