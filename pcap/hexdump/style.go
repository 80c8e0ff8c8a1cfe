package hexdump

import (
	"fmt"
	"strings"
)

// Style selects a dump layout. Each style reproduces one reference tool byte
// for byte; see the package documentation for the exact layouts.
type Style int

// The styles. Pane is the zero value and the default.
const (
	// Pane is Wireshark's Packet Bytes pane: "0000  45 00 … 00  40 01 …   E..T..@. @.......".
	Pane Style = iota
	// TShark is the output of "tshark -x": like Pane without the 8-byte gaps,
	// followed by a blank line.
	TShark
	// Canonical is util-linux "hexdump -C", with "*" for repeated lines
	// (unless Options.Verbose, like "-v") and the final offset line.
	Canonical
	// XXD is the default layout of "xxd".
	XXD
	// TCPDump is "tcpdump -xx" (whole frame, hex only) or, with Options.ASCII,
	// "tcpdump -XX": "\t0x0000:  4500 0054 …".
	TCPDump
)

var styleNames = [...]string{
	Pane:      "pane",
	TShark:    "tshark",
	Canonical: "canonical",
	XXD:       "xxd",
	TCPDump:   "tcpdump",
}

// String returns the style's name as accepted by [ParseStyle].
func (s Style) String() string {
	if s >= 0 && int(s) < len(styleNames) {
		return styleNames[s]
	}
	return fmt.Sprintf("Style(%d)", int(s))
}

// valid reports whether s is one of the defined styles.
func (s Style) valid() bool { return s >= 0 && int(s) < len(styleNames) }

// Styles returns every style, in the order of their constants.
func Styles() []Style {
	s := make([]Style, len(styleNames))
	for i := range s {
		s[i] = Style(i)
	}
	return s
}

// ParseStyle returns the style with the given name ("pane", "tshark",
// "canonical", "xxd", "tcpdump"), ignoring case.
func ParseStyle(name string) (Style, error) {
	for i, n := range styleNames {
		if strings.EqualFold(name, n) {
			return Style(i), nil
		}
	}
	return 0, fmt.Errorf("hexdump: unknown style %q (valid styles: %s)", name, strings.Join(styleNames[:], ", "))
}

// MarshalText implements [encoding.TextMarshaler].
func (s Style) MarshalText() ([]byte, error) {
	if !s.valid() {
		return nil, fmt.Errorf("hexdump: invalid style %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler] with [ParseStyle].
func (s *Style) UnmarshalText(b []byte) error {
	v, err := ParseStyle(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
