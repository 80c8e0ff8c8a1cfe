// Command benchtable turns `go test -bench` output into Markdown tables of
// medians and ratios, for scripts/bench.sh and the README.
//
//	go test -run '^$' -bench . -count 10 ./benchmarks/pcapread/ | benchtable
//	benchtable -goal file=60 -max-vs-floor 1.3 -min-speedup 1.8 results/pcapread.txt
//
// Sub-benchmark names are key=value pairs, such as
// BenchmarkRead/file=60/impl=ours-batch. The impl key names the
// implementation; the other pairs pick a row group. For every benchmark and
// group, the table lists each implementation's median of the metric (ns/pkt by
// default) over the -count runs, that median divided by the floor
// implementation's (c-dispatch, the fastest any implementation could be), how
// far the runs spread, and the median allocations. Below each table, the peer's
// median divided by ours says how many times faster ours is.
//
// With -goal GROUP and -max-vs-floor or -min-speedup it also says whether the
// goals are met in that group. Missing a goal does not change the exit code:
// 0 when a table was printed, 1 when the input held no benchmark results or
// could not be read, 2 on a usage error.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"tcpregress.dev/benchmarks/internal/cmdline"
	summary "tcpregress.dev/benchmarks/internal/stats"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// options are the command's flags.
type options struct {
	metric     string
	floor      string
	ours       string
	peer       string
	goal       string
	maxVsFloor float64
	minSpeedup float64
	title      string
}

