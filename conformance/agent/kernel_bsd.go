//go:build darwin || freebsd

package agent

import "golang.org/x/sys/unix"

// tcpUserTimeout is absent: neither FreeBSD nor macOS has TCP_USER_TIMEOUT.
var tcpUserTimeout = sockopt{0, -1}

func tcpInfo(FD) (TCPInfo, error) {
	return TCPInfo{}, Unsupported(unix.ENOPROTOOPT, "tcp_info: not on this platform")
}
