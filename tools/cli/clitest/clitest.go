// Package clitest holds what the tools' tests share.
package clitest

import (
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
