package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"tcpregress.dev/pcap/testenv"
	"tcpregress.dev/tcpstack/netns"
	"tcpregress.dev/tcpstack/syncbuf"
)

// result is what one run of the command gave.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.code, trim(r.stdout), trim(r.stderr))
}

func trim(s string) string {
	if len(s) > 300 {
		return fmt.Sprintf("%s … (%d bytes) … %s", s[:100], len(s), s[len(s)-100:])
	}
	return s
}

// runTool runs the command with stdin and waits for it.
func runTool(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	// Log events come from several goroutines: the buffers must be safe
	// for concurrent writers, as os.Stderr is.
	var stdout, stderr syncbuf.Buffer
	code := run(args, stdin, &stdout, &stderr)
	r := result{code, stdout.String(), stderr.String()}
	t.Logf("tcpdial %s: %v", strings.Join(args, " "), r)
	return r
}

// wantExit checks that a run (what it was, for the message) exited with
// code and wrote exactly stderr.
func wantExit(t *testing.T, what string, r result, code int, stderr string) {
	t.Helper()
	if r.code != code || r.stderr != stderr {
		t.Errorf("%s: %v; want exit %d and %q", what, r, code, stderr)
	}
}

// background is a run of the command in a goroutine.
type background struct {
	stdout, stderr *syncbuf.Buffer
	done           chan struct{}
	code           atomic.Int32
}

// start runs the command in the background; t.Cleanup makes sure it has
// ended (after SIGTERM if need be) before the namespaces go.
func start(t *testing.T, stdin io.Reader, args ...string) *background {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	b := &background{stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, done: make(chan struct{})}
	go func() {
		defer close(b.done)
		b.code.Store(int32(run(args, stdin, b.stdout, b.stderr)))
	}()
	t.Cleanup(func() {
		select {
		case <-b.done:
		case <-time.After(30 * time.Second):
			t.Errorf("tcpdial %s did not end", strings.Join(args, " "))
		}
	})
	return b
}

// wait waits for the background run to end and returns its result.
func (b *background) wait(t *testing.T, within time.Duration) result {
	t.Helper()
	select {
	case <-b.done:
	case <-time.After(within):
		t.Fatalf("tcpdial still running after %v; stderr %q", within, b.stderr.String())
	}
	r := result{int(b.code.Load()), b.stdout.String(), b.stderr.String()}
	t.Logf("background tcpdial: %v", r)
	return r
}

// signal sends sig to this process, whose run in b handles it, and
// checks that the run ends with code and stderr's last line says last.
func (b *background) signal(t *testing.T, sig syscall.Signal, code int, last string) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		t.Fatal(err)
	}
	if r := b.wait(t, 10*time.Second); r.code != code || !strings.HasSuffix(r.stderr, last) {
		t.Errorf("%v; want exit %d and %q last", r, code, last)
	}
}

// waitFor polls until cond holds.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	if !testenv.Eventually(within, cond) {
		t.Fatalf("timed out after %v waiting for %s", within, what)
	}
}

// newPair makes two namespaces joined by a veth pair; side A's kernel has
// no IPv4 address, so tcpdial runs there with an unused address. The test
// must leave no goroutine behind (checkGoroutines).
func newPair(t *testing.T) *netns.Pair {
	t.Helper()
	p := netns.NewTestPair(t, netns.Config{NoAddrA: true})
	checkGoroutines(t)
	return p
}

// hostPort returns side B's kernel address and a port, as arguments.
func peerArgs(p *netns.Pair, port int) []string {
	return []string{p.B.Addr.Addr().String(), fmt.Sprint(port)}
}

// baseArgs are the flags every test run in side A uses.
func baseArgs(p *netns.Pair, extra ...string) []string {
	return append([]string{"--netns", p.A.NS.Name, "-s", p.UnusedAddr(0).Addr().String()}, extra...)
}

// testPort returns a random port above the ephemeral range's start, so runs
// do not collide.
func testPort() int { return 20000 + rand.IntN(20000) }

// process is a command started in a namespace, killed in t.Cleanup.
type process struct {
	cmd    *exec.Cmd
	stdout *syncbuf.Buffer
	stderr *syncbuf.Buffer
	done   chan struct{}
	err    error
}

func startProcess(t *testing.T, cmd *exec.Cmd, stdin []byte) *process {
	t.Helper()
	p := &process{cmd: cmd, stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", strings.Join(cmd.Args, " "), err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	return p
}

// wait waits for the process to exit.
func (p *process) wait(t *testing.T, within time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(within):
		t.Fatalf("%s still running after %v; stderr %q", strings.Join(p.cmd.Args, " "), within, p.stderr.String())
		return nil
	}
}

// ncListen starts OpenBSD nc listening on port in side B, with stdin as its
// input, and waits until the kernel listens.
func ncListen(t *testing.T, p *netns.Pair, port int, stdin []byte) *process {
	t.Helper()
	nc := testenv.Program(t, "nc", "netcat-openbsd")
	proc := startProcess(t, p.B.NS.Command(nc, "-l", "-p", fmt.Sprint(port)), stdin)
	waitListening(t, p.B.NS, port)
	return proc
}

// waitListening waits until a kernel socket listens on port in ns.
func waitListening(t *testing.T, ns *netns.Namespace, port int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("a listener on port %d", port), 5*time.Second, func() bool {
		out, err := ns.Run("ss", "-Hltn", fmt.Sprintf("sport = :%d", port))
		return err == nil && strings.Contains(out, "LISTEN")
	})
}

// goListen listens with Go's net package inside side B (a kernel socket)
// and serves each connection with fn.
func goListen(t *testing.T, p *netns.Pair, port int, fn func(c *net.TCPConn)) {
	t.Helper()
	var ln net.Listener
	err := p.B.NS.Do(func() error {
		var err error
		ln, err = net.Listen("tcp4", fmt.Sprintf("%s:%d", p.B.Addr.Addr(), port))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				fn(c.(*net.TCPConn))
			})
		}
	})
}

// peerReader listens on port in side B and reads each connection to its end
// (for 20 s at most); the error that ends the read comes on the channel.
func peerReader(t *testing.T, p *netns.Pair, port int) <-chan error {
	t.Helper()
	end := make(chan error, 1)
	goListen(t, p, port, func(c *net.TCPConn) {
		c.SetDeadline(time.Now().Add(20 * time.Second))
		_, err := io.ReadAll(c)
		end <- err
	})
	return end
}

// peerEnd waits up to 10 s for the end of a peerReader's read: whether it
// ended, and its error.
func peerEnd(end <-chan error) (ended bool, err error) {
	select {
	case err := <-end:
		return true, err
	case <-time.After(10 * time.Second):
		return false, nil
	}
}

// checkGoroutines fails the test if goroutines started during it are still
// running a moment after it: the stack's readers and timers, copy loops,
// signal watchers. (os/signal's own loop, started by the first Notify, and
// the runtime's cleanup and finalizer goroutines, which run now and then,
// do not count.)
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := len(goroutines())
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for len(goroutines()) > before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if g := goroutines(); len(g) > before {
			t.Errorf("%d goroutines before, %d after:\n%s", before, len(g), strings.Join(g, "\n\n"))
		}
	})
}

// goroutines returns the stacks of the goroutines other than the caller,
// os/signal's loop and the runtime's cleanups.
func goroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 || strings.Contains(g, "os/signal.signal_recv") || strings.Contains(g, "runtime.runCleanups") || strings.Contains(g, "runtime.runFinalizers") {
			continue // the first is the caller's; the others are the runtime's
		}
		out = append(out, g)
	}
	return out
}
