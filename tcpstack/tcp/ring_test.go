package tcp

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestRing(t *testing.T) {
	r := newRing(8)
	if r.Write([]byte("abcdef")) != 6 || r.Len() != 6 || r.Free() != 2 {
		t.Fatal("write")
	}
	buf := make([]byte, 4)
	if n := r.Read(buf); n != 4 || string(buf) != "abcd" {
		t.Fatalf("read %q", buf[:n])
	}
	// Wraps around the end.
	if n := r.Write([]byte("ghijklmn")); n != 6 {
		t.Fatalf("wrote %d, want 6", n)
	}
	scratch := make([]byte, 8)
	if got := r.Peek(0, 8, scratch); string(got) != "efghijkl" {
		t.Fatalf("peek %q", got)
	}
	if got := r.Peek(2, 3, scratch); string(got) != "ghi" {
		t.Fatalf("peek %q", got)
	}
	r.Discard(5)
	all := make([]byte, 8)
	if n := r.Read(all); string(all[:n]) != "jkl" {
		t.Fatalf("read %q", all[:n])
	}
}

func TestRingWriteAhead(t *testing.T) {
	r := newRing(10)
	r.Write([]byte("ab"))
	r.writeAt(5, []byte("fgh")) // out of order, not yet committed
	if r.Len() != 2 {
		t.Fatal("writeAt must not commit")
	}
	out := make([]byte, 2)
	r.Read(out) // head moves; the bytes ahead must stay put
	r.writeAt(0, []byte("cde"))
	r.commit(6)
	got := make([]byte, 10)
	n := r.Read(got)
	if !bytes.Equal(got[:n], []byte("cdefgh")) {
		t.Fatalf("got %q", got[:n])
	}
}

func TestRingMemoryFollowsContents(t *testing.T) {
	r := newRing(256 << 10)
	if r.allocated() != 0 {
		t.Fatal("a new ring holds a buffer")
	}
	r.Write([]byte("x"))
	if got := r.allocated(); got != 1<<ringMinShift {
		t.Fatalf("after one byte the ring holds %d bytes, want %d", got, 1<<ringMinShift)
	}
	buf := make([]byte, 8)
	if n := r.Read(buf); n != 1 || buf[0] != 'x' {
		t.Fatalf("read %q", buf[:n])
	}
	if r.allocated() != 0 || r.Len() != 0 || r.Free() != r.Cap() {
		t.Fatalf("an emptied ring holds %d bytes (len %d, free %d)", r.allocated(), r.Len(), r.Free())
	}
	// Discard (an ACK) releases the send side the same way.
	r.Write(make([]byte, 5000))
	if got := r.allocated(); got != 8192 {
		t.Fatalf("5000 bytes in a %d-byte buffer, want 8192", got)
	}
	r.Discard(4999)
	if r.allocated() == 0 {
		t.Fatal("released with a byte left")
	}
	r.Discard(1)
	if r.allocated() != 0 {
		t.Fatal("not released once empty")
	}
	// The next buffer is as big as the last one's peak use.
	r.Write([]byte("y"))
	if got := r.allocated(); got != 8192 {
		t.Fatalf("after a peak of 5000 bytes the next buffer holds %d, want 8192", got)
	}
	r.Reset()
	if r.allocated() != 0 || r.Len() != 0 {
		t.Fatal("Reset kept memory")
	}
}

func TestRingKeepsBytesAheadWhenEmpty(t *testing.T) {
	r := newRing(64 << 10)
	r.Write([]byte("ab"))
	r.writeAt(10, []byte("k")) // out of order: offsets 2..9 are a hole
	out := make([]byte, 2)
	r.Read(out)
	if r.Len() != 0 || r.allocated() == 0 {
		t.Fatalf("len %d, allocated %d: the byte ahead must keep the buffer", r.Len(), r.allocated())
	}
	r.writeAt(0, []byte("cdefghij"))
	r.commit(9)
	got := make([]byte, 16)
	if n := r.Read(got); string(got[:n]) != "cdefghijk" {
		t.Fatalf("got %q", got[:n])
	}
	if r.allocated() != 0 {
		t.Fatal("not released after the bytes ahead were read")
	}
}

