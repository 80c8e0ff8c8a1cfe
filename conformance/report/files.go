package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"tcpregress.dev/conformance/suite"
)

type jsonTarget struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	OS     string `json:"os"`
	Kernel string `json:"kernel"`
	// StackVersion is a userland stack's version (gvisor, lwip); absent
	// for the kernel and tcpstack.
	StackVersion string            `json:"stack_version,omitempty"`
	Sysctls      map[string]string `json:"sysctls"`
	// StackOptions are the --stack-option toggles of a tcpstack target;
	// always present, empty without any.
	StackOptions []string `json:"stack_options"`
}

type jsonResult struct {
	ID           string   `json:"id"`
	Title        string   `json:"title"`
	Level        string   `json:"level"`
	Requirements []string `json:"requirements"`
	Verdict      string   `json:"verdict"`
	Expected     bool     `json:"expected"`
	DurationMS   int64    `json:"duration_ms"`
	Message      string   `json:"message"`
	Pcap         string   `json:"pcap"`
}

type jsonReport struct {
	Target     jsonTarget                           `json:"target"`
	Started    string                               `json:"started"`
	DurationMS int64                                `json:"duration_ms"`
	Results    []jsonResult                         `json:"results"`
	Summary    map[suite.Verdict]int                `json:"summary"`
	Coverage   map[string]map[string]*LevelCoverage `json:"coverage"`
}

// JSON writes the report in the format of ARCHITECTURE.md (indented).
func JSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(toJSON(rep))
}

// toJSON is rep in the JSON report's form.
func toJSON(rep *Report) jsonReport {
	sys := rep.Target.Sysctls
	if sys == nil {
		sys = map[string]string{}
	}
	opts := rep.Target.StackOptions
	if opts == nil {
		opts = []string{}
	}
	out := jsonReport{
		Target: jsonTarget{Name: rep.Target.Name, Kind: rep.Target.Kind, OS: rep.Target.OS, Kernel: rep.Target.Kernel,
			StackVersion: rep.Target.StackVersion, Sysctls: sys, StackOptions: opts},
		Started:    rep.Started.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		DurationMS: ms(rep.Duration),
		Results:    make([]jsonResult, 0, len(rep.Results)),
		Summary:    rep.Summary(),
		Coverage:   ComputeCoverage(rep.Results),
	}
	for _, r := range rep.Results {
		reqs := r.Requirements
		if reqs == nil {
			reqs = []string{}
		}
		out.Results = append(out.Results, jsonResult{
			ID: r.ID, Title: r.Title, Level: string(r.Level), Requirements: reqs,
			Verdict: string(r.Verdict), Expected: r.Expected, DurationMS: ms(r.Duration),
			Message: r.Message, Pcap: r.Pcap,
		})
	}
	return out
}

// junitTotals are the attributes testsuites and testsuite share.
type junitTotals struct {
	Name    string `xml:"name,attr"`
	Tests   int    `xml:"tests,attr"`
	Fails   int    `xml:"failures,attr"`
	Errors  int    `xml:"errors,attr"`
	Skipped int    `xml:"skipped,attr"`
	Time    string `xml:"time,attr"`
}

// add counts the cases of s in t.
func (t *junitTotals) add(s junitTotals) {
	t.Tests += s.Tests
	t.Fails += s.Fails
	t.Errors += s.Errors
	t.Skipped += s.Skipped
}

type junitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	junitTotals
	Suites []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	junitTotals
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"`
}

