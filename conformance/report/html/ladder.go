package html

import (
	"fmt"
	"html/template"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/probe"
	"tcpregress.dev/tcpstack/tcpdump"
)

// The geometry of a ladder diagram, in SVG user units (pixels at 100 %).
const (
	ladderWidth = 1180
	xTime       = 64  // right edge of the time column
	xTester     = 150 // the tester's lifeline
	xTarget     = 850 // the target's lifeline
	xCalls      = 864 // where the agent calls' text starts
	yTop        = 64  // the first row
	rowMin      = 22  // the least distance between two rows
	rowMore     = 34  // the most a row adds for the time since the last
	slope       = 8   // how far an arrow falls between the lifelines
	breakAfter  = 250 * time.Millisecond
	// maxFrames bounds the frames a diagram draws; the pcap has them all.
	maxFrames = 400
)

// A row of the diagram: one thing that happened at one time.
type row struct {
	t    time.Time
	kind rowKind
	y    float64
	// frame rows
	frame    *probe.Frame
	label    string
	matched  bool // an expectation took it
	unwanted bool // an ExpectNone said it must not come
	// call rows
	text string
	end  time.Time
	// miss rows: an expectation that was not met
	wait *probe.Expectation
	// event rows: a failure or the verdict
	event *suite.Event
}

type rowKind int

// Row kinds, in the order rows of the same time are drawn.
const (
	rowCall rowKind = iota
	rowFrame
	rowMiss
	rowEvent
)

