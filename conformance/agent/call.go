package agent

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Call is one request a Client made and how it ended, as its observer
// sees it (Client.Observe): what a report marks on the target's lifeline.
type Call struct {
	Request Request
	// Response is the agent's answer; nil when none came (the control
	// connection broke, or the call's context ended first).
	Response *Response
	// Err is the error the call returned (an *Error when the agent
	// answered with a failure).
	Err error
	// Start and End are when the call was made and when it returned.
	Start, End time.Time
}

// String renders the call as the application's system call with its
// result, such as "socket() = 3", "connect(3, 198.18.0.3:20000)",
// "read(4) = 5", "read(4) = 0 (EOF)", "write(4, \"ping\") = 4",
// "close(4)" or "accept(3) = EAGAIN".
func (c Call) String() string {
	q := &c.Request
	var b strings.Builder
	b.WriteString(q.Op)
	b.WriteByte('(')
	args := []string{}
	if q.Op != "hello" && q.Op != "socket" {
		args = append(args, strconv.Itoa(int(q.FD)))
	}
	switch q.Op {
	case "bind", "connect":
		args = append(args, q.Addr)
	case "setsockopt":
		v := "?"
		if q.Value != nil {
			v = strconv.Itoa(*q.Value)
		}
		args = append(args, q.Name, v)
	case "getsockopt":
		args = append(args, q.Name)
	case "shutdown":
		args = append(args, q.How)
	case "write", "send_oob":
		args = append(args, shortData(q.Data))
	case "set_ip_options":
		args = append(args, fmt.Sprintf("%d bytes", len(q.Data)))
	}
	b.WriteString(strings.Join(args, ", "))
	b.WriteByte(')')
	if res := c.result(); res != "" {
		b.WriteString(" = ")
		b.WriteString(res)
	}
	return b.String()
}

// result is what follows " = " in String, "" for a call that returns
// nothing but success.
func (c Call) result() string {
	if c.Err != nil {
		var e *Error
		switch {
		case errors.As(c.Err, &e) && e.Unsupported:
			return "unsupported"
		case errors.As(c.Err, &e) && e.Errno != "":
			return e.Errno
		case errors.Is(c.Err, context.DeadlineExceeded), errors.Is(c.Err, context.Canceled):
			return "cancelled"
		}
		return "error"
	}
	r := c.Response
	if r == nil {
		return ""
	}
	switch c.Request.Op {
	case "socket", "accept":
		return strconv.Itoa(int(r.FD))
	case "getsockopt":
		if r.Value != nil {
			return strconv.Itoa(*r.Value)
		}
	case "read":
		if r.Data == nil || len(*r.Data) == 0 {
			return "0 (EOF)"
		}
		return strconv.Itoa(len(*r.Data))
	case "write", "send_oob":
		if r.N != nil {
			return strconv.Itoa(*r.N)
		}
	case "tcp_info":
		if r.Info != nil {
			return r.Info.State
		}
	}
	return ""
}

// shortData quotes data when it is short and printable, and gives its
// length otherwise.
func shortData(data []byte) string {
	if len(data) <= 12 {
		ok := true
		for _, c := range data {
			ok = ok && c >= 0x20 && c < 0x7f
		}
		if ok {
			return strconv.Quote(string(data))
		}
	}
	return fmt.Sprintf("%d bytes", len(data))
}
