// Package html writes the report of a conformance run as one
// self-contained HTML page: no network, no external file, readable from
// file:// in any browser. The page has the target (OS, kernel, stack,
// sysctls, stack options), the summary, the requirement coverage per RFC
// and level as bars, and the cases grouped by area with their verdict,
// level, requirements (each linked to its section of the RFC), duration and
// message, failures first, with filters by verdict, level and area (a
// little inline JavaScript; without it every case shows).
//
// Each case that ran carries its ladder diagram ([Ladder]), drawn from its
// own capture: open for FAIL and ERROR, a click away for the others, with a
// link to the case's pcap when the run wrote one.
//
// The pieces are exported for other pages of the same design (a matrix of
// stacks, the report of packetdrill scripts): [Ladder] draws one exchange,
// [Style] is the stylesheet it and the page use, [RequirementURL] links a
// requirement to its RFC, and [Write] writes a whole run.
package html

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"tcpregress.dev/conformance/report"
	"tcpregress.dev/conformance/suite"
)

// Options shape a page.
type Options struct {
	// Title heads the page; by default "tcpregress: " (with Command,
	// "tcpregress drill: ") and the target.
	Title string
	// Command is the tcpregress command whose run the page reports, when
	// not run: "drill" for packetdrill scripts, one row per script.
	Command string
	// Dir is the directory the page is written to. Links to the cases'
	// pcaps are made relative to it, so that the page and its pcap folder
	// move together; empty means the current directory.
	Dir string
	// Expect, when set, holds the run's expectations (tcpregress run
	// --expect): a case whose verdict was expected shows the reason.
	Expect suite.Expectations
}

//go:embed style.css
var styleCSS string

//go:embed filter.js
var filterJS string

//go:embed page.tmpl
var pageTmpl string

// Style returns the stylesheet of the page and of [Ladder]'s diagrams, for
// a page that embeds them (in a <style> element).
func Style() template.CSS { return template.CSS(styleCSS) }

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"lower": strings.ToLower,
}).Parse(pageTmpl))

// Write writes rep as one HTML page to w.
func Write(w io.Writer, rep *report.Report, opts Options) error {
	d := build(rep, opts)
	if err := page.Execute(w, d); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}

// The page's data.
type (
	pageData struct {
		Title    string
		Style    template.CSS
		Script   template.JS
		Target   []keyValue
		Started  string
		Duration string
		Total    int
		Verdicts []verdictCount
		Tally    string
		Coverage []rfcCoverage
		Areas    []area
		Levels   []string
	}
	keyValue struct{ Key, Value string }

	verdictCount struct {
		Verdict string
		N       int
	}

	rfcCoverage struct {
		RFC    string
		URL    string
		Levels []levelBar
	}

	levelBar struct {
		Level                  string
		Total, Covered, Passed int
		// Widths of the passed and the covered-but-not-passed parts, in
		// percent of the bar.
		PassedPct, CoveredPct float64
	}

	area struct {
		Name     string
		Failures int
		Cases    []caseView
	}

	caseView struct {
		ID, Title, Area, Level, Verdict string
		Anchor                          string
		Expected, UnexpectedPass        bool
		Duration                        string
		Message                         string
		Reason                          string // why the verdict was expected
		Requirements                    []link
		Pcap                            string
		Open                            bool
		Diagram                         template.HTML
		Ran                             bool
		Trace                           string
	}

	link struct{ Text, URL string }
)

