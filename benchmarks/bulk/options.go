package bulk

import (
	"io"
	"time"
)

// Options configure a [Bench].
type Options struct {
	// Duration of each run, unless Limit bytes arrive first.
	Duration time.Duration
	// Limit is the payload bytes after which a run stops early.
	Limit int64
	// Rounds of every configuration, interleaved: each round runs every
	// configuration once.
	Rounds int
	// Kinds to run, in table order; nil: all.
	Kinds []Kind
	// CPUProfileDir, when set, receives a pprof CPU profile of each run of
	// ours and gVisor (KIND-roundN.pprof), covering the transfer only.
	CPUProfileDir string
	// GVisorDispatch is gVisor's fdbased inbound dispatcher: "recvmmsg"
	// (the default, what runsc uses) or "mmap" (PACKET_RX_RING).
	GVisorDispatch string
	// GVisorQDisc is gVisor's queueing discipline: "fifo" (the default,
	// runsc's default) or "none" (each packet written by the goroutine
	// that sends it).
	GVisorQDisc string
	// Progress receives a line per run; nil: none.
	Progress io.Writer
	// OnSample is called after every run, for example to append it to a
	// results file.
	OnSample func(Sample) error
}
