package html_test

import (
	"fmt"
	"html/template"
	"os"
	"strings"
	"time"

	"tcpregress.dev/conformance/report"
	htmlreport "tcpregress.dev/conformance/report/html"
	"tcpregress.dev/conformance/suite"
)

func ExampleRequirementURL() {
	for _, req := range []string{"RFC9293 MUST-53", "RFC9293 §3.10.7.4", "RFC1337 §3 (fix F1)", "RFC2018"} {
		fmt.Println(htmlreport.RequirementURL(req))
	}
	// Output:
	// https://www.rfc-editor.org/rfc/rfc9293#section-3.9.2.1
	// https://www.rfc-editor.org/rfc/rfc9293#section-3.10.7.4
	// https://www.rfc-editor.org/rfc/rfc1337#section-3
	// https://www.rfc-editor.org/rfc/rfc2018
}

func ExampleWrite() {
	rep := &report.Report{
		Target:  suite.Target{Name: "local", Kind: "kernel", OS: "linux", Kernel: "6.18"},
		Started: time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC),
		Results: []suite.Result{{
			ID: "handshake/three-way", Area: "handshake", Level: suite.MUST, Verdict: suite.SKIP,
			Requirements: []string{"RFC9293 §3.5"}, Message: "not run",
		}},
	}
	var page strings.Builder
	if err := htmlreport.Write(&page, rep, htmlreport.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println(strings.Count(page.String(), `<details class="case"`), "case")
	fmt.Println(strings.Contains(page.String(), `href="https://www.rfc-editor.org/rfc/rfc9293#section-3.5"`))
	// Output:
	// 1 case
	// true
}

// A page of another design (a matrix of stacks, the report of packetdrill
// scripts) embeds a case's diagram with the stylesheet.
func ExampleLadder() {
	var r suite.Result // from suite.Run; its Exchange is nil when it did not run
	page := template.Must(template.New("cell").Parse(`<style>{{.Style}}</style>
<section class="cell">{{.Diagram}}</section>`))
	var b strings.Builder
	err := page.Execute(&b, struct {
		Style   template.CSS
		Diagram template.HTML
	}{htmlreport.Style(), htmlreport.Ladder(r.Exchange)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	_, cell, _ := strings.Cut(b.String(), "</style>\n")
	fmt.Println(cell)
	// Output:
	// <section class="cell"><p class="noladder">The case did not run: no exchange to draw.</p></section>
}

// The matrix page of two stacks: each cell links to the case's row on the
// stack's own page, which Write writes next to it under StackPage's name.
func ExampleWriteMatrix() {
	result := suite.Result{ID: "handshake/three-way", Area: "handshake", Level: suite.MUST, Verdict: suite.PASS, Expected: true}
	m := &report.Matrix{Started: time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC)}
	for _, kind := range []string{"kernel", "tcpstack"} {
		m.Reports = append(m.Reports, &report.Report{Target: suite.Target{Kind: kind}, Results: []suite.Result{result}})
	}
	var page strings.Builder
	if err := htmlreport.WriteMatrix(&page, m, htmlreport.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	for _, rep := range m.Reports {
		link := htmlreport.StackPage(rep) + "#" + htmlreport.CaseAnchor(result.ID)
		fmt.Println(link, strings.Contains(page.String(), `href="`+link+`"`))
	}
	// Output:
	// matrix-kernel.html#case-handshake-three-way true
	// matrix-tcpstack.html#case-handshake-three-way true
}
