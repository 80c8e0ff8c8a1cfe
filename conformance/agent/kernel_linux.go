package agent

import "golang.org/x/sys/unix"

var sockopts = map[string]sockopt{
	"SO_RCVBUF":        {unix.SOL_SOCKET, unix.SO_RCVBUF},
	"SO_SNDBUF":        {unix.SOL_SOCKET, unix.SO_SNDBUF},
	"SO_LINGER":        {unix.SOL_SOCKET, unix.SO_LINGER},
	"SO_KEEPALIVE":     {unix.SOL_SOCKET, unix.SO_KEEPALIVE},
	"SO_REUSEADDR":     {unix.SOL_SOCKET, unix.SO_REUSEADDR},
	"TCP_NODELAY":      {unix.IPPROTO_TCP, unix.TCP_NODELAY},
	"TCP_MAXSEG":       {unix.IPPROTO_TCP, unix.TCP_MAXSEG},
	"TCP_KEEPIDLE":     {unix.IPPROTO_TCP, unix.TCP_KEEPIDLE},
	"TCP_KEEPINTVL":    {unix.IPPROTO_TCP, unix.TCP_KEEPINTVL},
	"TCP_KEEPCNT":      {unix.IPPROTO_TCP, unix.TCP_KEEPCNT},
	"TCP_USER_TIMEOUT": {unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT},
	"IP_TOS":           {unix.IPPROTO_IP, unix.IP_TOS},
	"IP_TTL":           {unix.IPPROTO_IP, unix.IP_TTL},
}

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
