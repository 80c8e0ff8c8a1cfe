package conns

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"tcpregress.dev/tcpstack/netns"
)

// ChildArg is the hidden subcommand under which the benchmark runs its
// kernel-side helpers: the command re-executes itself as
// `ip netns exec NS COMMAND _conns-child ROLE`, so that a helper's sockets
// are in that namespace and its memory and CPU are not the measuring
// process's. Commands that use this package call MaybeChild first thing in
// main (and tests in TestMain).
const ChildArg = "_conns-child"

// MaybeChild runs the helper and exits when the process was started as
// one (os.Args[1] == ChildArg); otherwise it returns.
func MaybeChild() {
	if len(os.Args) < 3 || os.Args[1] != ChildArg {
		return
	}
	if err := runChild(os.Args[2], os.Args[3:]); err != nil {
		fmt.Fprintf(os.Stderr, "connbench helper %s: %v\n", os.Args[2], err)
		os.Exit(1)
	}
	os.Exit(0)
}

// request is what the measuring process asks a helper, one JSON line each.
type request struct {
	Op       string // "rate", "latency", "open", "verify", "close"
	Addr     string // host:port to connect to
	Closer   Closer
	Clients  int
	Duration time.Duration
	MaxConns int
	Warmup   int
	RTTs     int
	N        int // "open": connections to open
}

// reply is a helper's answer, one JSON line.
type reply struct {
	Error   string         `json:",omitempty"`
	Ready   bool           `json:",omitempty"`
	Rate    *RateResult    `json:",omitempty"`
	Latency *LatencyResult `json:",omitempty"`
	Opened  int            `json:",omitempty"`
	Alive   int            `json:",omitempty"`
}

func runChild(role string, args []string) error {
	// A helper ends when the measuring process does: its stdin closes.
	in := json.NewDecoder(bufio.NewReader(os.Stdin))
	out := json.NewEncoder(os.Stdout)
	switch role {
	case "server":
		if len(args) != 1 {
			return errors.New("usage: server ADDR")
		}
		return childServer(args[0], in, out)
	case "client":
		return childClient(in, out)
	case "holders":
		return childHolders(in, out)
	}
	return fmt.Errorf("unknown role %q", role)
}

// childServer is the kernel server: request-response on two ports (the
// server closes first on one, the client on the other) and echo on a third.
// Go's net.Listen sets SO_REUSEADDR.
func childServer(addr string, in *json.Decoder, out *json.Encoder) error {
	serve := func(port int, handle func(net.Conn)) error {
		ln, err := net.Listen("tcp4", net.JoinHostPort(addr, strconv.Itoa(port)))
		if err != nil {
			return err
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					if errors.Is(err, net.ErrClosed) {
						return
					}
					// EMFILE and the like: back off a little.
					time.Sleep(10 * time.Millisecond)
					continue
				}
				go handle(c)
			}
		}()
		return nil
	}
	rr := func(c net.Conn, closer Closer) {
		defer c.Close()
		var b [1]byte
		if _, err := io.ReadFull(c, b[:]); err != nil {
			return
		}
		if _, err := c.Write(b[:]); err != nil {
			return
		}
		if closer == ClientCloses {
			c.Read(b[:]) // the client's FIN
		}
	}
	if err := serve(portServerCloses, func(c net.Conn) { rr(c, ServerCloses) }); err != nil {
		return err
	}
	if err := serve(portClientCloses, func(c net.Conn) { rr(c, ClientCloses) }); err != nil {
		return err
	}
	if err := serve(portEcho, func(c net.Conn) {
		defer c.Close()
		io.Copy(c, c)
	}); err != nil {
		return err
	}
	if err := out.Encode(reply{Ready: true}); err != nil {
		return err
	}
	io.Copy(io.Discard, os.Stdin)
	return nil
}

// childClient is the kernel client of the rate and latency benchmarks.
func childClient(in *json.Decoder, out *json.Encoder) error {
	d := &net.Dialer{}
	return answer(in, out, func(req request) (rep reply) {
		switch req.Op {
		case "rate":
			dial := func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp4", req.Addr) }
			r := runRate(dial, req.Closer, req.Clients, req.Duration, req.MaxConns)
			rep.Rate = &r
		case "latency":
			c, err := d.Dial("tcp4", req.Addr)
			if err != nil {
				rep.Error = err.Error()
				break
			}
			r, err := runLatency(c, req.Warmup, req.RTTs)
			c.Close()
			if err != nil {
				rep.Error = err.Error()
			}
			rep.Latency = &r
		default:
			rep.Error = fmt.Sprintf("unknown op %q", req.Op)
		}
		return rep
	})
}

// answer says it is ready, then answers each request with handle until its
// input ends.
func answer(in *json.Decoder, out *json.Encoder, handle func(request) reply) error {
	if err := out.Encode(reply{Ready: true}); err != nil {
		return err
	}
	for {
		var req request
		if err := in.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := out.Encode(handle(req)); err != nil {
			return err
		}
	}
}

