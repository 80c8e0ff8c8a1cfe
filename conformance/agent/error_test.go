package agent

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
)

func TestErrorIs(t *testing.T) {
	refused := fmt.Errorf("wrapped: %w", &Error{Op: "connect", Errno: "ECONNREFUSED", Msg: "connect: connection refused"})
	unsup := &Error{Op: "setsockopt", Errno: "ENOPROTOOPT", Msg: "x", Unsupported: true}
	again := &Error{Op: "read", Errno: "EAGAIN", Msg: "x"}
	for _, tc := range []struct {
		err    error
		target error
		want   bool
	}{
		{refused, syscall.ECONNREFUSED, true},
		{refused, syscall.ECONNRESET, false},
		{refused, ErrUnsupported, false},
		{unsup, ErrUnsupported, true},
		{unsup, errors.ErrUnsupported, true},
		{unsup, syscall.ENOPROTOOPT, true},
		{again, syscall.EAGAIN, true},
		{again, os.ErrDeadlineExceeded, true},
		{refused, os.ErrDeadlineExceeded, false},
	} {
		if got := errors.Is(tc.err, tc.target); got != tc.want {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", tc.err, tc.target, got, tc.want)
		}
	}
	if got := refused.Error(); got != "wrapped: agent: connect: connect: connection refused (ECONNREFUSED)" {
		t.Errorf("Error() = %q", got)
	}
	if Errno(refused) != "ECONNREFUSED" || Errno(nil) != "" || Errno(errors.New("x")) != "" {
		t.Error("Errno")
	}
	for errno, name := range map[syscall.Errno]string{
		syscall.EAGAIN: "EAGAIN", syscall.ECONNREFUSED: "ECONNREFUSED", syscall.ETIMEDOUT: "ETIMEDOUT",
		syscall.EOPNOTSUPP: "EOPNOTSUPP", syscall.Errno(4000): "errno 4000",
	} {
		if got := ErrnoName(errno); got != name {
			t.Errorf("ErrnoName(%d) = %q, want %q", errno, got, name)
		}
	}
	// Backend errors become responses with the errno's name.
	var r Response
	errorResponse(&r, Unsupported(syscall.ENOPROTOOPT, "option X"))
	if r.Errno != "ENOPROTOOPT" || !r.Unsupported {
		t.Errorf("unsupported → %+v", r)
	}
	r = Response{}
	errorResponse(&r, fmt.Errorf("read: %w", os.ErrDeadlineExceeded))
	if r.Errno != "EAGAIN" || r.Unsupported {
		t.Errorf("deadline → %+v", r)
	}
}
