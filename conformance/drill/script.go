package drill

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"tcpregress.dev/tcpstack/segline"
)

// Script is a parsed packetdrill script.
type Script struct {
	// Name is the path the script was read from, as given.
	Name string
	// Options are the "--name=value" lines (and their line numbers), in
	// order; a bare "--name" has the value "".
	Options []Option
	// Events are the script's events, in order.
	Events []*Event
}

// Option is one "--name=value" line of a script.
type Option struct {
	Line        int
	Name, Value string
}

// TimeKind says how an event's time is written.
type TimeKind uint8

// The kinds of event time.
const (
	// TimeNone: no time (a command at the top of a script); it runs at
	// the time of the event before it.
	TimeNone TimeKind = iota
	// TimeAbsolute: "0.100", script time from the start.
	TimeAbsolute
	// TimeRelative: "+0.100", after the event before it.
	TimeRelative
	// TimeAny: "*", an outbound packet at whatever time.
	TimeAny
)

// Kind is the kind of an event.
type Kind uint8

// The kinds of event.
const (
	KindPacket Kind = iota
	KindSyscall
	KindCommand
	KindPython
)

// Event is one line (or one multi-line statement) of a script.
type Event struct {
	// Line is the line the event starts on (1-based); Text the event as
	// written, without comments, on one line.
	Line int
	Text string
	// TimeKind and Time: when the event happens. For a range "a~b", Time
	// is a and End is b (End relative to the event before when EndKind is
	// TimeRelative). For a blocking call "a...b", Time is a, and
	// BlockEnd b: when the call returns, relative to the event before
	// when a is relative (packetdrill's reading).
	TimeKind TimeKind
	Time     time.Duration
	HasRange bool
	EndKind  TimeKind
	End      time.Duration
	Blocking bool
	BlockEnd time.Duration

	Kind    Kind
	Packet  *Packet
	Call    *Call
	Command string // the text between the backquotes
	Python  string // the text between %{ and }%
}

// Packet is a TCP (or ICMP) packet event.
type Packet struct {
	// Inbound is "<" (the tester sends it); otherwise ">" (the target must).
	Inbound bool
	IP      IPInfo
	// TCP is the segment; ICMP is set instead for an ICMP packet.
	TCP  segline.Segment
	ICMP *ICMP
}

// IPInfo holds a packet's "[...]" IP fields; nil pointers are not written.
type IPInfo struct {
	// ECN is "noecn", "ect0", "ect1", "ect01" or "ce" ("" when absent).
	ECN       string
	TOS       *int
	TTL       *int
	FlowLabel *int
}

// ICMP is an ICMP packet event: "icmp unreachable frag_needed mtu 1200".
type ICMP struct {
	Type, Code string
	MTU        int
	// Quote is the quoted segment in "[...]", when given.
	Quote *segline.Segment
}

// Call is a system call event: name(args) = result [ERRNO (text)].
type Call struct {
	Name   string
	Args   []Expr
	Result int64
	// ResultAny is "= ..." (any result).
	ResultAny bool
	Errno     string
	// Note is the text in parentheses after the result or errno.
	Note string
}

// ExprKind is the kind of an Expr.
type ExprKind uint8

// The kinds of expression.
const (
	ExprInt      ExprKind = iota // 42, -1, 0x2
	ExprIdent                    // SOL_SOCKET, NULL; with Args: name(args); with Value: name=value
	ExprEllipsis                 // ...
	ExprString                   // "text"
	ExprArray                    // [a, b]
	ExprStruct                   // {a, b}
	ExprOr                       // a|b|c
)

// Expr is one argument (or part of one) of a system call.
type Expr struct {
	Kind  ExprKind
	Int   int64
	Name  string // ExprIdent's name, ExprString's text
	Args  []Expr // ExprIdent written name(args)
	Value *Expr  // ExprIdent written name=value
	Elems []Expr // ExprArray, ExprStruct, ExprOr
}

