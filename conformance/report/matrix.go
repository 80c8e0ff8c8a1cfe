package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"tcpregress.dev/conformance/suite"
)

// Matrix is one run of the suite against several stacks, one report each,
// in column order.
type Matrix struct {
	Started  time.Time
	Duration time.Duration
	Reports  []*Report
}

type jsonMatrix struct {
	Started    string       `json:"started"`
	DurationMS int64        `json:"duration_ms"`
	Stacks     []jsonReport `json:"stacks"`
}

// MatrixJSON writes m as {"started", "duration_ms", "stacks": [report,
// ...]}, each stack's report in the JSON report's format (target, results,
// summary, coverage).
func MatrixJSON(w io.Writer, m *Matrix) error {
	out := jsonMatrix{Started: m.Started.UTC().Format("2006-01-02T15:04:05.000Z07:00"), DurationMS: ms(m.Duration),
		Stacks: make([]jsonReport, 0, len(m.Reports))}
	for _, r := range m.Reports {
		out.Stacks = append(out.Stacks, toJSON(r))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// cell is a result as a table cell: the verdict, "(expected)" for an
// expected FAIL or ERROR, "(unexpected)" for an unexpected verdict.
func cell(r suite.Result) string {
	switch {
	case r.Failed():
		return "**" + string(r.Verdict) + "** (unexpected)"
	case r.UnexpectedPass():
		return "PASS (unexpected)"
	case r.Verdict == suite.FAIL || r.Verdict == suite.ERROR:
		return string(r.Verdict) + " (expected)"
	}
	return string(r.Verdict)
}

// stackName is a report's column title: its target's kind.
func stackName(r *Report) string { return r.Target.Kind }

// MatrixMarkdown writes m as Markdown: the stacks, a summary table (one row
// per verdict), the cases as rows grouped by area with a verdict per
// stack, and each stack's coverage of RFC 9293's MUSTs and SHOULDs.
func MatrixMarkdown(w io.Writer, m *Matrix) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "# Conformance matrix\n\n")
	fmt.Fprintf(ew, "Run %s, %s.\n\n", m.Started.UTC().Format("2006-01-02 15:04 UTC"), m.Duration.Round(time.Second))
	for _, r := range m.Reports {
		t := r.Target
		fmt.Fprintf(ew, "- **%s**: %s %s", stackName(r), t.OS, t.Kernel)
		if t.StackVersion != "" {
			fmt.Fprintf(ew, ", %s", t.StackVersion)
		}
		fmt.Fprintf(ew, " (%s)\n", r.Duration.Round(time.Millisecond))
	}
	header := func(first string) {
		fmt.Fprintf(ew, "\n| %s |", first)
		for _, r := range m.Reports {
			fmt.Fprintf(ew, " %s |", stackName(r))
		}
		fmt.Fprintf(ew, "\n|---|")
		for range m.Reports {
			fmt.Fprintf(ew, "---|")
		}
		fmt.Fprintln(ew)
	}
	fmt.Fprintf(ew, "\n## Summary\n")
	io.WriteString(ew, SummaryTable(m))

	fmt.Fprintf(ew, "\n## Cases\n\nA verdict per case and stack; \"(expected)\" marks a failure listed in the stack's\nexpectation file (`conformance/expect/`), with its cause.\n")
	// Rows: every case of any report, in the first report's order, then
	// the others' (the reports normally share their cases).
	byStack := make([]map[string]suite.Result, len(m.Reports))
	var ids []string
	seen := map[string]bool{}
	level := map[string]suite.Level{}
	for i, r := range m.Reports {
		byStack[i] = map[string]suite.Result{}
		for _, res := range r.Results {
			byStack[i][res.ID] = res
			level[res.ID] = res.Level
			if !seen[res.ID] {
				seen[res.ID] = true
				ids = append(ids, res.ID)
			}
		}
	}
	area := ""
	for _, id := range ids {
		if a := areaOf(id); a != area {
			area = a
			fmt.Fprintf(ew, "\n### %s\n", area)
			header("case")
		}
		fmt.Fprintf(ew, "| `%s` %s |", id, level[id])
		for i := range m.Reports {
			res, ok := byStack[i][id]
			if !ok {
				fmt.Fprintf(ew, " — |")
				continue
			}
			fmt.Fprintf(ew, " %s |", cell(res))
		}
		fmt.Fprintln(ew)
	}

	fmt.Fprintf(ew, "\n## RFC 9293 coverage\n\nRequirements checked by some case (covered) and passed by every case that checks them,\nof the labelled requirements of RFC 9293 Appendix B.\n")
	header("RFC 9293")
	for _, lvl := range []string{"MUST", "SHOULD"} {
		fmt.Fprintf(ew, "| %s passed / covered / total |", lvl)
		for _, r := range m.Reports {
			lc := ComputeCoverage(r.Results)["RFC9293"][lvl]
			fmt.Fprintf(ew, " %d / %d / %d |", len(lc.Passed), len(lc.Covered), lc.Total)
		}
		fmt.Fprintln(ew)
	}
	fmt.Fprintf(ew, "| MUSTs failed |")
	for _, r := range m.Reports {
		labelCell(ew, failedMUSTs(r.Results))
	}
	fmt.Fprintln(ew)
	fmt.Fprintf(ew, "| MUSTs covered, not passed (unsupported or skipped) |")
	for _, r := range m.Reports {
		lc := ComputeCoverage(r.Results)["RFC9293"]["MUST"]
		skip := map[string]bool{}
		for _, l := range lc.Passed {
			skip[l] = true
		}
		for _, l := range failedMUSTs(r.Results) {
			skip[l] = true
		}
		var not []string
		for _, l := range lc.Covered {
			if !skip[l] {
				not = append(not, l)
			}
		}
		labelCell(ew, not)
	}
	fmt.Fprintln(ew)
	return ew.err
}

