package hexdump

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// A SyntaxError reports a line that is not part of a well-formed dump.
type SyntaxError struct {
	Line int    // 1-based line number
	Msg  string // what is wrong with it
}

func (e *SyntaxError) Error() string {
	return "hexdump: line " + strconv.Itoa(e.Line) + ": " + e.Msg
}

// maxLineLen is the longest input line a Reader accepts.
const maxLineLen = 64 << 10

// A Reader reads a dump in any style and returns the bytes it shows, like
// "xxd -r". It detects the style from the first dump line (Pane and TShark
// lines are read alike) and then requires every line to be of that style.
//
// Lines must follow each other: each offset is the previous one plus the
// bytes on the previous line, and only the last line of a dump may be short.
// Canonical's "*" repeats the line before it up to the next offset. Several
// dumps may follow one another; a new one starts after a blank line, after
// Canonical's final offset line, after a tcpdump packet header line, or
// where the offset goes back to the first dump's starting offset. Their
// bytes are concatenated. The character column is not read.
//
// Bad input gives a [*SyntaxError] naming the line. Reading is streaming:
// a Reader holds one line, so a short dump with "*" can expand to a very
// large output; wrap the Reader in an [io.LimitReader] for untrusted input.
type Reader struct {
	br     *bufio.Reader
	lineNo int
	err    error

	style    Style
	detected bool
	// before detection, the first line that was neither blank nor a dump
	// line; allowed only if the dump turns out to be tcpdump output (then
	// such lines are packet headers)
	pendingLine int
	pendingMsg  string

	open     bool   // a section (one dump) is in progress
	haveBase bool   // base is set
	base     uint64 // starting offset of the first section
	next     uint64 // expected offset of the next line in the section
	lastFull bool   // the last data line of the section had 16 bytes
	star     int    // line number of a pending "*", 0 if none

	prev    [bytesPerLine]byte // the last full line, for "*"
	rep     [bytesPerLine]byte // the line "*" repeats
	repeats uint64             // copies of rep still to return
	hold    [bytesPerLine]byte // line to return after the repeats
	nhold   int
	out     []byte // bytes ready to return, a view of prev or hold
}

// NewReader returns a Reader that reads a dump from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, maxLineLen)}
}

// Style returns the detected style; it is meaningful once Read has
// returned data. Pane and TShark dumps are told apart by the gap after the
// 8th byte on the first line.
func (r *Reader) Style() Style { return r.style }

// Read reads decoded bytes into p.
func (r *Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(r.out) == 0 {
			switch {
			case r.repeats > 0:
				r.repeats--
				r.out = r.rep[:]
			case r.nhold > 0:
				r.out = r.hold[:r.nhold]
				r.nhold = 0
			case r.err != nil:
				if n > 0 {
					return n, nil
				}
				return 0, r.err
			default:
				if n > 0 && r.br.Buffered() == 0 {
					// Do not block on more input while holding data.
					return n, nil
				}
				r.err = r.advance()
				continue
			}
		}
		c := copy(p[n:], r.out)
		r.out = r.out[c:]
		n += c
	}
	return n, nil
}

// Parse reads a whole dump from r and returns its bytes. See [Reader].
func Parse(r io.Reader) ([]byte, error) {
	return io.ReadAll(NewReader(r))
}

// Reverse reads a dump from r and writes its bytes to w. See [Reader].
func Reverse(w io.Writer, r io.Reader) error {
	_, err := io.Copy(w, NewReader(r))
	return err
}

func (r *Reader) syntax(format string, args ...any) error {
	return &SyntaxError{Line: r.lineNo, Msg: fmt.Sprintf(format, args...)}
}

// lineKind is what a line of a dump is.
type lineKind int

const (
	kindBlank lineKind = iota
	kindData           // offset and bytes
	kindStar           // Canonical's "*"
	kindEnd            // Canonical's final offset line
	kindOther          // anything else: a tcpdump header, or an error
)

// parsedLine is one classified line.
type parsedLine struct {
	kind  lineKind
	style Style // of kindData and kindEnd lines
	off   uint64
	data  [bytesPerLine]byte
	n     int
	msg   string // kindOther: why the line is not a dump line
}