// JUnit writes the report as JUnit XML: one testsuite per area; a FAIL is a
// failure and an ERROR an error, both with the message and the trace; SKIP,
// UNSUPPORTED and expected failures are skipped, with the reason.
func JUnit(w io.Writer, rep *Report) error {
	names, by := Areas(rep.Results)
	all := junitSuites{junitTotals: junitTotals{Name: "tcpregress " + rep.Target.Name, Time: seconds(rep.Duration)}}
	for _, a := range names {
		s := junitSuite{junitTotals: junitTotals{Name: a}, Timestamp: rep.Started.UTC().Format("2006-01-02T15:04:05")}
		var total int64
		for _, r := range by[a] {
			total += int64(r.Duration)
			c := junitCase{Name: r.ID, ClassName: "tcpregress." + a, Time: seconds(r.Duration)}
			msg := r.Message
			if len(r.Requirements) > 0 {
				msg = fmt.Sprintf("%s [%s %s]", msg, r.Level, strings.Join(r.Requirements, ", "))
			}
			trace := r.Trace
			if r.Pcap != "" {
				trace += "pcap: " + r.Pcap + "\n"
			}
			switch {
			case r.Expected && (r.Verdict == suite.FAIL || r.Verdict == suite.ERROR):
				c.Skipped = &junitProblem{Message: "expected " + string(r.Verdict) + ": " + r.Message}
				s.Skipped++
			case r.Verdict == suite.FAIL:
				c.Failure = &junitProblem{Message: msg, Type: "FAIL", Text: trace}
				s.Fails++
			case r.Verdict == suite.ERROR:
				c.Error = &junitProblem{Message: msg, Type: "ERROR", Text: trace}
				s.Errors++
			case r.Verdict == suite.SKIP || r.Verdict == suite.UNSUPPORTED:
				c.Skipped = &junitProblem{Message: string(r.Verdict) + ": " + r.Message}
				s.Skipped++
			case r.UnexpectedPass():
				c.SystemOut = r.Message
			}
			s.Tests++
			s.Cases = append(s.Cases, c)
		}
		s.Time = seconds(durationOf(total))
		all.add(s.junitTotals)
		all.Suites = append(all.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// TAP writes the report as TAP version 13: a FAIL or ERROR is "not ok"
// (with "# TODO" when expected), SKIP and UNSUPPORTED are "ok ... # SKIP",
// and failures carry a YAML block with the verdict, message, requirements
// and pcap.
func TAP(w io.Writer, rep *Report) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "TAP version 13\n1..%d\n", len(rep.Results))
	for i, r := range rep.Results {
		n := i + 1
		desc := r.ID
		if r.Title != "" {
			desc += " - " + r.Title
		}
		switch r.Verdict {
		case suite.PASS:
			fmt.Fprintf(ew, "ok %d - %s\n", n, tapEscape(desc))
		case suite.SKIP, suite.UNSUPPORTED:
			fmt.Fprintf(ew, "ok %d - %s # SKIP %s: %s\n", n, tapEscape(desc), r.Verdict, tapEscape(firstLine(r.Message)))
		default:
			todo := ""
			if r.Expected {
				todo = " # TODO expected " + string(r.Verdict)
			}
			fmt.Fprintf(ew, "not ok %d - %s%s\n", n, tapEscape(desc), todo)
			fmt.Fprintf(ew, "  ---\n  verdict: %s\n  level: %s\n", r.Verdict, r.Level)
			fmt.Fprintf(ew, "  message: %s\n", yamlString(r.Message))
			if len(r.Requirements) > 0 {
				fmt.Fprintf(ew, "  requirements: [%s]\n", strings.Join(quoteAll(r.Requirements), ", "))
			}
			fmt.Fprintf(ew, "  duration_ms: %d\n", ms(r.Duration))
			if r.Pcap != "" {
				fmt.Fprintf(ew, "  pcap: %s\n", yamlString(r.Pcap))
			}
			fmt.Fprintf(ew, "  ...\n")
		}
	}
	return ew.err
}

func tapEscape(s string) string {
	return strings.NewReplacer("#", `\#`, "\n", " ").Replace(s)
}

// yamlString quotes s as a YAML double-quoted scalar (JSON's escapes are
// YAML's).
func yamlString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = yamlString(s)
	}
	return out
}
