package tcpstack

import (
	"io"
	"net"
	"testing"
)

// Bulk transfer benchmarks against the kernel, for profiling the data path
// (go test -bench KernelBulk -cpuprofile). benchmarks/cmd/bulkbench is the
// side-by-side measurement; these only move b.N chunks of 64 KiB.

const bulkChunk = 64 << 10

// BenchmarkKernelBulkSend: our stack sends, a kernel socket discards.
func BenchmarkKernelBulkSend(b *testing.B) {
	kb := newKernelBench(b, nil)
	ln := kb.kernelListen(b, 9001)
	done := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- 0
			return
		}
		n, _ := io.Copy(io.Discard, c)
		c.Close()
		done <- n
	}()
	c := kb.dial(b, 9001)
	buf := make([]byte, bulkChunk)
	b.SetBytes(bulkChunk)
	b.ResetTimer()
	for range b.N {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	c.CloseWrite()
	if n := <-done; n != int64(b.N)*bulkChunk {
		b.Fatalf("kernel received %d bytes, want %d", n, int64(b.N)*bulkChunk)
	}
	b.StopTimer()
}

// BenchmarkKernelBulkReceive: a kernel socket sends, our stack discards.
func BenchmarkKernelBulkReceive(b *testing.B) {
	kb := newKernelBench(b, nil)
	ln := kb.kernelListen(b, 9002)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, bulkChunk)
		for range b.N {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
		c.(*net.TCPConn).CloseWrite()
	}()
	c := kb.dial(b, 9002)
	b.SetBytes(bulkChunk)
	b.ResetTimer()
	n, err := io.Copy(io.Discard, c)
	if err != nil {
		b.Fatal(err)
	}
	if n != int64(b.N)*bulkChunk {
		b.Fatalf("received %d bytes, want %d", n, int64(b.N)*bulkChunk)
	}
}
