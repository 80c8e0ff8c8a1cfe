package segline

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse feeds the parser arbitrary text: it must never panic, must
// reject with an *Error that quotes the trimmed line, and what it accepts
// must print as a line that parses to the same segment and prints the same
// again.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.line)
	}
	for _, s := range []string{
		"S 0:1(0)", "S 0:0(0) <mss 1,,nop>", "S 0:0(0) <opt 30 len 2 ab cd>", "S\xff 0:0(0)",
		"S 0:9223372036854775807(0)", "S -9223372036854775808:0(0)", "< >", "<>", ">",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		seg, err := Parse(s)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Line != strings.TrimSpace(s) || se.Msg == "" {
				t.Fatalf("%q: error %#v", s, err)
			}
			if !reflect.DeepEqual(seg, Segment{}) {
				t.Fatalf("%q: segment %+v with error %v", s, seg, err)
			}
			return
		}
		out := seg.String()
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", s, out, err)
		}
		if !reflect.DeepEqual(again, seg) {
			t.Fatalf("%q printed as %q, which parses to\n%+v, not\n%+v", s, out, again, seg)
		}
		if again.String() != out {
			t.Fatalf("%q printed as %q, then as %q", s, out, again.String())
		}
	})
}
