package drill

import (
	"fmt"
	"strconv"
	"strings"
)

// caStates are the names of Linux's congestion-avoidance states
// (tcpi_ca_state) that packetdrill's Python blocks compare with.
var caStates = map[string]int64{
	"TCP_CA_Open": 0, "TCP_CA_Disorder": 1, "TCP_CA_CWR": 2, "TCP_CA_Recovery": 3, "TCP_CA_Loss": 4,
}

// Assert is one "assert EXPR[, message]" of a %{ }% block.
type Assert struct {
	Text string
	expr pyExpr
}

// ParsePython reads a %{ }% block that holds only assertions on tcpi_*
// values (statements separated by new lines or ";", "\" continuing a
// line). Anything else is an error that says what drill cannot run.
func ParsePython(code string) ([]Assert, error) {
	code = strings.ReplaceAll(code, "\\\n", " ")
	var out []Assert
	for _, line := range strings.Split(code, "\n") {
		for _, st := range strings.Split(line, ";") {
			st = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(st), "\\"))
			if st == "" || strings.HasPrefix(st, "#") {
				continue
			}
			if !strings.HasPrefix(st, "assert ") {
				return nil, fmt.Errorf("python statement %q: drill runs assert statements on tcpi_* values only", st)
			}
			body := strings.TrimSpace(st[len("assert "):])
			cond := topLevelComma(body) // the message after the comma is not evaluated
			p := &pyParser{toks: pyTokens(cond)}
			e, err := p.or()
			if err == nil && p.i != len(p.toks) {
				err = fmt.Errorf("unexpected %q", p.toks[p.i])
			}
			if err != nil {
				return nil, fmt.Errorf("python assertion %q: %v (drill evaluates comparisons and arithmetic of tcpi_* values)", cond, err)
			}
			out = append(out, Assert{Text: cond, expr: e})
		}
	}
	return out, nil
}

// Names returns the tcpi_ fields an assertion reads.
func (a Assert) Names() []string {
	var out []string
	var walk func(e pyExpr)
	walk = func(e pyExpr) {
		if e.name != "" {
			out = append(out, e.name)
		}
		for _, k := range e.kids {
			walk(k)
		}
	}
	walk(a.expr)
	return out
}

// Eval evaluates the assertion with the tcp_info fields (Linux names
// without "tcpi_").
func (a Assert) Eval(fields map[string]int64) (bool, error) {
	v, err := a.expr.eval(fields)
	return v != 0, err
}

func topLevelComma(s string) string {
	depth := 0
	for i, c := range s {
		switch c {
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		case ',':
			if depth == 0 {
				return strings.TrimSpace(s[:i])
			}
		}
	}
	return s
}

func pyTokens(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case strings.ContainsRune("<>=!", rune(c)) && i+1 < len(s) && s[i+1] == '=':
			out = append(out, s[i:i+2])
			i += 2
		case strings.ContainsRune("<>()+-*/%", rune(c)):
			out = append(out, string(c))
			i++
		case isAlnum(c):
			j := i
			for j < len(s) && isAlnum(s[j]) {
				j++
			}
			out = append(out, s[i:j])
			i = j
		default:
			out = append(out, string(c))
			i++
		}
	}
	return out
}

// pyExpr is a node: an operator with kids, a number or a tcpi_ name.
type pyExpr struct {
	op   string
	num  int64
	name string // tcp_info field without tcpi_
	kids []pyExpr
}

type pyParser struct {
	toks []string
	i    int
}

func (p *pyParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *pyParser) or() (pyExpr, error) {
	l, err := p.and()
	for err == nil && p.peek() == "or" {
		p.i++
		var r pyExpr
		r, err = p.and()
		l = pyExpr{op: "or", kids: []pyExpr{l, r}}
	}
	return l, err
}

func (p *pyParser) and() (pyExpr, error) {
	l, err := p.not()
	for err == nil && p.peek() == "and" {
		p.i++
		var r pyExpr
		r, err = p.not()
		l = pyExpr{op: "and", kids: []pyExpr{l, r}}
	}
	return l, err
}

func (p *pyParser) not() (pyExpr, error) {
	if p.peek() == "not" {
		p.i++
		e, err := p.not()
		return pyExpr{op: "not", kids: []pyExpr{e}}, err
	}
	return p.cmp()
}

