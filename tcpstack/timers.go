package tcpstack

import (
	"container/heap"
	"time"
)

// Timers: a min-heap of (deadline, connection) entries. A connection has at
// most one entry that matters: the one for c.scheduled; stale entries fire,
// find nothing due, and are dropped.

type timerEntry struct {
	at time.Time
	c  *Conn
}

type timerHeap []timerEntry

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// schedule records c's next deadline. s.mu is held.
func (s *Stack) schedule(c *Conn) {
	if c.gone {
		return
	}
	d, ok := c.tcb.NextDeadline()
	if !ok {
		return
	}
	if !c.scheduled.IsZero() && !d.Before(c.scheduled) {
		return // an earlier entry will fire and reschedule
	}
	c.scheduled = d
	heap.Push(&s.timers, timerEntry{d, c})
	if s.timers[0].c == c && s.timers[0].at.Equal(d) {
		select {
		case s.wakeTimer <- struct{}{}:
		default:
		}
	}
}

// timerLoop fires connection timers and ARP retries. It sleeps until the
// earliest deadline; nothing polls.
func (s *Stack) timerLoop() {
	defer s.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		s.mu.Lock()
		if s.closed {
			s.unlock()
			return
		}
		now := s.now()
		for len(s.timers) > 0 && !s.timers[0].at.After(now) {
			e := heap.Pop(&s.timers).(timerEntry)
			c := e.c
			if c.gone || !c.scheduled.Equal(e.at) {
				continue
			}
			c.scheduled = time.Time{}
			s.flush(c, now)
		}
		next := time.Time{}
		if len(s.timers) > 0 {
			next = s.timers[0].at
		}
		if at, ok := s.arpTick(now); ok && (next.IsZero() || at.Before(next)) {
			next = at
		}
		s.unlock()
		wait := time.Hour
		if !next.IsZero() {
			wait = next.Sub(now)
		}
		t.Reset(max(wait, 0))
		select {
		case <-s.done:
			return
		case <-s.wakeTimer:
			if !t.Stop() {
				select {
				case <-t.C:
				default:
				}
			}
		case <-t.C:
		}
	}
}
