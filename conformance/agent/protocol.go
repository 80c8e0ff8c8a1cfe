package agent

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Request is one request line of the protocol (see the package doc).
type Request struct {
	ID        int64  `json:"id"`
	Op        string `json:"op"`
	Version   int    `json:"version,omitempty"` // hello
	Nonce     []byte `json:"nonce,omitempty"`   // hello
	Proof     []byte `json:"proof,omitempty"`   // auth
	FD        FD     `json:"fd,omitempty"`
	Addr      string `json:"addr,omitempty"`
	Backlog   int    `json:"backlog,omitempty"`
	TimeoutMS int64  `json:"timeout_ms,omitempty"`
	Name      string `json:"name,omitempty"`
	Value     *int   `json:"value,omitempty"`
	Size      int    `json:"size,omitempty"`
	Data      []byte `json:"data,omitempty"`
	How       string `json:"how,omitempty"`
	// Flags are write's send flags ("MSG_MORE", "MSG_EOR", "MSG_ZEROCOPY").
	Flags []string `json:"flags,omitempty"`
	// Events are poll's events ("POLLIN", "POLLOUT", ...).
	Events []string `json:"events,omitempty"`
	// Text is sysctl's new value.
	Text string `json:"text,omitempty"`
	// Null makes read and write pass a NULL buffer of Size bytes to the
	// system call (packetdrill's syscall_bad_arg scripts: EFAULT).
	Null bool `json:"null,omitempty"`
}

// Response is one response line of the protocol (see the package doc).
type Response struct {
	ID          int64    `json:"id"`
	OK          bool     `json:"ok"`
	Errno       string   `json:"errno,omitempty"`
	Error       string   `json:"error,omitempty"`
	Unsupported bool     `json:"unsupported,omitempty"`
	FD          FD       `json:"fd,omitempty"`
	Addr        string   `json:"addr,omitempty"`
	Value       *int     `json:"value,omitempty"`
	Data        *[]byte  `json:"data,omitempty"`
	N           *int     `json:"n,omitempty"`
	Info        *TCPInfo `json:"info,omitempty"`
	// Text is sysctl's old value.
	Text string `json:"text,omitempty"`
	// Ready are the events epoll_wait found ([] when it timed out).
	Ready *[]EpollReady `json:"ready,omitempty"`
	// Inq is what read's TCP_CM_INQ control message said (Linux, with
	// TCP_INQ set): the bytes left to read; absent without one.
	Inq *int `json:"inq,omitempty"`
	// FDs are pipe's read and write ends.
	FDs []FD `json:"fds,omitempty"`
	// Revents are the events poll found ([] when it timed out).
	Revents *[]string `json:"revents,omitempty"`

	// hello
	OS           string   `json:"os,omitempty"`
	Kernel       string   `json:"kernel,omitempty"`
	Stack        string   `json:"stack,omitempty"`
	StackVersion string   `json:"stack_version,omitempty"`
	Options      []string `json:"options,omitempty"`

	// the handshake (hello, auth)
	Version    int            `json:"version,omitempty"`
	Auth       bool           `json:"auth,omitempty"`
	Nonce      []byte         `json:"nonce,omitempty"`
	Proof      []byte         `json:"proof,omitempty"`
	MaxLine    int            `json:"max_line,omitempty"`
	MaxSockets int            `json:"max_sockets,omitempty"`
	AllowPeers []netip.Prefix `json:"allow_peers,omitempty"`
	TestAddrs  []netip.Addr   `json:"test_addrs,omitempty"`
}

// FD is a socket of the agent, valid on the control connection that made it.
type FD int

// Hello describes the agent's platform and stack (what a Backend fills)
// and, in what a Client returns, the agent's protocol version, limits and
// scope for this control connection (what the Server adds).
type Hello struct {
	OS     string `json:"os"`     // runtime.GOOS
	Kernel string `json:"kernel"` // kernel release
	Stack  string `json:"stack"`  // "kernel", "tcpstack", "gvisor", "lwip"
	// StackVersion names the stack's version when it is not the kernel's
	// ("gvisor.dev/gvisor v0.0.0-...", "lwIP 2.1.3").
	StackVersion string   `json:"stack_version,omitempty"`
	Options      []string `json:"options"`

	Version    int            `json:"version,omitempty"`     // ProtocolVersion
	MaxLine    int            `json:"max_line,omitempty"`    // the longest request line
	MaxSockets int            `json:"max_sockets,omitempty"` // sockets of one control connection
	AllowPeers []netip.Prefix `json:"allow_peers,omitempty"` // where connect may go (the tester's address first)
	TestAddrs  []netip.Addr   `json:"test_addrs,omitempty"`  // what bind may use
}

