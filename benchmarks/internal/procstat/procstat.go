// Package procstat reads this process's memory figures from
// /proc/self/status (Linux).
package procstat

import (
	"fmt"
	"os"
	"strings"
)

// Memory returns a size field of /proc/self/status in bytes: "VmRSS" (the
// resident set), "VmHWM" (its peak).
func Memory(field string) (int64, error) {
	kb, err := Field(field)
	return kb << 10, err
}

// Field returns the number that starts a field of /proc/self/status, such
// as "Threads", or "VmRSS" in kB.
func Field(field string) (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			var n int64
			if _, err := fmt.Sscan(strings.TrimSpace(v), &n); err != nil {
				return 0, fmt.Errorf("parsing %s %q: %w", field, v, err)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("no %s in /proc/self/status", field)
}