// childHolders opens and holds the kernel clients of the scale benchmark.
func childHolders(in *json.Decoder, out *json.Encoder) error {
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	return answer(in, out, func(req request) (rep reply) {
		switch req.Op {
		case "open":
			var err error
			conns, err = openHolders(req.Addr, req.N, req.Clients)
			rep.Opened = len(conns)
			if err != nil {
				rep.Error = err.Error()
			}
		case "verify":
			alive, err := exchangeAll(conns, req.Clients)
			rep.Alive = alive
			if err != nil {
				rep.Error = err.Error()
			}
		case "close":
			for _, c := range conns {
				c.Close()
			}
			conns = nil
		default:
			rep.Error = fmt.Sprintf("unknown op %q", req.Op)
		}
		return rep
	})
}

// openHolders opens n connections to addr, concurrency at a time, each
// exchanging one byte with the (echoing) server.
func openHolders(addr string, n, concurrency int) ([]net.Conn, error) {
	conns := make([]net.Conn, n)
	// Go turns TCP keep-alive on by default (a probe after 15 s idle); off
	// here, so that the connections are idle for as long as the benchmark
	// measures. With it on, our stack answers one probe per connection
	// every 15 s.
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: -1}
	_, err := parallel(n, concurrency, true, func(i int) error {
		c, err := d.Dial("tcp4", addr)
		if err != nil {
			return err
		}
		if err := exchange(c); err != nil {
			c.Close()
			return err
		}
		conns[i] = c
		return nil
	})
	held := conns[:0]
	for _, c := range conns {
		if c != nil {
			held = append(held, c)
		}
	}
	return held, err
}

// exchangeAll exchanges one byte on every connection and counts those that
// answered.
func exchangeAll(conns []net.Conn, concurrency int) (int, error) {
	return parallel(len(conns), concurrency, false, func(i int) error { return exchange(conns[i]) })
}

// parallel calls fn for 0..n-1, concurrency calls at a time, and returns how
// many succeeded and the first error, which names its index. With
// stopOnErr, no call starts after an error.
func parallel(n, concurrency int, stopOnErr bool, fn func(i int) error) (int, error) {
	var (
		mu       sync.Mutex
		ok       int
		firstErr error
		next     int
		wg       sync.WaitGroup
	)
	for range max(concurrency, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := stopOnErr && firstErr != nil
				mu.Unlock()
				if i >= n || stop {
					return
				}
				err := fn(i)
				mu.Lock()
				if err == nil {
					ok++
				} else if firstErr == nil {
					firstErr = fmt.Errorf("connection %d: %w", i, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return ok, firstErr
}

func exchange(c net.Conn) error {
	c.SetDeadline(time.Now().Add(30 * time.Second))
	defer c.SetDeadline(time.Time{})
	b := []byte{'h'}
	if _, err := c.Write(b); err != nil {
		return err
	}
	_, err := io.ReadFull(c, b)
	return err
}

// child is the measuring process's handle on a helper.
type child struct {
	name string
	cmd  *exec.Cmd
	in   io.WriteCloser
	enc  *json.Encoder
	dec  *json.Decoder
	done chan struct{} // closed when the process has exited
	werr error
	mu   sync.Mutex // one call at a time
	once sync.Once
}

// startChild starts the helper role inside ns and waits for it to be ready.
func startChild(exe string, ns *netns.Namespace, role string, args ...string) (*child, error) {
	name := role + "@" + ns.Name
	cmd := ns.Command(exe, append([]string{ChildArg, role}, args...)...)
	cmd.Stderr = os.Stderr
	// Belt and braces: stdin EOF ends a helper, and so does our death.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outp, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting helper %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, in: in, enc: json.NewEncoder(in), dec: json.NewDecoder(bufio.NewReader(outp)), done: make(chan struct{})}
	go func() {
		c.werr = cmd.Wait()
		close(c.done)
	}()
	var rep reply
	if err := c.recv(&rep, 30*time.Second); err != nil {
		c.stop()
		return nil, err
	}
	if !rep.Ready {
		c.stop()
		return nil, fmt.Errorf("helper %s: did not report ready", name)
	}
	return c, nil
}

// call sends req and waits up to timeout for the reply.
func (c *child) call(req request, timeout time.Duration) (reply, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.enc.Encode(req); err != nil {
		return reply{}, fmt.Errorf("helper %s: sending %s: %w", c.name, req.Op, err)
	}
	var rep reply
	if err := c.recv(&rep, timeout); err != nil {
		return reply{}, err
	}
	if rep.Error != "" {
		return rep, fmt.Errorf("helper %s: %s: %s", c.name, req.Op, rep.Error)
	}
	return rep, nil
}

func (c *child) recv(rep *reply, timeout time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- c.dec.Decode(rep) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-errc:
		if err != nil {
			exit := "still running"
			select {
			case <-c.done:
				exit = fmt.Sprint(c.werr)
			case <-time.After(2 * time.Second):
			}
			return fmt.Errorf("helper %s: reading its reply: %w (exit status: %s)", c.name, err, exit)
		}
		return nil
	case <-t.C:
		c.stop()
		return fmt.Errorf("helper %s: no reply within %v; stopped it", c.name, timeout)
	}
}

// stop closes the helper's stdin, waits for it to exit, and kills it after
// 10 s.
func (c *child) stop() {
	c.once.Do(func() {
		c.in.Close()
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			c.cmd.Process.Kill()
			<-c.done
		}
	})
}
