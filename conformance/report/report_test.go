package report

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"tcpregress.dev/conformance/suite"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func sample() *Report {
	return &Report{
		Target: suite.Target{Name: "local", Kind: "kernel", OS: "linux", Kernel: "6.12.0",
			Sysctls: map[string]string{"net.ipv4.tcp_sack": "0"}},
		Started:  time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC),
		Duration: 4321 * time.Millisecond,
		Results: []suite.Result{
			{ID: "handshake/syn-closed-port-rst", Title: "A SYN to a closed port gets a RST", Area: "handshake", Level: suite.MUST,
				Requirements: []string{"RFC9293 MUST-8", "RFC9293 MUST-10", "RFC9293 §3.10.7.4", "RFC9293 MUST-99"}, Verdict: suite.PASS, Expected: true, Duration: 12 * time.Millisecond},
			{ID: "handshake/simultaneous-open", Title: "Simultaneous open", Area: "handshake", Level: suite.MUST,
				Requirements: []string{"RFC9293 MUST-10"}, Verdict: suite.FAIL, Duration: 3 * time.Second,
				Message: "no SYN-ACK: got R. 0:0(0) ack 1", Trace: "   0.000s sent S 0:0(0)\nframes:\nIP 198.18.0.3.20000 > 198.18.0.2.20000: Flags [S]\n",
				Pcap: "pcap/handshake_simultaneous-open.pcap"},
			{ID: "options/mss-<default>", Title: "MSS & default", Area: "options", Level: suite.SHOULD,
				Requirements: []string{"RFC9293 SHLD-5", "RFC6691 §2"}, Verdict: suite.ERROR, Expected: true, Duration: 5 * time.Millisecond,
				Message: "agent: connection refused"},
			{ID: "options/wscale", Title: "Window scale", Area: "options", Level: suite.MAY,
				Requirements: []string{"RFC7323 §2.2"}, Verdict: suite.UNSUPPORTED, Expected: true, Message: "no window scaling"},
			{ID: "keepalive/idle", Title: "Keep-alive # idle", Area: "keepalive", Level: suite.FEATURE,
				Requirements: []string{"RFC9293 MAY-5"}, Verdict: suite.SKIP, Expected: true, Message: "needs TCP_KEEPIDLE"},
			{ID: "data/urgent", Title: "Urgent data", Area: "data", Level: suite.MUST,
				Requirements: []string{"RFC9293 MUST-30"}, Verdict: suite.PASS, Expected: false, Duration: time.Millisecond,
				Message: "unexpected pass (expected FAIL: old kernel)"},
		},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, got)
	}
}

// progress returns a writer for TestGolden: a Progress (tty or not) told
// that each case of the report started and ended, in turn.
func progress(tty bool) func(*bytes.Buffer, *Report) error {
	return func(b *bytes.Buffer, r *Report) error {
		p := NewProgress(b, len(r.Results), tty)
		for _, res := range r.Results {
			p.Start(suite.Case{ID: res.ID})
			p.Done(res)
		}
		p.Finish()
		return nil
	}
}

func TestGolden(t *testing.T) {
	for _, tt := range []struct {
		name  string
		write func(*bytes.Buffer, *Report) error
	}{
		{"report.txt", func(b *bytes.Buffer, r *Report) error { return Console(b, r) }},
		{"report.json", func(b *bytes.Buffer, r *Report) error { return JSON(b, r) }},
		{"junit.xml", func(b *bytes.Buffer, r *Report) error { return JUnit(b, r) }},
		{"report.tap", func(b *bytes.Buffer, r *Report) error { return TAP(b, r) }},
		{"progress.txt", progress(false)},
		{"progress-tty.txt", progress(true)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b, sample()); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, b.Bytes())
		})
	}
}

