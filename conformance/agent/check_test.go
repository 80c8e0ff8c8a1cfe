//go:build linux

package agent

import (
	"context"
	"net/netip"
	"testing"
	"time"
)

// runCheck runs Check through c (the stack's own address is local) and
// fails t for each check the agent did not pass. The harness's
// TestAgentCheck does the same for tcpstack, gVisor and lwIP.
func runCheck(t *testing.T, c *Client, local netip.Addr) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, r := range Check(ctx, c, local) {
		if !r.Passed {
			t.Errorf("%s: %s", r.Name, r.Detail)
		} else {
			t.Logf("ok %s: %s", r.Name, r.Detail)
		}
	}
}

// TestCheckKernel: the kernel backend passes the agent conformance test.
func TestCheckKernel(t *testing.T) {
	c := dial(t, serve(t, KernelBackend()))
	runCheck(t, c, netip.MustParseAddr("127.0.0.1"))
}
