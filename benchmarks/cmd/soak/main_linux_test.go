//go:build linux

package main

import (
	"bytes"
	"testing"

	"tcpregress.dev/benchmarks/internal/testcheck"
	"tcpregress.dev/tcpstack/netns"
)

// TestRunShort soaks for two 2-second intervals and checks the report:
// traffic went through and nothing grew. make soak is the real run. It needs
// root (under CI it fails instead of skipping).
func TestRunShort(t *testing.T) {
	netns.RequireRoot(t)
	out := testcheck.Run(t, run, "-duration", "4s", "-interval", "2s")
	testcheck.Contains(t, "the report", out, "| open fds | goroutines |", "soak: ok")
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-duration", "1m", "-interval", "1m"}, &out, &errb); code != 2 {
		t.Fatalf("-duration shorter than two intervals: exit %d, want 2 (stderr %q)", code, errb.String())
	}
}
