// Package syncbuf provides [Buffer], a byte buffer that goroutines may write
// while another reads it: the log destination of a stack under test, or the
// standard output and error of a command run in a goroutine, which a test
// reads before the writers have stopped. It is shared by the tests of the
// tcpstack, tools and conformance modules (the lowest module all of them
// import).
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer is a [bytes.Buffer] whose methods hold a lock, so that writes and
// reads may come from different goroutines. The zero value is an empty
// buffer ready to use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p to the buffer.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// Bytes returns a copy of what has been written so far.
func (s *Buffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// String returns what has been written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Len returns how many bytes have been written so far.
func (s *Buffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}
