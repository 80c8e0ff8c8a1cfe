package tcpstack

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
)

// ErrStackClosed is returned by operations on a closed stack. It matches
// net.ErrClosed.
var ErrStackClosed = fmt.Errorf("tcpstack: stack closed: %w", net.ErrClosed)

var errAddrInUse = errors.New("address already in use")

// opError builds the error a net.Conn method returns, in the form of Go's
// net package: *net.OpError wrapping an *os.SyscallError for errnos.
func opError(op string, local, remote netip.AddrPort, err error) error {
	if err == nil {
		return nil
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		err = os.NewSyscallError(op, errno)
	}
	oe := &net.OpError{Op: op, Net: "tcp", Err: err}
	if local.IsValid() {
		oe.Source = net.TCPAddrFromAddrPort(local)
	}
	if remote.IsValid() {
		oe.Addr = net.TCPAddrFromAddrPort(remote)
	}
	return oe
}

// errDeadline is the accept deadline error: Timeout() reports true, and it
// matches os.ErrDeadlineExceeded.
var errDeadline = deadlineExceeded{}

type deadlineExceeded struct{}

func (deadlineExceeded) Error() string   { return "i/o timeout" }
func (deadlineExceeded) Timeout() bool   { return true }
func (deadlineExceeded) Temporary() bool { return true }
func (deadlineExceeded) Is(target error) bool {
	return target == os.ErrDeadlineExceeded
}
