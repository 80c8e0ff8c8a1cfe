// Command bulkbench measures bulk TCP throughput (benchmark 1 of issue #6)
// over a veth pair between two network namespaces it creates and removes:
// the kernel against itself (iperf3, and Go sockets), our userland stack
// (tcpstack over libpcap) against the kernel, and gVisor's netstack (over
// an AF_PACKET socket) against the kernel, each direction separately.
//
//	sudo bulkbench                                  # 30 s or 4 GiB per run, 3 rounds
//	sudo bulkbench -duration 10s -rounds 5 -cpuprofile prof/ -results runs.tsv
//	sudo bulkbench -only ours-kernel,kernel-ours -duration 5s -rounds 1
//	bulkbench -from runs.tsv                        # the table of earlier runs
//
// It prints a Markdown table on stdout, progress on stderr, and the raw
// number of every run to the -results file when one is named. See
// benchmarks/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"tcpregress.dev/benchmarks/bulk"
	"tcpregress.dev/benchmarks/internal/cmdline"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// byteSize is a flag.Value for sizes such as 4GiB.
type byteSize int64

func (b *byteSize) String() string { return bulk.FormatBytes(int64(*b)) }
func (b *byteSize) Set(s string) error {
	n, err := bulk.ParseBytes(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

type options struct {
	duration   time.Duration
	limit      byteSize
	rounds     int
	only       string
	results    string
	cpuprofile string
	dispatch   string
	qdisc      string
	from       string
}

const usageHead = `Usage: bulkbench [flags]

Measures bulk TCP throughput over a veth pair between two network namespaces
that it creates and removes afterwards (also on error and Ctrl-C): MTU 1500,
checksum and segmentation offloads off on both ends. Configurations (-only):

  kernel-kernel-iperf3  iperf3 -c in namespace A to iperf3 -s in B (the ceiling)
  kernel-kernel-go      Go net.Conn source in A to a Go net.Conn sink in B
  ours-kernel           tcpstack (over libpcap) in A sending to a kernel socket in B
  kernel-ours           a kernel socket in B sending to tcpstack in A
  gvisor-kernel         gVisor netstack (over AF_PACKET) in A sending to the kernel in B
  kernel-gvisor         the kernel in B sending to gVisor netstack in A

Each run lasts -duration or until -limit payload bytes have arrived,
whichever comes first; throughput is application payload bytes per second
counted by the receiver. Every round runs each configuration once, so the
rounds are interleaved. The Markdown table on stdout gives each
configuration's median Gbit/s, the min-max spread, the ratio to
kernel→kernel (iperf3), ours against gVisor in the same direction, and
whether issue #6's goals are met (ours >= 0.4x kernel→kernel and >= 1.0x
gVisor, both directions). Progress goes to stderr, the raw numbers of every
run to the -results file when one is named.

Needs root, ip and ethtool, and iperf3 for kernel-kernel-iperf3. Run nothing
else meanwhile: everything shares the machine's cores.

Flags:
`

const usageTail = `
Exit status: 0 when every run succeeded; 1 when the setup or a run failed (the
table of the other runs is still printed); 2 on a usage error.
`

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bulkbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := options{limit: 4 << 30}
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "how long each run lasts at most (`D`, such as 30s)")
	fs.Var(&o.limit, "limit", "payload `bytes` after which a run stops early (such as 4GiB, 512MiB)")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds of every configuration, interleaved; the table shows the median (`R`)")
	fs.StringVar(&o.only, "only", "all", "comma-separated `configurations` to run (see above)")
	fs.StringVar(&o.results, "results", "", "`file` for the raw per-run numbers (default: none)")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a pprof CPU profile of every ours and gVisor run into `DIR` (KIND-roundN.pprof)")
	fs.StringVar(&o.dispatch, "gvisor-dispatch", "recvmmsg", "gVisor's fdbased receive `mode`: recvmmsg (what runsc uses) or mmap (PACKET_RX_RING)")
	fs.StringVar(&o.qdisc, "gvisor-qdisc", "fifo", "gVisor's queueing `discipline`: fifo (runsc's default: batched sendmmsg from its own goroutines) or none")
	fs.StringVar(&o.from, "from", "", "print the table of an earlier results `file` instead of measuring")
	if err := cmdline.Parse(fs, args, usageHead, usageTail); err != nil {
		return cmdline.ExitCode(err)
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "bulkbench: "+format+"\n", a...)
		fmt.Fprintln(stderr, "Run bulkbench -h for help.")
		return 2
	}
	if fs.NArg() > 0 {
		return usage("unexpected argument %q: bulkbench takes only flags", fs.Arg(0))
	}
	if o.from != "" {
		return fromFile(o.from, stdout, stderr)
	}
	if o.duration <= 0 {
		return usage("-duration %v: want a positive duration, such as 30s", o.duration)
	}
	if o.rounds < 1 {
		return usage("-rounds %d: want at least 1", o.rounds)
	}
	kinds, err := bulk.ParseKinds(o.only)
	if err != nil {
		return usage("-only: %v", err)
	}
	if o.dispatch != "recvmmsg" && o.dispatch != "mmap" {
		return usage("-gvisor-dispatch %q: want recvmmsg or mmap", o.dispatch)
	}
	if o.qdisc != "fifo" && o.qdisc != "none" {
		return usage("-gvisor-qdisc %q: want fifo or none", o.qdisc)
	}

	// SIGINT and SIGTERM remove the namespaces (child processes die with
	// this one) and exit with 130 or 143.
	stop := bulkHandleSignals()
	defer stop()

	var results *os.File
	b, err := bulk.New(bulk.Options{
		Duration:       o.duration,
		Limit:          int64(o.limit),
		Rounds:         o.rounds,
		Kinds:          kinds,
		CPUProfileDir:  o.cpuprofile,
		GVisorDispatch: o.dispatch,
		GVisorQDisc:    o.qdisc,
		Progress:       stderr,
		OnSample: func(s bulk.Sample) error {
			if results == nil {
				return nil
			}
			return bulk.WriteSample(results, s)
		},
	})
	if err != nil {
		fmt.Fprintf(stderr, "bulkbench: %v\n", err)
		return 1
	}
	defer b.Close()
	meta := b.Meta()
	if o.results != "" {
		results, err = os.Create(o.results)
		if err != nil {
			fmt.Fprintf(stderr, "bulkbench: results file: %v\n", err)
			return 1
		}
		defer results.Close()
		if err := bulk.WriteResultsHeader(results, meta); err != nil {
			fmt.Fprintf(stderr, "bulkbench: results file: %v\n", err)
			return 1
		}
	}
	est := time.Duration(o.rounds*len(kinds)) * o.duration
	fmt.Fprintf(stderr, "bulkbench: %d configurations × %d rounds, each run %s or %s: at most about %s\n",
		len(kinds), o.rounds, bulk.FormatDuration(o.duration), bulk.FormatBytes(int64(o.limit)), bulk.FormatDuration(est.Round(time.Second)))
	samples, runErr := b.Run(context.Background())
	if err := bulk.WriteTable(stdout, meta, samples); err != nil {
		fmt.Fprintf(stderr, "bulkbench: %v\n", err)
		return 1
	}
	status := 0
	if runErr != nil {
		fmt.Fprintf(stderr, "bulkbench: %v\n", runErr)
		status = 1
	}
	var failed []string
	for _, s := range samples {
		if s.Err != "" {
			failed = append(failed, fmt.Sprintf("round %d %s", s.Round, s.Kind))
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(stderr, "bulkbench: %d runs failed: %s\n", len(failed), strings.Join(failed, ", "))
		status = 1
	}
	if err := b.Close(); err != nil {
		fmt.Fprintf(stderr, "bulkbench: removing the namespaces: %v\n", err)
		status = 1
	}
	if results != nil {
		if err := results.Close(); err != nil {
			fmt.Fprintf(stderr, "bulkbench: results file: %v\n", err)
			status = 1
		} else {
			fmt.Fprintf(stderr, "bulkbench: raw results in %s\n", o.results)
		}
	}
	return status
}

// fromFile prints the table of a results file.
func fromFile(path string, stdout, stderr io.Writer) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "bulkbench: %v\n", err)
		return 1
	}
	defer f.Close()
	m, samples, err := bulk.ReadResults(f)
	if err != nil {
		fmt.Fprintf(stderr, "bulkbench: %s: %v\n", path, err)
		return 1
	}
	if err := bulk.WriteTable(stdout, m, samples); err != nil {
		fmt.Fprintf(stderr, "bulkbench: %v\n", err)
		return 1
	}
	return 0
}
