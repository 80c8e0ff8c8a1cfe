package html

import (
	"strings"
	"testing"
)

func TestRequirementURL(t *testing.T) {
	for req, want := range map[string]string{
		"RFC9293 MUST-1":                    "rfc9293#section-3.1",
		"RFC9293 MUST-22":                   "rfc9293#section-3.8.3",
		"RFC9293 MUST-63":                   "rfc9293#section-3.9.2.3",
		"RFC9293 MUST-13 (partial: length)": "rfc9293#section-3.6.1",
		"RFC9293 SHLD-31":                   "rfc9293#section-3.10.7.4",
		"RFC9293 SHOULD-31":                 "rfc9293#section-3.10.7.4",
		"RFC9293 MAY-1":                     "rfc9293#section-3.6.1",
		"RFC9293 §3.5 (Figure 7)":           "rfc9293#section-3.5",
		"RFC5961 §3.2":                      "rfc5961#section-3.2",
		"RFC9293 MUST-99":                   "rfc9293",
		"RFC9293":                           "rfc9293",
		"draft-foo §2":                      "",
		"RFCx §2":                           "",
		"":                                  "",
	} {
		got := RequirementURL(req)
		if want != "" {
			want = rfcBase + want
		}
		if got != want {
			t.Errorf("RequirementURL(%q) = %q, want %q", req, got, want)
		}
	}
	// Every label of Appendix B has its section, and only those.
	n := map[string]int{}
	for label, sec := range rfc9293Sections {
		kind, _, _ := strings.Cut(label, "-")
		n[kind]++
		if !strings.HasPrefix(sec, "3.") {
			t.Errorf("%s: section %s, not in section 3", label, sec)
		}
	}
	if n["MUST"] != 69 || n["SHLD"] != 31 || n["MAY"] != 18 || len(n) != 3 {
		t.Errorf("labels per level: %v; want MUST 69, SHLD 31, MAY 18", n)
	}
}
