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

// StackHello is the hello of a backend over a stack that is not the
// host's kernel (stack names it, version its version when not the
// kernel's), with the options it supports.
func StackHello(stack, version string, options []string) Hello {
	return Hello{OS: runtimeGOOS(), Kernel: kernelRelease(), Stack: stack, StackVersion: version, Options: options}
}
