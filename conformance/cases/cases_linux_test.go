//go:build linux

package cases

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"tcpregress.dev/conformance/harness"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/netns"
)

// TestRegistry checks what every case declares: a unique "area/name" ID
// whose area is one of the suite's, a title, a level and requirements.
func TestRegistry(t *testing.T) {
	areas := map[string]bool{"handshake": true, "options": true, "data": true, "retransmission": true, "close": true,
		"reset": true, "timestamps": true, "keepalive": true, "icmp": true, "isn": true}
	ids := map[string]bool{}
	for _, e := range registered {
		c := e.c
		if ids[c.ID] {
			t.Errorf("duplicate ID %s", c.ID)
		}
		ids[c.ID] = true
		if !areas[c.Area] || !strings.HasPrefix(c.ID, c.Area+"/") {
			t.Errorf("%s: area %q", c.ID, c.Area)
		}
		if c.Title == "" || len(c.Requirements) == 0 {
			t.Errorf("%s: no title or requirements", c.ID)
		}
	}
	if len(registered) < 80 {
		t.Errorf("%d cases, want at least 80", len(registered))
	}
}

// TestLinux runs every registered case against the Linux kernel of a
// throwaway namespace (harness.Local: probe on side A, kernel and agent on
// side B) and prints the verdicts. It fails only on ERROR (the bench broke);
// a FAIL is a finding about Linux, listed for conformance/expect/linux.txt.
// CASES=substring selects cases; CASES_TRACE=1 prints every trace; the slow
// cases (minutes each) are SKIP unless SLOW=1.
func TestLinux(t *testing.T) {
	netns.RequireRoot(t)
	if testing.Short() {
		t.Skip("runs the whole suite against the kernel")
	}
	ctx := context.Background()
	const jobs = 2
	// TARGET_STACK=tcpstack runs the cases against our own stack instead.
	env, cleanup, err := harness.Local(ctx, harness.Options{Jobs: jobs, Stack: os.Getenv("TARGET_STACK")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	var cs []suite.Case
	for _, e := range registered {
		if f := os.Getenv("CASES"); f == "" || strings.Contains(e.c.ID, f) {
			cs = append(cs, e.c)
		}
	}
	suite.SortCases(cs)
	results := suite.Run(ctx, cs, *env, suite.Options{Jobs: jobs, Timeout: 30 * time.Second, Slow: os.Getenv("SLOW") != ""})
	sort.Slice(results, func(i, j int) bool { return results[i].ID < results[j].ID })
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 4, 2, ' ', 0)
	counts := map[suite.Verdict]int{}
	for _, r := range results {
		counts[r.Verdict]++
		fmt.Fprintf(w, "%s\t%s\t%s\t%v\t%s\n", r.ID, r.Level, r.Verdict, r.Duration.Round(time.Millisecond), oneLine(r.Message))
	}
	w.Flush()
	t.Logf("Linux results:\n%s\n%v", sb.String(), counts)
	for _, r := range results {
		if r.Verdict == suite.FAIL || r.Verdict == suite.ERROR || os.Getenv("CASES_TRACE") != "" {
			t.Logf("--- %s %s: %s\n%s", r.ID, r.Verdict, r.Message, r.Trace)
		}
		if r.Verdict == suite.ERROR {
			t.Errorf("%s: ERROR: %s", r.ID, r.Message)
		}
	}
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " | ")
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}