// String renders e as a script writes it.
func (e Expr) String() string {
	switch e.Kind {
	case ExprInt:
		return strconv.FormatInt(e.Int, 10)
	case ExprEllipsis:
		return "..."
	case ExprString:
		return strconv.Quote(e.Name)
	case ExprArray, ExprStruct:
		parts := make([]string, len(e.Elems))
		for i, x := range e.Elems {
			parts[i] = x.String()
		}
		if e.Kind == ExprArray {
			return "[" + strings.Join(parts, ", ") + "]"
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case ExprOr:
		parts := make([]string, len(e.Elems))
		for i, x := range e.Elems {
			parts[i] = x.String()
		}
		return strings.Join(parts, "|")
	}
	s := e.Name
	if e.Args != nil {
		parts := make([]string, len(e.Args))
		for i, x := range e.Args {
			parts[i] = x.String()
		}
		s += "(" + strings.Join(parts, ", ") + ")"
	}
	if e.Value != nil {
		s += "=" + e.Value.String()
	}
	return s
}

// Idents returns the names of an identifier or of an "A|B|C" of them, and
// false for anything else.
func (e Expr) Idents() ([]string, bool) {
	switch e.Kind {
	case ExprIdent:
		if e.Args == nil && e.Value == nil {
			return []string{e.Name}, true
		}
	case ExprOr:
		var out []string
		for _, x := range e.Elems {
			n, ok := x.Idents()
			if !ok {
				return nil, false
			}
			out = append(out, n...)
		}
		return out, true
	}
	return nil, false
}

// SyntaxError is a script that does not parse: the file, the line and
// what is wrong, as packetdrill words it ("file.pkt:12: syntax error: ...").
type SyntaxError struct {
	File string
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d: syntax error: %s", e.File, e.Line, e.Msg)
}

// statement is one statement of the source, comments removed, on the line
// it starts on.
type statement struct {
	line int
	text string
}

// split cuts src into statements: a newline ends one unless it is inside
// brackets, a backquoted command or a %{ }% block. Comments (// to the end
// of the line, /* */) are dropped outside those.
func split(name, src string) ([]statement, error) {
	var out []statement
	var cur strings.Builder
	line, start := 1, 1
	depth := 0
	inTick, inPy, inStr := false, false, false
	flush := func() {
		t := strings.TrimSpace(cur.String())
		if t != "" {
			out = append(out, statement{line: start, text: t})
		}
		cur.Reset()
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if strings.TrimSpace(cur.String()) == "" {
			start = line
		}
		switch {
		case inTick:
			if c == '`' {
				inTick = false
			}
		case inPy:
			if c == '}' && i+1 < len(src) && src[i+1] == '%' {
				inPy = false
				cur.WriteString("}%")
				i++
				continue
			}
		case inStr:
			if c == '\\' && i+1 < len(src) {
				cur.WriteByte(c)
				i++
				c = src[i]
			} else if c == '"' {
				inStr = false
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			i-- // the newline is handled next
			continue
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, &SyntaxError{File: name, Line: line, Msg: "comment /* without */"}
			}
			line += strings.Count(src[i:i+2+end+2], "\n")
			cur.WriteByte(' ')
			i += 2 + end + 1
			continue
		case c == '`':
			inTick = true
		case c == '%' && i+1 < len(src) && src[i+1] == '{':
			inPy = true
			cur.WriteString("%{")
			i++
			continue
		case c == '"':
			inStr = true
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		case c == '\n' && depth <= 0:
			depth = 0
			flush()
			line++
			continue
		}
		if c == '\n' {
			line++
			if !inTick && !inPy {
				c = ' '
			}
		}
		cur.WriteByte(c)
	}
	switch {
	case inTick:
		return nil, &SyntaxError{File: name, Line: start, Msg: "backquoted command without its closing `"}
	case inPy:
		return nil, &SyntaxError{File: name, Line: start, Msg: "%{ without its closing }%"}
	case inStr:
		return nil, &SyntaxError{File: name, Line: start, Msg: "string without its closing \""}
	}
	flush()
	return out, nil
}

// num is a time: "+" (relative), then seconds as "1", "1.5", ".5".
const num = `\+?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)`

var timeRE = regexp.MustCompile(`^(\*|` + num + `)(?:\s*~\s*(` + num + `))?(?:\s*\.\.\.\s*(` + num + `))?(?:\s+|$)`)

// parseTime reads "+0.1" or "0.1" into a kind and a duration.
func parseTime(s string) (TimeKind, time.Duration, error) {
	k := TimeAbsolute
	if strings.HasPrefix(s, "+") {
		k, s = TimeRelative, s[1:]
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1e6 {
		return 0, 0, fmt.Errorf("time %q: want seconds such as 0.100 or +.1", s)
	}
	return k, time.Duration(f*1e6+0.5) * time.Microsecond, nil
}

// Parse parses a script (src) read from name. It checks the syntax only:
// whether drill can run each event is decided when it runs.
func Parse(name, src string) (*Script, error) {
	stmts, err := split(name, src)
	if err != nil {
		return nil, err
	}
	s := &Script{Name: name}
	for _, st := range stmts {
		if strings.HasPrefix(st.text, "--") {
			n, v, _ := strings.Cut(st.text[2:], "=")
			if n == "" || strings.ContainsAny(n, " \t") {
				return nil, &SyntaxError{File: name, Line: st.line, Msg: fmt.Sprintf("option %q: want --name=value", st.text)}
			}
			s.Options = append(s.Options, Option{Line: st.line, Name: n, Value: strings.TrimSpace(v)})
			continue
		}
		ev, err := parseEvent(st)
		if err != nil {
			return nil, &SyntaxError{File: name, Line: st.line, Msg: err.Error()}
		}
		s.Events = append(s.Events, ev)
	}
	return s, nil
}

func parseEvent(st statement) (*Event, error) {
	ev := &Event{Line: st.line, Text: st.text}
	rest := st.text
	if m := timeRE.FindStringSubmatch(rest); m != nil && !strings.HasPrefix(rest, "`") {
		rest = rest[len(m[0]):]
		if m[1] == "*" {
			ev.TimeKind = TimeAny
		} else {
			var err error
			if ev.TimeKind, ev.Time, err = parseTime(m[1]); err != nil {
				return nil, err
			}
		}
		if m[2] != "" {
			var err error
			ev.HasRange = true
			if ev.EndKind, ev.End, err = parseTime(m[2]); err != nil {
				return nil, err
			}
		}
		if m[3] != "" {
			k, d, err := parseTime(m[3])
			if err != nil {
				return nil, err
			}
			if k == TimeRelative {
				return nil, fmt.Errorf("blocking call end %q: write it without +", m[3])
			}
			ev.Blocking, ev.BlockEnd = true, d
		}
	}
	rest = strings.TrimSpace(rest)
	switch {
	case rest == "":
		return nil, fmt.Errorf("a time without an event")
	case strings.HasPrefix(rest, "<") || strings.HasPrefix(rest, ">"):
		if ev.Blocking {
			return nil, fmt.Errorf("a packet cannot be a blocking call (a...b)")
		}
		p, err := parsePacket(rest)
		if err != nil {
			return nil, err
		}
		ev.Kind, ev.Packet = KindPacket, p
	case strings.HasPrefix(rest, "`"):
		if !strings.HasSuffix(rest, "`") || len(rest) < 2 {
			return nil, fmt.Errorf("text after the backquoted command")
		}
		ev.Kind, ev.Command = KindCommand, rest[1:len(rest)-1]
	case strings.HasPrefix(rest, "%{"):
		if !strings.HasSuffix(rest, "}%") {
			return nil, fmt.Errorf("text after the }%% of a %%{ }%% block")
		}
		ev.Kind, ev.Python = KindPython, strings.TrimSpace(rest[2:len(rest)-2])
	default:
		c, err := parseCall(rest)
		if err != nil {
			return nil, err
		}
		ev.Kind, ev.Call = KindSyscall, c
	}
	if ev.TimeKind == TimeAny && ev.Kind != KindPacket {
		return nil, fmt.Errorf("time * is for outbound packets only")
	}
	return ev, nil
}

var ecnNames = map[string]bool{"noecn": true, "ect0": true, "ect1": true, "ect01": true, "ce": true}

func parsePacket(s string) (*Packet, error) {
	p := &Packet{Inbound: s[0] == '<'}
	rest := strings.TrimSpace(s[1:])
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, fmt.Errorf("IP fields %q: want [ect0] or [tos 0x10 ttl 64]", rest)
		}
		if err := parseIPInfo(rest[1:end], &p.IP); err != nil {
			return nil, err
		}
		rest = strings.TrimSpace(rest[end+1:])
	}
	if strings.HasPrefix(rest, "icmp ") {
		ic, err := parseICMP(rest[5:])
		if err != nil {
			return nil, err
		}
		p.ICMP = ic
		return p, nil
	}
	for _, proto := range []string{"udp", "udplite", "gre", "mpls"} {
		if strings.HasPrefix(rest, proto+" ") || strings.HasPrefix(rest, proto+"(") {
			return nil, fmt.Errorf("%s packets: drill runs TCP and ICMP packets", proto)
		}
	}
	seg, err := segline.Parse(rest)
	if err != nil {
		return nil, err
	}
	p.TCP = seg
	return p, nil
}

