//go:build darwin || freebsd

package agent

import "golang.org/x/sys/unix"

// tcpUserTimeout is absent: neither FreeBSD nor macOS has TCP_USER_TIMEOUT.
var tcpUserTimeout = sockopt{0, -1}

// The Linux options and ioctl the BSDs lack (FIONREAD would answer
// SIOCINQ, but the protocol keeps to the Linux set there).
var (
	siocInq         = sockopt{0, -1}
	tcpCork         = sockopt{0, -1}
	tcpNotsentLowat = sockopt{0, -1}
	tcpInq          = sockopt{0, -1}
	soZeroCopy      = sockopt{0, -1}
	ipFreebind      = sockopt{0, -1}
)

// sendFlagBits: MSG_EOR only (no MSG_MORE, no MSG_ZEROCOPY).
var sendFlagBits = map[SendFlags]int{MsgEOR: unix.MSG_EOR}

func tcpInfo(FD) (TCPInfo, error) {
	return TCPInfo{}, Unsupported(unix.ENOPROTOOPT, "tcp_info: not on this platform")
}
