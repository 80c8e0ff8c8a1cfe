// Package conns benchmarks many short connections, request latency, and
// many idle connections: tcpstack (our userland stack over libpcap) against
// the Linux kernel's TCP, over the same kind of veth link. Command connbench
// runs it and prints the tables; benchmarks/README.md explains what each
// number means.
package conns

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"tcpregress.dev/benchmarks/internal/procstat"
	"tcpregress.dev/tcpstack"
)

// Options select and size the benchmarks.
type Options struct {
	// Rounds of each measurement; the tables show medians over rounds.
	Rounds int

	// RateDuration is the length of one round of the connection-rate
	// benchmark for one implementation and one client count. When
	// RateConns > 0 a round ends after that many connections instead.
	RateDuration time.Duration
	RateConns    int
	// RateClients are the numbers of concurrent clients to measure.
	RateClients []int
	// Closer is the side that closes first (keeps TIME-WAIT).
	Closer Closer

	// RTTs is the number of measured round trips of one latency round,
	// after Warmup unmeasured ones.
	RTTs, Warmup int

	// ScaleConns is the number of connections held open; OpenConcurrency
	// is how many the kernel clients open at a time; Idle is the window
	// over which idle CPU is measured; Settle is the wait before measuring
	// (delayed ACKs fire, the last segments drain).
	ScaleConns      int
	OpenConcurrency int
	Idle, Settle    time.Duration

	// CPUProfile and MemProfile, when set, are files for profiles of this
	// process (our stack): CPUProfile gets one per benchmark (its name is
	// inserted before the extension: cpu-rate.pprof, cpu-latency.pprof,
	// cpu-scale-idle.pprof); MemProfile is the heap profile taken when the
	// scale benchmark measures memory.
	CPUProfile, MemProfile string

	// Raw receives one line per measurement (key=value fields).
	Raw io.Writer
	// Logf reports progress.
	Logf func(string, ...any)
}

// Results are what Run measured.
type Results struct {
	Options  Options
	Rate     []RateRound
	Counters []CounterDelta
	Latency  []LatencyRound
	Scale    *ScaleResult
}

// RateRound is one round of one implementation at one client count.
type RateRound struct {
	Impl    string // "ours" or "kernel"
	Clients int
	Round   int
	RateResult
}

// LatencyRound is one round of the latency benchmark.
type LatencyRound struct {
	Impl  string
	Round int
	LatencyResult
}

// CounterDelta is how the kernel server's TCP counters moved over all
// rounds of one rate configuration.
type CounterDelta struct {
	Impl    string
	Clients int
	Delta   map[string]int64
}

// Benchmarks lists the benchmark names Run accepts, in the order it runs
// them.
var Benchmarks = []string{"rate", "latency", "scale"}

// Run builds the environment, runs the named benchmarks and removes the
// environment.
func Run(o Options, which []string) (res *Results, err error) {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Raw == nil {
		o.Raw = io.Discard
	}
	want := map[string]bool{}
	for _, w := range which {
		want[w] = true
	}
	o.Logf("setting up namespaces, veth pairs and kernel helpers")
	env, err := NewEnv(o.Logf)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := env.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("removing the namespaces: %w", cerr)
		}
	}()
	res = &Results{Options: o}
	fmt.Fprintf(o.Raw, "# connbench %s; rounds=%d rate-duration=%v rate-conns=%d clients=%v closer=%s rtts=%d warmup=%d conns=%d idle=%v\n",
		time.Now().UTC().Format(time.RFC3339), o.Rounds, o.RateDuration, o.RateConns, o.RateClients, o.Closer, o.RTTs, o.Warmup, o.ScaleConns, o.Idle)
	for _, b := range Benchmarks {
		if !want[b] {
			continue
		}
		var err error
		switch b {
		case "rate":
			err = env.runRate(o, res)
		case "latency":
			err = env.runLatency(o, res)
		case "scale":
			res.Scale, err = env.runScale(o)
		}
		if err != nil {
			return res, fmt.Errorf("%s: %w", b, err)
		}
	}
	return res, nil
}

