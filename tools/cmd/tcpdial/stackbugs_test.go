package main

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"testing"
	"time"

	"tcpregress.dev/tcpstack"
	"tcpregress.dev/tcpstack/link/pipe"
)

// Regression tests for tcpstack bugs found while writing tcpdial.

// TestTCPStackStaleSYNAfterCancelledDial: a DialTCP whose context ends
// while ARP is still resolving the peer leaves the SYN in the neighbour's
// queue (Stack.resolve copies the frame there); when the ARP reply comes,
// Stack.learn sends it, for a connection that no longer exists. The peer
// then answers with a SYN-ACK that the stack must reset. The queued frames
// of a connection should go when it is aborted (or learn should drop TCP
// segments of connections that are gone); tcpstack now does the latter.
func TestTCPStackStaleSYNAfterCancelledDial(t *testing.T) {
	a, b := pipe.New(macA, macB, pipe.Faults{})
	defer b.Close()
	st, err := tcpstack.New(tcpstack.Config{Link: a, Addr: netip.PrefixFrom(local, 24)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	frames := make(chan []byte, 16)
	go func() {
		for b.Read(func(fs [][]byte) {
			for _, f := range fs {
				frames <- append([]byte(nil), f...)
			}
		}) == nil {
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := st.DialTCP(ctx, "tcp4", netip.AddrPortFrom(peer, 80).String()); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("dial: %v, want a timeout", err)
	}
	if f := <-frames; formatFrame(f) != "ARP, Request who-has 198.18.0.2 tell 198.18.0.3, length 46" {
		t.Fatalf("first frame: %s", formatFrame(f))
	}
	// The ARP reply comes after the dial gave up.
	reply := arpFrame(2, macB, peer, macA, local)
	copy(reply[0:6], macA)
	copy(reply[6:12], macB)
	b.Write(reply)
	select {
	case f := <-frames:
		t.Errorf("after the dial was cancelled the stack sent: %s", formatFrame(f))
	case <-time.After(500 * time.Millisecond):
	}
}
