package conns

import (
	"fmt"
	"io"
	"strings"
)

// Goals of issue #6.
const (
	GoalRate         = 5000.0 // connections/s with 64 clients
	GoalRateClients  = 64
	GoalBytesPerConn = 16 << 10
	// GoalIdleCPUPercent is "0 % CPU at idle", within what an idle Go
	// process costs: the runtime's own housekeeping stays far below it,
	// while anything that wakes per connection or per tick is far above.
	GoalIdleCPUPercent = 0.1
)

// WriteTables prints the Markdown tables of res: medians over rounds,
// ratios of ours to the kernel, and whether each goal of issue #6 is met.
func WriteTables(w io.Writer, res *Results) {
	o := res.Options
	if len(res.Rate) > 0 {
		writeRate(w, res)
	}
	if len(res.Latency) > 0 {
		fmt.Fprintf(w, "### Latency: 1-byte ping-pong over one connection to a kernel echo server (medians of %d rounds of %d round trips)\n\n", o.Rounds, o.RTTs)
		med := func(impl string, f func(LatencyResult) float64) float64 {
			var xs []float64
			for _, r := range res.Latency {
				if r.Impl == impl {
					xs = append(xs, f(r.LatencyResult))
				}
			}
			return median(xs)
		}
		p50 := func(r LatencyResult) float64 { return r.P50 }
		p99 := func(r LatencyResult) float64 { return r.P99 }
		p999 := func(r LatencyResult) float64 { return r.P999 }
		mean := func(r LatencyResult) float64 { return r.Mean }
		fmt.Fprintln(w, "| client | median µs | p99 µs | p99.9 µs | mean µs |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
		for _, impl := range []string{"ours", "kernel"} {
			fmt.Fprintf(w, "| %s | %.1f | %.1f | %.1f | %.1f |\n", implName(impl), med(impl, p50), med(impl, p99), med(impl, p999), med(impl, mean))
		}
		fmt.Fprintf(w, "| ours/kernel (lower is better) | %s | %s | %s | %s |\n",
			ratio(med("ours", p50), med("kernel", p50)), ratio(med("ours", p99), med("kernel", p99)),
			ratio(med("ours", p999), med("kernel", p999)), ratio(med("ours", mean), med("kernel", mean)))
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Goal: none in issue #6 (reported side by side). Both clients set TCP_NODELAY (Go's default; SetNoDelay(true) on ours).")
		fmt.Fprintln(w)
	}
	if s := res.Scale; s != nil {
		writeScale(w, s)
	}
}

func writeRate(w io.Writer, res *Results) {
	o := res.Options
	what := fmt.Sprintf("%v rounds", o.RateDuration)
	if o.RateConns > 0 {
		what = fmt.Sprintf("rounds of %d connections", o.RateConns)
	}
	fmt.Fprintf(w, "### Connection rate: connect, 1-byte request, 1-byte response, close; kernel server; the %s closes first (medians of %d %s)\n\n", o.Closer, o.Rounds, what)
	fmt.Fprintln(w, "| clients | ours conn/s | kernel conn/s | ours/kernel | ours p99 ms | kernel p99 ms | goal | met |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---|---|")
	type agg struct {
		rates, p99 []float64
		errs, slow int
		firstErr   string
	}
	get := func(impl string, n int) agg {
		var a agg
		for _, r := range res.Rate {
			if r.Impl == impl && r.Clients == n {
				a.rates = append(a.rates, r.Rate())
				a.p99 = append(a.p99, r.P99)
				a.errs += r.Errors
				a.slow += r.Slow
				if a.firstErr == "" {
					a.firstErr = r.FirstError
				}
			}
		}
		return a
	}
	var notes []string
	for _, n := range o.RateClients {
		ours, kern := get("ours", n), get("kernel", n)
		or, kr := median(ours.rates), median(kern.rates)
		goal, met := "—", "—"
		if n == GoalRateClients {
			goal = fmt.Sprintf("ours ≥ %s conn/s", thousands(GoalRate))
			met = yesNo(or >= GoalRate)
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s | %.2f | %.2f | %s | %s |\n", n, thousands(or), thousands(kr), ratio(or, kr), median(ours.p99), median(kern.p99), goal, met)
		for _, x := range []struct {
			impl string
			a    agg
		}{{"ours", ours}, {"kernel", kern}} {
			if x.a.errs > 0 {
				notes = append(notes, fmt.Sprintf("%s, %d client(s): %d connections failed over all rounds; the first: %s", implName(x.impl), n, x.a.errs, x.a.firstErr))
			}
			if x.a.slow > 0 {
				notes = append(notes, fmt.Sprintf("%s, %d client(s): %d connections took over 500 ms (typically a SYN retransmitted after the 1 s initial RTO)", implName(x.impl), n, x.a.slow))
			}
		}
	}
	fmt.Fprintln(w)
	for _, c := range res.Counters {
		var parts []string
		for _, name := range []string{"TcpExt.PAWSTimewait", "TcpExt.PAWSEstab", "TcpExt.TWRecycled", "TcpExt.TWKilled", "TcpExt.TCPTimeWaitOverflow", "Tcp.RetransSegs", "TcpExt.TCPLossProbes", "Tcp.InErrs", "Tcp.OutRsts", "TcpExt.ListenDrops"} {
			if v := c.Delta[name]; v != 0 {
				parts = append(parts, fmt.Sprintf("%s %d", strings.TrimPrefix(strings.TrimPrefix(name, "TcpExt."), "Tcp."), v))
			}
		}
		if len(parts) > 0 {
			notes = append(notes, fmt.Sprintf("kernel server's counters over %s's %d-client rounds (%d connections): %s", implName(c.Impl), c.Clients, c.Delta["Tcp.PassiveOpens"], strings.Join(parts, ", ")))
		}
	}
	for _, n := range notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
	}
}

func writeScale(w io.Writer, s *ScaleResult) {
	fmt.Fprintf(w, "### Scale: %s connections from kernel clients held open by our listener\n\n", thousands(float64(s.N)))
	fmt.Fprintln(w, "| metric | ours | goal | met |")
	fmt.Fprintln(w, "|---|---:|---|---|")
	fmt.Fprintf(w, "| connections opened / Accept()ed / goroutines blocked in Read / still echoing after the idle window | %d / %d / %d / %d | all | %s |\n",
		s.N, s.Accepted, s.Readers, s.Alive, yesNo(s.Accepted == s.N && s.Readers == s.N && s.Alive == s.N))
	fmt.Fprintf(w, "| resident memory (RSS) per connection | %s | ≤ 16 KiB | %s |\n", kib(s.RSSPerConn()), yesNo(s.RSSPerConn() <= GoalBytesPerConn))
	fmt.Fprintf(w, "| Go heap in use per connection | %s | | |\n", kib(s.HeapPerConn()))
	fmt.Fprintf(w, "| goroutine stacks per connection | %s | | |\n", kib(s.StackPerConn()))
	fmt.Fprintf(w, "| CPU at idle (utime+stime over %v) | %.3f %% (%.1f ms) | 0 %% (≤ %.1f %%) | %s |\n", s.Idle, s.IdleCPUPercent(), float64(s.IdleCPU.Microseconds())/1000, GoalIdleCPUPercent, yesNo(s.IdleCPUPercent() <= GoalIdleCPUPercent))
	fmt.Fprintf(w, "| context switches over the idle window | %d | | |\n", s.IdleCtxSwitches)
	fmt.Fprintf(w, "| packets on our veth over the idle window (rx / tx) | %d / %d | | |\n", s.IdleRx, s.IdleTx)
	fmt.Fprintf(w, "| RSS before → after | %.1f → %.1f MiB | | |\n", float64(s.RSSBefore)/(1<<20), float64(s.RSSAfter)/(1<<20))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every connection exchanged one byte (so its buffers were used) and was Accept()ed, with one goroutine per connection blocked in Read (16-byte buffer), as a net.Conn server is written. Memory is measured after runtime.GC and debug.FreeOSMemory; the kernel clients run in a separate process, with TCP keep-alive off (Go's 15 s default would wake every connection during the idle window).")
	fmt.Fprintln(w)
}

func implName(impl string) string {
	if impl == "ours" {
		return "ours (tcpstack)"
	}
	return "kernel"
}

func ratio(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func kib(b float64) string { return fmt.Sprintf("%.1f KiB", b/1024) }

// thousands formats v rounded to an integer with thousands separators.
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