// TestJSONFields checks the names other tooling reads.
func TestJSONFields(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	keys := func(v any) []string {
		var ks []string
		for k := range v.(map[string]any) {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	for _, tt := range []struct {
		v    any
		want []string
	}{
		{m, []string{"coverage", "duration_ms", "results", "started", "summary", "target"}},
		{m["target"], []string{"kernel", "kind", "name", "os", "stack_options", "sysctls"}},
		{m["results"].([]any)[0], []string{"duration_ms", "expected", "id", "level", "message", "pcap", "requirements", "title", "verdict"}},
		{m["summary"], []string{"ERROR", "FAIL", "PASS", "SKIP", "UNSUPPORTED"}},
		{m["coverage"].(map[string]any)["RFC9293"], []string{"MAY", "MUST", "SHOULD"}},
		{m["coverage"].(map[string]any)["RFC9293"].(map[string]any)["MUST"], []string{"covered", "passed", "total"}},
	} {
		if got := keys(tt.v); !slices.Equal(got, tt.want) {
			t.Errorf("keys %v; want %v", got, tt.want)
		}
	}
}

func TestCoverage(t *testing.T) {
	cov := ComputeCoverage(sample().Results)
	must := cov["RFC9293"]["MUST"]
	if must.Total != 69 || !slices.Equal(must.Covered, []string{"MUST-8", "MUST-10", "MUST-30"}) ||
		!slices.Equal(must.Passed, []string{"MUST-8", "MUST-30"}) {
		t.Errorf("RFC9293 MUST: %+v", must)
	}
	if s := cov["RFC9293"]["SHOULD"]; s.Total != 31 || !slices.Equal(s.Covered, []string{"SHLD-5"}) || len(s.Passed) != 0 {
		t.Errorf("RFC9293 SHOULD: %+v", s)
	}
	if m := cov["RFC9293"]["MAY"]; m.Total != 18 {
		t.Errorf("RFC9293 MAY total %d; want 18", m.Total)
	}
	if o := cov["RFC6691"]["SHOULD"]; o == nil || o.Total != 1 || o.Covered[0] != "§2" {
		t.Errorf("RFC6691: %+v", o)
	}
	if got := cov.RFCs(); got[0] != "RFC9293" {
		t.Errorf("RFCs() = %v", got)
	}
	for _, tt := range []struct{ in, rfc, level, label string }{
		{"RFC9293 SHOULD-3", "RFC9293", "SHOULD", "SHLD-3"},
		{"rfc9293 must-7", "RFC9293", "MUST", "MUST-7"},
		{"RFC5961 §3.2", "RFC5961", "MAY", "§3.2"},
		{"RFC1122", "RFC1122", "MAY", "RFC1122"},
	} {
		rfc, level, label, ok := ParseRequirement(tt.in, suite.MAY)
		if !ok || rfc != tt.rfc || level != tt.level || label != tt.label {
			t.Errorf("ParseRequirement(%q) = %q %q %q", tt.in, rfc, level, label)
		}
	}
}

// TestCoverageSlowSkipped: a slow case the run left out (SKIP without
// --slow) covers its requirements, which are not passed; with --slow its
// verdict decides.
func TestCoverageSlowSkipped(t *testing.T) {
	cs := []suite.Case{
		{ID: "handshake/fast", Level: suite.MUST, Requirements: []string{"RFC9293 MUST-19", "RFC9293 MUST-23 (partial: 7 s, not 3 min)"}, Run: func(*suite.T) {}},
		{ID: "handshake/slow", Level: suite.MUST, Requirements: []string{"RFC9293 MUST-23"}, Slow: 200 * time.Second, Timeout: time.Hour, Run: func(*suite.T) {}},
	}
	for _, tt := range []struct {
		slow    bool
		verdict suite.Verdict
		passed  []string
	}{
		{false, suite.SKIP, []string{"MUST-19"}},
		{true, suite.PASS, []string{"MUST-19", "MUST-23"}},
	} {
		res := suite.Run(context.Background(), cs, suite.Env{}, suite.Options{Slow: tt.slow})
		if res[1].Verdict != tt.verdict {
			t.Fatalf("slow=%v: %s %s %q; want %s", tt.slow, res[1].ID, res[1].Verdict, res[1].Message, tt.verdict)
		}
		must := ComputeCoverage(res)["RFC9293"]["MUST"]
		if !slices.Equal(must.Covered, []string{"MUST-19", "MUST-23"}) || !slices.Equal(must.Passed, tt.passed) {
			t.Errorf("slow=%v: RFC9293 MUST covered %v passed %v; want [MUST-19 MUST-23], %v", tt.slow, must.Covered, must.Passed, tt.passed)
		}
		var b bytes.Buffer
		if err := Console(&b, &Report{Results: res}); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("MUST 2/%d/69", len(tt.passed))
		if !strings.Contains(b.String(), want) {
			t.Errorf("slow=%v: the console coverage lacks %q:\n%s", tt.slow, want, b.String())
		}
		if !tt.slow && !strings.Contains(b.String(), "SKIP") || !tt.slow && !strings.Contains(b.String(), "slow case (about 3m20s): run with --slow") {
			t.Errorf("the console does not show the slow case skipped:\n%s", b.String())
		}
	}
}

func TestJUnitParses(t *testing.T) {
	var b bytes.Buffer
	if err := JUnit(&b, sample()); err != nil {
		t.Fatal(err)
	}
	var s junitSuites
	if err := xml.Unmarshal(b.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	if s.Tests != 6 || s.Fails != 1 || s.Errors != 0 || len(s.Suites) != 4 {
		t.Errorf("tests %d failures %d errors %d suites %d", s.Tests, s.Fails, s.Errors, len(s.Suites))
	}
	if !strings.Contains(b.String(), "Flags [S]") {
		t.Error("the failure lacks its trace")
	}
}

// TestJSONStackOptions: the target section records the --stack-option
// toggles of a tcpstack target, and an empty list (not null) without any.
func TestJSONStackOptions(t *testing.T) {
	stackOptions := func(rep *Report) any {
		t.Helper()
		var b bytes.Buffer
		if err := JSON(&b, rep); err != nil {
			t.Fatal(err)
		}
		var m struct {
			Target map[string]any `json:"target"`
		}
		if err := json.Unmarshal(b.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		return m.Target["stack_options"]
	}
	rep := sample()
	if got, ok := stackOptions(rep).([]any); !ok || len(got) != 0 {
		t.Errorf("kernel target: stack_options %#v, want []", stackOptions(rep))
	}
	rep.Target.Kind, rep.Target.Sysctls = "tcpstack", nil
	rep.Target.StackOptions = []string{"no-sack", "no-delayed-ack"}
	if got := stackOptions(rep); !slices.Equal(toStrings(got), []string{"no-sack", "no-delayed-ack"}) {
		t.Errorf("tcpstack target: stack_options %#v, want [no-sack no-delayed-ack]", got)
	}
	var b bytes.Buffer
	if err := Console(&b, rep); err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(b.String(), "\n"); !strings.Contains(first, "--stack-option no-sack,no-delayed-ack") {
		t.Errorf("console header %q does not name the stack options", first)
	}
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, e := range l {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

// TestConsoleNoRequirements: a report whose results name no requirement
// (drill's scripts) has no coverage section, rather than a row of zeros.
func TestConsoleNoRequirements(t *testing.T) {
	rep := sample()
	for i := range rep.Results {
		rep.Results[i].Requirements = nil
	}
	var b bytes.Buffer
	if err := Console(&b, rep); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "coverage") {
		t.Errorf("console report of results without requirements prints coverage:\n%s", b.String())
	}
	if err := Console(&b, sample()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "coverage (requirements covered / passed / total):") {
		t.Errorf("console report of the sample lost its coverage section:\n%s", b.String())
	}
}
