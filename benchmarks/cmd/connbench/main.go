// Command connbench measures our userland TCP stack (tcpstack over libpcap)
// against the Linux kernel on a veth pair between network namespaces:
//
//   - rate: connections per second (connect, 1-byte request, 1-byte
//     response, close) against a kernel server, with 1 and 64 concurrent
//     clients, ours versus a kernel client;
//   - latency: 1-byte ping-pong round trips over one connection, median and
//     p99, ours versus a kernel client;
//   - scale: 10,000 connections from kernel clients held open by our
//     listener: resident memory per connection and CPU at idle.
//
// It prints Markdown tables (medians over rounds, ratios, the goals of issue
// #6) on stdout, progress on stderr, and with -results the raw numbers of
// every round. It needs root (network namespaces) and removes every
// namespace and veth it made when it ends, also on error and Ctrl-C.
//
//	sudo connbench
//	sudo connbench -run scale -conns 10000 -memprofile heap.pprof
//
// See benchmarks/README.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"tcpregress.dev/benchmarks/conns"
	"tcpregress.dev/benchmarks/internal/cmdline"
	"tcpregress.dev/tcpstack/netns"
)

func main() {
	conns.MaybeChild() // the kernel-side helpers: this command re-run in a namespace
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command; it returns the exit code: 0 success, 1
// failure, 2 usage error.
func run(args []string, stdout, stderr io.Writer) int {
	o, which, results, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		if !errors.Is(err, cmdline.ErrReported) {
			fmt.Fprintf(stderr, "connbench: %v (see -h)\n", err)
		}
		return 2
	}
	if !cmdline.IsRoot("connbench", stderr) {
		return 1
	}
	if o.ScaleConns > 0 && slices.Contains(which, "scale") {
		var lim syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && uint64(o.ScaleConns)+256 > lim.Max {
			fmt.Fprintf(stderr, "connbench: -conns %d: the kernel clients need a file descriptor each, and the hard limit is %d; raise it (ulimit -Hn) or lower -conns\n", o.ScaleConns, lim.Max)
			return 1
		}
	}
	stop := netns.HandleSignals()
	defer stop()
	var raw *os.File
	if results != "" {
		if raw, err = os.Create(results); err != nil {
			fmt.Fprintf(stderr, "connbench: results file: %v\n", err)
			return 1
		}
		o.Raw = raw
	}
	o.Logf = func(format string, a ...any) {
		fmt.Fprintf(stderr, "connbench: "+format+"\n", a...)
	}
	res, err := conns.Run(o, which)
	if res != nil {
		conns.WriteTables(stdout, res)
	}
	if raw != nil {
		if cerr := raw.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("results file: %w", cerr)
		}
		fmt.Fprintf(stderr, "connbench: raw numbers of every round in %s\n", results)
	}
	if err != nil {
		fmt.Fprintf(stderr, "connbench: %v\n", err)
		return 1
	}
	return 0
}

const usage = `Usage: connbench [flags]

Connection rate, 1-byte round-trip latency, and the memory and idle CPU of
many idle connections: our userland TCP stack (tcpstack over libpcap) against
the Linux kernel, on veth pairs between throwaway network namespaces. Needs
root. Tables on stdout, progress on stderr.

  sudo connbench
  sudo connbench -run rate -rounds 3 -results rate.txt
  sudo connbench -run scale -conns 10000 -memprofile heap.pprof -cpuprofile cpu.pprof

Flags:
`

