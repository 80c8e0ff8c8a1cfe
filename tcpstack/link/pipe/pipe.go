// Package pipe is an in-memory Ethernet link: two connected endpoints whose
// frames can be lost, delayed, reordered, duplicated and corrupted according
// to a seeded, replayable fault model. It is for tests of the userland stack.
package pipe

import (
	"net"
	"sync"

	"tcpregress.dev/tcpstack/link/faults"
)

// Faults describes what happens to frames on their way (see the faults
// package). The zero value is a perfect wire.
type Faults = faults.Faults

// Endpoint is one end of a pipe. It implements tcpstack.Link.
type Endpoint struct {
	mac  net.HardwareAddr
	mtu  int
	peer *Endpoint

	mu     sync.Mutex
	cond   *sync.Cond
	queue  [][]byte
	closed bool

	// Faults applied to frames this endpoint sends.
	inj *faults.Injector
}

// New returns two connected endpoints with the given MAC addresses and an
// MTU of 1500. Faults apply to frames sent by a (toward b) and by b (toward
// a) alike; use SetFaults to change one direction.
func New(macA, macB net.HardwareAddr, f Faults) (a, b *Endpoint) {
	a = newEndpoint(macA, f)
	fb := f
	fb.Seed++
	b = newEndpoint(macB, fb)
	a.peer, b.peer = b, a
	return a, b
}

func newEndpoint(mac net.HardwareAddr, f Faults) *Endpoint {
	e := &Endpoint{mac: mac, mtu: 1500, inj: faults.NewInjector(f)}
	e.cond = sync.NewCond(&e.mu)
	return e
}

// SetFaults changes the faults applied to frames this endpoint sends.
func (e *Endpoint) SetFaults(f Faults) { e.inj.Set(f) }

// HardwareAddr returns the endpoint's MAC address.
func (e *Endpoint) HardwareAddr() net.HardwareAddr { return e.mac }

// MTU returns 1500.
func (e *Endpoint) MTU() int { return e.mtu }

// Write sends a copy of frame to the peer, subject to the faults.
func (e *Endpoint) Write(frame []byte) error {
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return net.ErrClosed
	}
	e.inj.Apply(frame, e.peer.deliver)
	return nil
}

func (e *Endpoint) deliver(frames [][]byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	e.queue = append(e.queue, frames...)
	e.cond.Broadcast()
}

// Read waits for frames and passes all that are queued to fn.
func (e *Endpoint) Read(fn func(frames [][]byte)) error {
	e.mu.Lock()
	for len(e.queue) == 0 && !e.closed {
		e.cond.Wait()
	}
	if e.closed {
		e.mu.Unlock()
		return net.ErrClosed
	}
	frames := e.queue
	e.queue = nil
	e.mu.Unlock()
	fn(frames)
	return nil
}

// Close ends the endpoint: a blocked Read returns net.ErrClosed, frames in
// flight to it are dropped. It waits for this endpoint's delayed deliveries.
func (e *Endpoint) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return net.ErrClosed
	}
	e.closed = true
	e.queue = nil
	e.cond.Broadcast()
	e.mu.Unlock()
	e.inj.Close()
	return nil
}
