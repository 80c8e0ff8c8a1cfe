//go:build !linux

package agent

import "syscall"

// sysctlSupported: the sysctl op is Linux's (/proc/sys) only.
const sysctlSupported = false

func setSysctl(key, value string) (string, error) {
	if err := checkSysctl(key, value); err != nil {
		return "", err
	}
	return "", Unsupported(syscall.EOPNOTSUPP, "sysctl %s: the agent sets sysctls on Linux only", key)
}