func parseIPInfo(s string, ip *IPInfo) error {
	w := strings.Fields(strings.ReplaceAll(s, ",", " "))
	for i := 0; i < len(w); i++ {
		if ecnNames[w[i]] {
			ip.ECN = w[i]
			continue
		}
		if i+1 >= len(w) {
			return fmt.Errorf("IP field %q: needs a value", w[i])
		}
		v, err := strconv.ParseInt(w[i+1], 0, 64)
		if err != nil || v < 0 || v > 1<<20 {
			return fmt.Errorf("IP field %s %q: want a number", w[i], w[i+1])
		}
		n := int(v)
		switch w[i] {
		case "tos", "class":
			ip.TOS = &n
		case "ttl", "hlim":
			ip.TTL = &n
		case "flowlabel":
			ip.FlowLabel = &n
		default:
			return fmt.Errorf("IP field %q: want ecn (noecn, ect0, ect1, ect01, ce), tos, ttl or flowlabel", w[i])
		}
		i++
	}
	return nil
}

func parseICMP(s string) (*ICMP, error) {
	ic := &ICMP{}
	if i := strings.IndexByte(s, '['); i >= 0 {
		j := strings.LastIndexByte(s, ']')
		if j < i {
			return nil, fmt.Errorf("icmp: quoted segment without ]")
		}
		q, err := segline.Parse(s[i+1 : j])
		if err != nil {
			return nil, fmt.Errorf("icmp: quoted segment: %w", err)
		}
		ic.Quote = &q
		s = s[:i]
	}
	w := strings.Fields(s)
	if len(w) == 0 {
		return nil, fmt.Errorf("icmp: want a type, such as unreachable")
	}
	ic.Type = w[0]
	for i := 1; i < len(w); i++ {
		if w[i] == "mtu" && i+1 < len(w) {
			n, err := strconv.Atoi(w[i+1])
			if err != nil || n < 0 || n > 65535 {
				return nil, fmt.Errorf("icmp: mtu %q: want 0..65535", w[i+1])
			}
			ic.MTU = n
			i++
			continue
		}
		if ic.Code != "" {
			return nil, fmt.Errorf("icmp: unexpected %q", w[i])
		}
		ic.Code = w[i]
	}
	return ic, nil
}

