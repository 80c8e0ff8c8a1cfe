package report

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"tcpregress.dev/conformance/suite"
)

// sampleMatrix is sample() against two stacks: the kernel and a gvisor
// target that passed what the kernel failed and lacks one case.
func sampleMatrix() *Matrix {
	k := sample()
	g := sample()
	g.Target = suite.Target{Name: "local", Kind: "gvisor", OS: "linux", Kernel: "6.12.0", StackVersion: "gvisor.dev/gvisor v0.0.0-test"}
	g.Results = append([]suite.Result(nil), g.Results[:len(g.Results)-1]...)
	g.Results[1].Verdict, g.Results[1].Expected = suite.FAIL, true
	return &Matrix{Started: time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC), Duration: 90 * time.Second, Reports: []*Report{k, g}}
}

func TestMatrixGolden(t *testing.T) {
	var b bytes.Buffer
	if err := MatrixMarkdown(&b, sampleMatrix()); err != nil {
		t.Fatal(err)
	}
	golden(t, "matrix.md", b.Bytes())
	b.Reset()
	if err := MatrixJSON(&b, sampleMatrix()); err != nil {
		t.Fatal(err)
	}
	golden(t, "matrix.json", b.Bytes())
}

// TestMatrixJSONFields: each stack has the fields of run's JSON report.
func TestMatrixJSONFields(t *testing.T) {
	var b bytes.Buffer
	if err := MatrixJSON(&b, sampleMatrix()); err != nil {
		t.Fatal(err)
	}
	var m struct {
		Stacks []map[string]json.RawMessage `json:"stacks"`
	}
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Stacks) != 2 {
		t.Fatalf("%d stacks, want 2", len(m.Stacks))
	}
	for _, s := range m.Stacks {
		for _, f := range []string{"target", "results", "summary", "coverage", "started", "duration_ms"} {
			if _, ok := s[f]; !ok {
				t.Errorf("a stack lacks %q", f)
			}
		}
	}
}
