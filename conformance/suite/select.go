package suite

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Select returns the cases of cs whose ID matches the regular expression
// run (all when empty) and whose level is within level: "must" keeps MUST,
// "should" MUST and SHOULD, "may" MUST, SHOULD and MAY, "all" (or "")
// everything, FEATURE cases included.
func Select(cs []Case, run, level string) ([]Case, error) {
	var re *regexp.Regexp
	if run != "" {
		var err error
		if re, err = regexp.Compile(run); err != nil {
			return nil, fmt.Errorf("--run %q: %w", run, err)
		}
	}
	levels, err := levelsUpTo(level)
	if err != nil {
		return nil, err
	}
	var out []Case
	for _, c := range cs {
		if re != nil && !re.MatchString(c.ID) {
			continue
		}
		if levels != nil && !levels[c.Level] {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

func levelsUpTo(level string) (map[Level]bool, error) {
	switch strings.ToLower(level) {
	case "", "all":
		return nil, nil
	case "must":
		return map[Level]bool{MUST: true}, nil
	case "should":
		return map[Level]bool{MUST: true, SHOULD: true}, nil
	case "may":
		return map[Level]bool{MUST: true, SHOULD: true, MAY: true}, nil
	}
	return nil, fmt.Errorf("--level %q: want must, should, may or all", level)
}

func sortStrings(s []string) { sort.Strings(s) }
