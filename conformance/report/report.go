// Package report turns the results of a run into what people and tools read:
// a live progress view and a console summary ([Progress], [Console]), and
// the JSON, JUnit XML and TAP 13 files ([JSON], [JUnit], [TAP]), with the
// requirement coverage per RFC and level ([Coverage]).
package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"tcpregress.dev/conformance/suite"
)

// Report is one run: its target, when it started, how long it took, and
// the results in case order.
type Report struct {
	Target   suite.Target
	Started  time.Time
	Duration time.Duration
	Results  []suite.Result
}

// Summary counts the results per verdict; every verdict has an entry.
func (r *Report) Summary() map[suite.Verdict]int {
	m := make(map[suite.Verdict]int, len(suite.Verdicts))
	for _, v := range suite.Verdicts {
		m[v] = 0
	}
	for _, res := range r.Results {
		m[res.Verdict]++
	}
	return m
}

// LevelCoverage is the coverage of one RFC at one level.
type LevelCoverage struct {
	// Total is the number of labelled requirements of the level: from the
	// RFC's own list for RFC 9293 (Appendix B), otherwise the number of
	// requirements the cases name.
	Total int `json:"total"`
	// Covered are the requirements some case checks; Passed those whose
	// every case passed. Both sorted in label order (MUST-2 before MUST-10).
	Covered []string `json:"covered"`
	Passed  []string `json:"passed"`
}

// Tally counts the results that failed unexpectedly ([suite.Result.Failed]),
// the FAIL and ERROR verdicts that were expected, and the unexpected
// passes.
func (r *Report) Tally() (unexpected, expected, unexpectedPass int) {
	for _, res := range r.Results {
		switch {
		case res.Failed():
			unexpected++
		case res.UnexpectedPass():
			unexpectedPass++
		case res.Verdict == suite.FAIL || res.Verdict == suite.ERROR:
			expected++
		}
	}
	return unexpected, expected, unexpectedPass
}

// Coverage maps an RFC ("RFC9293") and a level ("MUST", "SHOULD", "MAY",
// "FEATURE") to its coverage.
type Coverage map[string]map[string]*LevelCoverage

// rfc9293Labels count the requirement labels of RFC 9293 Appendix B per
// level: MUST-1..MUST-69, SHLD-1..SHLD-31, MAY-1..MAY-18, checked against
// the RFC's text (Table 8 and the labels in its body). Its one RECOMMENDED
// label, REC-1 (32-bit window arithmetic), is not a SHLD label and is not
// counted.
var rfc9293Labels = map[string]int{"MUST": 69, "SHOULD": 31, "MAY": 18}

// labelPrefix is the prefix of the RFC 9293 labels of a level.
var labelPrefix = map[string]string{"MUST": "MUST-", "SHOULD": "SHLD-", "MAY": "MAY-"}

// ParseRequirement splits "RFC9293 MUST-8" into the RFC ("RFC9293"), the
// level ("MUST") and the label ("MUST-8"). For RFC 9293 the level comes
// from the label ("SHOULD-3" is read as "SHLD-3"); for other RFCs, whose
// requirements are sections ("RFC5961 §3.2"), from fallback, the case's
// level. ok is false for an empty string and for an RFC 9293 section
// reference ("RFC9293 §3.10.7.4"), which is not a labelled requirement.
func ParseRequirement(req string, fallback suite.Level) (rfc, level, label string, ok bool) {
	f := strings.Fields(req)
	if len(f) == 0 {
		return "", "", "", false
	}
	rfc = strings.ToUpper(strings.ReplaceAll(f[0], " ", ""))
	label = strings.Join(f[1:], " ")
	if rfc == "RFC9293" && label != "" {
		up := strings.ToUpper(label)
		switch {
		case strings.HasPrefix(up, "MUST-"):
			return rfc, "MUST", up, true
		case strings.HasPrefix(up, "SHLD-"), strings.HasPrefix(up, "SHOULD-"):
			return rfc, "SHOULD", "SHLD-" + up[strings.IndexByte(up, '-')+1:], true
		case strings.HasPrefix(up, "MAY-"):
			return rfc, "MAY", up, true
		}
	}
	if rfc == "RFC9293" {
		// A section ("RFC9293 §3.10.7.4"), not an Appendix B label: it
		// counts for no level.
		return rfc, "", label, false
	}
	if label == "" {
		label = rfc
	}
	return rfc, string(fallback), label, true
}

