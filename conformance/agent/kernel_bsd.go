//go:build darwin || freebsd

package agent

import "golang.org/x/sys/unix"

func tcpInfo(FD) (TCPInfo, error) {
	return TCPInfo{}, Unsupported(unix.ENOPROTOOPT, "tcp_info: not on this platform")
}