// TCPInfo is the portable part of TCP_INFO.
type TCPInfo struct {
	State       string `json:"state"` // RFC 9293 name: "ESTABLISHED", "SYN-SENT", ...
	RTTUs       int64  `json:"rtt_us"`
	RTOUs       int64  `json:"rto_us"`
	SndMSS      int    `json:"snd_mss"`
	RcvMSS      int    `json:"rcv_mss"`
	SndCwnd     int    `json:"snd_cwnd"` // segments
	Retransmits int    `json:"retransmits"`
	Options     int    `json:"options"` // TCPIOpt* bits
	// Fields are the tcp_info fields the backend knows, by their Linux
	// names without "tcpi_" ("snd_cwnd", "ca_state", "lost", ...): all of
	// struct tcp_info on Linux, a subset on tcpstack.
	Fields map[string]int64 `json:"fields,omitempty"`
}

// PollEvents are the events of the poll op, as poll(2)'s bits.
type PollEvents uint16

// The poll events (Linux's values; the protocol carries their names).
const (
	PollIn    PollEvents = 0x1
	PollPri   PollEvents = 0x2
	PollOut   PollEvents = 0x4
	PollErr   PollEvents = 0x8
	PollHup   PollEvents = 0x10
	PollRdHup PollEvents = 0x2000
)

var pollNames = []bitName[PollEvents]{{PollIn, "POLLIN"}, {PollPri, "POLLPRI"}, {PollOut, "POLLOUT"}, {PollErr, "POLLERR"}, {PollHup, "POLLHUP"}, {PollRdHup, "POLLRDHUP"}}

// Names returns the names of the events in e, in a fixed order.
func (e PollEvents) Names() []string { return bitNames(e, pollNames) }

// ParsePollEvents reads event names ("POLLIN", "POLLOUT", ...).
func ParsePollEvents(names []string) (PollEvents, error) {
	return parseBits("poll event", names, pollNames)
}

// bitName is a flag of one of the protocol's bit sets, and its name.
type bitName[B ~uint8 | ~uint16 | ~uint32] struct {
	bit  B
	name string
}

// bitNames returns the names of the bits set in b, in the order of names.
func bitNames[B ~uint8 | ~uint16 | ~uint32](b B, names []bitName[B]) []string {
	out := []string{}
	for _, p := range names {
		if b&p.bit != 0 {
			out = append(out, p.name)
		}
	}
	return out
}

// parseBits reads the names of bits; an unknown one is a bad request that
// says what it was meant to be and lists the names.
func parseBits[B ~uint8 | ~uint16 | ~uint32](what string, in []string, names []bitName[B]) (B, error) {
	var b B
	for _, n := range in {
		i := slices.IndexFunc(names, func(p bitName[B]) bool { return p.name == n })
		if i < 0 {
			all := make([]string, len(names))
			for i, p := range names {
				all[i] = p.name
			}
			return 0, badRequest("%s %q: want %s or %s", what, n, strings.Join(all[:len(all)-1], ", "), all[len(all)-1])
		}
		b |= names[i].bit
	}
	return b, nil
}

// EpollReady is one event epoll_wait found: the fd (as given to
// epoll_ctl) and its events by name ("EPOLLIN", ...).
type EpollReady struct {
	FD     FD       `json:"fd"`
	Events []string `json:"events"`
}

// EpollEvents are epoll's event bits (Linux's values; the protocol
// carries their names).
type EpollEvents uint32

// The epoll events and flags.
const (
	EpollIn        EpollEvents = 0x1
	EpollPri       EpollEvents = 0x2
	EpollOut       EpollEvents = 0x4
	EpollErr       EpollEvents = 0x8
	EpollHup       EpollEvents = 0x10
	EpollRdHup     EpollEvents = 0x2000
	EpollExclusive EpollEvents = 1 << 28
	EpollOneShot   EpollEvents = 1 << 30
	EpollET        EpollEvents = 1 << 31
)

var epollNames = []bitName[EpollEvents]{{EpollIn, "EPOLLIN"}, {EpollPri, "EPOLLPRI"}, {EpollOut, "EPOLLOUT"}, {EpollErr, "EPOLLERR"}, {EpollHup, "EPOLLHUP"},
	{EpollRdHup, "EPOLLRDHUP"}, {EpollExclusive, "EPOLLEXCLUSIVE"}, {EpollOneShot, "EPOLLONESHOT"}, {EpollET, "EPOLLET"}}

// Names returns the names of the events in e, in a fixed order.
func (e EpollEvents) Names() []string { return bitNames(e, epollNames) }

// ParseEpollEvents reads event names ("EPOLLIN", "EPOLLET", ...).
func ParseEpollEvents(names []string) (EpollEvents, error) {
	return parseBits("epoll event", names, epollNames)
}

// SpliceFlags are splice(2)'s flags (Linux's values; the protocol carries
// their names).
type SpliceFlags uint32

// The splice flags.
const (
	SpliceMove     SpliceFlags = 0x1
	SpliceNonblock SpliceFlags = 0x2
	SpliceMore     SpliceFlags = 0x4
	SpliceGift     SpliceFlags = 0x8
)

var spliceNames = []bitName[SpliceFlags]{{SpliceMove, "SPLICE_F_MOVE"}, {SpliceNonblock, "SPLICE_F_NONBLOCK"}, {SpliceMore, "SPLICE_F_MORE"}, {SpliceGift, "SPLICE_F_GIFT"}}