var resultRE = regexp.MustCompile(`^(-?(?:0x[0-9a-fA-F]+|[0-9]+)|\.\.\.)(?:\s+([A-Z][A-Z0-9_]*))?(?:\s*\((.*)\))?\s*$`)

func parseCall(s string) (*Call, error) {
	open := strings.IndexByte(s, '(')
	if open <= 0 {
		return nil, fmt.Errorf("%q: want a packet (< or >), a system call name(...) = N, a `command` or %%{ %%}", s)
	}
	c := &Call{Name: strings.TrimSpace(s[:open])}
	if !identRE.MatchString(c.Name) {
		return nil, fmt.Errorf("%q is not a system call name", c.Name)
	}
	p := &exprParser{s: s, i: open + 1}
	args, err := p.list(')')
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Name, err)
	}
	c.Args = args
	rest := strings.TrimSpace(s[p.i:])
	if !strings.HasPrefix(rest, "=") {
		return nil, fmt.Errorf("%s(...): want = RESULT after the call", c.Name)
	}
	m := resultRE.FindStringSubmatch(strings.TrimSpace(rest[1:]))
	if m == nil {
		return nil, fmt.Errorf("%s(...): result %q: want = N, = -1 ERRNO (text) or = N (note)", c.Name, strings.TrimSpace(rest[1:]))
	}
	if m[1] == "..." {
		c.ResultAny = true
	} else {
		v, err := strconv.ParseInt(m[1], 0, 64)
		if err != nil {
			return nil, fmt.Errorf("%s(...): result %q: %v", c.Name, m[1], err)
		}
		c.Result = v
	}
	c.Errno, c.Note = m[2], m[3]
	return c, nil
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// exprParser reads the arguments of a call.
type exprParser struct {
	s string
	i int
}

