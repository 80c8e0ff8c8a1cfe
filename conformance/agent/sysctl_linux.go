package agent

import (
	"os"
	"strings"
)

// sysctlSupported: Linux has /proc/sys.
const sysctlSupported = true

// setSysctl writes value to /proc/sys/KEY and returns what it held.
func setSysctl(key, value string) (string, error) {
	if err := checkSysctl(key, value); err != nil {
		return "", err
	}
	path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
	old, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(value), 0); err != nil {
		return "", err
	}
	return strings.TrimSpace(string(old)), nil
}
