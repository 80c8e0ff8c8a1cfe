//go:build linux

package bulk

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"tcpregress.dev/tcpstack/netns"
)

// Bench owns the namespaces of a measurement. Make it with [New]; Close
// removes everything it made.
type Bench struct {
	o Options
	// kernel: both sides have kernel addresses (kernel→kernel);
	// ours, gvisor: side A has none, for a userland stack.
	kernel, ours, gvisor *netns.Pair
	notes                []string
	port                 atomic.Int32
}

// OffloadsOff is what ethtool turns off on both veth ends: checksums on
// transmit and receive, TSO, GSO and GRO.
var OffloadsOff = []string{"tx", "off", "rx", "off", "tso", "off", "gso", "off", "gro", "off"}

// offloadFeatures are the ethtool -k lines that must read "off".
var offloadFeatures = []string{"rx-checksumming", "tx-checksumming", "tcp-segmentation-offload", "generic-segmentation-offload", "generic-receive-offload"}

// New checks the options, the tools and the privileges, and creates the
// namespace pairs the configurations need. Call Close (also on error paths
// of the caller) to remove them; [netns.HandleSignals] removes them on
// SIGINT and SIGTERM.
func New(o Options) (b *Bench, err error) {
	if o.Duration <= 0 {
		return nil, errors.New("bulk: the duration must be positive")
	}
	if o.Limit <= 0 {
		return nil, errors.New("bulk: the byte limit must be positive")
	}
	if o.Rounds < 1 {
		return nil, errors.New("bulk: at least one round")
	}
	if o.Kinds == nil {
		o.Kinds = Kinds
	}
	if err := choose(&o.GVisorDispatch, "gVisor dispatch", "recvmmsg", "mmap"); err != nil {
		return nil, err
	}
	if err := choose(&o.GVisorQDisc, "gVisor qdisc", "fifo", "none"); err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("bulk: needs root: it creates network namespaces and veth pairs, and captures on them (run with sudo)")
	}
	need := map[string]bool{"ip": true, "ethtool": true}
	for _, k := range o.Kinds {
		if k.ID == "kernel-kernel-iperf3" {
			need["iperf3"], need["ss"] = true, true
		}
	}
	for tool := range need {
		if _, err := exec.LookPath(tool); err != nil {
			hint := ""
			if tool == "iperf3" {
				hint = ", or leave kernel-kernel-iperf3 out with -only"
			}
			pkg := map[string]string{"ip": "iproute2", "ss": "iproute2"}[tool]
			if pkg == "" {
				pkg = tool
			}
			return nil, fmt.Errorf("bulk: %s is not installed (apt-get install %s%s)", tool, pkg, hint)
		}
	}
	if o.CPUProfileDir != "" {
		if err := os.MkdirAll(o.CPUProfileDir, 0o755); err != nil {
			return nil, fmt.Errorf("bulk: the CPU profile directory: %w", err)
		}
	}
	b = &Bench{o: o}
	b.port.Store(20000)
	made := b // a failing return sets b to nil: remove what was made
	defer func() {
		if err != nil {
			made.Close()
		}
	}()
	for _, k := range o.Kinds {
		var pp **netns.Pair
		cfg := netns.Config{NoAddrA: true, MTU: 1500}
		switch k.Stack {
		case "":
			pp, cfg.NoAddrA = &b.kernel, false
		case "ours":
			pp = &b.ours
		case "gvisor":
			pp = &b.gvisor
		}
		if *pp != nil {
			continue
		}
		p, err := netns.NewPair(cfg)
		if err != nil {
			return nil, fmt.Errorf("bulk: %w", err)
		}
		*pp = p
		if err := prepare(p); err != nil {
			return nil, err
		}
	}
	b.notes = []string{"veth pair between two namespaces, MTU 1500, offloads off on both ends (ethtool -K VETH " + strings.Join(OffloadsOff, " ") +
		"); one pair per stack, a fresh stack and connection per run, one run at a time; GOMAXPROCS " + strconv.Itoa(runtime.GOMAXPROCS(0)) + " on " + strconv.Itoa(runtime.NumCPU()) + " CPUs"}
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(la))
		if len(f) > 0 {
			note := "load average " + f[0] + " at the start"
			if v, err := strconv.ParseFloat(f[0], 64); err == nil && v > 0.5 {
				note += " (other work was running: expect noise)"
			}
			b.notes = append(b.notes, note)
		}
	}
	has := map[string]bool{}
	for _, k := range o.Kinds {
		has[k.ID], has[k.Stack] = true, true
	}
	if has["kernel-kernel-iperf3"] {
		b.notes = append(b.notes, "kernel→kernel (iperf3): iperf3 -c in A sends -n LIMIT to iperf3 -s -1 in B, interrupted (SIGINT) at the duration; the server's (receiver's) summary, over its whole 0.1 s reporting intervals")
	}
	if has["kernel-kernel-go"] || has["ours"] || has["gvisor"] {
		b.notes = append(b.notes, "Go sockets (kernel→kernel (Go) and the kernel end of the other rows): net.Conn, 256 KiB writes and reads, default socket buffers (autotuning), in the benchmark's process")
	}
	if has["ours"] {
		b.notes = append(b.notes, "ours: tcpstack.New(Config{Link: link/pcap.Open(veth, addr, Options{}), Addr}) with its defaults, on side A whose kernel has no address")
	}
	if has["gvisor"] {
		b.notes = append(b.notes, gvisorNote(o.GVisorDispatch, o.GVisorQDisc))
	}
	return b, nil
}

