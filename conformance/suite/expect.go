package suite

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Expectation is one line of an expectations file.
type Expectation struct {
	Verdict Verdict
	Reason  string
}

// Expectations maps case IDs to the verdict expected of them.
type Expectations map[string]Expectation

// ParseExpectations reads lines "CASE-ID  VERDICT  reason..." ('#' starts a
// comment; blank lines are ignored).
func ParseExpectations(r io.Reader) (Expectations, error) {
	exp := Expectations{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("line %d: %q: want CASE-ID VERDICT [reason]", n, strings.TrimSpace(line))
		}
		v := Verdict(strings.ToUpper(f[1]))
		if !v.valid() {
			return nil, fmt.Errorf("line %d: verdict %q: want PASS, FAIL, UNSUPPORTED, SKIP or ERROR", n, f[1])
		}
		if _, dup := exp[f[0]]; dup {
			return nil, fmt.Errorf("line %d: case %s listed twice", n, f[0])
		}
		exp[f[0]] = Expectation{Verdict: v, Reason: strings.Join(f[2:], " ")}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d bytes: is this an expectations file (lines 'CASE-ID VERDICT reason')?", n+1, bufio.MaxScanTokenSize)
		}
		return nil, err
	}
	return exp, nil
}

// LoadExpectations reads an expectations file.
func LoadExpectations(path string) (Expectations, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("expectations: %w", err)
	}
	defer f.Close()
	exp, err := ParseExpectations(f)
	if err != nil {
		return nil, fmt.Errorf("expectations %s: %w", path, err)
	}
	return exp, nil
}

// Unknown returns the IDs of expectations that name no case of cs, sorted.
func (e Expectations) Unknown(cs []Case) []string {
	known := make(map[string]bool, len(cs))
	for _, c := range cs {
		known[c.ID] = true
	}
	var ids []string
	for id := range e {
		if !known[id] {
			ids = append(ids, id)
		}
	}
	sortStrings(ids)
	return ids
}

// expected reports whether v is what e expects of the case id.
func (e Expectations) expected(id string, v Verdict) bool {
	if x, ok := e[id]; ok {
		return x.Verdict == v
	}
	return v == PASS || v == UNSUPPORTED || v == SKIP
}

func (v Verdict) valid() bool {
	for _, w := range Verdicts {
		if v == w {
			return true
		}
	}
	return false
}