func build(rep *report.Report, opts Options) *pageData {
	t := rep.Target
	title := opts.Title
	if title == "" {
		title = "tcpregress: " + targetName(t)
		if opts.Command != "" {
			title = "tcpregress " + opts.Command + ": " + targetName(t)
		}
	}
	d := &pageData{
		Title:    title,
		Style:    Style(),
		Script:   template.JS(filterJS),
		Started:  rep.Started.UTC().Format("2006-01-02 15:04:05 UTC"),
		Duration: rep.Duration.Round(time.Millisecond).String(),
		Total:    len(rep.Results),
		Levels:   report.LevelOrder,
	}
	d.Target = append(d.Target, keyValue{"target", t.Name}, keyValue{"stack", t.Kind})
	if t.StackVersion != "" {
		d.Target = append(d.Target, keyValue{"stack version", t.StackVersion})
	}
	if t.OS != "" {
		d.Target = append(d.Target, keyValue{"OS", t.OS})
	}
	if t.Kernel != "" {
		d.Target = append(d.Target, keyValue{"kernel", t.Kernel})
	}
	if t.Addr.IsValid() {
		d.Target = append(d.Target, keyValue{"address", t.Addr.String()})
	}
	if len(t.Sysctls) > 0 {
		var kv []string
		for k, v := range t.Sysctls {
			kv = append(kv, k+"="+v)
		}
		sort.Strings(kv)
		d.Target = append(d.Target, keyValue{"sysctls", strings.Join(kv, "  ")})
	}
	if len(t.StackOptions) > 0 {
		d.Target = append(d.Target, keyValue{"stack options", strings.Join(t.StackOptions, ", ")})
	}
	sum := rep.Summary()
	for _, v := range suite.Verdicts {
		d.Verdicts = append(d.Verdicts, verdictCount{string(v), sum[v]})
	}
	unexpected, expected, upass := rep.Tally()
	d.Tally = fmt.Sprintf("%d unexpected failures, %d expected failures, %d unexpected passes", unexpected, expected, upass)

	// Coverage, unless no result names a requirement (packetdrill
	// scripts name none).
	cov := report.Coverage{}
	for _, r := range rep.Results {
		if len(r.Requirements) > 0 {
			cov = report.ComputeCoverage(rep.Results)
			break
		}
	}
	for _, rfc := range cov.RFCs() {
		rc := rfcCoverage{RFC: rfc, URL: RequirementURL(rfc)}
		for _, level := range report.LevelOrder {
			lc := cov[rfc][level]
			if lc == nil || lc.Total == 0 {
				continue
			}
			rc.Levels = append(rc.Levels, bar(level, lc))
		}
		d.Coverage = append(d.Coverage, rc)
	}

	names, by := report.Areas(rep.Results)
	for _, name := range names {
		a := area{Name: name}
		for _, r := range by[name] {
			cv := view(r, opts.Dir)
			if x, ok := opts.Expect[r.ID]; ok && r.Expected && r.Verdict != suite.PASS {
				cv.Reason = x.Reason
			}
			if cv.Open {
				a.Failures++
			}
			a.Cases = append(a.Cases, cv)
		}
		// Failures first, then in the run's (ID) order.
		sort.SliceStable(a.Cases, func(i, j int) bool { return a.Cases[i].Open && !a.Cases[j].Open })
		d.Areas = append(d.Areas, a)
	}
	sort.SliceStable(d.Areas, func(i, j int) bool { return d.Areas[i].Failures > 0 && d.Areas[j].Failures == 0 })
	return d
}

// bar is the coverage of one level as a bar.
func bar(level string, lc *report.LevelCoverage) levelBar {
	b := levelBar{Level: level, Total: lc.Total, Covered: len(lc.Covered), Passed: len(lc.Passed)}
	if b.Total > 0 {
		b.PassedPct = 100 * float64(b.Passed) / float64(b.Total)
		b.CoveredPct = 100 * float64(b.Covered-b.Passed) / float64(b.Total)
	}
	return b
}

// CaseAnchor is the id of a case's row in the page [Write] writes: a link
// to PAGE#ANCHOR opens the case and shows its diagram.
func CaseAnchor(id string) string {
	return "case-" + strings.NewReplacer("/", "-", " ", "-").Replace(id)
}

// view is what the page shows of a result.
func view(r suite.Result, dir string) caseView {
	cv := caseView{
		ID: r.ID, Title: r.Title, Area: r.Area, Level: string(r.Level), Verdict: string(r.Verdict),
		Anchor:   CaseAnchor(r.ID),
		Expected: r.Expected && (r.Verdict == suite.FAIL || r.Verdict == suite.ERROR), UnexpectedPass: r.UnexpectedPass(),
		Duration: r.Duration.Round(time.Millisecond).String(),
		Message:  r.Message,
		Open:     r.Verdict == suite.FAIL || r.Verdict == suite.ERROR,
		Ran:      r.Exchange != nil,
		Trace:    r.Trace,
	}
	if cv.Area == "" {
		cv.Area = "other"
	}
	for _, req := range r.Requirements {
		cv.Requirements = append(cv.Requirements, link{Text: req, URL: RequirementURL(req)})
	}
	if r.Pcap != "" {
		cv.Pcap = filepath.ToSlash(r.Pcap)
		if rel, err := relativeTo(dir, r.Pcap); err == nil {
			cv.Pcap = rel
		}
	}
	if r.Exchange != nil {
		cv.Diagram = Ladder(r.Exchange)
	}
	return cv
}

// relativeTo returns path relative to dir, with forward slashes (a URL
// path).
func relativeTo(dir, path string) (string, error) {
	if dir == "" {
		dir = "."
	}
	ad, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	ap, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(ad, ap)
	if err != nil {
		return "", err
	}
	return filepath.ToSlash(rel), nil
}

func targetName(t suite.Target) string {
	s := t.Name
	if t.Kind != "" {
		s += " (" + t.Kind
		if t.OS != "" {
			s += ", " + t.OS + " " + t.Kernel
		}
		s += ")"
	}
	return s
}