// choose checks that *v, an option named what, is one of choices, and sets
// it to the first, the default, when it is empty.
func choose(v *string, what string, choices ...string) error {
	if *v == "" {
		*v = choices[0]
		return nil
	}
	if slices.Contains(choices, *v) {
		return nil
	}
	return fmt.Errorf("bulk: %s %q: want %s", what, *v, strings.Join(choices, " or "))
}

// prepare turns the offloads off on both veth ends (netns leaves rx
// checksumming on) and checks the result and the MTU.
func prepare(p *netns.Pair) error {
	for _, s := range []netns.Side{p.A, p.B} {
		if _, err := s.NS.Run("ethtool", append([]string{"-K", s.Veth}, OffloadsOff...)...); err != nil {
			return fmt.Errorf("bulk: turning offloads off: %w", err)
		}
		out, err := s.NS.Run("ethtool", "-k", s.Veth)
		if err != nil {
			return fmt.Errorf("bulk: reading offloads: %w", err)
		}
		for _, f := range offloadFeatures {
			if !strings.Contains(out, "\n"+f+": off") {
				return fmt.Errorf("bulk: %s of %s is not off after ethtool -K:\n%s", f, s.Veth, out)
			}
		}
		var mtu int
		err = s.NS.Do(func() error {
			ifi, err := net.InterfaceByName(s.Veth)
			if err == nil {
				mtu = ifi.MTU
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("bulk: %w", err)
		}
		if mtu != 1500 {
			return fmt.Errorf("bulk: %s has MTU %d, want 1500", s.Veth, mtu)
		}
	}
	return nil
}

// Meta describes the runs, for the results file and the table.
func (b *Bench) Meta() Meta {
	return Meta{Date: time.Now(), Duration: b.o.Duration, Limit: b.o.Limit, Rounds: b.o.Rounds, Notes: b.notes}
}

// Close removes the namespaces.
func (b *Bench) Close() error {
	var errs []error
	for _, p := range []*netns.Pair{b.kernel, b.ours, b.gvisor} {
		if p != nil {
			errs = append(errs, p.Close())
		}
	}
	return errors.Join(errs...)
}

func (b *Bench) nextPort() int { return int(b.port.Add(1)) }

// Run runs every configuration Rounds times, interleaved, and returns every
// sample, failed runs included (their Err set). The error is ctx's, or
// OnSample's.
func (b *Bench) Run(ctx context.Context) ([]Sample, error) {
	var out []Sample
	for r := 1; r <= b.o.Rounds; r++ {
		for _, k := range b.o.Kinds {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			s := b.runOne(ctx, k, r)
			out = append(out, s)
			if b.o.Progress != nil {
				if s.Err != "" {
					fmt.Fprintf(b.o.Progress, "bulkbench: round %d/%d: %s: failed: %s\n", r, b.o.Rounds, k.Label, s.Err)
				} else {
					fmt.Fprintf(b.o.Progress, "bulkbench: round %d/%d: %s: %.3f Gbit/s (%.1f MiB in %.2f s)\n",
						r, b.o.Rounds, k.Label, s.Gbps(), float64(s.Bytes)/(1<<20), s.Seconds)
				}
			}
			if b.o.OnSample != nil {
				if err := b.o.OnSample(s); err != nil {
					return out, err
				}
			}
		}
	}
	return out, nil
}

// runOne makes one run of k.
func (b *Bench) runOne(ctx context.Context, k Kind, round int) Sample {
	ctx, cancel := context.WithTimeout(ctx, b.o.Duration+time.Minute)
	defer cancel()
	profile := ""
	if b.o.CPUProfileDir != "" && k.Stack != "" {
		profile = filepath.Join(b.o.CPUProfileDir, fmt.Sprintf("%s-round%d.pprof", k.ID, round))
	}
	var res result
	var err error
	switch k.Stack {
	case "":
		if k.ID == "kernel-kernel-iperf3" {
			res, err = b.runIperf3(ctx)
		} else {
			res, err = b.runKernelGo(ctx)
		}
	case "ours":
		res, err = b.runOurs(ctx, k.Send, profile)
	case "gvisor":
		res, err = b.runGVisor(ctx, k.Send, profile)
	}
	s := Sample{Round: round, Kind: k.ID, Bytes: res.bytes, Seconds: res.seconds}
	if err != nil {
		s.Err = err.Error()
	}
	return s
}

// result is what a receiver counted.
type result struct {
	bytes   int64
	seconds float64
}
