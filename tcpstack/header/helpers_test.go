package header

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// unhex decodes hex with spaces and newlines ignored.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantErr checks that err wraps kind and mentions every one of words.
func wantErr(t testing.TB, err, kind error, words ...string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want %v", err, kind)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("err %q does not mention %q", err, w)
		}
	}
}

// hexString returns b as a comparable string.
func hexString(b []byte) string { return string(b) }

// field is what one accessor returned and what it should have.
type field struct {
	name      string
	got, want any
}

// checkFields reports every field whose got is not its want.
func checkFields(t testing.TB, fields []field) {
	t.Helper()
	for _, c := range fields {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// tlvOpt is an option an IPv4 or TCP option iterator reported: its kind
// octet, its data (as hex in a case's want) and its offset.
type tlvOpt struct {
	kind uint8
	data string
	off  int
}

// tlvCase is a case of an IPv4 or TCP option iterator's test.
type tlvCase struct {
	name string
	opts string // the options area, as hex
	want []tlvOpt
	err  []string // words of the error; nil for none
}

// tlvWalker is what IPv4OptionIter and TCPOptionIter have in common.
type tlvWalker interface {
	Next() bool
	Err() error
}

// testTLVIter runs the cases through the iterator newIter returns for
// their options area. option reads the iterator's current option and its
// Len.
func testTLVIter[I tlvWalker](t *testing.T, cases []tlvCase, newIter func([]byte) I, option func(I) (tlvOpt, int)) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			it := newIter(unhex(t, tc.opts))
			var got []tlvOpt
			for it.Next() {
				o, n := option(it)
				got = append(got, o)
				if n != 2+len(o.data) && !(n == 1 && o.data == "") {
					t.Errorf("Len() = %d with %d data bytes", n, len(o.data))
				}
			}
			if it.Next() {
				t.Error("Next after the end")
			}
			if len(got) != len(tc.want) {
				t.Fatalf("options %v, want %v", got, tc.want)
			}
			for i := range got {
				w := tc.want[i]
				w.data = hexString(unhex(t, w.data))
				if got[i] != w {
					t.Errorf("option %d: %v, want %v", i, got[i], w)
				}
			}
			if tc.err == nil {
				if it.Err() != nil {
					t.Errorf("err %v", it.Err())
				}
			} else {
				wantErr(t, it.Err(), ErrMalformed, tc.err...)
			}
		})
	}
}

// parseErrCase is input a ParseX function must refuse, with the error it
// must wrap and words its message must hold.
type parseErrCase struct {
	name  string
	b     []byte
	kind  error
	words []string
}

// testParseErrors checks that parse refuses every case as the case says.
func testParseErrors(t *testing.T, cases []parseErrCase, parse func([]byte) error) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, parse(tc.b), tc.kind, tc.words...)
		})
	}
}
