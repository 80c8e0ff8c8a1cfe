// Package clitest holds what the tools' tests share.
package clitest

import (
	"math/rand/v2"
	"os"
	"testing"
)

// ClosedPipe returns the write end of a pipe whose reader has gone, as stdout
// is in "tool big | head" once head exits. It is closed when the test ends.
func ClosedPipe(t testing.TB) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() { w.Close() })
	return w
}

// RandomBytes returns n pseudo-random bytes, the same for the same seed.
func RandomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}