var cmpOps = map[string]bool{"<": true, "<=": true, ">": true, ">=": true, "==": true, "!=": true}

// cmp reads a comparison chain: a < b <= c is a < b and b <= c.
func (p *pyParser) cmp() (pyExpr, error) {
	l, err := p.sum()
	if err != nil || !cmpOps[p.peek()] {
		return l, err
	}
	var chain []pyExpr
	for cmpOps[p.peek()] {
		op := p.toks[p.i]
		p.i++
		r, err := p.sum()
		if err != nil {
			return r, err
		}
		chain = append(chain, pyExpr{op: op, kids: []pyExpr{l, r}})
		l = r
	}
	out := chain[0]
	for _, c := range chain[1:] {
		out = pyExpr{op: "and", kids: []pyExpr{out, c}}
	}
	return out, nil
}

func (p *pyParser) sum() (pyExpr, error) {
	l, err := p.prod()
	for err == nil && (p.peek() == "+" || p.peek() == "-") {
		op := p.toks[p.i]
		p.i++
		var r pyExpr
		r, err = p.prod()
		l = pyExpr{op: op, kids: []pyExpr{l, r}}
	}
	return l, err
}

func (p *pyParser) prod() (pyExpr, error) {
	l, err := p.unary()
	for err == nil && (p.peek() == "*" || p.peek() == "/" || p.peek() == "%") {
		op := p.toks[p.i]
		p.i++
		if op == "/" && p.peek() == "/" { // integer division
			p.i++
		}
		var r pyExpr
		r, err = p.unary()
		l = pyExpr{op: op, kids: []pyExpr{l, r}}
	}
	return l, err
}

func (p *pyParser) unary() (pyExpr, error) {
	t := p.peek()
	switch {
	case t == "":
		return pyExpr{}, fmt.Errorf("expression ends early")
	case t == "-":
		p.i++
		e, err := p.unary()
		return pyExpr{op: "-", kids: []pyExpr{{num: 0}, e}}, err
	case t == "(":
		p.i++
		e, err := p.or()
		if err != nil {
			return e, err
		}
		if p.peek() != ")" {
			return e, fmt.Errorf("missing )")
		}
		p.i++
		return e, nil
	case t[0] >= '0' && t[0] <= '9':
		p.i++
		v, err := strconv.ParseInt(t, 0, 64)
		if err != nil {
			return pyExpr{}, fmt.Errorf("number %q", t)
		}
		return pyExpr{num: v}, nil
	case strings.HasPrefix(t, "tcpi_"):
		p.i++
		return pyExpr{name: strings.TrimPrefix(t, "tcpi_")}, nil
	}
	if v, ok := caStates[t]; ok {
		p.i++
		return pyExpr{num: v}, nil
	}
	return pyExpr{}, fmt.Errorf("%q", t)
}

func (e pyExpr) eval(f map[string]int64) (int64, error) {
	if e.name != "" {
		v, ok := f[e.name]
		if !ok {
			return 0, fmt.Errorf("tcp_info of this target has no tcpi_%s", e.name)
		}
		return v, nil
	}
	if e.op == "" {
		return e.num, nil
	}
	var v [2]int64
	for i, k := range e.kids {
		x, err := k.eval(f)
		if err != nil {
			return 0, err
		}
		v[i] = x
	}
	b := func(c bool) int64 {
		if c {
			return 1
		}
		return 0
	}
	switch e.op {
	case "or":
		return b(v[0] != 0 || v[1] != 0), nil
	case "and":
		return b(v[0] != 0 && v[1] != 0), nil
	case "not":
		return b(v[0] == 0), nil
	case "<":
		return b(v[0] < v[1]), nil
	case "<=":
		return b(v[0] <= v[1]), nil
	case ">":
		return b(v[0] > v[1]), nil
	case ">=":
		return b(v[0] >= v[1]), nil
	case "==":
		return b(v[0] == v[1]), nil
	case "!=":
		return b(v[0] != v[1]), nil
	case "+":
		return v[0] + v[1], nil
	case "-":
		return v[0] - v[1], nil
	case "*":
		return v[0] * v[1], nil
	case "/", "%":
		if v[1] == 0 {
			return 0, fmt.Errorf("division by zero")
		}
		if e.op == "/" {
			return v[0] / v[1], nil
		}
		return v[0] % v[1], nil
	}
	return 0, fmt.Errorf("operator %q", e.op)
}
