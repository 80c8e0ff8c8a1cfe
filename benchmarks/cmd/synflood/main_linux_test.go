//go:build linux

package main

import (
	"bytes"
	"testing"

	"tcpregress.dev/benchmarks/internal/testcheck"
	"tcpregress.dev/tcpstack/netns"
)

// TestRunShort runs the command on a small scale (2,000 SYNs/s for 1 s, 10
// connections; the goals loosened to what any working run meets) and checks
// its table. The real measurement is make bench's. It needs root (under CI
// it fails instead of skipping).
func TestRunShort(t *testing.T) {
	netns.RequireRoot(t)
	out := testcheck.Run(t, run, "-rate", "2000", "-duration", "1s", "-conns", "10", "-min-conns", "1", "-max-rss", "4096", "-no-cookies-row=false")
	testcheck.Contains(t, "the table", out, "| tcpstack |", "| kernel |", ": met |")
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-rate", "0"}, &out, &errb); code != 2 {
		t.Fatalf("-rate 0: exit %d, want 2 (stderr %q)", code, errb.String())
	}
}
