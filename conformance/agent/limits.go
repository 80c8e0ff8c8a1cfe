package agent

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"
)

// Limits bound what a control connection may hold. A zero field takes its
// default.
type Limits struct {
	// MaxSockets is the most sockets one control connection may hold at
	// once (socket and accept answer EMFILE beyond it). Default 256.
	MaxSockets int
	// MaxConns is the most authenticated control connections at once; a
	// further one is refused (EUSERS) after its handshake. Connections
	// still in their handshake do not count: there are at most 4×MaxConns
	// of those, and a new one pushes out the oldest. Default 8.
	MaxConns int
	// MaxLine is the longest request line in bytes; a longer one answers
	// EMSGSIZE and the connection carries on. Default 1 MiB.
	MaxLine int
	// IdleTimeout closes a control connection that sends no request for
	// this long while none is running, or does not read its answers for
	// this long. Default 10 minutes.
	IdleTimeout time.Duration
	// HandshakeTimeout closes a control connection that has not finished
	// its handshake this long after it was accepted. Default 10 seconds.
	HandshakeTimeout time.Duration
	// AuthFailDelay is how long the agent waits before it answers a
	// failed authentication and closes the connection. Default 1 second.
	AuthFailDelay time.Duration
}

// The defaults of Limits.
const (
	DefaultMaxSockets       = 256
	DefaultMaxConns         = 8
	DefaultMaxLine          = 1 << 20
	DefaultIdleTimeout      = 10 * time.Minute
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultAuthFailDelay    = time.Second
)

// minLine is the smallest MaxLine: a hello and the usual requests fit.
const minLine = 4 << 10

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxSockets, DefaultMaxSockets)
	def(&l.MaxConns, DefaultMaxConns)
	def(&l.MaxLine, DefaultMaxLine)
	l.MaxLine = max(l.MaxLine, minLine)
	defDur(&l.IdleTimeout, DefaultIdleTimeout)
	defDur(&l.HandshakeTimeout, DefaultHandshakeTimeout)
	defDur(&l.AuthFailDelay, DefaultAuthFailDelay)
	return l
}

// lineReader reads lines of at most max bytes (without the newline),
// holding no more than that in memory: a longer line is read to its end and
// dropped, and only its first bytes are kept (to find its id).
type lineReader struct {
	r   *bufio.Reader
	max int
	buf []byte
	// stop: a line over max ends the reading (errLineTooLong at once,
	// and the reader is of no further use) instead of being skipped.
	stop bool
}

// errLineTooLong is returned by lineReader.next for a line over its max;
// the line returned with it is its beginning.
var errLineTooLong = errors.New("line too long")

// tooLongPrefix is how much of an overlong line is kept.
const tooLongPrefix = 1 << 10

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line (valid until the following call), or
// errLineTooLong with the line's beginning, or the reader's error (io.EOF
// at the end, also after a last line without a newline).
func (l *lineReader) next() ([]byte, error) {
	l.buf = l.buf[:0]
	tooLong := false
	for {
		chunk, err := l.r.ReadSlice('\n')
		if !tooLong {
			n := len(chunk)
			if n > 0 && chunk[n-1] == '\n' {
				n--
			}
			if len(l.buf)+n > l.max {
				tooLong = true
				keep := min(len(chunk), max(tooLongPrefix-len(l.buf), 0))
				l.buf = append(l.buf, chunk[:keep]...)
			} else {
				l.buf = append(l.buf, chunk...)
			}
		}
		switch {
		case tooLong && l.stop:
			return l.buf, errLineTooLong
		case err == bufio.ErrBufferFull:
			continue
		case err != nil && (len(l.buf) == 0 || err != io.EOF):
			return nil, err
		}
		if tooLong {
			return l.buf, errLineTooLong
		}
		return bytes.TrimSuffix(l.buf, []byte{'\n'}), nil
	}
}

// peekID returns the "id" of a request from the beginning of its line, if
// the id comes before anything the beginning cuts off; 0 if not.
func peekID(prefix []byte) int64 {
	d := json.NewDecoder(bytes.NewReader(prefix))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return 0
	}
	for {
		k, err := d.Token()
		if err != nil {
			return 0
		}
		key, ok := k.(string)
		if !ok {
			return 0
		}
		if key == "id" {
			var id int64
			if d.Decode(&id) != nil {
				return 0
			}
			return id
		}
		var skip json.RawMessage
		if d.Decode(&skip) != nil {
			return 0
		}
	}
}

// conns tracks a server's control connections: those in their handshake
// (at most maxPending) and the authenticated ones (at most maxActive). A
// connection arriving when maxPending are in their handshake pushes out
// the oldest that has not sent a line yet (half-open, or sending one
// endless line), or else the oldest.
type conns struct {
	mu         sync.Mutex
	maxPending int
	maxActive  int
	seq        uint64
	pending    map[net.Conn]*pendingConn
	active     int
}

type pendingConn struct {
	seq   uint64 // arrival order
	spoke bool   // sent a line
}

func newConns(l Limits) *conns {
	return &conns{maxPending: 4 * l.MaxConns, maxActive: l.MaxConns, pending: map[net.Conn]*pendingConn{}}
}

// arrive records c as in its handshake and returns the connection it
// pushed out (closed), if any.
func (cs *conns) arrive(c net.Conn) (evicted net.Conn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if len(cs.pending) >= cs.maxPending {
		var oldest *pendingConn
		for pc, p := range cs.pending {
			if oldest == nil || p.spoke == oldest.spoke && p.seq < oldest.seq || !p.spoke && oldest.spoke {
				evicted, oldest = pc, p
			}
		}
		delete(cs.pending, evicted)
		evicted.Close()
	}
	cs.seq++
	cs.pending[c] = &pendingConn{seq: cs.seq}
	return evicted
}

// spoke records that c, in its handshake, sent a line.
func (cs *conns) spoke(c net.Conn) {
	cs.mu.Lock()
	if p := cs.pending[c]; p != nil {
		p.spoke = true
	}
	cs.mu.Unlock()
}

// leave forgets c if it is still in its handshake.
func (cs *conns) leave(c net.Conn) {
	cs.mu.Lock()
	delete(cs.pending, c)
	cs.mu.Unlock()
}

// admit moves c from its handshake to the authenticated connections,
// unless there are maxActive of those already.
func (cs *conns) admit(c net.Conn) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	delete(cs.pending, c)
	if cs.active >= cs.maxActive {
		return false
	}
	cs.active++
	return true
}

// release ends an admitted connection.
func (cs *conns) release() {
	cs.mu.Lock()
	cs.active--
	cs.mu.Unlock()
}

// tooLong answers a request line longer than the limit; prefix is its
// beginning.
func (s *session) tooLong(prefix []byte) *Response {
	s.log.Warn().Int("max_line", s.sv.lim.MaxLine).Msg("agent: request line too long")
	return &Response{ID: peekID(prefix), Errno: "EMSGSIZE",
		Error: fmt.Sprintf("request line longer than %d bytes (the agent's --max-line): send less per request", s.sv.lim.MaxLine)}
}

// checkSockets refuses a new socket beyond the connection's limit.
func (s *session) checkSockets(op string) error {
	if len(s.fds) < s.sv.lim.MaxSockets {
		return nil
	}
	s.log.Warn().Str("op", op).Int("max_sockets", s.sv.lim.MaxSockets).Msg("agent: too many sockets on a control connection")
	return fmt.Errorf("this control connection holds %d sockets, the agent's --max-sockets: close some first: %w", len(s.fds), syscall.EMFILE)
}
