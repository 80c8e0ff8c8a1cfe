package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"tcpregress.dev/tcpstack"
	"tcpregress.dev/tcpstack/tcp"
)

// activity records when data last moved on a connection, and how much.
type activity struct {
	at             atomic.Int64 // Unix nanoseconds
	sent, received atomic.Int64
}

func (a *activity) touch()          { a.at.Store(time.Now().UnixNano()) }
func (a *activity) last() time.Time { return time.Unix(0, a.at.Load()) }

// idleWatch closes expired once no data has moved for its duration.
type idleWatch struct {
	expired chan struct{}
	done    chan struct{}
	wg      sync.WaitGroup
}

func (a *activity) watch(d time.Duration) *idleWatch {
	w := &idleWatch{expired: make(chan struct{}), done: make(chan struct{})}
	w.wg.Go(func() {
		t := time.NewTimer(d)
		defer t.Stop()
		for {
			select {
			case <-w.done:
				return
			case <-t.C:
				if idle := time.Since(a.last()); idle < d {
					t.Reset(d - idle)
					continue
				}
				close(w.expired)
				return
			}
		}
	})
	return w
}

// stop ends the watch and waits for its goroutine.
func (w *idleWatch) stop() {
	close(w.done)
	w.wg.Wait()
}

// closeLinger bounds how long tcpdial waits, after closing, for the
// connection to finish its close before the stack is closed (which resets
// whatever is still open).
const closeLinger = 2 * time.Second

// linger waits until the connection has finished closing (CLOSED, or
// TIME-WAIT: both FINs acknowledged), closeLinger has passed, or ctx is
// done. Without it the stack's Close would reset a connection whose last
// FIN or ACK is still in flight.
func linger(ctx context.Context, conn *tcpstack.Conn) {
	deadline := time.Now().Add(closeLinger)
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		switch conn.State() {
		case tcp.StateClosed, tcp.StateTimeWait:
			return
		}
		if time.Now().After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
