// Command soak runs tcpstack against the Linux kernel for a long time and
// checks that nothing leaks: connection churn in both directions (open,
// exchange 1 KiB each way, close) and a bulk transfer in both directions,
// between our stack (over libpcap on side A of a veth pair, whose kernel has
// no address) and kernel sockets in side B.
//
// Once a minute the workers pause at the end of their current iteration, the
// stack's connections drain to TIME-WAIT, the garbage collector runs, and
// the command prints the open file descriptors, goroutines, threads,
// resident memory and Go heap in use of its process. The run fails (exit 1)
// when any of them is higher than after the first minute: file descriptors
// and goroutines by even one, resident memory by more than -rss-slack
// (16 MiB) and the heap by more than -heap-slack (8 MiB). Those two move
// by a few MiB from one quiet moment to the next without any leak: the
// capture ring's pages, the stack's pooled buffers (kept across one garbage
// collection), the runtime's own; a leak of a few bytes per connection
// crosses them within the half million connections of a 30-minute run. It needs
// root and removes the namespaces it made, also on error and Ctrl-C.
//
//	sudo soak -duration 30m
//
// `make soak [DURATION=10m]` runs it; see benchmarks/README.md.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"tcpregress.dev/benchmarks/internal/cmdline"
	"tcpregress.dev/benchmarks/internal/procstat"
	"tcpregress.dev/tcpstack"
	"tcpregress.dev/tcpstack/link/pcap"
	"tcpregress.dev/tcpstack/netns"
)

const usageHead = `usage: soak [flags]

Connection churn and bulk transfers between tcpstack and the Linux kernel in
network namespaces; prints open fds, goroutines and RSS each -interval and
fails if any grows after the first. Needs root.

`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type options struct {
	duration, interval  time.Duration
	churners            int
	rssSlack, heapSlack int64 // bytes
	memprofile          string
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.DurationVar(&o.duration, "duration", 10*time.Minute, "how long to run (at least 2 intervals)")
	fs.DurationVar(&o.interval, "interval", time.Minute, "time between samples; the first is the baseline")
	fs.IntVar(&o.churners, "churners", 4, "concurrent churning clients in each direction")
	var rssSlack, heapSlack int
	fs.IntVar(&rssSlack, "rss-slack", 16, "MiB of RSS above the baseline tolerated as noise (the capture ring's 8 MiB, buffer pools, the runtime)")
	fs.IntVar(&heapSlack, "heap-slack", 8, "MiB of Go heap in use above the baseline tolerated as noise (buffer pools kept across one GC)")
	fs.StringVar(&o.memprofile, "memprofile", "", "write a heap profile at the end to this file")
	if err := cmdline.Parse(fs, args, usageHead, ""); err != nil {
		return cmdline.ExitCode(err)
	}
	o.rssSlack, o.heapSlack = int64(rssSlack)<<20, int64(heapSlack)<<20
	if o.duration < 2*o.interval || o.interval <= 0 || o.churners < 1 {
		fmt.Fprintf(stderr, "soak: -duration (%v) must be at least two -interval (%v), and -churners at least 1\n", o.duration, o.interval)
		return 2
	}
	if !cmdline.IsRoot("soak", stderr) {
		return 1
	}
	stop := netns.HandleSignals()
	defer stop()
	if err := soak(o, stdout); err != nil {
		fmt.Fprintf(stderr, "soak: %v\n", err)
		return 1
	}
	return 0
}

// sample is one line of the report.
type sample struct {
	at                    time.Duration
	fds, goroutines       int
	threads               int64
	rss, heap             int64 // bytes: resident, and the Go heap in use
	churned, bulk, errors int64
}