// inRFC9293 reports whether label is one of RFC 9293 Appendix B's.
func inRFC9293(level, label string) bool {
	n, err := strconv.Atoi(strings.TrimPrefix(label, labelPrefix[level]))
	return err == nil && n >= 1 && n <= rfc9293Labels[level]
}

// ComputeCoverage returns the coverage of results: RFC 9293 always has its
// three levels, other RFCs the levels their cases have.
func ComputeCoverage(results []suite.Result) Coverage {
	type key struct{ rfc, level, label string }
	allPass := map[key]bool{}
	for _, r := range results {
		for _, req := range r.Requirements {
			rfc, level, label, ok := ParseRequirement(req, r.Level)
			if !ok || rfc == "RFC9293" && !inRFC9293(level, label) {
				continue
			}
			k := key{rfc, level, label}
			prev, seen := allPass[k]
			allPass[k] = (prev || !seen) && r.Verdict == suite.PASS
		}
	}
	cov := Coverage{"RFC9293": {}}
	for level, n := range rfc9293Labels {
		cov["RFC9293"][level] = &LevelCoverage{Total: n, Covered: []string{}, Passed: []string{}}
	}
	for k, pass := range allPass {
		if cov[k.rfc] == nil {
			cov[k.rfc] = map[string]*LevelCoverage{}
		}
		lc := cov[k.rfc][k.level]
		if lc == nil {
			lc = &LevelCoverage{Covered: []string{}, Passed: []string{}}
			cov[k.rfc][k.level] = lc
		}
		lc.Covered = append(lc.Covered, k.label)
		if pass {
			lc.Passed = append(lc.Passed, k.label)
		}
	}
	for rfc, levels := range cov {
		for _, lc := range levels {
			sortLabels(lc.Covered)
			sortLabels(lc.Passed)
			if rfc != "RFC9293" {
				lc.Total = len(lc.Covered)
			}
		}
	}
	return cov
}

// sortLabels sorts labels by their text, numbers by value: MUST-2 before
// MUST-10, §3.2 before §3.10.
func sortLabels(s []string) {
	sort.Slice(s, func(i, j int) bool { return labelLess(s[i], s[j]) })
}

func labelLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitPrefix(a), digitPrefix(b)
		if da > 0 && db > 0 {
			na, _ := strconv.Atoi(a[:da])
			nb, _ := strconv.Atoi(b[:db])
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitPrefix(s string) int {
	n := 0
	for n < len(s) && n < 9 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// RFCs returns the RFCs of cov sorted, RFC 9293 first.
func (cov Coverage) RFCs() []string {
	var rfcs []string
	for rfc := range cov {
		rfcs = append(rfcs, rfc)
	}
	sort.Slice(rfcs, func(i, j int) bool {
		if (rfcs[i] == "RFC9293") != (rfcs[j] == "RFC9293") {
			return rfcs[i] == "RFC9293"
		}
		return labelLess(rfcs[i], rfcs[j])
	})
	return rfcs
}

// LevelOrder lists the levels in report order.
var LevelOrder = []string{"MUST", "SHOULD", "MAY", "FEATURE"}

// Areas groups results by area (a result without one goes by its ID's
// prefix): the areas sorted, each area's results in their order.
func Areas(results []suite.Result) (names []string, by map[string][]suite.Result) {
	by = map[string][]suite.Result{}
	for _, r := range results {
		a := r.Area
		if a == "" {
			a = areaOf(r.ID)
		}
		if _, ok := by[a]; !ok {
			names = append(names, a)
		}
		by[a] = append(by[a], r)
	}
	sort.Strings(names)
	return names, by
}

// areaOf is the part of an ID before its first slash.
func areaOf(id string) string {
	if i := strings.IndexByte(id, '/'); i > 0 {
		return id[:i]
	}
	return "other"
}

func ms(d time.Duration) int64 { return d.Milliseconds() }

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func durationOf(ns int64) time.Duration { return time.Duration(ns) }
