package bulk

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"tcpregress.dev/benchmarks/internal/stats"
)

// Goals of issue #6 for bulk throughput: ours at least GoalVsKernel times
// kernel→kernel (iperf3) and at least GoalVsGVisor times gVisor, in both
// directions.
const (
	GoalVsKernel = 0.4
	GoalVsGVisor = 1.0
)

// Sample is one run of one configuration.
type Sample struct {
	Round int
	Kind  string // a Kind's ID
	// Bytes of application payload the receiver read in Seconds.
	Bytes   int64
	Seconds float64
	// Err is why the run failed ("" when it did not).
	Err string
}

// Gbps is the sample's throughput in Gbit/s (10^9 bits per second).
func (s Sample) Gbps() float64 {
	if s.Seconds <= 0 || s.Err != "" {
		return 0
	}
	return float64(s.Bytes) * 8 / s.Seconds / 1e9
}

// Meta describes how the samples were taken.
type Meta struct {
	Date     time.Time
	Duration time.Duration // per run, unless Limit came first
	Limit    int64         // bytes per run
	Rounds   int
	// Notes are settings worth printing with the table (offloads, MTU,
	// gVisor's configuration), one line each.
	Notes []string
}

// Row is the summary of one configuration.
type Row struct {
	Kind          Kind
	Runs, OK      int
	Median        float64 // Gbit/s over the successful runs
	Min, Max      float64
	VsKernel      float64 // Median / kernel→kernel (iperf3) median; 0: n/a
	VsGVisor      float64 // ours only: Median / gVisor's median, same direction; 0: n/a
	MeetsKernel   *bool   // ours only; nil: not evaluated
	MeetsGVisor   *bool
	FirstErr      string
	gvisorMedian  float64
	haveBaseline  bool
	haveGVisorRow bool
}

// Summarize computes one row per configuration present in samples, in
// table order.
func Summarize(samples []Sample) []Row {
	byKind := map[string][]Sample{}
	for _, s := range samples {
		byKind[s.Kind] = append(byKind[s.Kind], s)
	}
	medians := map[string]float64{}
	var rows []Row
	for _, k := range Kinds {
		ss, ok := byKind[k.ID]
		if !ok {
			continue
		}
		r := Row{Kind: k, Runs: len(ss)}
		var v []float64
		for _, s := range ss {
			if s.Err != "" {
				if r.FirstErr == "" {
					r.FirstErr = fmt.Sprintf("round %d: %s", s.Round, s.Err)
				}
				continue
			}
			v = append(v, s.Gbps())
		}
		r.OK = len(v)
		if len(v) > 0 {
			r.Median = stats.Median(v)
			r.Min, r.Max = slices.Min(v), slices.Max(v)
			medians[k.ID] = r.Median
		}
		rows = append(rows, r)
	}
	base, haveBase := medians[Baseline]
	for i := range rows {
		r := &rows[i]
		if r.OK == 0 {
			continue
		}
		if haveBase && base > 0 {
			r.VsKernel = r.Median / base
			r.haveBaseline = true
		}
		p := peer(r.Kind)
		if p == "" {
			continue
		}
		if haveBase && base > 0 {
			ok := r.VsKernel >= GoalVsKernel
			r.MeetsKernel = &ok
		}
		if g, ok := medians[p]; ok && g > 0 {
			r.gvisorMedian = g
			r.haveGVisorRow = true
			r.VsGVisor = r.Median / g
			met := r.VsGVisor >= GoalVsGVisor
			r.MeetsGVisor = &met
		}
	}
	return rows
}

// FormatBytes prints n as GiB, MiB or KiB when it is a whole multiple, else
// as bytes.
func FormatBytes(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// ParseBytes parses a size such as 4GiB, 512MiB, 64KiB, 4G (binary
// multiples), or a number of bytes.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.size
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q: want a positive number of bytes, optionally with a suffix KiB, MiB or GiB (such as 4GiB)", s)
	}
	return n * mult, nil
}

