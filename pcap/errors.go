package pcap

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error the package returns for one of these
// conditions matches it with [errors.Is], whatever detail it carries.
var (
	// ErrClosed is returned by operations on a closed handle, including a read
	// that was blocked when [Handle.Close] was called.
	ErrClosed = errors.New("pcap: handle is closed")

	// ErrPermission means the process may not capture on the device. Its
	// message says to run as root or grant CAP_NET_RAW.
	ErrPermission = errors.New("pcap: permission denied: run as root, or grant the binary CAP_NET_RAW and CAP_NET_ADMIN (setcap cap_net_raw,cap_net_admin=eip BINARY)")

	// ErrNoSuchDevice means the named capture device does not exist. The
	// [*DeviceError] that wraps it lists the devices there are.
	ErrNoSuchDevice = errors.New("pcap: no such device")

	// ErrBadFilter means libpcap could not compile a filter expression. The
	// [*FilterError] that wraps it carries the expression and libpcap's message.
	ErrBadFilter = errors.New("pcap: bad filter expression")

	// ErrTruncated means a capture file ended in the middle of a record. The
	// packets before it were delivered; the [*TruncatedError] that wraps it
	// carries the file offset.
	ErrTruncated = errors.New("pcap: truncated capture file")

	// ErrBadFile means the input is not a capture file libpcap can read, or a
	// record in it is impossible (for example a length beyond any snapshot).
	ErrBadFile = errors.New("pcap: not a readable capture file")

	// ErrActivated is returned by a setter called after [Handle.Activate].
	ErrActivated = errors.New("pcap: handle is already activated; set options before Activate")

	// ErrNotActivated is returned by an operation that needs an active handle
	// on a handle made by [NewInactiveHandle] that has not been activated.
	ErrNotActivated = errors.New("pcap: handle is not activated; call Activate first")

	// ErrWouldBlock is returned by reads in non-blocking mode when no packet
	// is waiting (see [Handle.SetNonblock]).
	ErrWouldBlock = errors.New("pcap: no packet available (non-blocking mode)")

	// ErrBreakLoop is returned by [Handle.Loop] and [Handle.Dispatch] when
	// [Handle.BreakLoop] stopped them.
	ErrBreakLoop = errors.New("pcap: loop stopped by BreakLoop")

	// ErrNotSupported means the operation does not apply to this kind of
	// handle (for example Inject on a file, or Reopen of a non-seekable reader).
	ErrNotSupported = errors.New("pcap: operation not supported on this handle")
)

// Error is a libpcap failure: which operation failed, on what, and libpcap's
// own message. Code is libpcap's status code (PCAP_ERROR_*), 0 when none.
type Error struct {
	Op     string // "activate", "read", "setfilter", ...
	Source string // device name or file path; empty when not known
	Code   int
	Msg    string // libpcap's message
	Err    error  // a sentinel this error matches, or nil
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("pcap: ")
	b.WriteString(e.Op)
	if e.Source != "" {
		b.WriteString(" ")
		b.WriteString(e.Source)
	}
	b.WriteString(": ")
	switch {
	case e.Msg != "":
		b.WriteString(e.Msg)
	case e.Err != nil:
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "pcap: "))
	default:
		b.WriteString(cStatustostr(e.Code))
	}
	if e.Err == ErrPermission && e.Msg != "" {
		b.WriteString(" (run as root, or grant the binary CAP_NET_RAW and CAP_NET_ADMIN)")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// DeviceError reports a device that could not be opened because it does not
// exist, with the names of the devices that do.
type DeviceError struct {
	Device    string
	Available []string
}

func (e *DeviceError) Error() string {
	if len(e.Available) == 0 {
		return fmt.Sprintf("pcap: no such device %q (no capture devices are visible)", e.Device)
	}
	return fmt.Sprintf("pcap: no such device %q; devices here: %s", e.Device, strings.Join(e.Available, ", "))
}

func (e *DeviceError) Unwrap() error { return ErrNoSuchDevice }

// FilterError reports a filter expression libpcap rejected.
type FilterError struct {
	Expr string // the expression as given
	Msg  string // libpcap's message, e.g. "syntax error"
}

func (e *FilterError) Error() string {
	return fmt.Sprintf("pcap: bad filter %q: %s", e.Expr, e.Msg)
}

func (e *FilterError) Unwrap() error { return ErrBadFilter }

// TruncatedError reports a capture file that ends inside a record. Offset is
// the byte offset of the incomplete record (or -1 when it cannot be known, as
// for pcapng read from a pipe); Packets is how many complete packets were
// delivered before it.
type TruncatedError struct {
	Source  string
	Offset  int64
	Packets int64
	Msg     string // libpcap's message
}

func (e *TruncatedError) Error() string {
	src := e.Source
	if src == "" {
		src = "capture"
	}
	if e.Offset >= 0 {
		return fmt.Sprintf("pcap: %s: truncated at byte offset %d after %d complete packets: %s", src, e.Offset, e.Packets, e.Msg)
	}
	return fmt.Sprintf("pcap: %s: truncated after %d complete packets: %s", src, e.Packets, e.Msg)
}

func (e *TruncatedError) Unwrap() error { return ErrTruncated }

// Warning is a condition libpcap reported while activating a handle that did
// not stop the activation, such as a device that cannot go promiscuous.
type Warning struct {
	Code int
	Msg  string
}

func (w *Warning) Error() string {
	if w.Msg != "" {
		return "pcap: warning: " + w.Msg
	}
	return "pcap: warning: " + cStatustostr(w.Code)
}

// statusError maps a libpcap status code to an error with the sentinel it
// matches.
func statusError(op, source string, code int, msg string) error {
	e := &Error{Op: op, Source: source, Code: code, Msg: msg}
	switch code {
	case cErrorPermDenied, cErrorPromiscPerm:
		e.Err = ErrPermission
	case cErrorNoSuchDevice:
		e.Err = ErrNoSuchDevice
	case cErrorActivated:
		e.Err = ErrActivated
	case cErrorNotActivated:
		e.Err = ErrNotActivated
	}
	if e.Err == nil && isPermissionText(msg) {
		e.Err = ErrPermission
	}
	return e
}

func isPermissionText(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "operation not permitted") || strings.Contains(m, "permission denied")
}

// readError classifies a read failure of an offline handle.
func readError(source string, msg string, offset, packets int64) error {
	if strings.Contains(msg, "truncated") {
		return &TruncatedError{Source: source, Offset: offset, Packets: packets, Msg: msg}
	}
	return &Error{Op: "read", Source: source, Code: -1, Msg: msg, Err: ErrBadFile}
}
