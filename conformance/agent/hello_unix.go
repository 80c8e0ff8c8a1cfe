//go:build linux || darwin || freebsd

package agent

import (
	"runtime"

	"golang.org/x/sys/unix"
)

func runtimeGOOS() string { return runtime.GOOS }

// kernelRelease returns uname -r.
func kernelRelease() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}