func gbps(v float64) string {
	if v < 0.1 {
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func ratio(v float64) string { return fmt.Sprintf("%.2f×", v) }

// goalRatio prints v as ratio does, with a third decimal when two would
// round a miss of goal up to it (0.397 is "0.397×", not "0.40×").
func goalRatio(v, goal float64) string {
	if v < goal && fmt.Sprintf("%.2f", v) == fmt.Sprintf("%.2f", goal) {
		return fmt.Sprintf("%.3f×", v)
	}
	return ratio(v)
}

func yesNo(b *bool) string {
	switch {
	case b == nil:
		return "n/a"
	case *b:
		return "yes"
	default:
		return "**no**"
	}
}

// WriteTable prints the Markdown report: a heading, how the runs were made,
// the table and a line on the goals.
func WriteTable(w io.Writer, m Meta, samples []Sample) error {
	rows := Summarize(samples)
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "### Bulk throughput (benchmarks/cmd/bulkbench)\n\n")
	fmt.Fprintf(bw, "Each run: %s or %s, whichever comes first; application payload bytes counted by the receiver. ",
		FormatDuration(m.Duration), FormatBytes(m.Limit))
	if m.Rounds == 1 {
		fmt.Fprintf(bw, "One round")
	} else {
		fmt.Fprintf(bw, "Median of %d rounds, interleaved across configurations", m.Rounds)
	}
	if !m.Date.IsZero() {
		fmt.Fprintf(bw, " (%s)", m.Date.UTC().Format("2006-01-02 15:04 UTC"))
	}
	fmt.Fprintf(bw, ".\n\n")
	for _, n := range m.Notes {
		fmt.Fprintf(bw, "- %s\n", n)
	}
	if len(m.Notes) > 0 {
		fmt.Fprintln(bw)
	}
	fmt.Fprintf(bw, "| configuration | median Gbit/s | min–max | runs | vs kernel→kernel (iperf3) | ours vs gVisor | ≥ %.1f× kernel→kernel | ≥ %.1f× gVisor |\n", GoalVsKernel, GoalVsGVisor)
	fmt.Fprintf(bw, "|---|---:|---:|---:|---:|---:|:---:|:---:|\n")
	var failed []string
	for _, r := range rows {
		if r.OK == 0 {
			fmt.Fprintf(bw, "| %s | failed | | 0/%d | | | | |\n", r.Kind.Label, r.Runs)
		} else {
			vsK := "n/a"
			if r.haveBaseline {
				vsK = ratio(r.VsKernel)
				if peer(r.Kind) != "" {
					vsK = goalRatio(r.VsKernel, GoalVsKernel)
				}
			}
			vsG, goalK, goalG := "", "", ""
			if peer(r.Kind) != "" {
				vsG = "n/a"
				if r.haveGVisorRow {
					vsG = goalRatio(r.VsGVisor, GoalVsGVisor)
				}
				goalK, goalG = yesNo(r.MeetsKernel), yesNo(r.MeetsGVisor)
			}
			fmt.Fprintf(bw, "| %s | %s | %s–%s | %d/%d | %s | %s | %s | %s |\n",
				r.Kind.Label, gbps(r.Median), gbps(r.Min), gbps(r.Max), r.OK, r.Runs, vsK, vsG, goalK, goalG)
		}
		if r.FirstErr != "" {
			failed = append(failed, fmt.Sprintf("%s: %d of %d runs failed, first: %s", r.Kind.Label, r.Runs-r.OK, r.Runs, r.FirstErr))
		}
	}
	fmt.Fprintln(bw)
	fmt.Fprintf(bw, "%s\n", goalLine(rows))
	if len(failed) > 0 {
		fmt.Fprintln(bw)
		fmt.Fprintln(bw, "Failed runs:")
		fmt.Fprintln(bw)
		for _, f := range failed {
			fmt.Fprintf(bw, "- %s\n", oneLine(f))
		}
	}
	return bw.Flush()
}

// FormatDuration prints d as time.Duration does, without trailing zero
// units: 30s, 1m, 1m30s, 1h.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// goalLine says whether the goals are met, and by how much not.
func goalLine(rows []Row) string {
	head := fmt.Sprintf("Goals (ours ≥ %.1f× kernel→kernel (iperf3) and ≥ %.1f× gVisor, both directions): ", GoalVsKernel, GoalVsGVisor)
	byID := map[string]Row{}
	for _, r := range rows {
		byID[r.Kind.ID] = r
	}
	// Why a ratio is missing when its reference was run and failed.
	failed := func(id string) string {
		if r, ok := byID[id]; ok && r.OK == 0 {
			return " (" + r.Kind.Label + " failed)"
		}
		return ""
	}
	var misses, unknown []string
	for _, id := range []string{"ours-kernel", "kernel-ours"} {
		r, ok := byID[id]
		k, _ := KindByID(id)
		if !ok || r.OK == 0 {
			unknown = append(unknown, k.Label+" not measured")
			continue
		}
		switch {
		case r.MeetsKernel == nil:
			unknown = append(unknown, k.Label+" vs kernel→kernel (iperf3) not measured"+failed(Baseline))
		case !*r.MeetsKernel:
			misses = append(misses, fmt.Sprintf("%s is %s kernel→kernel", k.Label, goalRatio(r.VsKernel, GoalVsKernel)))
		}
		switch {
		case r.MeetsGVisor == nil:
			unknown = append(unknown, k.Label+" vs gVisor not measured"+failed(peer(k)))
		case !*r.MeetsGVisor:
			misses = append(misses, fmt.Sprintf("%s is %s gVisor", k.Label, goalRatio(r.VsGVisor, GoalVsGVisor)))
		}
	}
	switch {
	case len(misses) > 0:
		s := head + "**not met**: " + strings.Join(misses, "; ") + "."
		if len(unknown) > 0 {
			s += " Not evaluated: " + strings.Join(unknown, "; ") + "."
		}
		return s
	case len(unknown) > 0:
		return head + "not evaluated: " + strings.Join(unknown, "; ") + "."
	default:
		return head + "met."
	}
}

// ResultsHeader is the column line of a results file.
const ResultsHeader = "round\tconfig\tbytes\tseconds\tgbit_per_s\terror"

// WriteResultsHeader starts a results file: the run's settings as comment
// lines, then the column line.
func WriteResultsHeader(w io.Writer, m Meta) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# bulkbench: bulk TCP throughput, one line per run, payload bytes counted by the receiver\n")
	if !m.Date.IsZero() {
		fmt.Fprintf(bw, "# date: %s\n", m.Date.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(bw, "# duration: %s\n# limit: %d\n# rounds: %d\n", m.Duration, m.Limit, m.Rounds)
	for _, n := range m.Notes {
		fmt.Fprintf(bw, "# note: %s\n", oneLine(n))
	}
	fmt.Fprintln(bw, ResultsHeader)
	return bw.Flush()
}

// WriteSample appends one line to a results file.
func WriteSample(w io.Writer, s Sample) error {
	_, err := fmt.Fprintf(w, "%d\t%s\t%d\t%.6f\t%.4f\t%s\n", s.Round, s.Kind, s.Bytes, s.Seconds, s.Gbps(), oneLine(s.Err))
	return err
}

// ReadResults parses a results file written by WriteResultsHeader and
// WriteSample.
func ReadResults(r io.Reader) (Meta, []Sample, error) {
	var m Meta
	var out []Sample
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		t := sc.Text()
		if strings.TrimSpace(t) == "" || t == ResultsHeader {
			continue
		}
		if c, ok := strings.CutPrefix(t, "#"); ok {
			key, val, ok := strings.Cut(strings.TrimSpace(c), ":")
			if !ok {
				continue
			}
			val = strings.TrimSpace(val)
			var err error
			switch key {
			case "date":
				m.Date, err = time.Parse(time.RFC3339, val)
			case "duration":
				m.Duration, err = time.ParseDuration(val)
			case "limit":
				m.Limit, err = strconv.ParseInt(val, 10, 64)
			case "rounds":
				m.Rounds, err = strconv.Atoi(val)
			case "note":
				m.Notes = append(m.Notes, val)
			}
			if err != nil {
				return m, nil, fmt.Errorf("line %d: %s: %w", line, key, err)
			}
			continue
		}
		f := strings.SplitN(t, "\t", 6)
		if len(f) < 5 {
			return m, nil, fmt.Errorf("line %d: want %q, got %q", line, ResultsHeader, t)
		}
		var s Sample
		var err1, err2, err3 error
		s.Round, err1 = strconv.Atoi(f[0])
		s.Kind = f[1]
		s.Bytes, err2 = strconv.ParseInt(f[2], 10, 64)
		s.Seconds, err3 = strconv.ParseFloat(f[3], 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return m, nil, fmt.Errorf("line %d: %w", line, err)
		}
		if _, ok := KindByID(s.Kind); !ok {
			return m, nil, fmt.Errorf("line %d: unknown configuration %q", line, s.Kind)
		}
		if len(f) == 6 {
			s.Err = f[5]
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return m, nil, err
	}
	if len(out) == 0 {
		return m, nil, errors.New("no results in the file")
	}
	return m, out, nil
}