// Ladder draws ex as a ladder diagram in inline SVG: the tester's and the
// target's lifelines; every frame the case's probe sent or received that
// reached the wire as an arrow between them, in capture order and spaced by
// the time between them, labelled as tcpdump -nn prints it (sequence
// numbers relative to each connection's first, as tcpdump does without -S);
// the calls the case made through the agent marked on the target's
// lifeline, a bar showing how long each blocked; every expected segment
// that did not come as a dashed arrow with what was expected; every
// failure the case reported, at its time; and the first divergence from
// what the case expected highlighted.
//
// The SVG uses the classes of [Style], which a page embedding it must
// include. Arrows of frames have the class "seg" (one per frame), those of
// expected segments that did not come "miss". A nil ex gives a note
// instead of a diagram.
func Ladder(ex *suite.Exchange) template.HTML {
	if ex == nil {
		return template.HTML(`<p class="noladder">The case did not run: no exchange to draw.</p>`)
	}
	rows, hidden := ladderRows(ex)
	if len(rows) == 0 {
		return template.HTML(`<p class="noladder">The case sent no segment, received none and made no agent call.</p>`)
	}
	layout(rows)
	blame(rows)
	div := firstDivergence(rows)
	height := rows[len(rows)-1].y + 48
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="ladder" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %.0f" width="%d" height="%.0f" role="img">`,
		ladderWidth, height, ladderWidth, height)
	b.WriteString(`<defs>`)
	for _, m := range []string{"out", "in", "miss", "bad"} {
		fmt.Fprintf(&b, `<marker id="h-%s" class="head-%s" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z"/></marker>`, m, m)
	}
	b.WriteString(`</defs>`)
	// The highlight goes under everything else.
	if div != nil {
		top := div.y - 17
		if wraps(rowText(div)) {
			top -= lineHeight
		}
		fmt.Fprintf(&b, `<rect class="divergence" x="2" y="%.1f" width="%d" height="%.1f" rx="4"/>`, top, ladderWidth-4, div.y+15-top)
		fmt.Fprintf(&b, `<text class="divtag" x="%d" y="%.1f">first divergence</text>`, ladderWidth-10, div.y+4)
	}
	end := rows[len(rows)-1].y + 24
	tester, target := "tester", "target"
	if ex.Tester.IsValid() {
		tester += " " + ex.Tester.String()
	}
	if ex.Target.IsValid() {
		target += " " + ex.Target.String()
	}
	for _, l := range []struct {
		x    float64
		name string
	}{{xTester, tester}, {xTarget, target}} {
		fmt.Fprintf(&b, `<line class="life" x1="%.0f" y1="36" x2="%.0f" y2="%.1f"/>`, l.x, l.x, end)
		w := float64(len(l.name))*7.2 + 20
		fmt.Fprintf(&b, `<rect class="actor" x="%.1f" y="8" width="%.1f" height="26" rx="5"/><text class="actor" x="%.0f" y="26">%s</text>`,
			l.x-w/2, w, l.x, esc(l.name))
	}
	// Agent calls: a bar on the target's lifeline while the call ran.
	for i := range rows {
		r := &rows[i]
		if r.kind == rowCall {
			y1 := yAt(rows, r.end)
			fmt.Fprintf(&b, `<rect class="callbar" x="%d" y="%.1f" width="8" height="%.1f"/>`, xTarget-4, r.y-3, max(y1-r.y, 0)+6)
		}
		if r.kind == rowMiss {
			y0 := yAt(rows, r.wait.Start)
			fmt.Fprintf(&b, `<line class="waitbar" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, xTester-5, y0, xTester-5, r.y+slope)
		}
	}
	var last time.Time
	for i := range rows {
		r := &rows[i]
		if i > 0 && r.t.Sub(last) > breakAfter {
			yb := (rows[i-1].y + slope + r.y - 12) / 2
			fmt.Fprintf(&b, `<text class="gap" x="%d" y="%.1f">⋯ %s later</text>`, xTester+12, yb+4, seconds(r.t.Sub(last)))
		}
		last = r.t
		fmt.Fprintf(&b, `<text class="time" x="%d" y="%.1f">%s</text>`, xTime, r.y+4, seconds(r.t.Sub(ex.Start)))
		switch r.kind {
		case rowFrame:
			drawFrame(&b, r)
		case rowCall:
			fmt.Fprintf(&b, `<circle class="call" cx="%d" cy="%.1f" r="4"/><text class="call" x="%d" y="%.1f">%s</text>`,
				xTarget, r.y, xCalls, r.y+4, esc(r.text))
		case rowMiss:
			drawArrow(&b, "miss", xTarget, xTester, r.y, rowText(r), "")
		case rowEvent:
			cls := "event"
			if r.event.Verdict == suite.FAIL || r.event.Verdict == suite.ERROR {
				cls = "event bad"
			}
			fmt.Fprintf(&b, `<g class="%s"><line x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, cls, xTester, r.y, xTarget, r.y)
			writeLabel(&b, "evtext", xTester+12, r.y-4, rowText(r))
			b.WriteString(`</g>`)
		}
	}
	if hidden > 0 {
		fmt.Fprintf(&b, `<text class="gap" x="%d" y="%.1f">%d more frames not drawn: the pcap has them all</text>`, xTester+12, end+16, hidden)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// ladderRows collects what the diagram shows, in time order, and how many
// frames were left out (past maxFrames).
func ladderRows(ex *suite.Exchange) ([]row, int) {
	var rows []row
	taken := map[int]bool{}
	unwanted := map[int]bool{}
	for i := range ex.Expectations {
		e := &ex.Expectations[i]
		switch {
		case e.Frame >= 0 && e.None:
			unwanted[e.Frame] = true
		case e.Frame >= 0:
			taken[e.Frame] = true
		case !e.None:
			rows = append(rows, row{t: e.End, kind: rowMiss, wait: e})
		}
	}
	// One printer for the whole exchange: relative sequence numbers per
	// connection, as tcpdump prints them.
	p := &tcpdump.Printer{}
	drawn, hidden := 0, 0
	for i := range ex.Frames {
		f := &ex.Frames[i]
		if f.SendErr != nil {
			continue // never reached the wire
		}
		line := string(p.AppendPacket(nil, f.Raw, layers.LinkTypeIPv4, len(f.Raw)))
		if f.Err == nil && !f.ChecksumOK && (f.IsTCP() || f.IsICMP()) {
			line += " [bad cksum]"
		}
		if drawn == maxFrames {
			hidden++
			continue
		}
		drawn++
		rows = append(rows, row{t: f.Time, kind: rowFrame, frame: f, label: shortLine(line, f, ex),
			matched: taken[i], unwanted: unwanted[i]})
	}
	for i := range ex.Calls {
		c := &ex.Calls[i]
		if c.Request.Op == "hello" {
			continue
		}
		rows = append(rows, row{t: c.Start, kind: rowCall, text: c.String(), end: c.End})
	}
	for i := range ex.Events {
		rows = append(rows, row{t: ex.Events[i].Time, kind: rowEvent, event: &ex.Events[i]})
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if !rows[i].t.Equal(rows[j].t) {
			return rows[i].t.Before(rows[j].t)
		}
		return rows[i].kind < rows[j].kind
	})
	return rows, hidden
}

