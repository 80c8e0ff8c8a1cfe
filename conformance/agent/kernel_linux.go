package agent

import "golang.org/x/sys/unix"

// The options kernel.go's sockopts takes from the system.
var (
	soLinger       = sockopt{unix.SOL_SOCKET, unix.SO_LINGER}
	tcpKeepIdle    = sockopt{unix.IPPROTO_TCP, unix.TCP_KEEPIDLE}
	tcpUserTimeout = sockopt{unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT}
)

// linuxStates are the RFC 9293 names of Linux's TCP_ESTABLISHED... values.
var linuxStates = [...]string{
	1: "ESTABLISHED", 2: "SYN-SENT", 3: "SYN-RECEIVED", 4: "FIN-WAIT-1",
	5: "FIN-WAIT-2", 6: "TIME-WAIT", 7: "CLOSED", 8: "CLOSE-WAIT",
	9: "LAST-ACK", 10: "LISTEN", 11: "CLOSING", 12: "SYN-RECEIVED", // TCP_NEW_SYN_RECV
}

func tcpInfo(fd FD) (TCPInfo, error) {
	ti, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return TCPInfo{}, err
	}
	state := "UNKNOWN"
	if int(ti.State) < len(linuxStates) && linuxStates[ti.State] != "" {
		state = linuxStates[ti.State]
	}
	return TCPInfo{
		State:       state,
		RTTUs:       int64(ti.Rtt),
		RTOUs:       int64(ti.Rto),
		SndMSS:      int(ti.Snd_mss),
		RcvMSS:      int(ti.Rcv_mss),
		SndCwnd:     int(ti.Snd_cwnd),
		Retransmits: int(ti.Retransmits),
		Options:     int(ti.Options) & (TCPIOptTimestamps | TCPIOptSACK | TCPIOptWScale | TCPIOptECN),
	}, nil
}
