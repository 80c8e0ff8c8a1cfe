package tcp

import (
	"bytes"
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