func (p *exprParser) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\\') {
		p.i++
	}
}

func (p *exprParser) errf(format string, args ...any) error {
	near := p.s[p.i:]
	if len(near) > 20 {
		near = near[:20] + "..."
	}
	return fmt.Errorf("%s (at %q)", fmt.Sprintf(format, args...), near)
}

// list reads expressions separated by commas up to close.
func (p *exprParser) list(close byte) ([]Expr, error) {
	out := []Expr{}
	p.skip()
	if p.i < len(p.s) && p.s[p.i] == close {
		p.i++
		return out, nil
	}
	for {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		p.skip()
		if p.i >= len(p.s) {
			return nil, p.errf("missing %q", close)
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case close:
			p.i++
			return out, nil
		default:
			return nil, p.errf("want ',' or %q", close)
		}
	}
}

func (p *exprParser) expr() (Expr, error) {
	e, err := p.term()
	if err != nil {
		return e, err
	}
	p.skip()
	if p.i < len(p.s) && p.s[p.i] == '|' {
		or := Expr{Kind: ExprOr, Elems: []Expr{e}}
		for p.i < len(p.s) && p.s[p.i] == '|' {
			p.i++
			p.skip()
			t, err := p.term()
			if err != nil {
				return e, err
			}
			or.Elems = append(or.Elems, t)
			p.skip()
		}
		return or, nil
	}
	return e, nil
}

func (p *exprParser) term() (Expr, error) {
	p.skip()
	if p.i >= len(p.s) {
		return Expr{}, p.errf("missing argument")
	}
	c := p.s[p.i]
	switch {
	case strings.HasPrefix(p.s[p.i:], "..."):
		p.i += 3
		return Expr{Kind: ExprEllipsis}, nil
	case c == '[':
		p.i++
		el, err := p.list(']')
		return Expr{Kind: ExprArray, Elems: el}, err
	case c == '{':
		p.i++
		el, err := p.list('}')
		return Expr{Kind: ExprStruct, Elems: el}, err
	case c == '"':
		j := p.i + 1
		var b strings.Builder
		for j < len(p.s) && p.s[j] != '"' {
			if p.s[j] == '\\' && j+1 < len(p.s) {
				j++
			}
			b.WriteByte(p.s[j])
			j++
		}
		if j >= len(p.s) {
			return Expr{}, p.errf("string without its closing \"")
		}
		p.i = j + 1
		return Expr{Kind: ExprString, Name: b.String()}, nil
	case c == '-' || c >= '0' && c <= '9':
		j := p.i + 1
		for j < len(p.s) && (isAlnum(p.s[j])) {
			j++
		}
		v, err := strconv.ParseInt(p.s[p.i:j], 0, 64)
		if err != nil {
			u, uerr := strconv.ParseUint(p.s[p.i:j], 0, 64)
			if uerr != nil {
				return Expr{}, p.errf("number %q", p.s[p.i:j])
			}
			v = int64(u)
		}
		p.i = j
		return Expr{Kind: ExprInt, Int: v}, nil
	case c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
		j := p.i
		for j < len(p.s) && isAlnum(p.s[j]) {
			j++
		}
		e := Expr{Kind: ExprIdent, Name: p.s[p.i:j]}
		p.i = j
		p.skip()
		if p.i < len(p.s) && p.s[p.i] == '(' {
			p.i++
			args, err := p.list(')')
			if err != nil {
				return e, err
			}
			e.Args = args
			p.skip()
		}
		if p.i < len(p.s) && p.s[p.i] == '=' {
			p.i++
			v, err := p.expr()
			if err != nil {
				return e, err
			}
			e.Value = &v
		}
		return e, nil
	}
	return Expr{}, p.errf("unexpected %q", c)
}

func isAlnum(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