func TestRingGrowsAcrossTheWrap(t *testing.T) {
	r := newRing(1 << 20)
	// Fill the 2 KiB buffer so that its contents wrap around its end.
	first := bytes.Repeat([]byte{'a'}, 1500)
	r.Write(first)
	r.Discard(1400)
	second := make([]byte, 1800)
	for i := range second {
		second[i] = byte(i)
	}
	r.Write(second)
	if r.allocated() != 2048 {
		t.Fatalf("allocated %d, want 2048 before growing", r.allocated())
	}
	// Out-of-order bytes far ahead make it grow; all bytes keep their offsets.
	r.writeAt(r.Len()+10000, []byte("far"))
	if r.allocated() != 16384 {
		t.Fatalf("allocated %d, want 16384", r.allocated())
	}
	want := append(bytes.Repeat([]byte{'a'}, 100), second...)
	got := r.Peek(0, len(want), make([]byte, len(want)))
	if !bytes.Equal(got, want) {
		t.Fatal("committed bytes changed when the ring grew")
	}
	if got := r.Peek(r.Len()+10000, 3, make([]byte, 3)); string(got) != "far" {
		t.Fatalf("bytes ahead: %q", got)
	}
}

func TestRingOddCapacity(t *testing.T) {
	r := newRing(3000)
	if n := r.Write(make([]byte, 5000)); n != 3000 || r.Free() != 0 {
		t.Fatalf("wrote %d into a 3000-byte ring, free %d", n, r.Free())
	}
	if r.allocated() != 4096 {
		t.Fatalf("allocated %d, want 4096", r.allocated())
	}
}

// TestRingModel checks the ring against a plain byte slice through random
// writes, out-of-order writes, commits, reads, discards and peeks, and that
// it holds memory exactly when it holds bytes.
func TestRingModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{1, 100, 2048, 3000, 70000} {
		r := newRing(size)
		var model []byte // committed bytes
		ahead := map[int]byte{}
		stamp := byte(0)
		fill := func(n int) []byte {
			p := make([]byte, n)
			for i := range p {
				stamp++
				p[i] = stamp
			}
			return p
		}
		for step := range 20000 {
			switch op := rng.IntN(6); op {
			case 0: // Write
				p := fill(rng.IntN(size/2 + 2))
				n := r.Write(p)
				if want := min(len(p), size-len(model)); n != want {
					t.Fatalf("size %d step %d: Write %d wrote %d, want %d", size, step, len(p), n, want)
				}
				model = append(model, p[:n]...)
				for i := range n {
					delete(ahead, len(model)-n+i)
				}
			case 1: // writeAt ahead of the committed bytes, within the capacity
				free := size - len(model)
				if free < 2 {
					continue
				}
				off := len(model) + 1 + rng.IntN(free-1)
				p := fill(1 + rng.IntN(size-off))
				r.writeAt(off, p)
				for i, b := range p {
					ahead[off+i] = b
				}
			case 2: // fill the hole before the bytes ahead and commit up to their end
				end := len(model)
				for k := range ahead {
					end = max(end, k+1)
				}
				if end == len(model) {
					continue
				}
				gap := fill(end - len(model))
				for i := range gap {
					if b, ok := ahead[len(model)+i]; ok {
						gap[i] = b
					}
				}
				r.writeAt(len(model), gap)
				r.commit(len(gap))
				model = append(model, gap...)
				clear(ahead)
			case 3: // Read
				p := make([]byte, rng.IntN(size+2))
				n := r.Read(p)
				want := min(len(p), len(model))
				if n != want || !bytes.Equal(p[:n], model[:n]) {
					t.Fatalf("size %d step %d: Read got %d bytes, want %d (or different bytes)", size, step, n, want)
				}
				model = shift(model, ahead, n)
			case 4: // Discard
				n := min(rng.IntN(size+2), len(model))
				r.Discard(n)
				model = shift(model, ahead, n)
			case 5: // Peek
				if len(model) == 0 {
					continue
				}
				off := rng.IntN(len(model))
				k := 1 + rng.IntN(len(model)-off)
				if got := r.Peek(off, k, make([]byte, k)); !bytes.Equal(got, model[off:off+k]) {
					t.Fatalf("size %d step %d: Peek(%d, %d) differs", size, step, off, k)
				}
			}
			if r.Len() != len(model) || r.Free() != size-len(model) {
				t.Fatalf("size %d step %d: len %d free %d, model %d", size, step, r.Len(), r.Free(), len(model))
			}
			if empty := len(model) == 0 && len(ahead) == 0; empty != (r.allocated() == 0) {
				t.Fatalf("size %d step %d: %d committed, %d ahead, %d bytes allocated", size, step, len(model), len(ahead), r.allocated())
			}
		}
	}
}

// shift drops the first n committed bytes of the model and moves the bytes
// ahead down with them.
func shift(model []byte, ahead map[int]byte, n int) []byte {
	if n == 0 {
		return model
	}
	moved := map[int]byte{}
	for k, b := range ahead {
		moved[k-n] = b
	}
	clear(ahead)
	for k, b := range moved {
		ahead[k] = b
	}
	return append(model[:0], model[n:]...)
}
