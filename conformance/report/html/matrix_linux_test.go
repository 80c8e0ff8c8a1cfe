//go:build linux

package html_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tcpregress.dev/conformance/report"
	htmlreport "tcpregress.dev/conformance/report/html"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/probe"
)

// handshakeCase passes: the agent listens, the probe connects, the agent
// accepts and closes.
func handshakeCase(t *suite.T) {
	ctx, a, p, port := t.Context(), t.Agent(), t.Probe(), t.Port()
	lfd, at := listen(t)
	if _, err := p.Dial(at, probe.ConnConfig{LocalPort: port, Timeout: time.Second}); err != nil {
		t.Fatalf("dial: %v", err)
	}
	fd, _, err := a.Accept(ctx, lfd, time.Second)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	if err := a.Close(ctx, fd); err != nil {
		t.Brokenf("close: %v", err)
	}
}

// writeMatrix runs two cases over the in-memory link (one passes, one
// fails) as two columns, "pipe" with no expectations and "pipe-expect"
// expecting the failure, and writes matrix.html and each column's page
// into a new folder, as tcpregress matrix does.
func writeMatrix(t *testing.T) (dir string, m *report.Matrix) {
	t.Helper()
	cases := []suite.Case{
		{ID: "self/handshake", Title: "a handshake", Area: "self", Level: suite.MUST, Run: handshakeCase},
		{ID: "self/exchange", Title: "an exchange that fails", Area: "self", Level: suite.SHOULD, Run: exchangeCase},
	}
	expects := []suite.Expectations{nil, {"self/exchange": {Verdict: suite.FAIL, Reason: "the test's own failure"}}}
	m = &report.Matrix{Started: time.Now()}
	for i, kind := range []string{"pipe", "pipe-expect"} {
		env := pipeEnv(t)
		env.Target.Kind = kind
		started := time.Now()
		res := suite.Run(context.Background(), cases, env, suite.Options{Expect: expects[i]})
		m.Reports = append(m.Reports, &report.Report{Target: env.Target, Started: started, Duration: time.Since(started), Results: res})
	}
	m.Duration = time.Since(m.Started)
	for _, rep := range m.Reports {
		if v := rep.Results[0].Verdict; v != suite.PASS {
			t.Fatalf("%s: self/handshake %s: %s\n%s", rep.Target.Kind, v, rep.Results[0].Message, rep.Results[0].Trace)
		}
		if v := rep.Results[1].Verdict; v != suite.FAIL {
			t.Fatalf("%s: self/exchange %s: %s", rep.Target.Kind, v, rep.Results[1].Message)
		}
	}
	dir = t.TempDir()
	write := func(name string, f func(*bytes.Buffer) error) {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("matrix.html", func(b *bytes.Buffer) error { return htmlreport.WriteMatrix(b, m, htmlreport.Options{}) })
	for i, rep := range m.Reports {
		write(htmlreport.StackPage(rep), func(b *bytes.Buffer) error {
			return htmlreport.Write(b, rep, htmlreport.Options{Dir: dir, Expect: expects[i]})
		})
	}
	return dir, m
}

// TestMatrix checks the matrix page of a real (in-memory) run: a row per
// case, a cell per stack with its verdict, the expected failure and the
// unexpected one marked, and each cell's link leading to the case's row on
// the stack's page, whose diagram has an arrow per frame the case saw.
func TestMatrix(t *testing.T) {
	dir, m := writeMatrix(t)
	b, err := os.ReadFile(filepath.Join(dir, "matrix.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, banned := range []string{"http://", "https://", "<script src", "<link rel=\"stylesheet\"", "@import"} {
		if strings.Contains(page, banned) {
			t.Errorf("the matrix page is not self-contained: it has %q", banned)
		}
	}
	if n := strings.Count(page, `<tr class="mrow"`); n != 2 {
		t.Errorf("%d case rows, want 2", n)
	}
	if n := strings.Count(page, `<td class="mcell">`); n != 4 {
		t.Errorf("%d cells, want 2 cases × 2 stacks", n)
	}
	if n := strings.Count(page, `<em class="tag">expected</em>`); n != 1 {
		t.Errorf("%d cells marked expected, want pipe-expect's FAIL", n)
	}
	if n := strings.Count(page, `<em class="tag up">unexpected</em>`); n != 1 {
		t.Errorf("%d cells marked unexpected, want pipe's FAIL", n)
	}
	links := regexp.MustCompile(`<a class="badge v-(\w+)[^"]*" href="([^"#]+)#([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(links) != 4 {
		t.Fatalf("%d cell links, want 4", len(links))
	}
	for i, l := range links {
		rep, res := m.Reports[i%2], m.Reports[i%2].Results[i/2]
		if l[1] != strings.ToLower(string(res.Verdict)) || l[2] != htmlreport.StackPage(rep) || l[3] != htmlreport.CaseAnchor(res.ID) {
			t.Errorf("cell %d links %s#%s as %s; want %s#%s as %s", i, l[2], l[3], l[1], htmlreport.StackPage(rep), htmlreport.CaseAnchor(res.ID), res.Verdict)
			continue
		}
		sp, err := os.ReadFile(filepath.Join(dir, l[2]))
		if err != nil {
			t.Fatal(err)
		}
		_, row, ok := strings.Cut(string(sp), `id="`+l[3]+`"`)
		row, _, _ = strings.Cut(row, "</details>\n")
		if !ok {
			t.Errorf("%s has no row %s", l[2], l[3])
			continue
		}
		if n := strings.Count(row, `<g class="seg `); n != len(res.Exchange.Frames) || n == 0 {
			t.Errorf("%s#%s: %d arrows for %d frames", l[2], l[3], n, len(res.Exchange.Frames))
		}
	}
}

// TestMatrixBrowser opens the matrix page in headless Chromium and follows
// a failing cell's link: the stack's page opens on that case, its diagram
// shown, with no console error on either page.
func TestMatrixBrowser(t *testing.T) {
	browser := chromium(t)
	dir, m := writeMatrix(t)
	tb := newTab(t, context.Background(), browser)
	var console []string
	messages := chromedp.Console(tb.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for msg, err := range messages {
			if err != nil {
				return
			}
			console = append(console, msg.String())
		}
	}()
	tb.do(chromedp.Navigate("file://"+filepath.Join(dir, "matrix.html")), chromedp.WaitReady(chromedp.CSS("table.matrix")))
	if n := tb.count(`document.querySelectorAll("tr.mrow").length`); n != 2 {
		t.Errorf("%d rows shown, want 2", n)
	}
	// pipe's failing cell: the second row's first cell.
	rep, res := m.Reports[0], m.Reports[0].Results[1]
	anchor := htmlreport.CaseAnchor(res.ID)
	tb.do(chromedp.Click(chromedp.CSS(`tr.mrow:nth-of-type(3) td.mcell a`)), chromedp.WaitReady(chromedp.CSS("#shown")))
	loc, err := chromedp.Run(tb.ctx, chromedp.Location())
	tb.must(err)
	if want := "file://" + filepath.Join(dir, htmlreport.StackPage(rep)) + "#" + anchor; loc != want {
		t.Fatalf("the cell led to %s, want %s", loc, want)
	}
	// The row of a FAIL is open anyway; the passing one, linked, opens too.
	if tb.count(fmt.Sprintf(`document.getElementById(%q).querySelector("svg.ladder").checkVisibility() ? 1 : 0`, anchor)) != 1 {
		t.Errorf("%s: the diagram is not shown", anchor)
	}
	if n := tb.count(fmt.Sprintf(`document.getElementById(%q).querySelectorAll("svg.ladder g.seg").length`, anchor)); n != len(res.Exchange.Frames) {
		t.Errorf("%s: %d arrows, want %d", anchor, n, len(res.Exchange.Frames))
	}
	pass := htmlreport.CaseAnchor(m.Reports[1].Results[0].ID)
	tb.do(chromedp.Navigate("file://"+filepath.Join(dir, htmlreport.StackPage(m.Reports[1]))+"#"+pass), chromedp.WaitReady(chromedp.CSS("#shown")))
	if tb.count(fmt.Sprintf(`document.getElementById(%q).open && document.getElementById(%q).querySelector("svg.ladder").checkVisibility() ? 1 : 0`, pass, pass)) != 1 {
		t.Errorf("%s: a passing case linked to does not open", pass)
	}
	tb.close()
	<-done
	if len(console) != 0 {
		t.Errorf("console messages: %q", console)
	}
}
