// Package faults injects seeded, replayable faults into a stream of frames:
// loss, duplication, reordering, corruption and delay. link/pipe uses it
// between its endpoints, and [Wrap] puts it around any tcpstack.Link, for
// fault tests on a real interface where the kernel has no netem.
package faults

import (
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"tcpregress.dev/tcpstack/link"
)

// Faults describes what happens to frames on their way. Probabilities are in
// [0, 1]. The zero value lets every frame through untouched, at once.
type Faults struct {
	Loss      float64       // a frame is dropped
	Duplicate float64       // a frame is delivered twice
	Reorder   float64       // a frame is held back and delivered after the next one (or 10 ms + Delay later if none comes)
	Corrupt   float64       // one byte of the frame is flipped
	Delay     time.Duration // every frame arrives this much later
	Jitter    time.Duration // plus a uniform random extra delay up to this
	Seed      uint64        // the random source's seed: same seed, same faults
}

// holdMax bounds how long a frame held back for reordering waits for the
// next one.
const holdMax = 10 * time.Millisecond

// Injector applies Faults to frames passed to Apply. It is safe for
// concurrent use.
type Injector struct {
	mu      sync.Mutex
	f       Faults
	rng     *rand.Rand
	held    []byte
	heldGen int
	timers  sync.WaitGroup
	closed  bool
}

// NewInjector returns an injector for f.
func NewInjector(f Faults) *Injector {
	in := &Injector{}
	in.Set(f)
	return in
}

// Set changes the faults.
func (in *Injector) Set(f Faults) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.f = f
	in.rng = rand.New(rand.NewPCG(f.Seed, 0x6661756c7473))
}

// Apply subjects a copy of frame to the faults and hands what survives to
// deliver, now or after the delay (from another goroutine).
func (in *Injector) Apply(frame []byte, deliver func(frames [][]byte)) {
	f := append([]byte(nil), frame...)
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		return
	}
	fl, r := in.f, in.rng
	var out [][]byte
	if fl.Loss > 0 && r.Float64() < fl.Loss {
		// Lost; a frame held back for reordering still goes now, so that
		// loss never turns into indefinite holding.
		f = nil
	} else {
		if fl.Corrupt > 0 && len(f) > 0 && r.Float64() < fl.Corrupt {
			f[r.IntN(len(f))] ^= byte(1 + r.IntN(255))
		}
		out = append(out, f)
		if fl.Duplicate > 0 && r.Float64() < fl.Duplicate {
			out = append(out, append([]byte(nil), f...))
		}
	}
	if fl.Reorder > 0 {
		switch {
		case in.held != nil:
			out = append(out, in.held)
			in.held = nil
		case f != nil && r.Float64() < fl.Reorder:
			// Held back until the next frame, or at most holdMax, so that
			// the last frame of a burst is late rather than lost.
			in.held, out = out[0], out[1:]
			in.heldGen++
			gen := in.heldGen
			in.timers.Add(1)
			time.AfterFunc(holdMax+fl.Delay, func() {
				defer in.timers.Done()
				in.mu.Lock()
				if in.closed || in.held == nil || in.heldGen != gen {
					in.mu.Unlock()
					return
				}
				h := in.held
				in.held = nil
				in.mu.Unlock()
				deliver([][]byte{h})
			})
		}
	}
	delay := fl.Delay
	if fl.Jitter > 0 {
		delay += time.Duration(r.Int64N(int64(fl.Jitter)))
	}
	if len(out) == 0 {
		in.mu.Unlock()
		return
	}
	if delay <= 0 {
		in.mu.Unlock()
		deliver(out)
		return
	}
	in.timers.Add(1)
	in.mu.Unlock()
	time.AfterFunc(delay, func() {
		defer in.timers.Done()
		deliver(out)
	})
}

// Close drops frames from now on and waits for delayed deliveries.
func (in *Injector) Close() {
	in.mu.Lock()
	in.closed = true
	in.held = nil
	in.mu.Unlock()
	in.timers.Wait()
}

// Wrap returns a Link that applies send to frames written to inner and recv
// to frames read from it.
func Wrap(inner link.Link, send, recv Faults) link.Link {
	w := &wrapped{Link: inner, send: NewInjector(send), recv: NewInjector(recv), ready: make(chan struct{}, 1), done: make(chan struct{})}
	go w.pump()
	return w
}

type wrapped struct {
	link.Link
	send, recv *Injector
	mu         sync.Mutex
	queue      [][]byte
	ready      chan struct{}
	done       chan struct{}
	once       sync.Once
	err        error
}

// pump reads inner and passes frames through the receive faults.
func (w *wrapped) pump() {
	for {
		err := w.Link.Read(func(frames [][]byte) {
			for _, f := range frames {
				w.recv.Apply(f, w.enqueue)
			}
		})
		if err != nil {
			w.mu.Lock()
			w.err = err
			w.mu.Unlock()
			w.signal()
			return
		}
	}
}

func (w *wrapped) enqueue(frames [][]byte) {
	w.mu.Lock()
	w.queue = append(w.queue, frames...)
	w.mu.Unlock()
	w.signal()
}

func (w *wrapped) signal() {
	select {
	case w.ready <- struct{}{}:
	default:
	}
}

func (w *wrapped) Read(fn func(frames [][]byte)) error {
	for {
		w.mu.Lock()
		q, err := w.queue, w.err
		w.queue = nil
		w.mu.Unlock()
		if len(q) > 0 {
			fn(q)
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-w.ready:
		case <-w.done:
			return net.ErrClosed
		}
	}
}

func (w *wrapped) Write(frame []byte) error {
	w.send.Apply(frame, func(frames [][]byte) {
		for _, f := range frames {
			w.Link.Write(f)
		}
	})
	return nil
}

func (w *wrapped) Close() error {
	w.once.Do(func() { close(w.done) })
	w.send.Close()
	w.recv.Close()
	return w.Link.Close()
}
