package bulk

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"tcpregress.dev/benchmarks/internal/testcheck"
)

// gb returns a sample of v Gbit/s over 10 s.
func gb(round int, kind string, v float64) Sample {
	return Sample{Round: round, Kind: kind, Bytes: int64(v * 1e9 / 8 * 10), Seconds: 10}
}

func testSamples() []Sample {
	var s []Sample
	for r, f := range []float64{1, 1.1, 0.9} {
		round := r + 1
		s = append(s,
			gb(round, "kernel-kernel-iperf3", 8*f),
			gb(round, "kernel-kernel-go", 6*f),
			gb(round, "ours-kernel", 4*f),
			gb(round, "kernel-ours", 2*f),
			gb(round, "gvisor-kernel", 1*f),
			gb(round, "kernel-gvisor", 4*f),
		)
	}
	return s
}

func TestSummarize(t *testing.T) {
	rows := Summarize(testSamples())
	if len(rows) != len(Kinds) {
		t.Fatalf("%d rows, want %d", len(rows), len(Kinds))
	}
	byID := map[string]Row{}
	for i, r := range rows {
		if r.Kind.ID != Kinds[i].ID {
			t.Errorf("row %d is %s, want %s (table order)", i, r.Kind.ID, Kinds[i].ID)
		}
		byID[r.Kind.ID] = r
	}
	near := func(name string, got, want float64) {
		t.Helper()
		if d := got - want; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	k := byID["kernel-kernel-iperf3"]
	near("iperf3 median", k.Median, 8)
	near("iperf3 min", k.Min, 7.2)
	near("iperf3 max", k.Max, 8.8)
	near("iperf3 vs kernel", k.VsKernel, 1)
	if k.MeetsKernel != nil || k.MeetsGVisor != nil {
		t.Error("goals evaluated for a row that is not ours")
	}
	o := byID["ours-kernel"]
	near("ours→kernel vs kernel", o.VsKernel, 0.5)
	near("ours→kernel vs gVisor", o.VsGVisor, 4)
	if o.MeetsKernel == nil || !*o.MeetsKernel || o.MeetsGVisor == nil || !*o.MeetsGVisor {
		t.Errorf("ours→kernel goals: %v %v, want both met", o.MeetsKernel, o.MeetsGVisor)
	}
	i := byID["kernel-ours"]
	near("kernel→ours vs kernel", i.VsKernel, 0.25)
	near("kernel→ours vs gVisor", i.VsGVisor, 0.5)
	if i.MeetsKernel == nil || *i.MeetsKernel || i.MeetsGVisor == nil || *i.MeetsGVisor {
		t.Errorf("kernel→ours goals: %v %v, want both missed", i.MeetsKernel, i.MeetsGVisor)
	}
}

func TestSummarizeEvenAndFailed(t *testing.T) {
	s := []Sample{
		gb(1, "ours-kernel", 1), gb(2, "ours-kernel", 3),
		{Round: 3, Kind: "ours-kernel", Err: "boom"},
		{Round: 1, Kind: "kernel-ours", Err: "no data"},
	}
	rows := Summarize(s)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	if r := rows[0]; r.Median != 2 || r.OK != 2 || r.Runs != 3 || !strings.Contains(r.FirstErr, "round 3: boom") {
		t.Errorf("ours→kernel: %+v", r)
	}
	if r := rows[1]; r.OK != 0 || r.MeetsKernel != nil {
		t.Errorf("kernel→ours: %+v", r)
	}
	var out bytes.Buffer
	if err := WriteTable(&out, Meta{Duration: time.Second, Limit: 1 << 30, Rounds: 3}, s); err != nil {
		t.Fatal(err)
	}
	testcheck.Contains(t, "table", out.String(),
		"| ours→kernel | 2.00 | 1.00–3.00 | 2/3 | n/a | n/a | n/a | n/a |",
		"| kernel→ours | failed | | 0/1 |",
		"not evaluated: ours→kernel vs kernel→kernel (iperf3) not measured",
		"- kernel→ours: 1 of 1 runs failed, first: round 1: no data",
	)
}

// A failed kernel→kernel (iperf3) run leaves the other runs of its round
// measured; only the ratios to it are missing, and the goal line says why.
func TestWriteTableFailedBaseline(t *testing.T) {
	s := []Sample{
		{Round: 1, Kind: Baseline, Err: "iperf3 -s: unable to receive results"},
		gb(1, "ours-kernel", 1.36), gb(1, "kernel-ours", 2.46),
	}
	var out bytes.Buffer
	if err := WriteTable(&out, Meta{Duration: 10 * time.Second, Limit: 4 << 30, Rounds: 1}, s); err != nil {
		t.Fatal(err)
	}
	testcheck.Contains(t, "table", out.String(),
		"| kernel→kernel (iperf3) | failed | | 0/1 |",
		"| ours→kernel | 1.36 | 1.36–1.36 | 1/1 | n/a |",
		"| kernel→ours | 2.46 | 2.46–2.46 | 1/1 | n/a |",
		"ours→kernel vs kernel→kernel (iperf3) not measured (kernel→kernel (iperf3) failed)",
		"kernel→ours vs gVisor not measured.",
	)
}

func TestWriteTable(t *testing.T) {
	var out bytes.Buffer
	m := Meta{Duration: 30 * time.Second, Limit: 4 << 30, Rounds: 3, Notes: []string{"MTU 1500"}}
	if err := WriteTable(&out, m, testSamples()); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	testcheck.Contains(t, "table", got,
		"### Bulk throughput (benchmarks/cmd/bulkbench)",
		"Each run: 30s or 4 GiB, whichever comes first",
		"Median of 3 rounds, interleaved",
		"- MTU 1500\n",
		"| configuration | median Gbit/s | min–max | runs | vs kernel→kernel (iperf3) | ours vs gVisor | ≥ 0.4× kernel→kernel | ≥ 1.0× gVisor |",
		"| kernel→kernel (iperf3) | 8.00 | 7.20–8.80 | 3/3 | 1.00× |  |  |  |",
		"| kernel→kernel (Go) | 6.00 | 5.40–6.60 | 3/3 | 0.75× |  |  |  |",
		"| ours→kernel | 4.00 | 3.60–4.40 | 3/3 | 0.50× | 4.00× | yes | yes |",
		"| kernel→ours | 2.00 | 1.80–2.20 | 3/3 | 0.25× | 0.50× | **no** | **no** |",
		"| gVisor→kernel | 1.00 | 0.90–1.10 | 3/3 | 0.12× |  |  |  |",
		"**not met**: kernel→ours is 0.25× kernel→kernel; kernel→ours is 0.50× gVisor.",
	)
	if strings.Contains(got, "Failed runs") {
		t.Errorf("failed runs listed when none failed:\n%s", got)
	}
	// Every row has as many cells as the header.
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(line, "|") && strings.Count(line, "|") != 9 {
			t.Errorf("%d cells in %q, want 8", strings.Count(line, "|")-1, line)
		}
	}
}

