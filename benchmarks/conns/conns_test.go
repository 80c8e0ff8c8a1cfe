package conns

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"tcpregress.dev/tcpstack/netns"
)

func TestMain(m *testing.M) {
	MaybeChild() // the helpers re-run this test binary in a namespace
	os.Exit(m.Run())
}

// TestRunSmall runs every benchmark at a small size: 200 connections for
// the rate, 100 round trips, 200 connections held. It checks that each runs
// to the end without errors and reports sane numbers, never how fast.
func TestRunSmall(t *testing.T) {
	netns.RequireRoot(t) // fails under CI instead of skipping
	var raw bytes.Buffer
	o := Options{
		Rounds:          1,
		RateConns:       200,
		RateClients:     []int{1, 8},
		Closer:          ServerCloses,
		RTTs:            100,
		Warmup:          10,
		ScaleConns:      200,
		OpenConcurrency: 16,
		Idle:            500 * time.Millisecond,
		Settle:          200 * time.Millisecond,
		Raw:             &raw,
		Logf:            t.Logf,
	}
	res, err := Run(o, Benchmarks)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rate) != 4 {
		t.Fatalf("%d rate results, want 4", len(res.Rate))
	}
	for _, r := range res.Rate {
		if r.Errors > 0 || r.Conns != 200 || r.Rate() <= 0 {
			t.Errorf("rate %s %d clients: %d connections, %d errors (%s), %.0f/s", r.Impl, r.Clients, r.Conns, r.Errors, r.FirstError, r.Rate())
		}
	}
	if len(res.Latency) != 2 {
		t.Fatalf("%d latency results, want 2", len(res.Latency))
	}
	for _, r := range res.Latency {
		if r.N != 100 || r.P50 <= 0 || r.P99 < r.P50 {
			t.Errorf("latency %s: %+v", r.Impl, r.LatencyResult)
		}
	}
	s := res.Scale
	if s == nil {
		t.Fatal("no scale result")
	}
	if s.Accepted != 200 || s.Readers != 200 || s.Alive != 200 {
		t.Errorf("scale: %d accepted, %d readers, %d alive; want 200 each", s.Accepted, s.Readers, s.Alive)
	}
	var tables bytes.Buffer
	WriteTables(&tables, res)
	for _, want := range []string{"### Connection rate", "### Latency", "### Scale", "| 8 |", "ours/kernel"} {
		if !strings.Contains(tables.String(), want) {
			t.Errorf("tables lack %q:\n%s", want, tables.String())
		}
	}
	for _, want := range []string{"rate impl=ours clients=1 ", "rate impl=kernel clients=8 ", "latency impl=kernel ", "scale impl=ours conns=200 "} {
		if !strings.Contains(raw.String(), want) {
			t.Errorf("raw results lack %q:\n%s", want, raw.String())
		}
	}
	t.Logf("\n%s", tables.String())
}

func TestStats(t *testing.T) {
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median odd = %v", got)
	}
	if got := median([]float64{4, 1, 2, 3}); got != 2.5 {
		t.Errorf("median even = %v", got)
	}
	s := make([]float64, 1000)
	for i := range s {
		s[i] = float64(i + 1)
	}
	if got := percentile(s, 99); got != 990 {
		t.Errorf("p99 of 1..1000 = %v", got)
	}
	if got := percentile(s, 50); got != 500 {
		t.Errorf("p50 of 1..1000 = %v", got)
	}
	if got := percentile([]float64{7}, 99.9); got != 7 {
		t.Errorf("p99.9 of one sample = %v", got)
	}
	if got := thousands(1234567.4); got != "1,234,567" {
		t.Errorf("thousands = %q", got)
	}
}
