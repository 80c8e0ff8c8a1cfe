package agent

import "golang.org/x/sys/unix"

// The options kernel.go's sockopts takes from the system (kernel_bsd.go:
// TCP_USER_TIMEOUT).
var (
	soLinger    = sockopt{unix.SOL_SOCKET, unix.SO_LINGER}
	tcpKeepIdle = sockopt{unix.IPPROTO_TCP, unix.TCP_KEEPIDLE}
)