const usage = `Usage: benchtable [flags] [FILE...]

Reads go test -bench output from the files, or standard input, and prints
Markdown tables of the median of each sub-benchmark over its runs, ratios to
the floor implementation, and ours' speedup over the peer.

Flags:
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchtable", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.metric, "metric", "ns/pkt", "the `unit` to tabulate; lower is better")
	fs.StringVar(&o.floor, "floor", "c-dispatch", "the `impl` every median is divided by (the fastest possible)")
	fs.StringVar(&o.ours, "ours", "ours-batch", "our `impl` for the speedup line")
	fs.StringVar(&o.peer, "peer", "gopacket-pcap", "the peer `impl` ours is compared with")
	fs.StringVar(&o.goal, "goal", "", "the `group` (such as file=60) in which to check -max-vs-floor and -min-speedup")
	fs.Float64Var(&o.maxVsFloor, "max-vs-floor", 0, "goal: ours at most `X` times the floor's median (0: none)")
	fs.Float64Var(&o.minSpeedup, "min-speedup", 0, "goal: ours at least `X` times faster than the peer (0: none)")
	fs.StringVar(&o.title, "title", "", "the heading of the tables (default: the benchmark's name)")
	if err := cmdline.Parse(fs, args, usage, ""); err != nil {
		return cmdline.ExitCode(err)
	}
	if o.goal != "" && o.maxVsFloor == 0 && o.minSpeedup == 0 {
		fmt.Fprintln(stderr, "benchtable: -goal needs -max-vs-floor or -min-speedup (or both)")
		return 2
	}

	var runs []result
	if fs.NArg() == 0 {
		rs, err := parse(stdin)
		if err != nil {
			fmt.Fprintf(stderr, "benchtable: reading standard input: %v\n", err)
			return 1
		}
		runs = rs
	}
	for _, name := range fs.Args() {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "benchtable: %v\n", err)
			return 1
		}
		rs, err := parse(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "benchtable: reading %s: %v\n", name, err)
			return 1
		}
		runs = append(runs, rs...)
	}
	tables := summarize(runs, o.metric)
	if len(tables) == 0 {
		fmt.Fprintf(stderr, "benchtable: no benchmark results with a %s metric in the input\n", o.metric)
		return 1
	}
	if err := write(stdout, tables, o); err != nil {
		fmt.Fprintf(stderr, "benchtable: %v\n", err)
		return 1
	}
	return 0
}

// result is one line of benchmark output: one run of one sub-benchmark.
type result struct {
	name    string             // full name without the -GOMAXPROCS suffix
	values  map[string]float64 // unit → value, such as "ns/op" → 41234567
	ordinal int                // position of the name's first appearance
}

// parse reads go test -bench output. A line holding only a benchmark name
// (the benchmark logged something before its results) is joined with the
// result line that follows.
func parse(r io.Reader) ([]result, error) {
	var out []result
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	pending := ""
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if strings.HasPrefix(f[0], "Benchmark") {
			if len(f) == 1 {
				pending = f[0]
				continue
			}
			pending = ""
		} else if pending != "" && isInt(f[0]) {
			f = append([]string{pending}, f...)
			pending = ""
		} else {
			continue
		}
		// name iterations (value unit)...
		if len(f) < 4 || len(f)%2 != 0 || !isInt(f[1]) {
			continue
		}
		res := result{name: trimProcs(f[0]), values: map[string]float64{}}
		ok := true
		for i := 2; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				ok = false
				break
			}
			res.values[f[i+1]] = v
		}
		if !ok {
			continue
		}
		if _, dup := seen[res.name]; !dup {
			seen[res.name] = len(seen)
		}
		res.ordinal = seen[res.name]
		out = append(out, res)
	}
	return out, sc.Err()
}

func isInt(s string) bool {
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// trimProcs removes the -N suffix go test adds when GOMAXPROCS is not 1.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i < strings.LastIndexByte(name, '/') || !isInt(name[i+1:]) {
		return name
	}
	return name[:i]
}

// table is one benchmark's summary: groups of implementations.
type table struct {
	bench  string // BenchmarkRead
	keys   []string
	groups []*group
}

// group is the implementations measured under one set of the other keys.
type group struct {
	label string   // "file=60"; "" when impl is the only key
	vals  []string // the other keys' values, in table.keys order
	impls []*stats
}

// stats is one implementation's runs in a group.
type stats struct {
	impl          string
	runs          []float64 // the metric
	allocs, bytes []float64 // allocs/op and B/op, when reported
}

func (s *stats) median() float64 { return summary.Median(s.runs) }

// spread is the range of the runs relative to their median.
func (s *stats) spread() float64 {
	m := s.median()
	if m == 0 {
		return 0
	}
	return (slices.Max(s.runs) - slices.Min(s.runs)) / m
}

func (g *group) find(impl string) *stats {
	for _, s := range g.impls {
		if s.impl == impl {
			return s
		}
	}
	return nil
}

// summarize groups the runs that report metric by benchmark, by the keys
// other than impl, and by impl, in the order they first appear.
func summarize(runs []result, metric string) []*table {
	slices.SortStableFunc(runs, func(a, b result) int { return a.ordinal - b.ordinal })
	var tables []*table
	for _, r := range runs {
		v, ok := r.values[metric]
		if !ok {
			continue
		}
		parts := strings.Split(r.name, "/")
		bench, impl := parts[0], ""
		var keys, vals, label []string
		for _, p := range parts[1:] {
			k, val, ok := strings.Cut(p, "=")
			if !ok {
				k, val = "case", p
			}
			if k == "impl" {
				impl = val
				continue
			}
			keys = append(keys, k)
			vals = append(vals, val)
			label = append(label, k+"="+val)
		}
		var t *table
		for _, x := range tables {
			if x.bench == bench && slices.Equal(x.keys, keys) {
				t = x
			}
		}
		if t == nil {
			t = &table{bench: bench, keys: keys}
			tables = append(tables, t)
		}
		var g *group
		l := strings.Join(label, "/")
		for _, x := range t.groups {
			if x.label == l {
				g = x
			}
		}
		if g == nil {
			g = &group{label: l, vals: vals}
			t.groups = append(t.groups, g)
		}
		s := g.find(impl)
		if s == nil {
			s = &stats{impl: impl}
			g.impls = append(g.impls, s)
		}
		s.runs = append(s.runs, v)
		if a, ok := r.values["allocs/op"]; ok {
			s.allocs = append(s.allocs, a)
		}
		if b, ok := r.values["B/op"]; ok {
			s.bytes = append(s.bytes, b)
		}
	}
	return tables
}

// write prints the tables, the speedup lines and the goals in Markdown.
func write(w io.Writer, tables []*table, o options) error {
	bw := bufio.NewWriter(w)
	goalChecked := false
	for ti, t := range tables {
		if ti > 0 {
			fmt.Fprintln(bw)
		}
		title := strings.TrimPrefix(t.bench, "Benchmark")
		if o.title != "" {
			title = o.title
			if len(tables) > 1 {
				title += ": " + t.bench
			}
		}
		fmt.Fprintf(bw, "### %s: %s, median of %s\n\n", title, o.metric, runCounts(t))
		head := append(slices.Clone(t.keys), "impl", o.metric)
		align := make([]string, 0, len(head)+5)
		for range t.keys {
			align = append(align, "---")
		}
		align = append(align, "---", "---:")
		if rate, ok := rateUnit(o.metric); ok {
			head = append(head, rate)
			align = append(align, "---:")
		}
		head = append(head, "× "+o.floor, "spread", "allocs/op", "B/op")
		align = append(align, "---:", "---:", "---:", "---:")
		fmt.Fprintf(bw, "| %s |\n|%s|\n", strings.Join(head, " | "), strings.Join(align, "|"))
		for _, g := range t.groups {
			fl := g.find(o.floor)
			for _, s := range g.impls {
				m := s.median()
				row := append(slices.Clone(g.vals), s.impl, num(m))
				if _, ok := rateUnit(o.metric); ok {
					row = append(row, num(1000/m))
				}
				ratio := "–"
				if fl != nil {
					ratio = fmt.Sprintf("%.2f", m/fl.median())
				}
				row = append(row, ratio, fmt.Sprintf("%.1f%%", 100*s.spread()), optNum(s.allocs), optNum(s.bytes))
				fmt.Fprintf(bw, "| %s |\n", strings.Join(row, " | "))
			}
		}
		var speed []string
		for _, g := range t.groups {
			if r, ok := speedup(g, o); ok {
				speed = append(speed, fmt.Sprintf("%s **%.2f×**", labelOr(g.label, "all"), r))
			}
		}
		if len(speed) > 0 {
			fmt.Fprintf(bw, "\nSpeedup of %s over %s (%s median ÷ %s median): %s.\n", o.ours, o.peer, o.peer, o.ours, strings.Join(speed, ", "))
		}
		for _, g := range t.groups {
			if o.goal == "" || g.label != o.goal {
				continue
			}
			goalChecked = true
			writeGoals(bw, t, g, o)
		}
	}
	if o.goal != "" && !goalChecked {
		fmt.Fprintf(bw, "\n**Goals not checked:** no group %s in the results.\n", o.goal)
	}
	return bw.Flush()
}

// writeGoals says whether ours meets the goals in group g.
func writeGoals(w io.Writer, t *table, g *group, o options) {
	fmt.Fprintf(w, "\nGoals (%s, %s):\n\n", strings.TrimPrefix(t.bench, "Benchmark"), g.label)
	ours, fl := g.find(o.ours), g.find(o.floor)
	if o.maxVsFloor > 0 {
		if ours == nil || fl == nil {
			fmt.Fprintf(w, "- %s ≤ %.2f× %s: **not measured**\n", o.ours, o.maxVsFloor, o.floor)
		} else {
			r := ours.median() / fl.median()
			fmt.Fprintf(w, "- %s at most %.2f× %s's %s: %s (%.2f×)\n", o.ours, o.maxVsFloor, o.floor, o.metric, verdict(r <= o.maxVsFloor), r)
		}
	}
	if o.minSpeedup > 0 {
		if r, ok := speedup(g, o); !ok {
			fmt.Fprintf(w, "- %s at least %.2f× faster than %s: **not measured**\n", o.ours, o.minSpeedup, o.peer)
		} else {
			fmt.Fprintf(w, "- %s at least %.2f× faster than %s: %s (%.2f×)\n", o.ours, o.minSpeedup, o.peer, verdict(r >= o.minSpeedup), r)
		}
	}
}

func verdict(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**missed**"
}

// speedup is the peer's median divided by ours in g.
func speedup(g *group, o options) (float64, bool) {
	ours, peer := g.find(o.ours), g.find(o.peer)
	if ours == nil || peer == nil {
		return 0, false
	}
	return peer.median() / ours.median(), true
}

// rateUnit names the rate column for a time-per-item metric: ns/pkt gives
// Mpkt/s.
func rateUnit(metric string) (string, bool) {
	item, ok := strings.CutPrefix(metric, "ns/")
	if !ok || item == "op" {
		return "", false
	}
	return "M" + item + "/s", true
}

// runCounts is "10 runs", or "5–10 runs" when the counts differ.
func runCounts(t *table) string {
	lo, hi := math.MaxInt, 0
	for _, g := range t.groups {
		for _, s := range g.impls {
			lo, hi = min(lo, len(s.runs)), max(hi, len(s.runs))
		}
	}
	switch {
	case lo == hi && lo == 1:
		return "1 run"
	case lo == hi:
		return fmt.Sprintf("%d runs", lo)
	}
	return fmt.Sprintf("%d–%d runs", lo, hi)
}

func labelOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// num formats a median with three significant digits, without exponents.
func num(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "–"
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}

func optNum(xs []float64) string {
	if len(xs) == 0 {
		return "–"
	}
	return strconv.FormatFloat(summary.Median(xs), 'f', 0, 64)
}
