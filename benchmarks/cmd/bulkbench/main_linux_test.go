//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"tcpregress.dev/benchmarks/bulk"
	"tcpregress.dev/pcap/testenv"
	"tcpregress.dev/tcpstack/netns"
)

// TestRunShort measures every configuration for one second, one round:
// ours and gVisor in both directions through the real setup, with CPU
// profiles, and checks the table, the results file, the profiles and that
// the namespaces are gone. It needs root (under CI it fails instead of
// skipping), and iperf3 for its row (make test installs it).
func TestRunShort(t *testing.T) {
	netns.RequireRoot(t)
	dir := t.TempDir()
	results := filepath.Join(dir, "results.tsv")
	prof := filepath.Join(dir, "prof")
	only := "kernel-kernel-go,ours-kernel,kernel-ours,gvisor-kernel,kernel-gvisor"
	rows := 5
	if _, err := exec.LookPath("iperf3"); err == nil {
		only += ",kernel-kernel-iperf3"
		rows++
	} else if testenv.CI() {
		testenv.Program(t, "iperf3", "iperf3") // fails the test, naming the package
	} else {
		t.Log("iperf3 is not installed (apt-get install iperf3): its row is left out")
	}
	var out, errb bytes.Buffer
	code := run([]string{"-duration", "1s", "-rounds", "1", "-only", only, "-results", results, "-cpuprofile", prof}, &out, &errb)
	t.Logf("stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, row := range []string{"| kernel→kernel (Go) |", "| ours→kernel |", "| kernel→ours |", "| gVisor→kernel |", "| kernel→gVisor |"} {
		if !strings.Contains(out.String(), row) {
			t.Errorf("no row %q", row)
		}
	}
	f, err := os.Open(results)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, samples, err := bulk.ReadResults(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != rows {
		t.Errorf("%d samples in the results file, want %d", len(samples), rows)
	}
	for _, s := range samples {
		if s.Err != "" || s.Bytes <= 0 || s.Seconds < 0.5 || s.Seconds > 2 {
			t.Errorf("sample %+v", s)
		}
	}
	for _, k := range []string{"ours-kernel", "kernel-ours", "gvisor-kernel", "kernel-gvisor"} {
		if st, err := os.Stat(filepath.Join(prof, k+"-round1.pprof")); err != nil || st.Size() == 0 {
			t.Errorf("CPU profile of %s: %v", k, err)
		}
	}
	if _, err := os.Stat(filepath.Join(prof, "kernel-kernel-go-round1.pprof")); err == nil {
		t.Error("a CPU profile of a kernel-only run")
	}
	// Everything this process made is gone.
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), fmt.Sprintf("%s%d-", netns.Prefix, os.Getpid())) {
			t.Errorf("namespace %s left behind", e.Name())
		}
	}
}