// advance reads lines until one produces output, a dump ends at EOF, or an
// error occurs. It returns io.EOF at the end of well-formed input.
func (r *Reader) advance() error {
	for {
		line, err := r.br.ReadSlice('\n')
		if len(line) == 0 && err != nil {
			if err == io.EOF {
				return r.atEOF()
			}
			return fmt.Errorf("hexdump: reading dump: %w", err)
		}
		r.lineNo++
		if errors.Is(err, bufio.ErrBufferFull) {
			return r.syntax("line longer than %d bytes", maxLineLen)
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("hexdump: reading dump: %w", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		var pl parsedLine
		classify(line, &pl)
		produced, perr := r.apply(&pl)
		if perr != nil {
			return perr
		}
		if produced {
			return nil
		}
	}
}

// atEOF checks that the input ended in a sensible place.
func (r *Reader) atEOF() error {
	if r.star != 0 {
		r.lineNo = r.star
		return r.syntax(`"*" is not followed by an offset line`)
	}
	if !r.detected && r.pendingLine != 0 {
		r.lineNo = r.pendingLine
		return r.syntax("%s", r.pendingMsg)
	}
	return io.EOF
}

// apply updates the state with one classified line and reports whether the
// line produced bytes to return.
func (r *Reader) apply(pl *parsedLine) (bool, error) {
	switch pl.kind {
	case kindBlank:
		if r.star != 0 {
			return false, r.syntax(`blank line after "*": expected the offset where the repetition ends`)
		}
		r.open = false
		return false, nil
	case kindOther, kindStar, kindEnd, kindData:
		if r.detected && r.style == TCPDump && pl.style != TCPDump {
			// tcpdump prints a header line before each packet's dump;
			// anything that is not indented "0x…:" is one.
			r.open = false
			return false, nil
		}
	}
	switch pl.kind {
	case kindOther:
		if !r.detected && pl.style != TCPDump {
			if r.pendingLine == 0 {
				r.pendingLine, r.pendingMsg = r.lineNo, pl.msg
			}
			return false, nil
		}
		return false, r.syntax("%s", pl.msg)
	case kindStar:
		if r.detected && r.style != Canonical {
			return false, r.syntax(`"*" in a %s dump (only hexdump -C squeezes lines)`, r.style)
		}
		if !r.open || !r.lastFull {
			return false, r.syntax(`"*" must follow a full line of 16 bytes`)
		}
		if r.star != 0 {
			return false, r.syntax(`"*" follows another "*"`)
		}
		r.star = r.lineNo
		return false, nil
	}

	// kindData or kindEnd.
	if err := r.detect(pl); err != nil {
		return false, err
	}
	if r.star != 0 {
		if !r.open || pl.off <= r.next || (pl.off-r.next)%bytesPerLine != 0 {
			return false, r.syntax(`offset %#x does not end the repetition of "*" (line %d) after offset %#x: expected a larger offset by a multiple of 16`, pl.off, r.star, r.next)
		}
		r.repeats = (pl.off - r.next) / bytesPerLine
		r.rep = r.prev
		r.next = pl.off
		r.star = 0
	}
	if pl.kind == kindEnd {
		if r.open && pl.off != r.next {
			return false, r.syntax("final offset %#x, expected %#x (the end of the data)", pl.off, r.next)
		}
		r.open = false
		return r.repeats > 0, nil
	}

	switch {
	case !r.open:
		// A new section after a separator, or the first one.
	case pl.off == r.next && r.lastFull:
		// The next line.
	case r.haveBase && pl.off == r.base:
		// A new dump, one after another.
	case pl.off == r.next:
		return false, r.syntax("offset %#x follows a short line: only the last line of a dump may hold fewer than 16 bytes", pl.off)
	default:
		return false, r.syntax("offset %#x, expected %#x", pl.off, r.next)
	}
	if !r.open {
		r.open = true
		if !r.haveBase {
			r.haveBase, r.base = true, pl.off
		}
	}
	if pl.off > ^uint64(0)-bytesPerLine {
		return false, r.syntax("offset %#x is too large", pl.off)
	}
	r.next = pl.off + uint64(pl.n)
	r.lastFull = pl.n == bytesPerLine
	if r.lastFull {
		r.prev = pl.data
	}
	if pl.n > 0 {
		r.hold = pl.data
		r.nhold = pl.n
	}
	return r.repeats > 0 || r.nhold > 0, nil
}

// detect fixes the style on the first dump line and checks later lines
// against it.
func (r *Reader) detect(pl *parsedLine) error {
	if !r.detected {
		r.detected = true
		r.style = pl.style
		if r.pendingLine != 0 && r.style != TCPDump {
			r.lineNo = r.pendingLine
			return r.syntax("%s", r.pendingMsg)
		}
		return nil
	}
	if pl.style == r.style || family(pl.style) == family(r.style) {
		return nil
	}
	return r.syntax("%s line in a %s dump", pl.style, r.style)
}

// family merges Pane and TShark, whose lines are read alike.
func family(s Style) Style {
	if s == TShark {
		return Pane
	}
	return s
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// hexRun returns the length of the run of hex digits at the start of b.
func hexRun(b []byte) int {
	for i, c := range b {
		if _, ok := unhex(c); !ok {
			return i
		}
	}
	return len(b)
}

// parseOffset parses the hex digits of an offset.
func parseOffset(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		d, _ := unhex(c)
		v = v<<4 | uint64(d)
	}
	return v, true
}

// classify fills pl from one line (without its line ending).
func classify(line []byte, pl *parsedLine) {
	i := 0
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	if i == len(line) {
		pl.kind = kindBlank
		return
	}
	pl.kind = kindOther
	rest := bytes.TrimRight(line[i:], " \t")
	if len(rest) == 1 && rest[0] == '*' && i == 0 {
		pl.kind = kindStar
		return
	}
	// tcpdump: optional indentation, "0x", offset, ':'.
	if len(rest) > 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X') {
		pl.style = TCPDump
		h := hexRun(rest[2:])
		if h == 0 || 2+h >= len(rest) || rest[2+h] != ':' {
			pl.msg = "malformed tcpdump line: expected 0x, a hex offset and ':'"
			return
		}
		off, ok := parseOffset(rest[2 : 2+h])
		if !ok {
			pl.msg = "offset has more than 16 hex digits"
			return
		}
		c := i + 2 + h // index of ':' in line
		pl.off = off
		// "0x%04x: %-40s  %s", the hex area starting with a space.
		pl.decode(line, c+3, layoutGroups)
		return
	}
	if i > 0 {
		pl.msg = "not a hex dump line"
		return
	}
	h := hexRun(line)
	if h == 0 {
		pl.msg = "not a hex dump line"
		return
	}
	off, ok := parseOffset(line[:h])
	if !ok {
		pl.msg = "offset has more than 16 hex digits"
		return
	}
	pl.off = off
	switch {
	case len(rest) == h:
		// hexdump -C's final offset line.
		pl.style = Canonical
		pl.kind = kindEnd
		return
	case line[h] == ':':
		// xxd: "%08x: ", 40 columns of hex, ' ', characters.
		pl.style = XXD
		pl.decode(line, h+2, layoutGroups)
		return
	case h+2 <= len(line) && line[h] == ' ' && line[h+1] == ' ':
		// Pane, TShark or Canonical: hex from column h+2; the characters
		// start at h+52 (TShark), h+53 (Pane) or h+53 after '|' at h+52
		// (Canonical). TShark has no gap after the 8th byte.
		l := layoutPane
		if g := h + 2 + 24; g < len(line) && line[g] != ' ' {
			l = layoutTShark
		}
		if !pl.decode(line, h+2, l) {
			return
		}
		switch {
		case len(line) == h+54+pl.n && line[h+52] == '|' && line[len(line)-1] == '|':
			pl.style = Canonical
		case l == layoutTShark:
			pl.style = TShark
		default:
			pl.style = Pane
		}
		return
	}
	pl.msg = "not a hex dump line: expected a hex offset followed by ':' (xxd) or two spaces"
}

// A layout places the bytes of a line: byte j starts at column col(j) of
// the hex area. The formatter writes short lines with it too.
type layout int

const (
	layoutPane   layout = iota // Pane and Canonical: "xx xx … xx  xx …", a gap after the 8th byte
	layoutTShark               // "xx xx xx …"
	layoutGroups               // xxd and tcpdump: "xxxx xxxx …"
)

func (l layout) col(j int) int {
	switch l {
	case layoutPane:
		return 3*j + j/8
	case layoutTShark:
		return 3 * j
	}
	return 2*j + j/2
}

// decode makes pl a kindData line with the bytes of line (see bytes), or
// records in pl.msg why they are not a line of layout l. It reports whether
// it decoded them.
func (pl *parsedLine) decode(line []byte, start int, l layout) bool {
	if msg := pl.bytes(line, start, l); msg != "" {
		pl.msg = msg
		return false
	}
	pl.kind = kindData
	return true
}

// bytes decodes the bytes of a line whose hex area starts at column start,
// reading each byte at its column until a column holds a space or the line
// ends. It returns a message on error.
//
// What follows the bytes is checked, so that misplaced columns are errors
// rather than wrong bytes: a full line must be followed by a space; in xxd
// and tcpdump lines, whose groups are one space apart, the bytes end at two
// spaces; in the other styles, the rest of the 48-column hex area is blank.
func (pl *parsedLine) bytes(line []byte, start int, l layout) string {
	pl.n = 0
	end := start // column after the last byte
	for j := range bytesPerLine {
		c := start + l.col(j)
		if c >= len(line) || line[c] == ' ' {
			break
		}
		for k := end; k < c; k++ {
			if line[k] != ' ' {
				return fmt.Sprintf("unexpected %q at column %d: expected a space", line[k], k+1)
			}
		}
		if c+1 >= len(line) {
			return fmt.Sprintf("line ends inside a byte at column %d", c+1)
		}
		hi, ok1 := unhex(line[c])
		lo, ok2 := unhex(line[c+1])
		if !ok1 || !ok2 {
			return fmt.Sprintf("bad hex byte %q at column %d", line[c:c+2], c+1)
		}
		pl.data[j] = hi<<4 | lo
		pl.n++
		end = c + 2
	}
	if pl.n == 0 {
		return "no bytes after the offset"
	}
	var blank int // columns after the bytes that must be blank
	switch {
	case l == layoutGroups:
		blank = end + 2
	case pl.n == bytesPerLine:
		blank = end + 1
	default:
		blank = start + l.col(bytesPerLine-1) + 2
	}
	for k := end; k < min(blank, len(line)); k++ {
		if line[k] != ' ' {
			return fmt.Sprintf("unexpected %q at column %d: more than 16 bytes on a line, or columns out of place", line[k], k+1)
		}
	}
	return ""
}
