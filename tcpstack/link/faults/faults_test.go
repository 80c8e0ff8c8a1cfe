package faults

import (
	"bytes"
	"encoding/binary"
	"sync"
	"testing"
	"time"
)

// run passes n numbered frames through an injector and returns what came
// out, in order.
func run(t *testing.T, f Faults, n int) [][]byte {
	t.Helper()
	in := NewInjector(f)
	var mu sync.Mutex
	var out [][]byte
	for i := range n {
		frame := make([]byte, 64)
		binary.BigEndian.PutUint32(frame, uint32(i))
		in.Apply(frame, func(fs [][]byte) {
			mu.Lock()
			out = append(out, fs...)
			mu.Unlock()
		})
	}
	in.Close()
	mu.Lock()
	defer mu.Unlock()
	return out
}

func seqs(fs [][]byte) []uint32 {
	s := make([]uint32, len(fs))
	for i, f := range fs {
		s[i] = binary.BigEndian.Uint32(f)
	}
	return s
}

func TestPerfectWire(t *testing.T) {
	out := run(t, Faults{}, 100)
	for i, s := range seqs(out) {
		if s != uint32(i) {
			t.Fatalf("frame %d came out as %d", i, s)
		}
	}
}

func TestSameSeedSameFaults(t *testing.T) {
	f := Faults{Loss: 0.1, Duplicate: 0.05, Reorder: 0.1, Corrupt: 0.05, Seed: 42}
	a, b := run(t, f, 2000), run(t, f, 2000)
	if len(a) != len(b) {
		t.Fatalf("same seed, %d and %d frames", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("same seed, frame %d differs", i)
		}
	}
	f.Seed = 43
	if c := run(t, f, 2000); len(c) == len(a) && bytes.Equal(c[len(c)-1], a[len(a)-1]) && bytes.Equal(c[100], a[100]) {
		t.Errorf("another seed gave the same faults")
	}
}

func TestRates(t *testing.T) {
	const n = 20000
	lost := n - len(run(t, Faults{Loss: 0.05, Seed: 1}, n))
	if lost < n*4/100 || lost > n*6/100 {
		t.Errorf("5%% loss dropped %d of %d", lost, n)
	}
	extra := len(run(t, Faults{Duplicate: 0.01, Seed: 2}, n)) - n
	if extra < n/200 || extra > n*3/200 {
		t.Errorf("1%% duplication added %d of %d", extra, n)
	}
	out := run(t, Faults{Corrupt: 1, Seed: 3}, 100)
	for i, f := range out {
		orig := make([]byte, 64)
		binary.BigEndian.PutUint32(orig, uint32(i))
		if bytes.Equal(f, orig) {
			t.Fatalf("frame %d not corrupted with Corrupt: 1", i)
		}
	}
	// Reordering swaps neighbours: every frame still arrives once.
	got := seqs(run(t, Faults{Reorder: 0.3, Seed: 4}, 1000))
	seen := map[uint32]int{}
	swapped := 0
	for i, s := range got {
		seen[s]++
		if i > 0 && s < got[i-1] {
			swapped++
		}
	}
	if swapped == 0 || len(seen) < 999 {
		t.Errorf("reordering: %d swaps, %d distinct frames", swapped, len(seen))
	}
}

func TestDelay(t *testing.T) {
	in := NewInjector(Faults{Delay: 30 * time.Millisecond})
	done := make(chan time.Time, 1)
	start := time.Now()
	in.Apply([]byte{1}, func([][]byte) { done <- time.Now() })
	select {
	case <-done:
		t.Fatal("a delayed frame arrived at once")
	default:
	}
	in.Close() // waits for the delayed delivery
	if at := <-done; at.Sub(start) < 30*time.Millisecond {
		t.Errorf("delivered after %v, want at least 30ms", at.Sub(start))
	}
}
