package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Messages in the words of netcat (OpenBSD nc -v), so scripts and people
// used to it read them the same:
//
//	Connection to 198.18.0.2 80 port [tcp/http] succeeded!
//	tcpdial: connect to 198.18.0.2 port 81 (tcp) failed: Connection refused
//	Listening on 198.18.0.3 8080
//	Connection received on 198.18.0.2 40000

func succeededMsg(remote netip.AddrPort) string {
	return fmt.Sprintf("Connection to %s %d port [tcp/%s] succeeded!\n", remote.Addr(), remote.Port(), serviceName(remote.Port()))
}

func listeningMsg(a netip.AddrPort) string {
	return fmt.Sprintf("Listening on %s %d\n", a.Addr(), a.Port())
}

func receivedMsg(a netip.AddrPort) string {
	return fmt.Sprintf("Connection received on %s %d\n", a.Addr(), a.Port())
}

// connectError explains a failed connect in nc's words.
func connectError(remote netip.AddrPort, wait time.Duration, err error) error {
	prefix := fmt.Sprintf("connect to %s port %d (tcp)", remote.Addr(), remote.Port())
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s timed out: no answer within %v (-w)", prefix, wait)
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		msg := strerror(errno)
		switch errno {
		case syscall.EHOSTUNREACH:
			msg += " (no ARP reply from the next hop)"
		case syscall.ETIMEDOUT:
			msg += " (no answer to the SYN and its retransmissions)"
		}
		return &connError{fmt.Sprintf("%s failed: %s", prefix, msg), err}
	}
	return &connError{fmt.Sprintf("%s failed: %v", prefix, err), err}
}

// connError is an error with its own message that still wraps the cause.
type connError struct {
	msg string
	err error
}

func (e *connError) Error() string { return e.msg }
func (e *connError) Unwrap() error { return e.err }

// connectionError explains an established connection that failed.
func connectionError(remote netip.AddrPort, op string, err error) error {
	prefix := fmt.Sprintf("connection to %s port %d (tcp)", remote.Addr(), remote.Port())
	var errno syscall.Errno
	if errors.As(err, &errno) {
		msg := strerror(errno)
		if errno == syscall.ETIMEDOUT {
			msg += " (data unacknowledged through every retransmission)"
		}
		return &connError{fmt.Sprintf("%s failed: %s", prefix, msg), err}
	}
	return &connError{fmt.Sprintf("%s: %s: %v", prefix, op, err), err}
}

// strerror returns the C library's message for an errno ("Connection
// refused"): Go's table has the same words with a lower-case first letter.
func strerror(e syscall.Errno) string {
	s := e.Error()
	if s == "" {
		return "errno " + strconv.Itoa(int(e))
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// servicesFile is the services database nc reads (getservbyport).
var servicesFile = "/etc/services"

// serviceName returns the name /etc/services gives the TCP port, or "*",
// as nc prints it.
func serviceName(port uint16) string {
	f, err := os.Open(servicesFile)
	if err != nil {
		return "*"
	}
	defer f.Close()
	return lookupService(f, port)
}

func lookupService(r io.Reader, port uint16) string {
	want := strconv.Itoa(int(port)) + "/tcp"
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[1] == want {
			return fields[0]
		}
	}
	return "*"
}

// exitError ends tcpdial with a chosen exit status.
type exitError struct {
	msg  string
	code int
}

func (e *exitError) Error() string { return e.msg }
func (e *exitError) ExitCode() int { return e.code }

// signalError is the end after SIGINT (exit 130) or SIGTERM (143).
func signalError(sig os.Signal, what string) error {
	name, code := "SIGINT", 130
	if sig == syscall.SIGTERM {
		name, code = "SIGTERM", 143
	}
	return &exitError{msg: "interrupted by " + name + what, code: code}
}
