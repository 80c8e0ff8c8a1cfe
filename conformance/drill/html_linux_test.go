//go:build linux && cgo

package drill

import (
	"os"
	"strings"
	"testing"
	"time"

	"tcpregress.dev/conformance/report"
	htmlreport "tcpregress.dev/conformance/report/html"
	"tcpregress.dev/conformance/suite"
)

// TestHTML runs a passing script and a mutation of it that fails against
// the local kernel and writes their HTML page (tcpregress drill --html):
// one row per script, the failing one open with packetdrill's message and
// a ladder diagram with an arrow per frame the script's probe saw, and no
// requirement coverage (scripts name no requirement).
func TestHTML(t *testing.T) {
	const path = "testdata/scripts/client.pkt"
	env := target(t, "kernel", 2)
	r := NewRunner(env)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := mutations(string(b), 50*time.Millisecond)[0]
	bad := r.CaseSource(path, m.src)
	bad.ID = path + "#" + m.what
	got := runCases(t, env, r, []suite.Case{r.Case(path), bad}, 2)
	pass, fail := got[path], got[bad.ID]
	if pass.Verdict != suite.PASS || fail.Verdict != suite.FAIL || fail.Exchange == nil {
		t.Fatalf("%s: %s %s; %s: %s %s; want PASS and FAIL with its exchange", path, pass.Verdict, pass.Message, bad.ID, fail.Verdict, fail.Message)
	}
	var page strings.Builder
	rep := &report.Report{Target: env.Target, Results: []suite.Result{pass, fail}}
	if err := htmlreport.Write(&page, rep, htmlreport.Options{Command: "drill"}); err != nil {
		t.Fatal(err)
	}
	s := page.String()
	if !strings.Contains(s, "<title>tcpregress drill: ") {
		t.Errorf("the page's title does not name drill")
	}
	if n := strings.Count(s, `<details class="case"`); n != 2 {
		t.Errorf("%d rows, want one per script: 2", n)
	}
	if strings.Contains(s, "Requirement coverage") {
		t.Errorf("the page has a requirement coverage section; scripts name no requirement")
	}
	_, row, ok := strings.Cut(s, `id="`+htmlreport.CaseAnchor(bad.ID)+`"`)
	row, _, _ = strings.Cut(row, "</details>\n")
	if !ok || !strings.HasPrefix(row, ` data-verdict="FAIL"`) || !strings.Contains(row, " open>") {
		t.Fatalf("no open FAIL row for %s:\n%.300s", bad.ID, row)
	}
	if want := path + ":"; !strings.Contains(row, `<span class="msg">`+want) {
		t.Errorf("the FAIL row's message does not start with %q (packetdrill's form): %q", want, fail.Message)
	}
	if n := strings.Count(row, `<g class="seg `); n != len(fail.Exchange.Frames) || n == 0 {
		t.Errorf("%d arrows for the %d frames of the failing script", n, len(fail.Exchange.Frames))
	}
}