// failedMUSTs are the RFC 9293 MUST labels a FAIL or ERROR case checks, in
// label order.
func failedMUSTs(results []suite.Result) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range results {
		if r.Verdict != suite.FAIL && r.Verdict != suite.ERROR {
			continue
		}
		for _, req := range r.Requirements {
			rfc, level, label, ok := ParseRequirement(req, r.Level)
			if ok && rfc == "RFC9293" && level == "MUST" && inRFC9293(level, label) && !seen[label] {
				seen[label] = true
				out = append(out, label)
			}
		}
	}
	sortLabels(out)
	return out
}

// labelCell writes a table cell of labels, "—" for none.
func labelCell(w io.Writer, labels []string) {
	if len(labels) == 0 {
		fmt.Fprintf(w, " — |")
		return
	}
	fmt.Fprintf(w, " %s |", strings.Join(labels, ", "))
}

// SummaryTable is the Markdown table of the verdict counts per stack, with
// the unexpected ones and the expected failures (matrix.md's summary, and
// the README's).
func SummaryTable(m *Matrix) string {
	var sb strings.Builder
	sb.WriteString("\n| verdicts |")
	for _, r := range m.Reports {
		fmt.Fprintf(&sb, " %s |", stackName(r))
	}
	sb.WriteString("\n|---|")
	for range m.Reports {
		sb.WriteString("---:|")
	}
	sb.WriteString("\n")
	sums := make([]map[suite.Verdict]int, len(m.Reports))
	for i, r := range m.Reports {
		sums[i] = r.Summary()
	}
	for _, v := range suite.Verdicts {
		fmt.Fprintf(&sb, "| %s |", v)
		for i := range m.Reports {
			fmt.Fprintf(&sb, " %d |", sums[i][v])
		}
		sb.WriteString("\n")
	}
	row := func(name string, count func(suite.Result) bool) {
		fmt.Fprintf(&sb, "| %s |", name)
		for _, r := range m.Reports {
			n := 0
			for _, res := range r.Results {
				if count(res) {
					n++
				}
			}
			fmt.Fprintf(&sb, " %d |", n)
		}
		sb.WriteString("\n")
	}
	row("expected failures", func(r suite.Result) bool {
		return !r.Failed() && (r.Verdict == suite.FAIL || r.Verdict == suite.ERROR)
	})
	row("unexpected", func(r suite.Result) bool { return r.Failed() || r.UnexpectedPass() })
	return sb.String()
}
