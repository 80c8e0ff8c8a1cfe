package cases

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestRequirementsTable: REQUIREMENTS.md lists every MUST label of RFC 9293
// Appendix B once, in order, and for each the cases that cite it: exactly
// the registered cases whose requirements name the label.
func TestRequirementsTable(t *testing.T) {
	b, err := os.ReadFile("REQUIREMENTS.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| (MUST-[0-9]+) \\| [^|]+ \\| ([^|]*) \\|")
	id := regexp.MustCompile("`([a-z]+/[a-z0-9-]+)`")
	cite := regexp.MustCompile(`^RFC9293 (MUST-[0-9]+)\b`)
	citing := map[string][]string{}
	for _, e := range registered {
		for _, r := range e.c.Requirements {
			if m := cite.FindStringSubmatch(r); m != nil {
				citing[m[1]] = append(citing[m[1]], e.c.ID)
			}
		}
	}
	n := 0
	for line := range strings.SplitSeq(string(b), "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n++
		if want := "MUST-" + strconv.Itoa(n); m[1] != want {
			t.Fatalf("row %d is %s, want %s", n, m[1], want)
		}
		var listed []string
		for _, c := range id.FindAllStringSubmatch(m[2], -1) {
			listed = append(listed, c[1])
		}
		want := slices.Clone(citing[m[1]])
		slices.Sort(listed)
		slices.Sort(want)
		if !slices.Equal(listed, want) {
			t.Errorf("%s: the table lists %v; the cases citing it are %v", m[1], listed, want)
		}
	}
	if n != 69 {
		t.Errorf("the table has %d MUST rows, want 69 (MUST-1 to MUST-69)", n)
	}
}