func soak(o options, out io.Writer) error {
	p, err := netns.NewPair(netns.Config{NoAddrA: true})
	if err != nil {
		return err
	}
	defer p.Close()
	us := p.UnusedAddr(0)
	link, err := pcap.Open(p.A.Veth, us.Addr(), pcap.Options{Namespace: p.A.NS.Name})
	if err != nil {
		return err
	}
	s, err := tcpstack.New(tcpstack.Config{Link: link, Addr: us})
	if err != nil {
		link.Close()
		return err
	}
	defer s.Close()
	w := &world{s: s, p: p, us: us.Addr().String(), peer: p.B.Addr.Addr().String()}
	if err := w.listen(); err != nil {
		return err
	}
	defer w.close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i := 0; i < o.churners; i++ {
		wg.Add(2)
		go w.loop(ctx, &wg, w.churnOut)
		go w.loop(ctx, &wg, w.churnIn)
	}
	wg.Add(2)
	go w.loop(ctx, &wg, w.bulkOut)
	go w.loop(ctx, &wg, w.bulkIn)

	fmt.Fprintf(out, "soak: tcpstack %s <-> kernel %s for %v, %d churners each way, bulk both ways\n\n", w.us, w.peer, o.duration, o.churners)
	fmt.Fprintln(out, "| minute | open fds | goroutines | threads | RSS MiB | Go heap MiB | connections | bulk MiB | errors |")
	fmt.Fprintln(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	start := time.Now()
	var samples []sample
	var failures []string
	for next := o.interval; next <= o.duration; next += o.interval {
		time.Sleep(time.Until(start.Add(next)))
		sm, err := w.sample(start)
		if err != nil {
			return err
		}
		samples = append(samples, sm)
		fmt.Fprintf(out, "| %.1f | %d | %d | %d | %.1f | %.1f | %d | %.0f | %d |\n", sm.at.Minutes(), sm.fds, sm.goroutines, sm.threads,
			float64(sm.rss)/(1<<20), float64(sm.heap)/(1<<20), sm.churned, float64(sm.bulk)/(1<<20), sm.errors)
		if len(samples) == 1 {
			continue
		}
		b := samples[0]
		if sm.fds > b.fds {
			failures = append(failures, fmt.Sprintf("open fds grew from %d to %d at %.1f min", b.fds, sm.fds, sm.at.Minutes()))
		}
		if sm.goroutines > b.goroutines {
			failures = append(failures, fmt.Sprintf("goroutines grew from %d to %d at %.1f min", b.goroutines, sm.goroutines, sm.at.Minutes()))
		}
		if sm.rss > b.rss+o.rssSlack {
			failures = append(failures, fmt.Sprintf("RSS grew from %.1f MiB to %.1f MiB at %.1f min (more than %d MiB)",
				float64(b.rss)/(1<<20), float64(sm.rss)/(1<<20), sm.at.Minutes(), o.rssSlack>>20))
		}
		if sm.heap > b.heap+o.heapSlack {
			failures = append(failures, fmt.Sprintf("the Go heap grew from %.1f MiB to %.1f MiB at %.1f min (more than %d MiB)",
				float64(b.heap)/(1<<20), float64(sm.heap)/(1<<20), sm.at.Minutes(), o.heapSlack>>20))
		}
	}
	cancel()
	w.gate.Lock() // let the workers see the cancellation
	w.gate.Unlock()
	wg.Wait()
	if o.memprofile != "" {
		f, err := os.Create(o.memprofile)
		if err != nil {
			return err
		}
		runtime.GC()
		err = pprof.WriteHeapProfile(f)
		f.Close()
		if err != nil {
			return err
		}
	}
	last := samples[len(samples)-1]
	fmt.Fprintf(out, "\n%d connections, %.0f MiB of bulk data, %d errors; stack stats %+v\n", last.churned, float64(last.bulk)/(1<<20), last.errors, s.Stats())
	if last.churned == 0 || last.bulk == 0 {
		failures = append(failures, "no traffic went through: see the errors above")
	}
	if len(failures) > 0 {
		return errors.New(strings.Join(failures, "; "))
	}
	fmt.Fprintln(out, "soak: ok: nothing grew after the first interval")
	return nil
}

// world is the traffic: our listener and dialer, the kernel's listener and
// dialer in side B, and the counters.
type world struct {
	s        *tcpstack.Stack
	p        *netns.Pair
	us, peer string

	ours    *tcpstack.Listener
	kernel  net.Listener // echo for churn, sink and source for bulk by first byte
	gate    sync.RWMutex // workers hold it for reading during one iteration
	handles sync.WaitGroup

	churned, bulk, errs atomic.Int64
	lastErr             atomic.Value
}

const (
	portOurs   = 5001
	portKernel = 5002
	exchange   = 1024
	bulkChunk  = 16 << 20
)

func (w *world) listen() error {
	var err error
	if w.ours, err = w.s.Listen("tcp", ":"+strconv.Itoa(portOurs)); err != nil {
		return err
	}
	if err := w.p.B.NS.Do(func() error {
		var err error
		w.kernel, err = net.Listen("tcp4", net.JoinHostPort(w.peer, strconv.Itoa(portKernel)))
		return err
	}); err != nil {
		return err
	}
	// Kernel clients may reuse their TIME-WAIT ports, as a load generator's.
	if _, err := w.p.B.NS.Run("sysctl", "-qw", "net.ipv4.tcp_tw_reuse=1", "net.ipv4.ip_local_port_range=10000 65000"); err != nil {
		return err
	}
	go w.accept(func() (net.Conn, error) { return w.ours.Accept() }, false)
	go w.accept(w.kernel.Accept, true)
	return nil
}

func (w *world) close() {
	w.ours.Close()
	w.kernel.Close()
}

// accept serves a listener: the first byte of a connection says what it is
// for, 'e' echo exchange bytes, 's' sink bulkChunk bytes then answer one
// byte, 'g' send bulkChunk bytes. The kernel's server closes after one
// request and ours waits for the client to close, so that TIME-WAIT (2 MSL,
// 4 minutes) is always on the kernel's side: what our stack holds reaches
// its steady state within the first interval.
func (w *world) accept(accept func() (net.Conn, error), closeFirst bool) {
	for {
		c, err := accept()
		if err != nil {
			return
		}
		w.handles.Add(1)
		go func() {
			defer w.handles.Done()
			defer c.Close()
			if err := serve(c, closeFirst); err != nil {
				w.fail(err)
			}
		}()
	}
}

func serve(c net.Conn, closeFirst bool) error {
	var kind [1]byte
	for i := 0; ; i++ {
		if i == 1 && closeFirst {
			return nil
		}
		if _, err := io.ReadFull(c, kind[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("server: reading the request: %w", err)
		}
		switch kind[0] {
		case 'e':
			buf := make([]byte, exchange)
			if _, err := io.ReadFull(c, buf); err != nil {
				return fmt.Errorf("server: echo: %w", err)
			}
			if _, err := c.Write(buf); err != nil {
				return fmt.Errorf("server: echo: %w", err)
			}
		case 's':
			if n, err := io.CopyN(io.Discard, c, bulkChunk); err != nil {
				return fmt.Errorf("server: sink after %d bytes: %w", n, err)
			}
			if _, err := c.Write([]byte{'k'}); err != nil {
				return err
			}
		case 'g':
			if _, err := io.CopyN(c, zeros{}, bulkChunk); err != nil {
				return fmt.Errorf("server: source: %w", err)
			}
		default:
			return fmt.Errorf("server: unknown request %q", kind[0])
		}
	}
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

func (w *world) fail(err error) {
	w.errs.Add(1)
	w.lastErr.Store(err.Error())
}

// loop runs one worker's iterations, each under the gate, until ctx ends.
// A failed iteration is counted and retried after a pause.
func (w *world) loop(ctx context.Context, wg *sync.WaitGroup, iter func(context.Context) error) {
	defer wg.Done()
	for ctx.Err() == nil {
		w.gate.RLock()
		err := iter(ctx)
		w.gate.RUnlock()
		if err != nil && ctx.Err() == nil {
			w.fail(err)
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func (w *world) dialOurs(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return w.s.DialContext(ctx, "tcp", net.JoinHostPort(w.peer, strconv.Itoa(portKernel)))
}

func (w *world) dialKernel() (net.Conn, error) {
	var c net.Conn
	err := w.p.B.NS.Do(func() error {
		var err error
		c, err = net.DialTimeout("tcp4", net.JoinHostPort(w.us, strconv.Itoa(portOurs)), 10*time.Second)
		return err
	})
	return c, err
}

// echo sends one exchange on c and checks the answer.
func echo(c net.Conn, seed byte) error {
	req := bytes.Repeat([]byte{seed}, exchange+1)
	req[0] = 'e'
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(req); err != nil {
		return err
	}
	got := make([]byte, exchange)
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if !bytes.Equal(got, req[1:]) {
		return errors.New("echo came back different")
	}
	return nil
}

// awaitEOF reads what is left on c: nothing, then the server's FIN.
func awaitEOF(c net.Conn) error {
	var b [1]byte
	if n, err := c.Read(b[:]); n > 0 || !errors.Is(err, io.EOF) {
		return fmt.Errorf("expected the server to close, read %d bytes, %v", n, err)
	}
	return nil
}

func (w *world) churn(c net.Conn, err error, serverCloses bool) error {
	if err != nil {
		return err
	}
	defer c.Close()
	if err := echo(c, byte(w.churned.Load())); err != nil {
		return fmt.Errorf("churn: %w", err)
	}
	if serverCloses {
		if err := awaitEOF(c); err != nil {
			return fmt.Errorf("churn: %w", err)
		}
	}
	w.churned.Add(1)
	return nil
}

func (w *world) churnOut(ctx context.Context) error {
	c, err := w.dialOurs(ctx)
	return w.churn(c, err, true)
}

func (w *world) churnIn(context.Context) error {
	c, err := w.dialKernel()
	return w.churn(c, err, false)
}

// bulkConn dials the kernel's server from our stack for a bulk transfer
// and asks it for one: 's' (sink bulkChunk bytes, answer one byte and
// close) or 'g' (send bulkChunk bytes and close).
func (w *world) bulkConn(ctx context.Context, cmd byte) (net.Conn, error) {
	c, err := w.dialOurs(ctx)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	if _, err := c.Write([]byte{cmd}); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// bulkOut sends bulkChunk bytes from our stack to the kernel's sink on a
// fresh connection and waits for its answer.
func (w *world) bulkOut(ctx context.Context) error {
	c, err := w.bulkConn(ctx, 's')
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := io.CopyN(c, zeros{}, bulkChunk); err != nil {
		return fmt.Errorf("bulk out: %w", err)
	}
	var k [1]byte
	if _, err := io.ReadFull(c, k[:]); err != nil {
		return fmt.Errorf("bulk out: waiting for the sink: %w", err)
	}
	if err := awaitEOF(c); err != nil {
		return fmt.Errorf("bulk out: %w", err)
	}
	w.bulk.Add(bulkChunk)
	return nil
}

// bulkIn has the kernel's server send bulkChunk bytes to our stack.
func (w *world) bulkIn(ctx context.Context) error {
	c, err := w.bulkConn(ctx, 'g')
	if err != nil {
		return err
	}
	defer c.Close()
	if n, err := io.CopyN(io.Discard, c, bulkChunk); err != nil {
		return fmt.Errorf("bulk in: after %d bytes: %w", n, err)
	}
	if err := awaitEOF(c); err != nil {
		return fmt.Errorf("bulk in: %w", err)
	}
	w.bulk.Add(bulkChunk)
	return nil
}

// sample pauses the workers, waits until every server handler has ended,
// collects garbage and reads the process's figures.
func (w *world) sample(start time.Time) (sample, error) {
	w.gate.Lock()
	defer w.gate.Unlock()
	done := make(chan struct{})
	go func() { w.handles.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		return sample{}, errors.New("the server handlers did not end within a minute of the clients closing")
	}
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	sm := sample{at: time.Since(start), goroutines: runtime.NumGoroutine(),
		heap: int64(ms.HeapInuse), churned: w.churned.Load(), bulk: w.bulk.Load(), errors: w.errs.Load()}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return sm, err
	}
	sm.fds = len(ents)
	if sm.rss, err = procstat.Memory("VmRSS"); err != nil {
		return sm, err
	}
	sm.threads, _ = procstat.Field("Threads")
	if e, ok := w.lastErr.Load().(string); ok && e != "" {
		fmt.Fprintf(os.Stderr, "soak: last error: %s\n", e)
		w.lastErr.Store("")
	}
	return sm, nil
}
