package suite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"tcpregress.dev/tcpstack/probe"
)

// portAllocator hands out the ports of a run, each once.
type portAllocator struct {
	mu             sync.Mutex
	nextPort, last uint32
}

func (a *portAllocator) next() (uint16, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.nextPort > a.last {
		return 0, false
	}
	p := a.nextPort
	a.nextPort++
	return uint16(p), true
}

// graceAfterTimeout is how long Run waits for a timed-out case to return
// after its probe and agent connection were closed, before leaving it.
// (A variable for the suite's tests.)
var graceAfterTimeout = 2 * time.Second

// Run executes cases in order (opts.Jobs at a time) and returns one Result
// per case, in the order of cases. Cancelling ctx ends the running cases
// with ERROR and marks those not started as SKIP. Slow cases (Case.Slow)
// are SKIP unless opts.Slow is set.
func Run(ctx context.Context, cases []Case, env Env, opts Options) []Result {
	jobs := max(opts.Jobs, 1)
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.PortFirst == 0 {
		opts.PortFirst, opts.PortLast = 20000, 39999
	}
	ports := &portAllocator{nextPort: uint32(opts.PortFirst), last: uint32(opts.PortLast)}
	results := make([]Result, len(cases))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(jobs, len(cases)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c := cases[i]
				if opts.OnStart != nil {
					opts.OnStart(c)
				}
				var r Result
				slowSkip := false
				switch {
				case ctx.Err() != nil:
					r = skipped(c, "run cancelled")
				case c.Slow > 0 && !opts.Slow:
					r, slowSkip = skipped(c, SlowMessage(c)), true
				default:
					r = runCase(ctx, c, &env, ports, opts)
				}
				// A slow case left out did not run: its expectation, about
				// the verdict it gives when it runs, is not contradicted.
				r.Expected = slowSkip || opts.Expect.expected(c.ID, r.Verdict)
				if x, ok := opts.Expect[c.ID]; ok && !r.Expected && r.Verdict == PASS {
					r.Message = fmt.Sprintf("unexpected pass (expected %s: %s)", x.Verdict, x.Reason)
				}
				results[i] = r
				if opts.OnDone != nil {
					opts.OnDone(r)
				}
			}
		}()
	}
	for i := range cases {
		work <- i
	}
	close(work)
	wg.Wait()
	return results
}

func skipped(c Case, msg string) Result {
	r := newResult(c)
	r.Verdict, r.Message = SKIP, msg
	return r
}

func newResult(c Case) Result {
	return Result{ID: c.ID, Title: c.Title, Level: c.Level, Area: c.Area, Requirements: c.Requirements}
}

// runCase runs one case in its own goroutine and waits for it or its
// timeout.
func runCase(ctx context.Context, c Case, env *Env, ports *portAllocator, opts Options) Result {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = opts.Timeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := &T{c: c, ctx: cctx, env: env, ports: ports, start: time.Now(), target: env.Target}
	res := newResult(c)
	p0, ok := ports.next()
	if !ok {
		res.Verdict, res.Message = ERROR, "suite: the port range is used up"
		return res
	}
	t.reserved = p0
	if env.NewProbe != nil {
		t.probe, t.releaseProbe = env.NewProbe([]uint16{p0})
	}

	done := make(chan struct{})
	var panicked any
	var stack []byte
	returned := false
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil {
				panicked, stack = r, debug.Stack()
			}
		}()
		c.Run(t)
		returned = true
	}()

	timedOut := false
	select {
	case <-done:
	case <-cctx.Done():
		timedOut = true
		// Wake the case: its probe waits and agent calls end.
		t.release()
		select {
		case <-done:
		case <-time.After(graceAfterTimeout):
		}
	}
	t.release()
	res.Duration = time.Since(t.start)

	t.mu.Lock()
	verdict, msg, failures := t.verdict, t.message, t.failures
	t.mu.Unlock()
	given := verdict
	switch {
	case timedOut || verdict == "" && cctx.Err() != nil && !returned:
		// A verdict the case gave after the timeout closed its probe and
		// agent connection says nothing about the target.
		verdict = ERROR
		if ctx.Err() != nil {
			msg = "run cancelled"
		} else {
			msg = fmt.Sprintf("timed out after %v", timeout)
		}
		t.Logf("ERROR: %s", msg)
	case panicked != nil:
		verdict, msg = ERROR, fmt.Sprintf("panic: %v", panicked)
		t.Logf("ERROR: %s\n%s", msg, stack)
	case verdict == "" && returned:
		verdict = PASS
	case verdict == "":
		verdict, msg = ERROR, "the case called runtime.Goexit without a verdict"
	}
	ex := &Exchange{Start: t.start, Target: env.Target.Addr}
	t.mu.Lock()
	if verdict != given && verdict != PASS { // the suite's own ending: a timeout, a panic
		t.events = append(t.events, Event{Time: t.start.Add(res.Duration), Verdict: verdict, Message: msg})
	}
	ex.Calls, ex.Events = slices.Clone(t.calls), slices.Clone(t.events)
	t.mu.Unlock()
	verdict, msg = withFailures(verdict, msg, failures)
	res.Verdict, res.Message = verdict, msg
	res.Exchange = ex

	t.mu.Lock()
	res.Trace = t.log.String()
	t.mu.Unlock()
	if t.probe != nil {
		ex.Tester, ex.Frames, ex.Expectations = t.probe.Addr(), t.probe.Frames(), t.probe.Expectations()
		var b strings.Builder
		for _, f := range ex.Frames {
			b.WriteString(f.String())
			b.WriteByte('\n')
		}
		if b.Len() > 0 {
			res.Trace += "frames:\n" + b.String()
		}
		if (verdict == FAIL || verdict == ERROR) && opts.PcapDir != "" {
			path := filepath.Join(opts.PcapDir, PcapName(c.ID))
			if err := os.MkdirAll(opts.PcapDir, 0o755); err != nil {
				res.Trace += fmt.Sprintf("pcap: %v\n", err)
			} else if err := t.probe.WritePcap(path); err != nil {
				res.Trace += fmt.Sprintf("pcap: %v\n", err)
			} else {
				res.Pcap = path
			}
		}
	}
	return res
}

// withFailures is the verdict and message of a case that recorded failures
// (T.Errorf) and ended with verdict and msg: FAIL, whatever the ending, with
// the failures first and then how the case ended.
func withFailures(verdict Verdict, msg string, failures []string) (Verdict, string) {
	if len(failures) == 0 {
		return verdict, msg
	}
	all := strings.Join(failures, "; ")
	switch verdict {
	case PASS:
		return FAIL, all
	case FAIL:
		return FAIL, all + "; " + msg
	}
	return FAIL, fmt.Sprintf("%s; then %s: %s", all, verdict, msg)
}

// PcapName is the file name of a case's capture: its ID with slashes
// turned into underscores, and ".pcap".
func PcapName(id string) string { return strings.ReplaceAll(id, "/", "_") + ".pcap" }

// release closes the case's probe and agent connection (once).
func (t *T) release() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	a := t.agent
	captures := t.captures
	t.mu.Unlock()
	for _, c := range captures {
		if _, err := c.Stop(); err != nil {
			t.Logf("stopping the link capture: %v", err)
		}
	}
	if t.probe != nil {
		if err := t.probe.Close(); err != nil && !errors.Is(err, probe.ErrClosed) {
			t.Logf("closing the probe: %v", err)
		}
	}
	if t.releaseProbe != nil {
		t.releaseProbe()
	}
	if a != nil {
		a.Disconnect()
	}
}