// shortLine is a frame's tcpdump line without what the lifelines say: the
// "IP" and, when the frame goes between the tester's and the target's
// addresses, the addresses (the ports stay), as in
// "20040 > 20040: Flags [S.], seq 1, ack 1, win 64240, length 0". A frame
// from or to another address keeps its addresses.
func shortLine(line string, f *probe.Frame, ex *suite.Exchange) string {
	line = strings.TrimPrefix(line, "IP ")
	if !f.IsTCP() {
		return line
	}
	a, b := ex.Tester, ex.Target
	if f.Dir == probe.In {
		a, b = b, a
	}
	prefix := a.String() + "." + itoa(f.TCP.SrcPort) + " > " + b.String() + "." + itoa(f.TCP.DstPort) + ": "
	if f.IP.Src != a || f.IP.Dst != b || !strings.HasPrefix(line, prefix) {
		return line
	}
	return itoa(f.TCP.SrcPort) + " > " + itoa(f.TCP.DstPort) + ": " + line[len(prefix):]
}

func itoa(port uint16) string { return strconv.Itoa(int(port)) }

// layout gives each row its height: in time order, at least rowMin below
// the one before, and more the longer the time between them (by its
// logarithm, so that a 3 s wait does not push the rest off the page).
func layout(rows []row) {
	for i := range rows {
		if i == 0 {
			rows[i].y = yTop
			continue
		}
		dt := rows[i].t.Sub(rows[i-1].t)
		ms := max(dt.Seconds()*1000, 0)
		gap := rowMin + min(rowMore, 12*math.Log10(1+ms))
		if dt > breakAfter {
			gap += 16 // room for the "⋯ later" mark
		}
		if rows[i].kind == rowEvent {
			gap += 6 // a failure stands apart from the arrow above it
		}
		if rows[i].kind != rowCall && wraps(rowText(&rows[i])) {
			gap += lineHeight
		}
		rows[i].y = rows[i-1].y + gap
	}
}

// yAt is the height of time t: between the rows around it, in proportion.
func yAt(rows []row, t time.Time) float64 {
	i := sort.Search(len(rows), func(i int) bool { return !rows[i].t.Before(t) })
	switch {
	case i == 0:
		return rows[0].y
	case i == len(rows):
		return rows[len(rows)-1].y
	}
	a, b := rows[i-1], rows[i]
	span := b.t.Sub(a.t)
	if span <= 0 {
		return b.y
	}
	return a.y + (b.y-a.y)*float64(t.Sub(a.t))/float64(span)
}

// blame marks the frames the first failure names: a case that saw a
// segment it did not want says so with the segment's tcpdump line (as
// probe.Frame.String prints it), which the diagram then shows as the
// divergence.
func blame(rows []row) {
	var msg string
	end := len(rows)
	for i := range rows {
		if r := &rows[i]; r.kind == rowEvent && (r.event.Verdict == suite.FAIL || r.event.Verdict == suite.ERROR) {
			msg, end = r.event.Message, i
			break
		}
	}
	if msg == "" {
		return
	}
	for i := range rows[:end] {
		if r := &rows[i]; r.kind == rowFrame && r.frame.Dir == probe.In && strings.Contains(msg, r.frame.String()) {
			r.unwanted = true
		}
	}
}

