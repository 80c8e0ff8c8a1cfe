//go:build linux

package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"tcpregress.dev/tcpstack/netns"
)

const setupTimeout = 10 * time.Second

// kernelListen opens a kernel listener on addr inside side s.
func kernelListen(s netns.Side, addr netip.AddrPort) (net.Listener, error) {
	var ln net.Listener
	err := s.NS.Do(func() error {
		var err error
		ln, err = net.Listen("tcp4", addr.String())
		return err
	})
	return ln, err
}

// kernelDial connects from side s's kernel to addr.
func kernelDial(ctx context.Context, s netns.Side, addr netip.AddrPort) (net.Conn, error) {
	var c net.Conn
	err := s.NS.Do(func() error {
		var err error
		d := net.Dialer{Timeout: setupTimeout}
		c, err = d.DialContext(ctx, "tcp4", addr.String())
		return err
	})
	return c, err
}

// runKernelGo: a Go sender on side A's kernel, a Go receiver on side B's.
func (b *Bench) runKernelGo(ctx context.Context) (result, error) {
	p := b.kernel
	addr := netip.AddrPortFrom(p.B.Addr.Addr(), uint16(b.nextPort()))
	ln, err := kernelListen(p.B, addr)
	if err != nil {
		return result{}, err
	}
	defer ln.Close()
	send, recv, err := connectVia(ln, func() (net.Conn, error) { return kernelDial(ctx, p.A, addr) })
	if err != nil {
		return result{}, err
	}
	return b.transfer(send, recv, "")
}

// iperf3Result is the part of iperf3's JSON output that is read: the
// receiver's summary.
type iperf3Result struct {
	End struct {
		SumReceived struct {
			Bytes   int64   `json:"bytes"`
			Seconds float64 `json:"seconds"`
		} `json:"sum_received"`
	} `json:"end"`
	Error string `json:"error"`
}

// runIperf3: iperf3 -c on side A sends to iperf3 -s on side B. The client
// sends Limit bytes (-n); when Duration passes first it is interrupted
// (SIGINT), and the server then reports what it received over its whole
// reporting intervals. The server's summary (the receiver's) is the result.
//
// iperf3 3.12's server now and then ends with an error instead of its
// summary when its client is interrupted ("getsockopt - Bad file
// descriptor", seen once in make test's one-second run on a loaded
// machine): such a run is made once more.
func (b *Bench) runIperf3(ctx context.Context) (result, error) {
	res, interrupted, err := b.runIperf3Once(ctx)
	if err != nil && interrupted && ctx.Err() == nil {
		res, _, err = b.runIperf3Once(ctx)
	}
	return res, err
}

// runIperf3Once is one run of runIperf3; it also reports whether the client
// was interrupted.
func (b *Bench) runIperf3Once(ctx context.Context) (_ result, interrupted bool, _ error) {
	p := b.kernel
	port := strconv.Itoa(b.nextPort())
	host := p.B.Addr.Addr().String()
	srv := p.B.NS.Command("iperf3", "-s", "-1", "-J", "-i", "0.1", "-B", host, "-p", port)
	var sout, serr bytes.Buffer
	srv.Stdout, srv.Stderr = &sout, &serr
	sc, err := startChild(srv)
	if err != nil {
		return result{}, interrupted, fmt.Errorf("iperf3 -s: %w", err)
	}
	defer sc.kill()
	// Wait until the server listens.
	for t0 := time.Now(); ; {
		out, _ := p.B.NS.Run("ss", "-Hltn", "sport = :"+port)
		if strings.TrimSpace(out) != "" {
			break
		}
		select {
		case <-sc.done:
			return result{}, interrupted, fmt.Errorf("iperf3 -s exited before listening: %v: %s", sc.err, tail(serr.String()+sout.String()))
		default:
		}
		if time.Since(t0) > setupTimeout {
			return result{}, interrupted, fmt.Errorf("iperf3 -s is not listening on %s:%s after %v", host, port, setupTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cli := p.A.NS.Command("iperf3", "-c", host, "-p", port, "-n", strconv.FormatInt(b.o.Limit, 10), "-J", "--connect-timeout", "5000")
	var cout bytes.Buffer
	cli.Stdout, cli.Stderr = &cout, &cout
	cc, err := startChild(cli)
	if err != nil {
		return result{}, interrupted, fmt.Errorf("iperf3 -c: %w", err)
	}
	defer cc.kill()
	timer := time.NewTimer(b.o.Duration)
	defer timer.Stop()
	select {
	case <-cc.done:
	case <-timer.C:
		interrupted = true
		cli.Process.Signal(syscall.SIGINT)
		if !cc.wait(stopGrace) {
			return result{}, interrupted, fmt.Errorf("iperf3 -c did not stop within %v of SIGINT", stopGrace)
		}
	case <-ctx.Done():
		return result{}, interrupted, ctx.Err()
	}
	if cc.err != nil && !interrupted {
		return result{}, interrupted, fmt.Errorf("iperf3 -c: %w: %s", cc.err, tail(cout.String()))
	}
	if !sc.wait(stopGrace) {
		return result{}, interrupted, fmt.Errorf("iperf3 -s did not end within %v of the client", stopGrace)
	}
	var r iperf3Result
	if err := json.Unmarshal(sout.Bytes(), &r); err != nil {
		return result{}, interrupted, fmt.Errorf("iperf3 -s output: %w: %s", err, tail(sout.String()+serr.String()))
	}
	if r.Error != "" && !(interrupted && strings.Contains(r.Error, "client has terminated")) {
		return result{}, interrupted, fmt.Errorf("iperf3 -s: %s", r.Error)
	}
	s := r.End.SumReceived
	if s.Bytes <= 0 || s.Seconds <= 0 {
		return result{}, interrupted, fmt.Errorf("iperf3 -s reported %d bytes in %g s", s.Bytes, s.Seconds)
	}
	return result{bytes: s.Bytes, seconds: s.Seconds}, interrupted, nil
}

// child is a started command.
type child struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when it has exited
	err  error         // its exit, once done is closed
}

// startChild starts cmd so that it dies with this process (SIGKILL when
// the thread that started it ends; the thread stays locked until cmd
// exits).
func startChild(cmd *exec.Cmd) (*child, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	c := &child{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		c.err = cmd.Wait()
		close(c.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return c, nil
}

// kill ends the command if it still runs and waits for it.
func (c *child) kill() {
	select {
	case <-c.done:
		return
	default:
	}
	c.cmd.Process.Kill()
	<-c.done
}

// wait waits at most d for the command to exit.
func (c *child) wait(d time.Duration) (exited bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.done:
		return true
	case <-t.C:
		return false
	}
}

func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 600 {
		s = "…" + s[len(s)-600:]
	}
	return s
}