func TestGoalsMet(t *testing.T) {
	s := []Sample{
		gb(1, "kernel-kernel-iperf3", 5), gb(1, "ours-kernel", 2), gb(1, "kernel-ours", 2.5),
		gb(1, "gvisor-kernel", 2), gb(1, "kernel-gvisor", 1),
	}
	var out bytes.Buffer
	if err := WriteTable(&out, Meta{Duration: time.Minute, Limit: 100, Rounds: 1}, s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "both directions): met.") {
		t.Errorf("goals not reported met:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Each run: 1m or 100 bytes") || !strings.Contains(out.String(), "One round") {
		t.Errorf("heading:\n%s", out.String())
	}
}

func TestGoalRatioNearMiss(t *testing.T) {
	s := []Sample{gb(1, "kernel-kernel-iperf3", 5), gb(1, "ours-kernel", 1.985), gb(1, "gvisor-kernel", 1.99)}
	var out bytes.Buffer
	if err := WriteTable(&out, Meta{Duration: time.Minute, Limit: 100, Rounds: 1}, s); err != nil {
		t.Fatal(err)
	}
	testcheck.Contains(t, "table", out.String(), "| 0.397× | 0.997× | **no** | **no** |", "ours→kernel is 0.397× kernel→kernel; ours→kernel is 0.997× gVisor")
}

func TestResultsRoundTrip(t *testing.T) {
	m := Meta{Date: time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC), Duration: 30 * time.Second, Limit: 4 << 30, Rounds: 3,
		Notes: []string{"a note", "another\nnote"}}
	in := append(testSamples(), Sample{Round: 4, Kind: "kernel-ours", Bytes: 12, Seconds: 0.5, Err: "it\tbroke\nbadly"})
	var buf bytes.Buffer
	if err := WriteResultsHeader(&buf, m); err != nil {
		t.Fatal(err)
	}
	for _, s := range in {
		if err := WriteSample(&buf, s); err != nil {
			t.Fatal(err)
		}
	}
	m2, out, err := ReadResults(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !m2.Date.Equal(m.Date) || m2.Duration != m.Duration || m2.Limit != m.Limit || m2.Rounds != m.Rounds ||
		len(m2.Notes) != 2 || m2.Notes[1] != "another note" {
		t.Errorf("meta: got %+v, want %+v", m2, m)
	}
	if len(out) != len(in) {
		t.Fatalf("%d samples, want %d", len(out), len(in))
	}
	for i := range in {
		a, b := in[i], out[i]
		if a.Round != b.Round || a.Kind != b.Kind || a.Bytes != b.Bytes || a.Seconds != b.Seconds {
			t.Errorf("sample %d: got %+v, want %+v", i, b, a)
		}
	}
	if out[len(out)-1].Err != "it broke badly" {
		t.Errorf("error: %q", out[len(out)-1].Err)
	}
}

func TestReadResultsErrors(t *testing.T) {
	for _, in := range []string{
		"",
		ResultsHeader + "\n",
		"1\tno-such-config\t1\t1\t1\t\n",
		"x\tours-kernel\t1\t1\t1\t\n",
		"just text\n",
	} {
		if _, _, err := ReadResults(strings.NewReader(in)); err == nil {
			t.Errorf("ReadResults(%q): no error", in)
		}
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"4GiB": 4 << 30, "4G": 4 << 30, "512MiB": 512 << 20, "64 KiB": 64 << 10, "1000": 1000, "4 GiB": 4 << 30} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "4TB", "x", "9999999999GiB"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q): no error", in)
		}
	}
	if s := FormatBytes(4 << 30); s != "4 GiB" {
		t.Errorf("FormatBytes: %q", s)
	}
	if s := FormatDuration(90 * time.Second); s != "1m30s" {
		t.Errorf("FormatDuration: %q", s)
	}
}

func TestParseKinds(t *testing.T) {
	ks, err := ParseKinds("kernel-ours, ours-kernel")
	if err != nil || len(ks) != 2 || ks[0].ID != "ours-kernel" || ks[1].ID != "kernel-ours" {
		t.Errorf("ParseKinds: %v, %v", ks, err)
	}
	if ks, err := ParseKinds("all"); err != nil || len(ks) != len(Kinds) {
		t.Errorf("ParseKinds(all): %v, %v", ks, err)
	}
	for _, in := range []string{"ours", ",", "ours-kernel,bogus"} {
		if _, err := ParseKinds(in); err == nil || !strings.Contains(err.Error(), "the configurations are") {
			t.Errorf("ParseKinds(%q): %v", in, err)
		}
	}
}
