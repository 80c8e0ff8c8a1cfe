package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tcpregress.dev/benchmarks/bulk"
	"tcpregress.dev/benchmarks/internal/testcheck"
)

func TestHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-h"}, &out, &errb); code != 0 {
		t.Fatalf("-h: exit %d", code)
	}
	testcheck.Contains(t, "help", errb.String(), "Usage: bulkbench", "-duration", "-rounds", "-cpuprofile", "-only", "-results", "kernel-gvisor", "Exit status")
}

func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-duration", "0s"}, "-duration 0s: want a positive duration"},
		{[]string{"-duration", "soon"}, "invalid value \"soon\" for flag -duration"},
		{[]string{"-rounds", "0"}, "-rounds 0: want at least 1"},
		{[]string{"-limit", "lots"}, "invalid value \"lots\" for flag -limit"},
		{[]string{"-only", "ours-kernel,nope"}, `unknown configuration "nope"; the configurations are kernel-kernel-iperf3,`},
		{[]string{"-gvisor-dispatch", "readv"}, `-gvisor-dispatch "readv": want recvmmsg or mmap`},
		{[]string{"-gvisor-qdisc", "tbf"}, `-gvisor-qdisc "tbf": want fifo or none`},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		var out, errb bytes.Buffer
		if code := run(c.args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", c.args, code)
		}
		if !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: stderr lacks %q:\n%s", c.args, c.want, errb.String())
		}
		if out.Len() != 0 {
			t.Errorf("%v: wrote to stdout: %s", c.args, out.String())
		}
	}
}

func TestFrom(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.tsv")
	var buf bytes.Buffer
	m := bulk.Meta{Duration: 30 * time.Second, Limit: 4 << 30, Rounds: 1}
	if err := bulk.WriteResultsHeader(&buf, m); err != nil {
		t.Fatal(err)
	}
	for _, s := range []bulk.Sample{
		{Round: 1, Kind: "kernel-kernel-iperf3", Bytes: 10e9, Seconds: 10},
		{Round: 1, Kind: "ours-kernel", Bytes: 5e9, Seconds: 10},
	} {
		bulk.WriteSample(&buf, s)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"-from", path}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if want := "| ours→kernel | 4.00 | 4.00–4.00 | 1/1 | 0.50× | n/a | yes | n/a |"; !strings.Contains(out.String(), want) {
		t.Errorf("table lacks %q:\n%s", want, out.String())
	}
	if code := run([]string{"-from", filepath.Join(t.TempDir(), "missing")}, &out, &errb); code != 1 {
		t.Errorf("missing file: exit %d, want 1", code)
	}
}
