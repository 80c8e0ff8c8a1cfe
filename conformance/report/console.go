package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"tcpregress.dev/conformance/suite"
)

// Progress shows a run as it goes. On a terminal it keeps one live line,
// "[12/80] handshake/...", and prints a line for every result that is not
// an expected one; elsewhere it prints one plain line per finished case.
// Its methods are safe for concurrent use (the suite's workers call them).
type Progress struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	total   int
	started int
	done    int
	running map[string]bool
}

// NewProgress returns a Progress for total cases writing to w; tty selects
// the live line, for a terminal (see [tcpregress.dev/tools/cli.IsTerminal]).
func NewProgress(w io.Writer, total int, tty bool) *Progress {
	return &Progress{w: w, total: total, tty: tty, running: map[string]bool{}}
}

// Start notes that c started.
func (p *Progress) Start(c suite.Case) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.started++
	p.running[c.ID] = true
	if p.tty {
		p.live(c.ID)
	}
}

// Done notes a result.
func (p *Progress) Done(r suite.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	delete(p.running, r.ID)
	if !p.tty {
		fmt.Fprintf(p.w, "[%d/%d] %-11s %s (%s)%s\n", p.done, p.total, r.Verdict, r.ID, r.Duration.Round(time.Millisecond), note(r))
		return
	}
	if !r.Expected || r.Verdict == suite.FAIL || r.Verdict == suite.ERROR {
		fmt.Fprintf(p.w, "\r\x1b[K%-11s %s%s\n", r.Verdict, r.ID, note(r))
	}
	for id := range p.running {
		p.live(id)
		return
	}
	p.live("")
}

func (p *Progress) live(id string) {
	fmt.Fprintf(p.w, "\r\x1b[K[%d/%d] %s", p.done, p.total, id)
}

// Finish clears the live line.
func (p *Progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// note is what follows a result's ID on a line: its message, and whether
// the verdict was expected.
func note(r suite.Result) string {
	var b strings.Builder
	if r.Message != "" {
		b.WriteString(": ")
		b.WriteString(firstLine(r.Message))
	}
	switch {
	case r.UnexpectedPass():
		b.WriteString(" [unexpected pass]")
	case r.Expected && (r.Verdict == suite.FAIL || r.Verdict == suite.ERROR):
		b.WriteString(" [expected]")
	}
	if r.Pcap != "" {
		b.WriteString(" (pcap: " + r.Pcap + ")")
	}
	return b.String()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// Console writes the verdicts grouped by area, the summary line and the
// requirement coverage.
func Console(w io.Writer, rep *Report) error {
	ew := &errWriter{w: w}
	t := rep.Target
	fmt.Fprintf(ew, "target %s (%s", t.Name, t.Kind)
	if t.StackVersion != "" {
		fmt.Fprintf(ew, " %s", t.StackVersion)
	}
	if t.OS != "" {
		fmt.Fprintf(ew, ", %s %s", t.OS, t.Kernel)
	}
	if len(t.StackOptions) > 0 {
		fmt.Fprintf(ew, "; --stack-option %s", strings.Join(t.StackOptions, ","))
	}
	fmt.Fprintf(ew, ")\n")
	names, by := Areas(rep.Results)
	width := 0
	for _, r := range rep.Results {
		width = max(width, len(r.ID))
	}
	for _, a := range names {
		fmt.Fprintf(ew, "\n%s\n", a)
		for _, r := range by[a] {
			fmt.Fprintf(ew, "  %-11s %-7s %-*s %7s%s\n", r.Verdict, r.Level, width, r.ID, r.Duration.Round(time.Millisecond), note(r))
		}
	}
	s := rep.Summary()
	fmt.Fprintf(ew, "\n%d passed, %d failed, %d unsupported, %d skipped, %d errors in %s\n",
		s[suite.PASS], s[suite.FAIL], s[suite.UNSUPPORTED], s[suite.SKIP], s[suite.ERROR], rep.Duration.Round(time.Millisecond))
	unexpected, expected, upass := rep.Tally()
	if expected+upass > 0 {
		fmt.Fprintf(ew, "%d unexpected failures, %d expected failures, %d unexpected passes\n", unexpected, expected, upass)
	}
	// Coverage counts requirements; results that name none (drill's
	// scripts) would only print a row of zeros.
	if !slices.ContainsFunc(rep.Results, func(r suite.Result) bool { return len(r.Requirements) > 0 }) {
		return ew.err
	}
	cov := ComputeCoverage(rep.Results)
	fmt.Fprintf(ew, "\ncoverage (requirements covered / passed / total):\n")
	for _, rfc := range cov.RFCs() {
		var parts []string
		for _, level := range LevelOrder {
			lc := cov[rfc][level]
			if lc == nil {
				continue
			}
			parts = append(parts, fmt.Sprintf("%s %d/%d/%d", level, len(lc.Covered), len(lc.Passed), lc.Total))
		}
		fmt.Fprintf(ew, "  %-8s %s\n", rfc, strings.Join(parts, ", "))
	}
	return ew.err
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, err
}
