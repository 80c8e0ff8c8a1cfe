package tcpstack

// Transmission. Everything the stack sends is built while s.mu is held, but
// the link is written after s.mu is released, a batch at a time: on a
// libpcap link one sendmmsg(2) carries a whole batch where one send(2) per
// frame cost several times more (BenchmarkInjectBatch in pcap), and the
// goroutine that receives ACKs is never held up by one that sends. Frames
// wait in s.txq; s.unlock, which every holder of s.mu calls instead of
// s.mu.Unlock, sends them unless another goroutine is already sending (it
// holds s.txMu), in which case that one takes them too, in order.

// BatchWriter is a [Link] that can send several frames in one call.
// link/pcap implements it; the stack falls back to Write per frame.
type BatchWriter interface {
	// WriteBatch sends frames in order. The link does not keep them.
	WriteBatch(frames [][]byte) error
}

// txBatchMax is how many frames wait before the goroutine producing them
// sends them itself, s.mu still held, when no other goroutine is sending:
// a bulk sender's burst leaves in pieces rather than all at once.
const txBatchMax = 64

// txQueue is a batch of frames back to back in one buffer.
type txQueue struct {
	buf   []byte
	ends  []int
	views [][]byte
}

func (q *txQueue) add(f []byte) {
	q.buf = append(q.buf, f...)
	q.ends = append(q.ends, len(q.buf))
}

func (q *txQueue) len() int { return len(q.ends) }

// frames returns views of the queued frames, valid until reset.
func (q *txQueue) frames() [][]byte {
	q.views = q.views[:0]
	start := 0
	for _, end := range q.ends {
		q.views = append(q.views, q.buf[start:end:end])
		start = end
	}
	return q.views
}

func (q *txQueue) reset() {
	q.buf, q.ends = q.buf[:0], q.ends[:0]
	clear(q.views)
	q.views = q.views[:0]
}

// queueLink is the Link the stack's output code writes to: Write queues the
// frame and returns nil; errors of the real link are logged when the batch
// is sent (transmit). s.mu is held by every caller.
type queueLink struct {
	Link
	s *Stack
}

func (l queueLink) Write(f []byte) error {
	s := l.s
	s.txq.add(f)
	if s.txq.len() >= txBatchMax && s.txMu.TryLock() {
		s.transmit(s.txq)
		s.txq.reset()
		s.txMu.Unlock()
	}
	return nil
}

// unlock releases s.mu after sending what was queued while it was held.
func (s *Stack) unlock() {
	if s.txq.len() == 0 || !s.txMu.TryLock() {
		// Nothing to send, or another goroutine is sending and will take
		// these frames before it lets go of s.txMu (see below).
		s.mu.Unlock()
		return
	}
	for {
		q := s.txq
		s.txq, s.txSpare = s.txSpare, nil
		s.mu.Unlock()
		s.transmit(q)
		q.reset()
		s.mu.Lock()
		s.txSpare = q
		if s.txq.len() == 0 {
			// s.txMu goes before s.mu: whoever queues next (under s.mu)
			// finds it free and sends.
			s.txMu.Unlock()
			s.mu.Unlock()
			return
		}
	}
}

// transmit writes q's frames to the link. s.txMu is held.
func (s *Stack) transmit(q *txQueue) {
	frames := q.frames()
	var err error
	if bw, ok := s.dev.(BatchWriter); ok {
		err = bw.WriteBatch(frames)
	} else {
		for _, f := range frames {
			if e := s.dev.Write(f); e != nil && err == nil {
				err = e
			}
		}
	}
	if err != nil {
		select {
		case <-s.done:
		default:
			s.log.Debug().Err(err).Int("frames", len(frames)).Msg("link write failed")
		}
	}
}

// drainTx waits until the frames queued so far have been sent. It holds
// s.txMu without sending, which is safe only because nothing queues frames
// once s.closed is set (Close calls it after that).
func (s *Stack) drainTx() {
	s.txMu.Lock()
	s.txMu.Unlock()
}
