package html

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strings"
	"time"

	"tcpregress.dev/conformance/report"
	"tcpregress.dev/conformance/suite"
)

//go:embed matrix.tmpl
var matrixTmpl string

var matrixPage = template.Must(template.New("matrix").Funcs(template.FuncMap{
	"lower": strings.ToLower,
	"add":   func(a, b int) int { return a + b },
}).Parse(matrixTmpl))

// StackPage is the file name of a matrix stack's page, which [Write]
// writes from the stack's report into the folder of the matrix page:
// "matrix-kernel.html" for the kernel's.
func StackPage(rep *report.Report) string {
	return "matrix-" + strings.NewReplacer("/", "-", " ", "-", "\\", "-").Replace(rep.Target.Kind) + ".html"
}

// WriteMatrix writes m as one HTML page in the design of [Write]'s: the
// stacks, their verdict counts, each stack's RFC 9293 coverage as bars, and
// the cases as rows grouped by area with a verdict per stack, expected
// failures and unexpected verdicts marked. Each cell links to the case's
// row, and ladder diagram, on the stack's own page ([StackPage], in the same
// folder), so the matrix page stays small however many diagrams there are.
// Only opts.Title is used.
func WriteMatrix(w io.Writer, m *report.Matrix, opts Options) error {
	if err := matrixPage.Execute(w, buildMatrix(m, opts)); err != nil {
		return fmt.Errorf("html matrix: %w", err)
	}
	return nil
}

type (
	matrixData struct {
		Title    string
		Style    template.CSS
		Started  string
		Duration string
		Cases    int
		Stacks   []stackView
		Summary  []summaryRow
		Areas    []matrixArea
	}

	stackView struct {
		Name, Page, Target, Duration string
		Coverage                     []levelBar
	}

	// summaryRow is a row of the summary table: a verdict (Class is its
	// badge's class) or a tally.
	summaryRow struct {
		Name, Class string
		N           []int
	}

	matrixArea struct {
		Name string
		Rows []matrixRow
	}

	matrixRow struct {
		ID, Title, Level string
		Cells            []matrixCell
	}

	matrixCell struct {
		Verdict, Href, Message string
		Missing                bool
		Expected, Unexpected   bool
	}
)

func buildMatrix(m *report.Matrix, opts Options) *matrixData {
	d := &matrixData{
		Title:    opts.Title,
		Style:    Style(),
		Started:  m.Started.UTC().Format("2006-01-02 15:04:05 UTC"),
		Duration: m.Duration.Round(time.Second).String(),
	}
	if d.Title == "" {
		d.Title = "tcpregress: conformance matrix"
	}
	for _, rep := range m.Reports {
		t := rep.Target
		sv := stackView{Name: t.Kind, Page: StackPage(rep), Duration: rep.Duration.Round(time.Millisecond).String()}
		sv.Target = strings.TrimSpace(t.OS + " " + t.Kernel)
		if t.StackVersion != "" {
			sv.Target += ", " + t.StackVersion
		}
		cov := report.ComputeCoverage(rep.Results)["RFC9293"]
		for _, level := range []string{"MUST", "SHOULD", "MAY"} {
			sv.Coverage = append(sv.Coverage, bar(level, cov[level]))
		}
		d.Stacks = append(d.Stacks, sv)
	}
	sums := make([]map[suite.Verdict]int, len(m.Reports))
	for i, rep := range m.Reports {
		sums[i] = rep.Summary()
	}
	for _, v := range suite.Verdicts {
		sr := summaryRow{Name: string(v), Class: "v-" + strings.ToLower(string(v))}
		for i := range m.Reports {
			sr.N = append(sr.N, sums[i][v])
		}
		d.Summary = append(d.Summary, sr)
	}
	exp, unexp := summaryRow{Name: "expected failures"}, summaryRow{Name: "unexpected verdicts"}
	for _, rep := range m.Reports {
		u, e, up := rep.Tally()
		exp.N = append(exp.N, e)
		unexp.N = append(unexp.N, u+up)
	}
	d.Summary = append(d.Summary, exp, unexp)

	for _, r := range m.Rows() {
		if len(d.Areas) == 0 || d.Areas[len(d.Areas)-1].Name != r.Area {
			d.Areas = append(d.Areas, matrixArea{Name: r.Area})
		}
		row := matrixRow{ID: r.ID, Title: r.Title, Level: string(r.Level)}
		for i, res := range r.Results {
			if res == nil {
				row.Cells = append(row.Cells, matrixCell{Missing: true})
				continue
			}
			row.Cells = append(row.Cells, matrixCell{
				Verdict:    string(res.Verdict),
				Href:       d.Stacks[i].Page + "#" + url.PathEscape(CaseAnchor(res.ID)),
				Message:    res.Message,
				Expected:   res.Expected && (res.Verdict == suite.FAIL || res.Verdict == suite.ERROR),
				Unexpected: res.Failed() || res.UnexpectedPass(),
			})
		}
		a := &d.Areas[len(d.Areas)-1]
		a.Rows = append(a.Rows, row)
		d.Cases++
	}
	return d
}