// Names returns the names of the flags in f, in a fixed order.
func (f SpliceFlags) Names() []string { return bitNames(f, spliceNames) }

// ParseSpliceFlags reads splice flag names ("SPLICE_F_MOVE", ...).
func ParseSpliceFlags(names []string) (SpliceFlags, error) {
	return parseBits("splice flag", names, spliceNames)
}

// SendFlags are the flags of a write (send(2)'s MSG_ flags).
type SendFlags uint8

// The send flags.
const (
	MsgMore SendFlags = 1 << iota
	MsgEOR
	MsgZeroCopy
)

var sendFlagNames = []bitName[SendFlags]{{MsgMore, "MSG_MORE"}, {MsgEOR, "MSG_EOR"}, {MsgZeroCopy, "MSG_ZEROCOPY"}}

// ParseSendFlags reads flag names ("MSG_MORE", "MSG_EOR", "MSG_ZEROCOPY").
func ParseSendFlags(names []string) (SendFlags, error) {
	return parseBits("send flag", names, sendFlagNames)
}

// The bits of TCPInfo.Options (Linux's TCPI_OPT_ values).
const (
	TCPIOptTimestamps = 1
	TCPIOptSACK       = 2
	TCPIOptWScale     = 4
	TCPIOptECN        = 8
)

// sysctlName is the name hello lists among the options when the sysctl op
// is allowed (Server.AllowSysctl on a Linux kernel backend).
const sysctlName = "SYSCTL"

// ipOptionsName is the name hello lists among the options when the
// set_ip_options op is supported.
const ipOptionsName = "IP_OPTIONS"

// Option names (see the package doc for their values).
var optionNames = []string{
	"SO_RCVBUF", "SO_SNDBUF", "SO_LINGER", "SO_KEEPALIVE", "SO_REUSEADDR",
	"TCP_NODELAY", "TCP_MAXSEG", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT",
	"TCP_USER_TIMEOUT", "IP_TOS", "IP_TTL",
	"SO_ERROR", "SIOCINQ", "TCP_CORK", "TCP_NOTSENT_LOWAT", "TCP_INQ", "SO_ZEROCOPY", "IP_FREEBIND",
}

// ErrUnsupported matches errors for features the target's platform or stack
// lacks (an option, tcp_info, send_oob). It also matches
// errors.ErrUnsupported.
var ErrUnsupported = fmt.Errorf("agent: unsupported: %w", errors.ErrUnsupported)

// Error is a failed agent call as the agent reported it.
type Error struct {
	Op          string // the request's op
	Errno       string // the errno's name, such as "ECONNREFUSED"; may be empty
	Msg         string // the agent's message
	Unsupported bool   // the feature is absent on the target
}

func (e *Error) Error() string {
	s := "agent: " + e.Op + ": " + e.Msg
	if e.Errno != "" {
		s += " (" + e.Errno + ")"
	}
	return s
}

// Is reports whether e matches target: ErrUnsupported (and
// errors.ErrUnsupported) when Unsupported is set, a syscall.Errno when its
// name on this platform is e.Errno (so errors.Is(err, syscall.ECONNREFUSED)
// works whatever the agent's platform numbers it), os.ErrDeadlineExceeded
// for EAGAIN.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnsupported, errors.ErrUnsupported:
		return e.Unsupported
	}
	if target == os.ErrDeadlineExceeded {
		return e.Errno == "EAGAIN"
	}
	if en, ok := target.(syscall.Errno); ok {
		return e.Errno != "" && ErrnoName(en) == e.Errno
	}
	return false
}

// Errno returns the errno name an agent call failed with ("ECONNREFUSED"),
// or "" for nil and for errors that are not the agent's. It is for the cases
// that check the errno rather than fail on any error.
func Errno(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Errno
	}
	return ""
}

// ErrnoName returns the symbolic name of errno on this platform, such as
// "ECONNREFUSED", or "errno N" when the platform's table has none.
func ErrnoName(errno syscall.Errno) string {
	if n := unix.ErrnoName(errno); n != "" {
		// EAGAIN and EWOULDBLOCK share a number; keep the name the
		// protocol documents.
		if errno == unix.EAGAIN {
			return "EAGAIN"
		}
		if errno == unix.EOPNOTSUPP {
			return "EOPNOTSUPP"
		}
		return n
	}
	return fmt.Sprintf("errno %d", int(errno))
}

// unsupportedError is what backends return for a feature they lack.
type unsupportedError struct {
	errno syscall.Errno
	msg   string
}

func (e *unsupportedError) Error() string { return e.msg + ": " + e.errno.Error() }
func (e *unsupportedError) Unwrap() []error {
	return []error{e.errno, ErrUnsupported}
}

// Unsupported returns the error a Backend returns for an option it lacks
// (errno ENOPROTOOPT) or, with errno EOPNOTSUPP, an operation it lacks.
func Unsupported(errno syscall.Errno, format string, args ...any) error {
	return &unsupportedError{errno: errno, msg: fmt.Sprintf(format, args...)}
}
