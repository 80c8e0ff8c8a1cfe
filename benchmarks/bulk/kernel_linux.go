//go:build linux

package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
}

// runIperf3: iperf3 -c on side A sends to iperf3 -s on side B. The client
// sends Limit bytes (-n); when Duration passes first it is interrupted
// (SIGINT), and the server then reports what it received over its whole
// reporting intervals. The server's summary (the receiver's) is the result.
func (b *Bench) runIperf3(ctx context.Context) (result, error) {
	p := b.kernel
	port := strconv.Itoa(b.nextPort())
	host := p.B.Addr.Addr().String()
	srv := p.B.NS.Command("iperf3", "-s", "-1", "-J", "-i", "0.1", "-B", host, "-p", port)
	var sout, serr bytes.Buffer
	srv.Stdout, srv.Stderr = &sout, &serr
	sc, err := startChild(srv)
	if err != nil {
		return result{}, fmt.Errorf("iperf3 -s: %w", err)
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
			return result{}, fmt.Errorf("iperf3 -s exited before listening: %v: %s", sc.err, tail(serr.String()+sout.String()))
		default:
		}
		if time.Since(t0) > setupTimeout {
			return result{}, fmt.Errorf("iperf3 -s is not listening on %s:%s after %v", host, port, setupTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cli := p.A.NS.Command("iperf3", "-c", host, "-p", port, "-n", strconv.FormatInt(b.o.Limit, 10), "-J", "--connect-timeout", "5000")
	var cout bytes.Buffer
	cli.Stdout, cli.Stderr = &cout, &cout
	cc, err := startChild(cli)
	if err != nil {
		return result{}, fmt.Errorf("iperf3 -c: %w", err)
	}
	defer cc.kill()
	timer := time.NewTimer(b.o.Duration)
	defer timer.Stop()
	interrupted := false
	select {
	case <-cc.done:
	case <-timer.C:
		interrupted = true
		cli.Process.Signal(syscall.SIGINT)
		if !cc.wait(stopGrace) {
			return result{}, fmt.Errorf("iperf3 -c did not stop within %v of SIGINT", stopGrace)
		}
	case <-ctx.Done():
		return result{}, ctx.Err()
	}
	if cc.err != nil && !interrupted {
		return result{}, fmt.Errorf("iperf3 -c: %w: %s", cc.err, tail(cout.String()))
	}
	if !sc.wait(stopGrace) {
		return result{}, fmt.Errorf("iperf3 -s did not end within %v of the client", stopGrace)
	}
	return iperf3Summary(sout.Bytes(), serr.Bytes(), interrupted)
}

// iperf3Summary reads the server's JSON output: its summary of what it
// received, unless it reports an error that spoils it. Output that is not
// JSON is reported with the server's standard error (stderr), where iperf3
// says why.
//
// iperf3 records its errors in the output's "error" member, once for each
// (3.12 writes the member again: the last one is what a JSON decoder
// keeps), and not every one ends the test. Two do not spoil the summary:
// "the client has terminated", after the client was interrupted; and
// "getsockopt - …", when a reporting interval (-i 0.1) ends after the
// server closed the data socket at the end of the test and its read of
// TCP_INFO fails (EBADF) — the summary is already complete. That one came
// under load in about one run of fifteen with an interrupted client and
// failed the kernel→kernel (iperf3) run; any other error still does.
func iperf3Summary(out, stderr []byte, interrupted bool) (result, error) {
	var r iperf3Result
	if err := json.Unmarshal(out, &r); err != nil {
		return result{}, fmt.Errorf("iperf3 -s output: %w: %s", err, tail(string(out)+string(stderr)))
	}
	errs, err := jsonMembers(out, "error")
	if err != nil {
		return result{}, fmt.Errorf("iperf3 -s output: %w", err)
	}
	for _, e := range errs {
		switch {
		case strings.HasPrefix(e, "getsockopt - "):
		case interrupted && strings.Contains(e, "client has terminated"):
		default:
			return result{}, fmt.Errorf("iperf3 -s: %s", e)
		}
	}
	s := r.End.SumReceived
	if s.Bytes <= 0 || s.Seconds <= 0 {
		return result{}, fmt.Errorf("iperf3 -s reported %d bytes in %g s", s.Bytes, s.Seconds)
	}
	return result{bytes: s.Bytes, seconds: s.Seconds}, nil
}

// jsonMembers returns every string value of the member name of the JSON
// object in data, in order: all of them where the object repeats the name.
func jsonMembers(data []byte, name string) ([]string, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var out []string
	for d.More() {
		key, err := d.Token()
		if err != nil {
			return nil, err
		}
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, err
		}
		if key != name {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("member %q is %T, not a string", name, v)
		}
		out = append(out, s)
	}
	return out, nil
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
