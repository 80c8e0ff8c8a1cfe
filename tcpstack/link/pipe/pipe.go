// Package pipe is an in-memory Ethernet link: two connected endpoints whose
// frames can be lost, delayed, reordered, duplicated and corrupted according
// to a seeded, replayable fault model. It is for tests of the userland stack.
package pipe

import (
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// Faults describes what happens to frames on their way. Probabilities are in
// [0, 1]. The zero value is a perfect wire.
type Faults struct {
	Loss      float64       // a frame is dropped
	Duplicate float64       // a frame is delivered twice
	Reorder   float64       // a frame is held back and delivered after the next one
	Corrupt   float64       // one byte of the frame is flipped
	Delay     time.Duration // every frame arrives this much later
	Jitter    time.Duration // plus a uniform random extra delay up to this
	Seed      uint64        // the random source's seed: same seed, same faults
}

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
	fmu    sync.Mutex
	faults Faults
	rng    *rand.Rand
	held   []byte // a frame held back for reordering
	timers sync.WaitGroup
}

// New returns two connected endpoints with the given MAC addresses and an
// MTU of 1500. Faults apply to frames sent by a (toward b) and by b (toward
// a) alike; use SetFaults to change one direction.
func New(macA, macB net.HardwareAddr, f Faults) (a, b *Endpoint) {
	a = newEndpoint(macA, f)
	b = newEndpoint(macB, Faults{Loss: f.Loss, Duplicate: f.Duplicate, Reorder: f.Reorder, Corrupt: f.Corrupt, Delay: f.Delay, Jitter: f.Jitter, Seed: f.Seed + 1})
	a.peer, b.peer = b, a
	return a, b
}

func newEndpoint(mac net.HardwareAddr, f Faults) *Endpoint {
	e := &Endpoint{mac: mac, mtu: 1500}
	e.cond = sync.NewCond(&e.mu)
	e.SetFaults(f)
	return e
}

// SetFaults changes the faults applied to frames this endpoint sends.
func (e *Endpoint) SetFaults(f Faults) {
	e.fmu.Lock()
	defer e.fmu.Unlock()
	e.faults = f
	e.rng = rand.New(rand.NewPCG(f.Seed, 0x70697065))
}

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
	f := append([]byte(nil), frame...)
	e.fmu.Lock()
	fl := e.faults
	r := e.rng
	if fl.Loss > 0 && r.Float64() < fl.Loss {
		e.fmu.Unlock()
		return nil
	}
	if fl.Corrupt > 0 && r.Float64() < fl.Corrupt && len(f) > 0 {
		f[r.IntN(len(f))] ^= byte(1 + r.IntN(255))
	}
	out := [][]byte{f}
	if fl.Duplicate > 0 && r.Float64() < fl.Duplicate {
		out = append(out, append([]byte(nil), f...))
	}
	if fl.Reorder > 0 {
		if e.held != nil {
			out = append(out, e.held)
			e.held = nil
		} else if r.Float64() < fl.Reorder {
			e.held, out = out[0], out[1:]
		}
	}
	delay := fl.Delay
	if fl.Jitter > 0 {
		delay += time.Duration(r.Int64N(int64(fl.Jitter)))
	}
	e.fmu.Unlock()
	if delay <= 0 {
		e.peer.deliver(out)
		return nil
	}
	e.timers.Add(1)
	time.AfterFunc(delay, func() {
		defer e.timers.Done()
		e.peer.deliver(out)
	})
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
	e.timers.Wait()
	return nil
}
