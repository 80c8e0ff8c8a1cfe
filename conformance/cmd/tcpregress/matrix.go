package main

import (
	"fmt"
	"io"

	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/rs/zerolog"

	"tcpregress.dev/conformance/expect"
	"tcpregress.dev/conformance/report"
	htmlreport "tcpregress.dev/conformance/report/html"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tools/cli"
)

// matrixCmd is "tcpregress matrix": the suite against several local
// stacks, one after the other, into one matrix of verdicts.
type matrixCmd struct {
	Stacks  []string      `placeholder:"STACK,..." help:"Local stacks to run, in column order (default: every stack of this build: kernel, tcpstack, gvisor, lwip)."`
	Jobs    int           `short:"j" default:"2" help:"Cases run at once against each stack."`
	Out     string        `required:"" placeholder:"DIR" help:"Directory for matrix.json, matrix.md, matrix.html (with matrix-STACK.html, each stack's page) and pcap/STACK/CASE.pcap of every FAIL and ERROR."`
	Filter  string        `name:"run" placeholder:"REGEX" help:"Only cases whose ID matches REGEX."`
	Level   string        `enum:"must,should,may,all" default:"all" help:"Cases up to this level."`
	Timeout time.Duration `default:"30s" help:"Time limit of a case that sets none."`
}

func (c *matrixCmd) Help() string {
	return `Runs the cases against each local stack in turn (each in its own throwaway
namespace pair, as 'run' does) and writes DIR/matrix.json (per stack: the
target, the results, the summary and the coverage, in run's JSON format),
DIR/matrix.md (the cases as rows grouped by area, the stacks as columns, a
verdict per cell with the expected failures marked, then each stack's RFC 9293
MUST and SHOULD coverage) and DIR/matrix.html, the same as one self-contained
page whose cells link to the case's ladder diagram on the stack's own page
(DIR/matrix-STACK.html: run's HTML report for that stack). Each stack's
expected verdicts are built in (the files of conformance/expect: linux.txt for
the kernel, gvisor.txt, lwip.txt).
Needs root.

Exit status: 0 when no case failed unexpectedly on any stack, 1 otherwise, 2 on
usage errors.`
}

// Validate checks the stacks.
func (c *matrixCmd) Validate() error {
	if c.Jobs < 1 {
		return fmt.Errorf("-j %d: want 1 or more", c.Jobs)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("--timeout %v: want a positive duration", c.Timeout)
	}
	var stacks []string
	for _, s := range c.Stacks {
		for _, n := range strings.Split(s, ",") {
			if n = strings.TrimSpace(n); n != "" {
				stacks = append(stacks, n)
			}
		}
	}
	if len(stacks) == 0 {
		stacks = localStacks()
	}
	for i, n := range stacks {
		if !slices.Contains(localStacks(), n) {
			return fmt.Errorf("--stacks: %q: want some of %s", n, strings.Join(localStacks(), ", "))
		}
		if slices.Contains(stacks[:i], n) {
			return fmt.Errorf("--stacks: %q twice", n)
		}
	}
	c.Stacks = stacks
	return nil
}

func (c *matrixCmd) Run(kctx *kong.Context, log zerolog.Logger) error {
	cases, err := selectCases(c.Filter, c.Level)
	if err != nil {
		return err
	}
	if err := checkTester(); err != nil {
		return err
	}
	ctx, interrupted, stop := handleSignals(log)
	defer stop()

	m := &report.Matrix{Started: time.Now()}
	var exps []suite.Expectations // per report, for the stacks' pages
	failed := 0
	for _, stack := range c.Stacks {
		exp, err := expect.For(stack)
		if err != nil {
			return err
		}
		env, cleanup, err := openLocal(ctx, log, stack, c.Jobs)
		if err != nil {
			if sig := interrupted(); sig != nil {
				return interruptedError{sig}
			}
			return fmt.Errorf("%s: %w", stack, err)
		}
		fmt.Fprintf(kctx.Stderr, "%s: %d cases\n", stack, len(cases))
		progress := report.NewProgress(kctx.Stderr, len(cases), cli.IsTerminal(kctx.Stderr))
		started := time.Now()
		results := suite.Run(ctx, cases, *env, suite.Options{
			Jobs: c.Jobs, Timeout: c.Timeout, PcapDir: filepath.Join(c.Out, "pcap", stack), Expect: exp,
			OnStart: progress.Start, OnDone: progress.Done,
		})
		progress.Finish()
		cleanup()
		rep := &report.Report{Target: env.Target, Started: started, Duration: time.Since(started), Results: results}
		m.Reports = append(m.Reports, rep)
		exps = append(exps, exp)
		s := rep.Summary()
		n := 0
		for _, r := range results {
			if r.Failed() {
				n++
				fmt.Fprintf(kctx.Stderr, "%s: %s %s unexpectedly: %s\n", stack, r.ID, r.Verdict, firstLineOf(r.Message))
			}
		}
		failed += n
		fmt.Fprintf(kctx.Stderr, "%s: %d passed, %d failed, %d unsupported, %d skipped, %d errors, %d unexpected, in %s\n",
			stack, s[suite.PASS], s[suite.FAIL], s[suite.UNSUPPORTED], s[suite.SKIP], s[suite.ERROR], n, rep.Duration.Round(time.Millisecond))
		if interrupted() != nil {
			break
		}
	}
	m.Duration = time.Since(m.Started)
	if err := writeFile(filepath.Join(c.Out, "matrix.json"), func(w io.Writer) error { return report.MatrixJSON(w, m) }); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(c.Out, "matrix.md"), func(w io.Writer) error { return report.MatrixMarkdown(w, m) }); err != nil {
		return err
	}
	if err := writeMatrixHTML(c.Out, m, exps); err != nil {
		return err
	}
	fmt.Fprint(kctx.Stdout, strings.TrimPrefix(report.SummaryTable(m), "\n"))
	fmt.Fprintf(kctx.Stdout, "\n%d stacks in %s; %s\n", len(m.Reports), m.Duration.Round(time.Second), filepath.Join(c.Out, "matrix.md"))
	if sig := interrupted(); sig != nil {
		return interruptedError{sig}
	}
	if failed > 0 {
		return failedError{failed}
	}
	return nil
}

// writeMatrixHTML writes DIR/matrix.html and, for its cells' links, each
// stack's page (DIR/matrix-STACK.html: run's page, with the diagrams).
func writeMatrixHTML(dir string, m *report.Matrix, exps []suite.Expectations) error {
	if err := writeFile(filepath.Join(dir, "matrix.html"), func(w io.Writer) error {
		return htmlreport.WriteMatrix(w, m, htmlreport.Options{})
	}); err != nil {
		return err
	}
	for i, rep := range m.Reports {
		opts := htmlreport.Options{Dir: dir, Expect: exps[i]}
		if err := writeFile(filepath.Join(dir, htmlreport.StackPage(rep)), func(w io.Writer) error {
			return htmlreport.Write(w, rep, opts)
		}); err != nil {
			return err
		}
	}
	return nil
}

// firstLineOf is the first line of s.
func firstLineOf(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
