package main

import (
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/rs/zerolog"

	libpcap "tcpregress.dev/pcap"
	"tcpregress.dev/tcpstack"
	"tcpregress.dev/tcpstack/tcpdump"
)

// Links that wrap the capture link between it and the stack:
//
//	stack → tapLink (--pcap, -vv) → link/pcap
//
// so the capture and the trace show the frames as they are on the wire.

// tapLink passes frames through and records each one read or written: into
// a capture file (--pcap) and as a trace line in tcpdump's -nn -S grammar
// (-vv).
type tapLink struct {
	tcpstack.Link
	dump  *libpcap.Dumper // nil: no capture
	log   zerolog.Logger  // trace lines when its level allows
	trace frameTracer

	mu  sync.Mutex
	err error // the first capture write error
}

func (t *tapLink) Read(fn func(frames [][]byte)) error {
	return t.Link.Read(func(frames [][]byte) {
		now := time.Now()
		for _, f := range frames {
			t.record(now, f, "in")
		}
		fn(frames)
	})
}

// Write records the frame, then sends it: recording after the send would
// let the reply, recorded by the reader, come first in the capture.
func (t *tapLink) Write(frame []byte) error {
	t.record(time.Now(), frame, "out")
	return t.Link.Write(frame)
}

func (t *tapLink) record(now time.Time, f []byte, dir string) {
	if t.dump != nil {
		ci := gopacket.CaptureInfo{Timestamp: now, CaptureLength: len(f), Length: len(f)}
		if err := t.dump.Write(ci, f); err != nil {
			t.mu.Lock()
			if t.err == nil {
				t.err = err
			}
			t.mu.Unlock()
		}
	}
	if e := t.log.Trace(); e.Enabled() {
		e.Str("dir", dir).Msg(t.trace.line(f))
	}
}

// dumpErr returns the first error writing the capture.
func (t *tapLink) dumpErr() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// frameTracer renders Ethernet frames for the -vv trace as tcpdump -nn -S
// prints them: absolute sequence numbers, which the stack's own log shows
// too. It is safe for concurrent use (the link is read and written from
// different goroutines).
type frameTracer struct {
	mu  sync.Mutex
	p   tcpdump.Printer
	buf []byte
}

func (t *frameTracer) line(frame []byte) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p.Absolute = true
	t.buf = t.p.AppendPacket(t.buf[:0], frame, layers.LinkTypeEthernet, len(frame))
	return string(t.buf)
}
