package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tcpregress.dev/benchmarks/internal/testcheck"
)

// sample is go test -bench output with -count 3, including a sub-benchmark
// that logged before its results and noise lines.
const sample = `goos: linux
goarch: amd64
pkg: tcpregress.dev/benchmarks/pcapread
cpu: Some CPU
BenchmarkRead/file=60/impl=c-dispatch-2   	      50	  20000000 ns/op	  20.00 ns/pkt	 50000000 pkts/s	     272 B/op	       2 allocs/op
BenchmarkRead/file=60/impl=ours-batch-2   	      40	  25000000 ns/op	  25.00 ns/pkt	 40000000 pkts/s	    3536 B/op	     255 allocs/op
BenchmarkRead/file=60/impl=gopacket-pcap-2	      10	 100000000 ns/op	 100.0 ns/pkt	 10000000 pkts/s	      96 B/op	       1 allocs/op
BenchmarkRead/file=60/impl=c-dispatch-2   	      50	  22000000 ns/op	  22.00 ns/pkt	 50000000 pkts/s	     272 B/op	       2 allocs/op
BenchmarkRead/file=60/impl=ours-batch-2
    pcapread_test.go:1: some log line
              	      40	  26000000 ns/op	  26.00 ns/pkt	 40000000 pkts/s	    3536 B/op	     255 allocs/op
BenchmarkRead/file=60/impl=gopacket-pcap-2	      10	 110000000 ns/op	 110.0 ns/pkt	 10000000 pkts/s	      96 B/op	       1 allocs/op
BenchmarkRead/file=60/impl=c-dispatch-2   	      50	  21000000 ns/op	  21.00 ns/pkt	 50000000 pkts/s	     272 B/op	       2 allocs/op
BenchmarkRead/file=60/impl=ours-batch-2   	      40	  30000000 ns/op	  30.00 ns/pkt	 40000000 pkts/s	    3536 B/op	     255 allocs/op
BenchmarkRead/file=60/impl=gopacket-pcap-2	      10	  90000000 ns/op	  90.00 ns/pkt	 10000000 pkts/s	      96 B/op	       1 allocs/op
BenchmarkRead/file=1514/impl=c-dispatch-2 	      50	  20000000 ns/op	 100.0 ns/pkt
BenchmarkRead/file=1514/impl=ours-batch-2 	      50	  20000000 ns/op	 200.0 ns/pkt
BenchmarkOther-2 	      50	  20000000 ns/op
PASS
ok  	tcpregress.dev/benchmarks/pcapread	12.3s
`

func TestParse(t *testing.T) {
	rs, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 12 {
		t.Fatalf("parsed %d results, want 12", len(rs))
	}
	if rs[4].name != "BenchmarkRead/file=60/impl=ours-batch" || rs[4].values["ns/pkt"] != 26 {
		t.Errorf("the result after a log line is %q %v, want ours-batch with 26 ns/pkt", rs[4].name, rs[4].values)
	}
	if rs[11].name != "BenchmarkOther" {
		t.Errorf("name %q: the -2 suffix should be gone", rs[11].name)
	}
}

func TestTrimProcs(t *testing.T) {
	for in, want := range map[string]string{
		"BenchmarkRead/file=60/impl=ours-batch-2":  "BenchmarkRead/file=60/impl=ours-batch",
		"BenchmarkRead/file=60/impl=ours-batch-16": "BenchmarkRead/file=60/impl=ours-batch",
		"BenchmarkRead/file=60/impl=ours-batch":    "BenchmarkRead/file=60/impl=ours-batch",
		"BenchmarkRead/impl=c-dispatch":            "BenchmarkRead/impl=c-dispatch",
		"BenchmarkX-4/y":                           "BenchmarkX-4/y",
	} {
		if got := trimProcs(in); got != want {
			t.Errorf("trimProcs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTable(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"-goal", "file=60", "-max-vs-floor", "1.3", "-min-speedup", "4"}, strings.NewReader(sample), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	got := out.String()
	testcheck.Contains(t, "output", got,
		"### Read: ns/pkt, median of 1–3 runs",
		"| file | impl | ns/pkt | Mpkt/s | × c-dispatch | spread | allocs/op | B/op |",
		"| 60 | c-dispatch | 21.0 | 47.6 | 1.00 | 9.5% | 2 | 272 |",
		"| 60 | ours-batch | 26.0 | 38.5 | 1.24 | 19.2% | 255 | 3536 |",
		"| 60 | gopacket-pcap | 100 | 10.0 | 4.76 | 20.0% | 1 | 96 |",
		"| 1514 | ours-batch | 200 | 5.00 | 2.00 | 0.0% | – | – |",
		"Speedup of ours-batch over gopacket-pcap (gopacket-pcap median ÷ ours-batch median): file=60 **3.85×**.",
		"- ours-batch at most 1.30× c-dispatch's ns/pkt: **met** (1.24×)",
		"- ours-batch at least 4.00× faster than gopacket-pcap: **missed** (3.85×)",
	)
	if strings.Contains(got, "Other") {
		t.Errorf("BenchmarkOther has no ns/pkt and should not be listed:\n%s", got)
	}
}

func TestFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.txt")
	if err := os.WriteFile(path, []byte(sample), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"-title", "Reading files", path}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "### Reading files: ns/pkt, median of 1–3 runs") || !strings.Contains(out.String(), "| 60 | ours-batch |") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		input string
		code  int
	}{
		{nil, "PASS\nok x 1s\n", 1},
		{[]string{filepath.Join(t.TempDir(), "missing.txt")}, "", 1},
		{[]string{"-goal", "file=60"}, sample, 2},
		{[]string{"-nosuchflag"}, sample, 2},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, strings.NewReader(tc.input), &out, &errb); code != tc.code {
			t.Errorf("benchtable %q: exit %d, want %d (stderr %q)", tc.args, code, tc.code, errb.String())
		}
	}
}