// firstDivergence returns the first row that differs from what the case
// expected: an expected segment that did not come, a segment that must not
// have come, or a failure the case reported, whichever came first.
func firstDivergence(rows []row) *row {
	for i := range rows {
		r := &rows[i]
		switch {
		case r.kind == rowMiss,
			r.kind == rowFrame && r.unwanted,
			r.kind == rowEvent && (r.event.Verdict == suite.FAIL || r.event.Verdict == suite.ERROR):
			return r
		}
	}
	return nil
}

// drawFrame draws a frame's arrow: from the tester to the target for what
// the probe sent, back for what it received.
func drawFrame(b *strings.Builder, r *row) {
	from, to, cls := float64(xTester), float64(xTarget), "out"
	if r.frame.Dir == probe.In {
		from, to, cls = xTarget, xTester, "in"
	}
	if r.unwanted {
		cls = "bad"
	}
	drawArrow(b, "seg "+cls, from, to, r.y, rowText(r), cls)
}

// rowText is the label of a row.
func rowText(r *row) string {
	switch r.kind {
	case rowFrame:
		switch {
		case r.unwanted:
			return "✗ " + r.label
		case r.matched:
			return "✓ " + r.label
		}
		return r.label
	case rowMiss:
		return fmt.Sprintf("expected, never came: %s (waited %s)", r.wait.Match, seconds(r.wait.End.Sub(r.wait.Start)))
	case rowEvent:
		return fmt.Sprintf("✗ %s: %s", r.event.Verdict, r.event.Message)
	}
	return r.text
}

// drawArrow draws one arrow with its label above it.
func drawArrow(b *strings.Builder, class string, from, to, y float64, label, head string) {
	if head == "" {
		head = "miss"
	}
	fmt.Fprintf(b, `<g class="%s"><line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" marker-end="url(#h-%s)"/>`,
		class, from, y, to, y+slope, head)
	writeLabel(b, "label", xTester+12, y-4, label)
	b.WriteString(`</g>`)
}

// labelChars is how many characters of a label fit on a line between the
// lifelines
// (a character of the 11 px monospace font is 6.6 units wide).
const labelChars = (xTarget - xTester - 24) * 10 / 66

// lineHeight is the distance between the two lines of a wrapped label.
const lineHeight = 13

// wraps reports whether a label takes two lines.
func wraps(label string) bool { return len([]rune(label)) > labelChars }

// writeLabel writes a label that ends at height y: on one line when it fits
// in labelChars, else on two, broken after a comma where one allows, the
// second cut with "…" when it is still too long (the whole text then in its
// tooltip).
func writeLabel(b *strings.Builder, class string, x, y float64, text string) {
	r := []rune(text)
	if len(r) <= labelChars {
		fmt.Fprintf(b, `<text class="%s" x="%.0f" y="%.1f">%s</text>`, class, x, y, esc(text))
		return
	}
	cut, head := labelChars, string(r[:labelChars])
	if i := strings.LastIndex(head, ", "); i > labelChars/3 {
		cut = len([]rune(head[:i+1]))
	} else if i := strings.LastIndexAny(head, " ,"); i > 0 {
		cut = len([]rune(head[:i+1]))
	}
	first, second := string(r[:cut]), strings.TrimLeft(string(r[cut:]), " ")
	title := ""
	if rs := []rune(second); len(rs) > labelChars-2 {
		second = string(rs[:labelChars-3]) + "…"
		title = "<title>" + esc(text) + "</title>"
	}
	fmt.Fprintf(b, `<text class="%s" x="%.0f" y="%.1f">%s%s<tspan x="%.0f" dx="16" dy="%d">%s</tspan></text>`,
		class, x, y-lineHeight, title, esc(first), x, lineHeight, esc(second))
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// seconds formats a duration in milliseconds with microseconds below a
// second, in seconds with milliseconds above.
func seconds(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "−", -d
	}
	if d < time.Second {
		return fmt.Sprintf("%s%.3f ms", sign, float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%s%.3f s", sign, d.Seconds())
}