// profileName inserts -what before the extension of path.
func profileName(path, what string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + what + ext
}

// startCPUProfile starts a CPU profile for one benchmark when asked; the
// returned function stops it.
func startCPUProfile(o Options, what string) (stop func(), err error) {
	if o.CPUProfile == "" {
		return func() {}, nil
	}
	name := profileName(o.CPUProfile, what)
	f, err := os.Create(name)
	if err != nil {
		return nil, fmt.Errorf("CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("CPU profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		o.Logf("CPU profile of our side: %s", name)
	}, nil
}

func (e *Env) runRate(o Options, res *Results) error {
	s, err := e.newStack()
	if err != nil {
		return err
	}
	defer s.Close()
	oursTarget := serverAddr(e.Ours, o.Closer.port())
	kernTarget := serverAddr(e.Kern, o.Closer.port())
	ours := func(ctx context.Context) (net.Conn, error) {
		c, err := s.DialTCP(ctx, "tcp4", oursTarget)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	kernel := func(clients int, d time.Duration, maxConns int) (RateResult, error) {
		timeout := d + 2*time.Minute
		if maxConns > 0 {
			timeout = 5 * time.Minute
		}
		rep, err := e.kernClient.call(request{Op: "rate", Addr: kernTarget, Closer: o.Closer, Clients: clients, Duration: d, MaxConns: maxConns}, timeout)
		if err != nil {
			return RateResult{}, err
		}
		return *rep.Rate, nil
	}
	stop, err := startCPUProfile(o, "rate")
	if err != nil {
		return err
	}
	defer stop()
	// Warm up: ARP, the helpers' goroutines and the first connections.
	o.Logf("rate: warming up")
	for _, n := range o.RateClients {
		if r := runRate(ours, o.Closer, n, 0, 20*n); r.Errors > 0 {
			return fmt.Errorf("warm-up of our client failed: %d errors, first: %s", r.Errors, r.FirstError)
		}
		if r, err := kernel(n, 0, 20*n); err != nil || r.Errors > 0 {
			return fmt.Errorf("warm-up of the kernel client failed: %v %s", err, r.FirstError)
		}
	}
	type key struct {
		impl    string
		clients int
	}
	deltas := map[key]map[string]int64{}
	count := func(k key, before, after map[string]int64) {
		d := deltas[k]
		if d == nil {
			d = map[string]int64{}
			deltas[k] = d
		}
		for name, v := range after {
			d[name] += v - before[name]
		}
	}
	for round := 1; round <= o.Rounds; round++ {
		for _, n := range o.RateClients {
			for _, impl := range []string{"ours", "kernel"} {
				o.Logf("rate: round %d of %d: %s, %d client(s)", round, o.Rounds, impl, n)
				p := e.Ours
				if impl == "kernel" {
					p = e.Kern
				}
				before, err := tcpCounters(p.B.NS)
				if err != nil {
					return err
				}
				var r RateResult
				if impl == "ours" {
					r = runRate(ours, o.Closer, n, o.RateDuration, o.RateConns)
				} else if r, err = kernel(n, o.RateDuration, o.RateConns); err != nil {
					return err
				}
				after, err := tcpCounters(p.B.NS)
				if err != nil {
					return err
				}
				count(key{impl, n}, before, after)
				rr := RateRound{Impl: impl, Clients: n, Round: round, RateResult: r}
				res.Rate = append(res.Rate, rr)
				fmt.Fprintf(o.Raw, "rate impl=%s clients=%d round=%d closer=%s conns=%d seconds=%.3f conn_per_s=%.1f errors=%d p50_ms=%.3f p99_ms=%.3f max_ms=%.3f slow=%d first_error=%q\n",
					impl, n, round, o.Closer, r.Conns, r.Seconds, r.Rate(), r.Errors, r.P50, r.P99, r.Max, r.Slow, r.FirstError)
				if r.Errors > 0 {
					o.Logf("rate: %s, %d client(s): %d connections failed; the first: %s", impl, n, r.Errors, r.FirstError)
				}
			}
		}
	}
	for _, n := range o.RateClients {
		for _, impl := range []string{"ours", "kernel"} {
			d := deltas[key{impl, n}]
			res.Counters = append(res.Counters, CounterDelta{Impl: impl, Clients: n, Delta: d})
			var names []string
			for name, v := range d {
				if v != 0 {
					names = append(names, name)
				}
			}
			sort.Strings(names)
			fmt.Fprintf(o.Raw, "rate-server-counters impl=%s clients=%d", impl, n)
			for _, name := range names {
				fmt.Fprintf(o.Raw, " %s=%d", name, d[name])
			}
			fmt.Fprintln(o.Raw)
		}
	}
	return nil
}

func (e *Env) runLatency(o Options, res *Results) error {
	s, err := e.newStack()
	if err != nil {
		return err
	}
	defer s.Close()
	stop, err := startCPUProfile(o, "latency")
	if err != nil {
		return err
	}
	defer stop()
	for round := 1; round <= o.Rounds; round++ {
		for _, impl := range []string{"ours", "kernel"} {
			o.Logf("latency: round %d of %d: %s", round, o.Rounds, impl)
			var r LatencyResult
			if impl == "ours" {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				c, err := s.DialTCP(ctx, "tcp4", serverAddr(e.Ours, portEcho))
				cancel()
				if err != nil {
					return err
				}
				c.SetNoDelay(true) // as Go's net package sets TCP_NODELAY
				r, err = withWatchdog(c, 10*time.Second+time.Duration(o.RTTs+o.Warmup)*time.Millisecond, func() (LatencyResult, error) {
					return runLatency(c, o.Warmup, o.RTTs)
				})
				c.Close()
				if err != nil {
					return fmt.Errorf("our client: %w", err)
				}
			} else {
				rep, err := e.kernClient.call(request{Op: "latency", Addr: serverAddr(e.Kern, portEcho), Warmup: o.Warmup, RTTs: o.RTTs},
					time.Minute+time.Duration(o.RTTs+o.Warmup)*time.Millisecond)
				if err != nil {
					return err
				}
				r = *rep.Latency
			}
			res.Latency = append(res.Latency, LatencyRound{Impl: impl, Round: round, LatencyResult: r})
			fmt.Fprintf(o.Raw, "latency impl=%s round=%d rtts=%d p50_us=%.2f p90_us=%.2f p99_us=%.2f p999_us=%.2f max_us=%.2f mean_us=%.2f\n",
				impl, round, r.N, r.P50, r.P90, r.P99, r.P999, r.Max, r.Mean)
		}
	}
	return nil
}

// withWatchdog runs fn and closes c if it takes longer than d, so that a
// stuck round fails instead of hanging; the measurement itself carries no
// deadline.
func withWatchdog[T any](c io.Closer, d time.Duration, fn func() (T, error)) (T, error) {
	done := make(chan struct{})
	var fired atomic.Bool
	go func() {
		select {
		case <-done:
		case <-time.After(d):
			fired.Store(true)
			c.Close()
		}
	}()
	v, err := fn()
	close(done)
	if fired.Load() {
		return v, fmt.Errorf("no progress within %v: %w", d, err)
	}
	return v, err
}

// ScaleResult is the scale and memory benchmark.
type ScaleResult struct {
	N                  int // connections the kernel clients opened
	Accepted           int // connections our listener's Accept returned
	Readers            int // goroutines blocked in Read, one per accepted connection
	Alive              int // connections that still echoed after the idle window
	RSSBefore          int64
	RSSAfter           int64
	HeapBefore         uint64 // runtime.MemStats.HeapInuse
	HeapAfter          uint64
	StackBefore        uint64 // runtime.MemStats.StackInuse
	StackAfter         uint64
	GoroutinesBefore   int
	GoroutinesAfter    int
	Idle               time.Duration
	IdleCPU            time.Duration // utime+stime over Idle
	IdleCtxSwitches    int64         // voluntary + involuntary, over Idle
	IdleRx, IdleTx     int64         // packets on our veth over Idle
	OpenSeconds        float64
	MemProfile         string `json:",omitempty"`
	IdleCPUProfileName string `json:",omitempty"`
}

// RSSPerConn is the resident memory added per connection, in bytes.
func (r *ScaleResult) RSSPerConn() float64 {
	return float64(r.RSSAfter-r.RSSBefore) / float64(max(r.N, 1))
}

// HeapPerConn is the Go heap in use added per connection, in bytes.
func (r *ScaleResult) HeapPerConn() float64 {
	return (float64(r.HeapAfter) - float64(r.HeapBefore)) / float64(max(r.N, 1))
}

// StackPerConn is the goroutine stack memory added per connection.
func (r *ScaleResult) StackPerConn() float64 {
	return (float64(r.StackAfter) - float64(r.StackBefore)) / float64(max(r.N, 1))
}

// IdleCPUPercent is the process's CPU use over the idle window, in percent
// of one core.
func (r *ScaleResult) IdleCPUPercent() float64 {
	if r.Idle <= 0 {
		return 0
	}
	return 100 * r.IdleCPU.Seconds() / r.Idle.Seconds()
}

// holdServer is the server side of the scale benchmark: it accepts every
// connection (a real server holds what it accepts) and gives each a
// goroutine blocked in Read, as a net.Conn server is written, echoing
// whatever arrives.
type holdServer struct {
	l        *tcpstack.Listener
	mu       sync.Mutex
	conns    []*tcpstack.Conn
	accepted atomic.Int64
	reading  atomic.Int64
	wg       sync.WaitGroup
}

func (h *holdServer) serve() {
	defer h.wg.Done()
	for {
		c, err := h.l.AcceptTCP()
		if err != nil {
			return
		}
		h.mu.Lock()
		h.conns = append(h.conns, c)
		h.mu.Unlock()
		h.accepted.Add(1)
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			defer c.Close()
			buf := make([]byte, 16)
			h.reading.Add(1)
			defer h.reading.Add(-1)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				if _, err := c.Write(buf[:n]); err != nil {
					return
				}
			}
		}()
	}
}

