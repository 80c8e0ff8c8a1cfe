package suite

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/tcpstack/probe"
)

// T is what a case gets: the probe on the tester's stack, the agent that
// drives the target, and the verdict calls.
//
// The verdict calls mirror testing.T's: Errorf records a failure of the
// target and the case goes on; Fatalf records one and ends the case. Both
// make the verdict FAIL, whatever else happens afterwards. The others end
// the case with their own verdict, unless a failure was recorded before:
// Brokenf with ERROR (the bench, not the target, failed), Unsupported with
// UNSUPPORTED, Skipf with SKIP.
//
// Logf, Errorf and Failed may be called from any goroutine; the methods
// that end the case (Fatalf, Brokenf, Unsupported, Skipf) only from the
// case's own goroutine, like testing.T's FailNow.
type T struct {
	c     Case
	ctx   context.Context
	env   *Env
	ports *portAllocator
	start time.Time
	probe *probe.Probe
	// releaseProbe gives the probe's stack back to the harness.
	releaseProbe func()
	target       Target

	mu       sync.Mutex
	log      strings.Builder
	verdict  Verdict
	message  string
	failures []string // Errorf's messages, in order
	events   []Event  // failures and the verdict call, timed
	calls    []agent.Call
	agent    *agent.Client
	agentErr error
	closed   bool
	captures []LinkCapture

	reserved     uint16
	reservedUsed bool
}

// Probe returns the case's probe: it takes the segments of the case's
// ports (those from Port) only. Nil when the run has no probe.
func (t *T) Probe() *probe.Probe { return t.probe }

// Agent returns the case's control connection to the target's agent,
// dialled on first use. A failure to dial ends the case with ERROR.
func (t *T) Agent() *agent.Client {
	t.mu.Lock()
	if t.agent != nil || t.env.DialAgent == nil {
		a := t.agent
		t.mu.Unlock()
		return a
	}
	t.mu.Unlock()
	c, err := t.env.DialAgent(t.ctx)
	if err != nil {
		t.Brokenf("agent: %v", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		c.Disconnect()
		return nil
	}
	t.agent = c
	c.Observe(t.recordCall)
	return c
}

// recordCall keeps an agent call for the case's Exchange.
func (t *T) recordCall(c agent.Call) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls = append(t.calls, c)
}

// CaptureLink starts a capture of what the target sends on the test link
// (see Env.CaptureLink); ok is false when the run has none (a remote
// target). A failure to start it ends the case with ERROR. The suite stops
// the capture when the case ends, if the case did not.
func (t *T) CaptureLink(filter string) (c LinkCapture, ok bool) {
	if t.env.CaptureLink == nil {
		return nil, false
	}
	c, err := t.env.CaptureLink(filter)
	if err != nil {
		t.Brokenf("capture of the test link (%s): %v", filter, err)
	}
	if !t.whileRunning(func() { t.captures = append(t.captures, c) }) {
		c.Stop()
		t.Brokenf("the case ended while its capture started")
	}
	return c, true
}

// Target describes the stack under test.
func (t *T) Target() Target { return t.target }

// Context ends at the case's timeout (or when the run is cancelled).
func (t *T) Context() context.Context { return t.ctx }

// Port returns a port no other case of the run uses, claimed for the
// case's probe: use it on the probe's side (probe.ConnConfig.LocalPort,
// Probe.Listen) and on the target's (the agent's bind address).
func (t *T) Port() uint16 {
	t.mu.Lock()
	if !t.reservedUsed {
		// The first port was reserved when the probe was made.
		t.reservedUsed = true
		t.mu.Unlock()
		return t.reserved
	}
	t.mu.Unlock()
	p, ok := t.ports.next()
	if !ok {
		t.Brokenf("suite: the port range is used up")
	}
	if t.probe != nil {
		t.probe.Claim(p)
	}
	return p
}

// Logf adds a line to the case's trace: what was sent, expected, came.
func (t *T) Logf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(&t.log, "%8.3fs %s\n", time.Since(t.start).Seconds(), strings.TrimRight(fmt.Sprintf(format, args...), "\n"))
}

// Errorf records a failure, as testing.T's Errorf does: the target did not
// do what is required. The case goes on (to report what else it finds) and
// its verdict is FAIL, with the messages of its failures joined by "; ".
// A failure recorded after the case ended (its timeout closed the probe
// and the agent connection) is only logged: it says nothing about the
// target.
func (t *T) Errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	now := time.Now()
	if !t.whileRunning(func() {
		t.failures = append(t.failures, msg)
		t.events = append(t.events, Event{Time: now, Verdict: FAIL, Message: msg})
	}) {
		t.Logf("failure after the case ended (not counted): %s", msg)
		return
	}
	t.Logf("FAIL: %s", msg)
}

// whileRunning calls f with t.mu held unless the case has ended (its probe
// and agent connection released), and reports whether it did.
func (t *T) whileRunning(f func()) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	f()
	return true
}

// Failed reports whether the case has recorded a failure (Errorf).
func (t *T) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.failures) > 0
}

// Fatalf records a failure and ends the case with FAIL: the target did not
// do what is required.
func (t *T) Fatalf(format string, args ...any) { t.end(FAIL, format, args...) }

// Brokenf ends the case with ERROR: the bench, not the target, failed (the
// agent, the probe, the harness, or a premise the case cannot set up). A
// failure recorded before (Errorf) still makes the verdict FAIL.
func (t *T) Brokenf(format string, args ...any) { t.end(ERROR, format, args...) }

// Unsupported ends the case with UNSUPPORTED: an optional feature the
// target does not offer.
func (t *T) Unsupported(format string, args ...any) { t.end(UNSUPPORTED, format, args...) }

// Skipf ends the case with SKIP.
func (t *T) Skipf(format string, args ...any) { t.end(SKIP, format, args...) }

func (t *T) end(v Verdict, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	t.mu.Lock()
	if t.verdict == "" {
		t.verdict, t.message = v, msg
		if !t.closed { // after the case ended, the suite gives its own verdict
			t.events = append(t.events, Event{Time: time.Now(), Verdict: v, Message: msg})
		}
	}
	t.mu.Unlock()
	t.Logf("%s: %s", v, msg)
	runtime.Goexit()
}
