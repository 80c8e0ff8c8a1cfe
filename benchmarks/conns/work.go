package conns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"tcpregress.dev/benchmarks/internal/stats"
)

// Ports of the kernel server (the child process on side B of both pairs) and
// of our listener in the scale benchmark.
const (
	portServerCloses = 7001 // request-response; the server closes first
	portClientCloses = 7002 // request-response; the client closes first
	portEcho         = 7007 // echo, for the latency benchmark
	portHold         = 7100 // our listener in the scale benchmark
)

// Closer says which side of a request-response connection closes first, and
// so which side keeps the TIME-WAIT state.
type Closer string

// The two closers.
const (
	ServerCloses Closer = "server"
	ClientCloses Closer = "client"
)

func (c Closer) port() int {
	if c == ClientCloses {
		return portClientCloses
	}
	return portServerCloses
}

// Dialer opens a client connection: our stack's DialTCP or the kernel's
// net.Dialer.
type Dialer func(ctx context.Context) (net.Conn, error)

// RateResult is one round of the connection-rate benchmark.
type RateResult struct {
	// Conns is the number of connections completed within the round
	// (handshake, 1-byte request, 1-byte response, close).
	Conns   int
	Seconds float64
	// Errors counts failed connections; FirstError is the first one.
	Errors     int    `json:",omitempty"`
	FirstError string `json:",omitempty"`
	// P50, P99 and Max are connection times in milliseconds, from the
	// dial to the end of Close. Slow counts connections that took longer
	// than 500 ms (a lost or rejected SYN costs the 1 s initial RTO).
	P50, P99, Max float64
	Slow          int
}

// Rate returns connections per second.
func (r RateResult) Rate() float64 {
	if r.Seconds <= 0 {
		return 0
	}
	return float64(r.Conns) / r.Seconds
}

// maxConsecutiveErrors stops a client that fails over and over (an
// exhausted port range fails at once, and would otherwise spin).
const maxConsecutiveErrors = 20

// runRate runs clients concurrent loops of one connection after another
// for d (or, when maxConns > 0, until maxConns connections completed).
func runRate(dial Dialer, closer Closer, clients int, d time.Duration, maxConns int) RateResult {
	var (
		mu       sync.Mutex
		times    []time.Duration
		errs     int
		firstErr error
		started  atomic.Int64
		wg       sync.WaitGroup
	)
	start := time.Now()
	end := start.Add(d)
	var last atomic.Int64 // nanoseconds after start of the last completion
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			lerrs, consecutive := 0, 0
			var lfirst error
			for {
				if maxConns > 0 {
					if started.Add(1) > int64(maxConns) {
						break
					}
				} else if !time.Now().Before(end) {
					break
				}
				t0 := time.Now()
				err := oneConn(dial, closer)
				t1 := time.Now()
				if maxConns == 0 && t1.After(end) {
					break // finished after the round: not counted
				}
				if err != nil {
					lerrs++
					consecutive++
					if lfirst == nil {
						lfirst = err
					}
					if consecutive >= maxConsecutiveErrors {
						break
					}
					continue
				}
				consecutive = 0
				local = append(local, t1.Sub(t0))
				for {
					at := int64(t1.Sub(start))
					old := last.Load()
					if at <= old || last.CompareAndSwap(old, at) {
						break
					}
				}
			}
			mu.Lock()
			times = append(times, local...)
			errs += lerrs
			if firstErr == nil {
				firstErr = lfirst
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := RateResult{Conns: len(times), Errors: errs, Seconds: d.Seconds()}
	if maxConns > 0 {
		r.Seconds = time.Duration(last.Load()).Seconds()
	}
	if firstErr != nil {
		r.FirstError = firstErr.Error()
	}
	if len(times) > 0 {
		slices.Sort(times)
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		r.P50 = ms(percentile(times, 50))
		r.P99 = ms(percentile(times, 99))
		r.Max = ms(times[len(times)-1])
		for i := len(times) - 1; i >= 0 && times[i] > 500*time.Millisecond; i-- {
			r.Slow++
		}
	}
	return r
}

// oneConn is one connection of the rate benchmark: connect, send one byte,
// read the one-byte answer, close. When the server closes first the client
// reads its FIN (io.EOF) before closing, so that the TIME-WAIT state stays on
// the server, as with an HTTP/1.0 server.
func oneConn(dial Dialer, closer Closer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	c, err := dial(ctx)
	cancel()
	if err != nil {
		return err
	}
	var b [1]byte
	b[0] = 'q'
	if _, err := c.Write(b[:]); err != nil {
		c.Close()
		return fmt.Errorf("writing the request: %w", err)
	}
	if _, err := io.ReadFull(c, b[:]); err != nil {
		c.Close()
		return fmt.Errorf("reading the response: %w", err)
	}
	if closer == ServerCloses {
		if n, err := c.Read(b[:]); n != 0 || err != io.EOF {
			c.Close()
			return fmt.Errorf("waiting for the server's close: read %d bytes, %v", n, err)
		}
	}
	return c.Close()
}

// LatencyResult is one round of the latency benchmark: round trips of one
// byte over one established connection, in microseconds.
type LatencyResult struct {
	N                              int
	P50, P90, P99, P999, Max, Mean float64
}

// runLatency sends one byte and waits for its echo, warmup times unmeasured,
// then n times measured.
func runLatency(c net.Conn, warmup, n int) (LatencyResult, error) {
	var b [1]byte
	rt := func() error {
		b[0] = 'p'
		if _, err := c.Write(b[:]); err != nil {
			return fmt.Errorf("writing: %w", err)
		}
		if _, err := io.ReadFull(c, b[:]); err != nil {
			return fmt.Errorf("reading the echo: %w", err)
		}
		return nil
	}
	for range warmup {
		if err := rt(); err != nil {
			return LatencyResult{}, err
		}
	}
	samples := make([]time.Duration, n)
	var sum time.Duration
	for i := range samples {
		t0 := time.Now()
		if err := rt(); err != nil {
			return LatencyResult{}, err
		}
		samples[i] = time.Since(t0)
		sum += samples[i]
	}
	if n == 0 {
		return LatencyResult{}, errors.New("no round trips")
	}
	slices.Sort(samples)
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	return LatencyResult{
		N:    n,
		P50:  us(percentile(samples, 50)),
		P90:  us(percentile(samples, 90)),
		P99:  us(percentile(samples, 99)),
		P999: us(percentile(samples, 99.9)),
		Max:  us(samples[n-1]),
		Mean: us(sum / time.Duration(n)),
	}, nil
}

// percentile returns the nearest-rank percentile p of sorted samples.
func percentile[T ~int64 | ~float64](sorted []T, p float64) T {
	if len(sorted) == 0 {
		return 0
	}
	k := int(p/100*float64(len(sorted)) + 0.999999)
	k = min(max(k, 1), len(sorted))
	return sorted[k-1]
}

// median is stats.Median, but 0 for no samples (a configuration whose
// rounds all failed).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return stats.Median(xs)
}