func (e *Env) runScale(o Options) (res *ScaleResult, err error) {
	s, err := e.newStack()
	if err != nil {
		return nil, err
	}
	defer s.Close()
	l, err := s.Listen("tcp4", fmt.Sprintf(":%d", portHold))
	if err != nil {
		return nil, err
	}
	h := &holdServer{l: l}
	h.wg.Add(1)
	go h.serve()
	defer func() {
		l.Close()
		h.mu.Lock()
		for _, c := range h.conns {
			c.Close()
		}
		h.mu.Unlock()
		h.wg.Wait()
	}()
	if e.holders == nil {
		if e.holders, err = startChild(e.exe, e.Ours.B.NS, "holders"); err != nil {
			return nil, err
		}
	}
	res = &ScaleResult{N: o.ScaleConns, Idle: o.Idle}

	settle := func() {
		time.Sleep(o.Settle)
		runtime.GC()
		runtime.GC() // sync.Pool victims
		debug.FreeOSMemory()
	}
	settle()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.HeapBefore, res.StackBefore = ms.HeapInuse, ms.StackInuse
	res.GoroutinesBefore = runtime.NumGoroutine()
	if res.RSSBefore, err = rss(); err != nil {
		return nil, err
	}

	o.Logf("scale: the kernel clients open %d connections to our listener", o.ScaleConns)
	t0 := time.Now()
	target := net.JoinHostPort(e.oursAddr().Addr().String(), fmt.Sprint(portHold))
	rep, err := e.holders.call(request{Op: "open", Addr: target, N: o.ScaleConns, Clients: o.OpenConcurrency},
		2*time.Minute+time.Duration(o.ScaleConns)*time.Millisecond)
	if err != nil {
		return nil, fmt.Errorf("opening the connections (%d opened): %w", rep.Opened, err)
	}
	for deadline := time.Now().Add(30 * time.Second); h.reading.Load() < int64(o.ScaleConns) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	res.OpenSeconds = time.Since(t0).Seconds()
	res.Accepted = int(h.accepted.Load())
	o.Logf("scale: %d connections opened in %.1f s, %d accepted", rep.Opened, res.OpenSeconds, res.Accepted)

	settle()
	runtime.ReadMemStats(&ms)
	res.HeapAfter, res.StackAfter = ms.HeapInuse, ms.StackInuse
	res.GoroutinesAfter = runtime.NumGoroutine()
	res.Readers = int(h.reading.Load())
	if res.RSSAfter, err = rss(); err != nil {
		return nil, err
	}
	if o.MemProfile != "" {
		if err := writeHeapProfile(o.MemProfile); err != nil {
			return nil, err
		}
		res.MemProfile = o.MemProfile
		o.Logf("heap profile of our side with %d connections: %s", res.Accepted, o.MemProfile)
	}

	o.Logf("scale: measuring CPU over %v of idle", o.Idle)
	rx0, tx0, err := linkPackets(e.Ours.A.NS, e.Ours.A.Veth)
	if err != nil {
		return nil, err
	}
	stop, err := startCPUProfile(o, "scale-idle")
	if err != nil {
		return nil, err
	}
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	time.Sleep(o.Idle)
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	stop()
	rx1, tx1, err := linkPackets(e.Ours.A.NS, e.Ours.A.Veth)
	if err != nil {
		return nil, err
	}
	cpu := func(ru *syscall.Rusage) time.Duration {
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	res.IdleCPU = cpu(&ru1) - cpu(&ru0)
	res.IdleCtxSwitches = (ru1.Nvcsw + ru1.Nivcsw) - (ru0.Nvcsw + ru0.Nivcsw)
	res.IdleRx, res.IdleTx = rx1-rx0, tx1-tx0

	rep, err = e.holders.call(request{Op: "verify", Clients: o.OpenConcurrency}, 2*time.Minute+time.Duration(o.ScaleConns)*time.Millisecond)
	res.Alive = rep.Alive
	if err != nil {
		o.Logf("scale: after the idle window: %v", err)
	}
	fmt.Fprintf(o.Raw, "scale impl=ours conns=%d accepted=%d readers=%d alive=%d open_s=%.2f rss_before=%d rss_after=%d rss_per_conn=%.0f heap_before=%d heap_after=%d heap_per_conn=%.0f stack_before=%d stack_after=%d stack_per_conn=%.0f goroutines_before=%d goroutines_after=%d idle_s=%.1f idle_cpu_s=%.4f idle_cpu_pct=%.3f idle_ctx_switches=%d idle_rx_pkts=%d idle_tx_pkts=%d\n",
		res.N, res.Accepted, res.Readers, res.Alive, res.OpenSeconds, res.RSSBefore, res.RSSAfter, res.RSSPerConn(),
		res.HeapBefore, res.HeapAfter, res.HeapPerConn(), res.StackBefore, res.StackAfter, res.StackPerConn(),
		res.GoroutinesBefore, res.GoroutinesAfter, res.Idle.Seconds(), res.IdleCPU.Seconds(), res.IdleCPUPercent(),
		res.IdleCtxSwitches, res.IdleRx, res.IdleTx)

	// The kernel clients close first: our side closes passively (no
	// TIME-WAIT here), and the readers see EOF and end.
	if _, err := e.holders.call(request{Op: "close"}, time.Minute); err != nil {
		return res, err
	}
	for deadline := time.Now().Add(30 * time.Second); h.reading.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	return res, nil
}

func writeHeapProfile(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("heap profile: %w", err)
	}
	return f.Close()
}

// rss returns this process's resident set size in bytes (VmRSS).
func rss() (int64, error) { return procstat.Memory("VmRSS") }
