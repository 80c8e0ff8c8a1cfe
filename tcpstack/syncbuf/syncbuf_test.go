package syncbuf_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"tcpregress.dev/tcpstack/syncbuf"
)

// TestConcurrentWrites: writers and a reader at the same time (run with
// -race), and every write is kept.
func TestConcurrentWrites(t *testing.T) {
	var b syncbuf.Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("0123456789"))
				_ = b.Len()
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if b.Len() != 8000 || b.String() != strings.Repeat("0123456789", 800) {
		t.Fatalf("after 800 writes of 10 bytes: %d bytes", b.Len())
	}
}

// TestBytesIsACopy: what Bytes returned does not change with later writes.
func TestBytesIsACopy(t *testing.T) {
	var b syncbuf.Buffer
	b.Write([]byte("abc"))
	got := b.Bytes()
	b.Write([]byte("def"))
	got[0] = 'x'
	if string(got) != "xbc" || b.String() != "abcdef" {
		t.Fatalf("Bytes %q, String %q", got, b.String())
	}
}

// A logger writing from its goroutine while the test reads the log.
func ExampleBuffer() {
	var log syncbuf.Buffer
	done := make(chan struct{})
	go func() {
		fmt.Fprintln(&log, "connected")
		close(done)
	}()
	<-done
	fmt.Print(log.String())
	// Output: connected
}