func parseFlags(args []string, stderr io.Writer) (o conns.Options, which []string, results string, err error) {
	fs := flag.NewFlagSet("connbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runList := fs.String("run", strings.Join(conns.Benchmarks, ","), "the benchmarks to run, comma-separated: rate, latency, scale")
	fs.IntVar(&o.Rounds, "rounds", 5, "rounds of every rate and latency measurement; the tables show the median")
	fs.DurationVar(&o.RateDuration, "rate-duration", 2*time.Second, "length of one rate round, per implementation and client count")
	fs.IntVar(&o.RateConns, "rate-conns", 0, "end each rate round after `N` connections instead of after -rate-duration")
	clients := fs.String("clients", "1,64", "concurrent clients of the rate benchmark, comma-separated")
	closer := fs.String("closer", string(conns.ServerCloses), "which side of a rate connection closes first and keeps TIME-WAIT: server or client")
	fs.IntVar(&o.RTTs, "rtts", 10000, "measured round trips of one latency round")
	fs.IntVar(&o.Warmup, "warmup", 1000, "unmeasured round trips before each latency round")
	fs.IntVar(&o.ScaleConns, "conns", 10000, "connections the scale benchmark holds open")
	fs.IntVar(&o.OpenConcurrency, "open-concurrency", 64, "connections the kernel clients of the scale benchmark open at a time")
	fs.DurationVar(&o.Idle, "idle", 10*time.Second, "idle window over which the scale benchmark measures CPU")
	fs.DurationVar(&o.Settle, "settle", time.Second, "wait before the scale benchmark measures memory (delayed ACKs fire)")
	fs.StringVar(&results, "results", "", "write the raw numbers of every round to `FILE`")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write CPU profiles of our side to `FILE`, one per benchmark (FILE-rate, FILE-latency,\nFILE-scale-idle, inserted before the extension)")
	fs.StringVar(&o.MemProfile, "memprofile", "", "write the heap profile of our side, taken when the scale benchmark measures memory, to `FILE`")
	if err := cmdline.Parse(fs, args, usage, ""); err != nil {
		return o, nil, "", err
	}
	if fs.NArg() > 0 {
		return o, nil, "", fmt.Errorf("unexpected argument %q: connbench takes flags only", fs.Arg(0))
	}
	for _, w := range strings.Split(*runList, ",") {
		w = strings.TrimSpace(w)
		if !slices.Contains(conns.Benchmarks, w) {
			return o, nil, "", fmt.Errorf("-run: unknown benchmark %q; the benchmarks are %s", w, strings.Join(conns.Benchmarks, ", "))
		}
		if !slices.Contains(which, w) {
			which = append(which, w)
		}
	}
	for _, c := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 || n > 4096 {
			return o, nil, "", fmt.Errorf("-clients: %q is not a number of clients from 1 to 4096", c)
		}
		o.RateClients = append(o.RateClients, n)
	}
	switch conns.Closer(*closer) {
	case conns.ServerCloses, conns.ClientCloses:
		o.Closer = conns.Closer(*closer)
	default:
		return o, nil, "", fmt.Errorf("-closer: %q is neither server nor client", *closer)
	}
	switch {
	case o.Rounds < 1:
		return o, nil, "", fmt.Errorf("-rounds %d: at least 1", o.Rounds)
	case o.RateDuration <= 0 && o.RateConns <= 0:
		return o, nil, "", fmt.Errorf("-rate-duration %v: must be positive (or give -rate-conns)", o.RateDuration)
	case o.RateConns < 0:
		return o, nil, "", fmt.Errorf("-rate-conns %d: must not be negative", o.RateConns)
	case o.RTTs < 1:
		return o, nil, "", fmt.Errorf("-rtts %d: at least 1", o.RTTs)
	case o.Warmup < 0:
		return o, nil, "", fmt.Errorf("-warmup %d: must not be negative", o.Warmup)
	case o.ScaleConns < 1 || o.ScaleConns > 28000:
		return o, nil, "", fmt.Errorf("-conns %d: from 1 to 28000 (the kernel clients' ephemeral ports to one address)", o.ScaleConns)
	case o.OpenConcurrency < 1:
		return o, nil, "", fmt.Errorf("-open-concurrency %d: at least 1", o.OpenConcurrency)
	case o.Idle <= 0:
		return o, nil, "", fmt.Errorf("-idle %v: must be positive", o.Idle)
	case o.Settle < 0:
		return o, nil, "", fmt.Errorf("-settle %v: must not be negative", o.Settle)
	}
	return o, which, results, nil
}
