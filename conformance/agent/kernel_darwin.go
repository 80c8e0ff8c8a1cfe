package agent

import "golang.org/x/sys/unix"

var sockopts = map[string]sockopt{
	"SO_RCVBUF":    {unix.SOL_SOCKET, unix.SO_RCVBUF},
	"SO_SNDBUF":    {unix.SOL_SOCKET, unix.SO_SNDBUF},
	"SO_LINGER":    {unix.SOL_SOCKET, unix.SO_LINGER_SEC}, // seconds, as the protocol's value
	"SO_KEEPALIVE": {unix.SOL_SOCKET, unix.SO_KEEPALIVE},
	"SO_REUSEADDR": {unix.SOL_SOCKET, unix.SO_REUSEADDR},
	"TCP_NODELAY":  {unix.IPPROTO_TCP, unix.TCP_NODELAY},
	"TCP_MAXSEG":   {unix.IPPROTO_TCP, unix.TCP_MAXSEG},
	// macOS calls the idle time TCP_KEEPALIVE.
	"TCP_KEEPIDLE":     {unix.IPPROTO_TCP, unix.TCP_KEEPALIVE},
	"TCP_KEEPINTVL":    {unix.IPPROTO_TCP, unix.TCP_KEEPINTVL},
	"TCP_KEEPCNT":      {unix.IPPROTO_TCP, unix.TCP_KEEPCNT},
	"TCP_USER_TIMEOUT": {0, -1},
	"IP_TOS":           {unix.IPPROTO_IP, unix.IP_TOS},
	"IP_TTL":           {unix.IPPROTO_IP, unix.IP_TTL},
}
