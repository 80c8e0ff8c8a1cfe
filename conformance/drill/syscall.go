package drill

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"tcpregress.dev/conformance/agent"
)

// callResult is what a system call returned: a value, or an errno name.
type callResult struct {
	val   int64
	errno string
	err   error // the agent's error, when errno is set
}

// syscall runs a system call event. A blocking one ("a...b") runs in the
// background while the packets after it go on; the next call waits for it.
func (x *exec) syscall(ev *Event, at, interval time.Duration) {
	x.finishPending()
	c := ev.Call
	run, err := x.prepare(ev)
	if err != nil {
		x.unsupported(ev, "%v", err)
	}
	if !ev.Blocking {
		began := time.Now()
		res := run(x.ctx)
		x.checkResult(ev, res)
		// The agent's round trip: events relative to this one count
		// from when it began, and the packets it makes the target send
		// may come any time until it returned (packetdrill's calls are
		// local and take no time).
		x.happened(at, began)
		x.slack = time.Since(began)
		x.lastCall = x.slack
		return
	}
	// A blocking call: the packets it makes come once the agent has it,
	// about as long after as the last call's round trip.
	x.happened(at, time.Now())
	x.slack = x.lastCall
	end := ev.BlockEnd
	if ev.TimeKind == TimeRelative {
		end = at - ev.Time + ev.BlockEnd // relative to the event before, as the start
	}
	pc := &pendingCall{ev: ev, end: end, tol: x.tolerance(end - at), done: make(chan error, 1)}
	x.pending = pc
	go func() {
		res := run(x.callCtx)
		got := x.scriptTime(time.Now())
		if res.err != nil && errors.Is(res.err, agent.ErrUnsupported) {
			pc.done <- &unsupportedCall{fmt.Errorf("%s: the target's agent cannot: %w", c.Name, res.err)}
			return
		}
		if msg := x.resultMismatch(c, res); msg != "" {
			pc.done <- errors.New(msg)
			return
		}
		if got < pc.end-pc.tol || got > pc.end+pc.tol {
			pc.done <- fmt.Errorf("timing error: expected system call return at %s sec but happened at %s sec; tolerance %s sec", secs(pc.end), secs(got), secs(pc.tol))
			return
		}
		pc.done <- nil
	}()
}

// finishPending waits for a blocking call under way and checks it.
func (x *exec) finishPending() {
	pc := x.pending
	if pc == nil {
		return
	}
	x.pending = nil
	limit := time.NewTimer(time.Until(x.live(pc.end + pc.tol + lateGrace)))
	defer limit.Stop()
	select {
	case <-limit.C:
		x.fail(pc.ev, "runtime error in %s call: timing error: expected system call return at %s sec but it was still blocked at %s sec; tolerance %s sec",
			pc.ev.Call.Name, secs(pc.end), secs(x.scriptTime(time.Now())), secs(pc.tol))
	case err := <-pc.done:
		if err != nil {
			var ue *unsupportedCall
			if errors.As(err, &ue) {
				x.unsupported(pc.ev, "%v", ue.err)
			}
			x.fail(pc.ev, "runtime error in %s call: %v", pc.ev.Call.Name, err)
		}
	case <-x.ctx.Done():
		x.broken(pc.ev, "the script's time limit passed while %s blocked", pc.ev.Call.Name)
	}
}

type unsupportedCall struct{ err error }

func (u *unsupportedCall) Error() string { return u.err.Error() }

func (x *exec) checkResult(ev *Event, res callResult) {
	if res.err != nil && errors.Is(res.err, agent.ErrUnsupported) {
		x.unsupported(ev, "%s: the target's agent cannot: %v", ev.Call.Name, res.err)
	}
	if msg := x.resultMismatch(ev.Call, res); msg != "" {
		x.fail(ev, "runtime error in %s call: %s", ev.Call.Name, msg)
	}
}

// resultMismatch compares a result with the script's; "" when they agree.
func (x *exec) resultMismatch(c *Call, res callResult) string {
	if res.err != nil && res.errno == "" {
		return fmt.Sprintf("%v", res.err)
	}
	if c.ResultAny {
		return ""
	}
	if c.Errno != "" || c.Result == -1 {
		if res.errno == "" {
			return fmt.Sprintf("Expected result -1 %s but got %d", c.Errno, res.val)
		}
		if c.Errno != "" && res.errno != c.Errno {
			return fmt.Sprintf("Expected errno %s but got %s (%v)", c.Errno, res.errno, res.err)
		}
		return ""
	}
	if res.errno != "" {
		return fmt.Sprintf("Expected result %d but got -1 with errno %s (%v)", c.Result, res.errno, res.err)
	}
	if res.val != c.Result {
		return fmt.Sprintf("Expected result %d but got %d", c.Result, res.val)
	}
	return ""
}

// result turns an agent error into a callResult.
func result(v int64, err error) callResult {
	if err == nil {
		return callResult{val: v}
	}
	if e := agent.Errno(err); e != "" {
		return callResult{val: -1, errno: e, err: err}
	}
	return callResult{err: err}
}

// fd returns the agent fd of a script fd argument.
func (x *exec) fd(e Expr) (agent.FD, int64, error) {
	if e.Kind != ExprInt {
		return 0, 0, fmt.Errorf("fd %s: want a number", e)
	}
	fd, ok := x.fds[e.Int]
	if !ok {
		return 0, e.Int, fmt.Errorf("fd %d: not a socket of this script", e.Int)
	}
	return fd, e.Int, nil
}

// intArg reads an integer argument, [N] or N.
func intArg(e Expr) (int64, bool) {
	if e.Kind == ExprArray && len(e.Elems) == 1 {
		e = e.Elems[0]
	}
	if e.Kind == ExprInt {
		return e.Int, true
	}
	if e.Kind == ExprIdent && e.Args == nil && e.Value == nil {
		if v, ok := errnoNumbers[e.Name]; ok {
			return v, true
		}
	}
	return 0, false
}

var errnoNumbers = map[string]int64{
	"ECONNREFUSED": int64(unix.ECONNREFUSED), "ECONNRESET": int64(unix.ECONNRESET), "ETIMEDOUT": int64(unix.ETIMEDOUT),
	"EPIPE": int64(unix.EPIPE), "EHOSTUNREACH": int64(unix.EHOSTUNREACH), "ENETUNREACH": int64(unix.ENETUNREACH),
}

// sendFlags reads send(2)'s flags argument: 0 or MSG_ names.
func sendFlags(e Expr) ([]string, error) {
	if e.Kind == ExprInt && e.Int == 0 {
		return nil, nil
	}
	names, ok := e.Idents()
	if !ok {
		return nil, fmt.Errorf("flags %s: want 0 or MSG_ names", e)
	}
	var out []string
	for _, n := range names {
		switch n {
		case "MSG_MORE", "MSG_EOR", "MSG_ZEROCOPY":
			out = append(out, n)
		case "MSG_NOSIGNAL":
		default:
			return nil, fmt.Errorf("send flag %s: the agent sends with MSG_MORE, MSG_EOR and MSG_ZEROCOPY only", n)
		}
	}
	return out, nil
}

// spliceFlags reads splice(2)'s flags argument: a number or SPLICE_F_
// names.
func spliceFlags(e Expr) (agent.SpliceFlags, error) {
	if e.Kind == ExprInt && e.Int >= 0 && e.Int <= int64(agent.SpliceMove|agent.SpliceNonblock|agent.SpliceMore|agent.SpliceGift) {
		return agent.SpliceFlags(e.Int), nil
	}
	names, ok := e.Idents()
	if !ok {
		return 0, fmt.Errorf("splice flags %s: want 0 or SPLICE_F_ names", e)
	}
	f, err := agent.ParseSpliceFlags(names)
	if err != nil {
		return 0, fmt.Errorf("splice flags %s: %v", e, err)
	}
	return f, nil
}

// iovLen adds up the lengths of an iovec array [{..., N}, ...].
func iovLen(e Expr) (int64, bool) {
	if e.Kind != ExprArray {
		return 0, false
	}
	var n int64
	for _, v := range e.Elems {
		if v.Kind != ExprStruct || len(v.Elems) != 2 || v.Elems[0].Kind != ExprEllipsis || v.Elems[1].Kind != ExprInt {
			return 0, false
		}
		n += v.Elems[1].Int
	}
	return n, true
}

// field returns the value of name=value (or name(...)=value) in a struct.
func field(e Expr, name string) (Expr, bool) {
	for _, f := range e.Elems {
		if f.Kind == ExprIdent && f.Name == name && f.Value != nil {
			return *f.Value, true
		}
	}
	return Expr{}, false
}

var levels = map[string]bool{"SOL_SOCKET": true, "SOL_TCP": true, "IPPROTO_TCP": true, "SOL_IP": true, "IPPROTO_IP": true}

// prepare checks a call's arguments and returns the function that makes
// it through the agent; an error says why drill cannot.
func (x *exec) prepare(ev *Event) (func(context.Context) callResult, error) {
	c := ev.Call
	a := c.Args
	nargs := func(n int) error {
		if len(a) != n {
			return fmt.Errorf("%s takes %d arguments here, not %d", c.Name, n, len(a))
		}
		return nil
	}
	// fdArg checks that the call has n arguments (any number when n is 0)
	// and resolves the first, the script's fd.
	fdArg := func(n int) (agent.FD, int64, error) {
		if n > 0 {
			if err := nargs(n); err != nil {
				return 0, 0, err
			}
		}
		if len(a) == 0 {
			return 0, 0, fmt.Errorf("%s needs an fd", c.Name)
		}
		return x.fd(a[0])
	}
	ag := x.ag
	timeout := func() time.Duration {
		if ev.Blocking {
			return 0 // until the script's context ends
		}
		return 2 * time.Second
	}
	switch c.Name {
	case "socket":
		if err := nargs(3); err != nil {
			return nil, err
		}
		typ, _ := a[1].Idents()
		if len(typ) == 0 || typ[0] != "SOCK_STREAM" {
			return nil, fmt.Errorf("socket(%s): the agent makes TCP sockets (SOCK_STREAM) only", a[1])
		}
		if p, _ := a[2].Idents(); len(p) == 0 || p[0] != "IPPROTO_TCP" {
			if a[2].Kind != ExprInt || a[2].Int != 0 {
				return nil, fmt.Errorf("socket protocol %s: TCP only", a[2])
			}
		}
		return func(ctx context.Context) callResult {
			fd, err := ag.Socket(ctx)
			if err != nil {
				return result(0, err)
			}
			x.fds[c.Result] = fd
			x.lastFD = c.Result
			return callResult{val: c.Result}
		}, nil
	case "bind":
		fd, _, err := fdArg(3)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) callResult {
			_, err := ag.BindAddr(ctx, fd, netip.AddrPortFrom(x.targetAddr, x.targetPort))
			return result(0, err)
		}, nil
	case "listen":
		fd, _, err := fdArg(2)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) callResult { return result(0, ag.Listen(ctx, fd, int(a[1].Int))) }, nil
	case "accept", "accept4":
		fd, sfd, err := x.fd(a[0])
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) callResult {
			t := timeout()
			if x.nonblock[sfd] {
				t = time.Millisecond
			}
			nfd, _, err := ag.Accept(ctx, fd, t)
			if err != nil {
				return result(0, err)
			}
			x.fds[c.Result] = nfd
			x.lastFD = c.Result
			return callResult{val: c.Result}
		}, nil
	case "connect":
		fd, sfd, err := fdArg(3)
		if err != nil {
			return nil, err
		}
		x.targetPort = 0 // the target picks its port
		x.lastFD = sfd
		return func(ctx context.Context) callResult {
			return result(0, ag.Connect(ctx, fd, netip.AddrPortFrom(x.p.Addr(), x.ourPort), timeout()))
		}, nil
	case "write", "send", "sendto":
		fd, null, err := x.bufferArgs(c.Name, a, true)
		if err != nil || null != nil {
			return null, err
		}
		var flags []string
		if len(a) >= 4 {
			if flags, err = sendFlags(a[3]); err != nil {
				return nil, err
			}
		}
		return x.sendCall(fd, a[2].Int, flags), nil
	case "writev":
		fd, _, err := fdArg(3)
		if err != nil {
			return nil, err
		}
		n, ok := iovLen(a[1])
		if !ok {
			return nil, fmt.Errorf("writev iovec %s: want [{..., N}, ...]", a[1])
		}
		return x.sendCall(fd, n, nil), nil
	case "sendmsg":
		fd, _, err := fdArg(3)
		if err != nil {
			return nil, err
		}
		if _, ok := field(a[1], "msg_control"); ok {
			return nil, fmt.Errorf("sendmsg with msg_control: the agent sends no control messages")
		}
		iov, ok := field(a[1], "msg_iov")
		n, ok2 := iovLen(iov)
		if !ok || !ok2 {
			return nil, fmt.Errorf("sendmsg %s: want msg_iov(N)=[{..., LEN}, ...]", a[1])
		}
		flags, err := sendFlags(a[2])
		if err != nil {
			return nil, err
		}
		return x.sendCall(fd, n, flags), nil
	case "read", "recv", "recvfrom":
		fd, null, err := x.bufferArgs(c.Name, a, false)
		if err != nil || null != nil {
			return null, err
		}
		if len(a) >= 4 && !(a[3].Kind == ExprInt && a[3].Int == 0) {
			return nil, fmt.Errorf("%s flags %s: the agent reads without flags", c.Name, a[3])
		}
		return x.readCall(fd, a[0].Int, a[2].Int, -1, timeout), nil
	case "recvmsg":
		if err := nargs(3); err != nil {
			return nil, err
		}
		wantInq := int64(-1)
		if ctl, ok := field(a[1], "msg_control"); ok {
			v, ok := inqCmsg(ctl)
			if !ok {
				return nil, fmt.Errorf("recvmsg with msg_control %s: the agent returns the TCP_CM_INQ control message only", ctl)
			}
			wantInq = v
		}
		iov, _ := field(a[1], "msg_iov")
		n, ok := iovLen(iov)
		if !ok || !(a[2].Kind == ExprInt && a[2].Int == 0) {
			return nil, fmt.Errorf("recvmsg %s: want msg_iov(N)=[{..., LEN}, ...] and flags 0", a[1])
		}
		fd, _, err := x.fd(a[0])
		if err != nil {
			return nil, err
		}
		return x.readCall(fd, a[0].Int, n, wantInq, timeout), nil
	case "setsockopt", "getsockopt":
		fd, _, err := fdArg(5)
		if err != nil {
			return nil, err
		}
		lv, _ := a[1].Idents()
		if len(lv) != 1 || !levels[lv[0]] {
			return nil, fmt.Errorf("%s level %s: want SOL_SOCKET, SOL_TCP or SOL_IP", c.Name, a[1])
		}
		names, ok := a[2].Idents()
		if !ok || len(names) != 1 {
			return nil, fmt.Errorf("%s option %s: want a name", c.Name, a[2])
		}
		name := names[0]
		var v int64
		if name == "SO_LINGER" {
			on, ok1 := field(a[3], "onoff")
			l, ok2 := field(a[3], "linger")
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("SO_LINGER %s: want {onoff=N, linger=N}", a[3])
			}
			v = l.Int
			if on.Int == 0 {
				v = -1
			}
		} else if v, ok = intArg(a[3]); !ok {
			return nil, fmt.Errorf("%s %s value %s: the agent takes integer options", c.Name, name, a[3])
		}
		if c.Name == "setsockopt" {
			return func(ctx context.Context) callResult { return result(0, ag.SetSockopt(ctx, fd, name, int(v))) }, nil
		}
		return func(ctx context.Context) callResult {
			got, err := ag.GetSockopt(ctx, fd, name)
			if err != nil {
				return result(0, err)
			}
			if int64(got) != v && uint32(got) != uint32(v) && name != "SO_LINGER" {
				return callResult{err: fmt.Errorf("getsockopt %s: expected value %d but got %d", name, v, got)}
			}
			return callResult{val: 0}
		}, nil
	case "ioctl":
		fd, _, err := fdArg(3)
		if err != nil {
			return nil, err
		}
		req, _ := a[1].Idents()
		if len(req) != 1 || req[0] != "SIOCINQ" && req[0] != "FIONREAD" {
			return nil, fmt.Errorf("ioctl %s: the agent answers SIOCINQ (FIONREAD) only", a[1])
		}
		want, ok := intArg(a[2])
		if !ok {
			return nil, fmt.Errorf("ioctl SIOCINQ %s: want [N]", a[2])
		}
		return func(ctx context.Context) callResult {
			got, err := ag.GetSockopt(ctx, fd, "SIOCINQ")
			if err != nil {
				return result(0, err)
			}
			if int64(got) != want {
				return callResult{err: fmt.Errorf("ioctl SIOCINQ: expected %d but got %d", want, got)}
			}
			return callResult{}
		}, nil
	case "fcntl":
		if len(a) < 2 {
			return nil, fmt.Errorf("fcntl needs fd and a command")
		}
		fd, sfd, err := x.fd(a[0])
		if err != nil {
			return nil, err
		}
		cmd, _ := a[1].Idents()
		switch {
		case len(cmd) == 1 && cmd[0] == "F_GETFL" && len(a) == 2:
			return func(ctx context.Context) callResult {
				v := int64(unix.O_RDWR)
				if x.nonblock[sfd] {
					v |= unix.O_NONBLOCK
				}
				return callResult{val: v}
			}, nil
		case len(cmd) == 1 && cmd[0] == "F_SETFL" && len(a) == 3:
			fl, ok := a[2].Idents()
			if !ok {
				return nil, fmt.Errorf("fcntl F_SETFL %s: want O_ flag names", a[2])
			}
			on := false
			for _, f := range fl {
				switch f {
				case "O_NONBLOCK":
					on = true
				case "O_RDWR", "O_RDONLY", "O_WRONLY":
				default:
					return nil, fmt.Errorf("fcntl F_SETFL %s: the agent sets O_NONBLOCK only", f)
				}
			}
			return func(ctx context.Context) callResult {
				if err := ag.SetNonblock(ctx, fd, on); err != nil {
					return result(0, err)
				}
				x.nonblock[sfd] = on
				return callResult{}
			}, nil
		}
		return nil, fmt.Errorf("fcntl %s: the agent does F_GETFL and F_SETFL O_NONBLOCK only", a[1])
	case "shutdown":
		fd, _, err := fdArg(2)
		if err != nil {
			return nil, err
		}
		how := map[string]string{"SHUT_RD": "rd", "SHUT_WR": "wr", "SHUT_RDWR": "rdwr"}[a[1].Name]
		if how == "" {
			return nil, fmt.Errorf("shutdown %s: want SHUT_RD, SHUT_WR or SHUT_RDWR", a[1])
		}
		return func(ctx context.Context) callResult { return result(0, ag.Shutdown(ctx, fd, how)) }, nil
	case "close":
		fd, sfd, err := fdArg(1)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) callResult {
			err := ag.Close(ctx, fd)
			delete(x.fds, sfd)
			return result(0, err)
		}, nil
	case "epoll_create", "epoll_create1":
		if err := nargs(1); err != nil {
			return nil, err
		}
		return func(ctx context.Context) callResult {
			fd, err := ag.EpollCreate(ctx)
			if err != nil {
				return result(0, err)
			}
			x.fds[c.Result] = fd
			return callResult{val: c.Result}
		}, nil
	case "epoll_ctl":
		epfd, _, err := fdArg(4)
		if err != nil {
			return nil, err
		}
		fd, _, err := x.fd(a[2])
		if err != nil {
			return nil, err
		}
		op, _ := a[1].Idents()
		if len(op) != 1 {
			return nil, fmt.Errorf("epoll_ctl op %s: want EPOLL_CTL_ADD, _MOD or _DEL", a[1])
		}
		var ev agent.EpollEvents
		if a[1].Name != "EPOLL_CTL_DEL" {
			evE, ok := field(a[3], "events")
			if !ok {
				return nil, fmt.Errorf("epoll_ctl event %s: want {events=..., fd=N}", a[3])
			}
			if ev, err = epollEvents(evE); err != nil {
				return nil, err
			}
		}
		return func(ctx context.Context) callResult { return result(0, ag.EpollCtl(ctx, epfd, op[0], fd, ev)) }, nil
	case "epoll_wait":
		epfd, _, err := fdArg(4)
		if err != nil {
			return nil, err
		}
		var want agent.EpollEvents
		wantFD := int64(-1)
		if evE, ok := field(a[1], "events"); ok {
			if want, err = epollEvents(evE); err != nil {
				return nil, err
			}
		}
		if f, ok := field(a[1], "fd"); ok && f.Kind == ExprInt {
			wantFD = f.Int
		}
		max, ms := a[2].Int, a[3].Int
		return func(ctx context.Context) callResult {
			t := time.Duration(ms) * time.Millisecond
			if ms < 0 {
				t = -1
			}
			ready, err := ag.EpollWait(ctx, epfd, int(max), t)
			if err != nil {
				return result(0, err)
			}
			if len(ready) > 0 && c.Result > 0 {
				got, err := agent.ParseEpollEvents(ready[0].Events)
				if err != nil {
					return callResult{err: err}
				}
				if got != want {
					return callResult{err: fmt.Errorf("epoll_wait: expected events %s but got %s", strings.Join(want.Names(), "|"), strings.Join(got.Names(), "|"))}
				}
				if wantFD >= 0 && x.fds[wantFD] != ready[0].FD {
					return callResult{err: fmt.Errorf("epoll_wait: expected an event of fd %d", wantFD)}
				}
			}
			return callResult{val: int64(len(ready))}
		}, nil
	case "pipe":
		// pipe([R, W]) = 0: the script's fds of the read and write ends
		// (packetdrill's get_pipe_expression).
		if err := nargs(1); err != nil {
			return nil, err
		}
		if a[0].Kind != ExprArray || len(a[0].Elems) != 2 || a[0].Elems[0].Kind != ExprInt || a[0].Elems[1].Kind != ExprInt {
			return nil, fmt.Errorf("pipe %s: want [READ_FD, WRITE_FD]", a[0])
		}
		sr, sw := a[0].Elems[0].Int, a[0].Elems[1].Int
		return func(ctx context.Context) callResult {
			r, w, err := ag.Pipe(ctx)
			if err != nil {
				return result(0, err)
			}
			x.fds[sr], x.fds[sw] = r, w
			return callResult{}
		}, nil
	case "splice":
		// splice(fd_in, off_in, fd_out, off_out, len, flags): the offsets
		// NULL (a pipe and a socket have none), flags 0 or SPLICE_F_ names.
		in, _, err := fdArg(6)
		if err != nil {
			return nil, err
		}
		out, _, err := x.fd(a[2])
		if err != nil {
			return nil, err
		}
		for _, off := range []Expr{a[1], a[3]} {
			if !isNull(off) && (off.Kind != ExprInt || off.Int != 0) {
				return nil, fmt.Errorf("splice offset %s: the agent splices with NULL offsets only", off)
			}
		}
		n, ok := intArg(a[4])
		if !ok || n < 0 {
			return nil, fmt.Errorf("splice length %s: want a number", a[4])
		}
		flags, err := spliceFlags(a[5])
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) callResult {
			got, err := ag.Splice(ctx, in, out, int(n), flags, timeout())
			return result(int64(got), err)
		}, nil
	case "poll":
		if err := nargs(3); err != nil {
			return nil, err
		}
		if a[0].Kind != ExprArray || len(a[0].Elems) != 1 {
			return nil, fmt.Errorf("poll %s: the agent polls one fd", a[0])
		}
		pfd := a[0].Elems[0]
		fdE, ok1 := field(pfd, "fd")
		evE, ok2 := field(pfd, "events")
		revE, ok3 := field(pfd, "revents")
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("poll %s: want {fd=N, events=..., revents=...}", pfd)
		}
		fd, _, err := x.fd(fdE)
		if err != nil {
			return nil, err
		}
		events, err := pollEvents(evE)
		if err != nil {
			return nil, err
		}
		var want agent.PollEvents
		if ok3 {
			if want, err = pollEvents(revE); err != nil {
				return nil, err
			}
		}
		ms := a[2].Int
		return func(ctx context.Context) callResult {
			got, err := ag.Poll(ctx, fd, events, time.Duration(ms)*time.Millisecond)
			if err != nil {
				return result(0, err)
			}
			if ok3 && got != want {
				return callResult{err: fmt.Errorf("poll: expected revents %s but got %s", strings.Join(want.Names(), "|"), strings.Join(got.Names(), "|"))}
			}
			if got != 0 {
				return callResult{val: 1}
			}
			return callResult{val: 0}
		}, nil
	}
	return nil, fmt.Errorf("system call %s: the agent has no such operation (drill runs socket, bind, listen, accept, connect, read, recv, recvfrom, recvmsg, write, send, sendto, sendmsg, writev, setsockopt, getsockopt, ioctl SIOCINQ, fcntl, poll, epoll_create, epoll_ctl, epoll_wait, pipe, splice, shutdown and close)", c.Name)
}

func isNull(e Expr) bool {
	return e.Kind == ExprIdent && e.Name == "NULL" && e.Args == nil && e.Value == nil
}

// nullCall reads or writes n bytes with a NULL buffer (EFAULT expected).
// bufferArgs reads the fd, buffer and length of a read or a write (write
// set). A NULL buffer gives the call that passes the target a NULL buffer
// (null); "..." stands for the agent's own buffer (null is nil); any other
// buffer is an error naming the call.
func (x *exec) bufferArgs(name string, a []Expr, write bool) (fd agent.FD, null func(context.Context) callResult, err error) {
	if len(a) < 3 {
		return 0, nil, fmt.Errorf("%s needs fd, buffer and length", name)
	}
	if fd, _, err = x.fd(a[0]); err != nil {
		return 0, nil, err
	}
	switch {
	case isNull(a[1]):
		return fd, x.nullCall(fd, write, a[2].Int), nil
	case a[1].Kind == ExprEllipsis:
		return fd, nil, nil
	case write:
		return 0, nil, fmt.Errorf("%s buffer %s: the agent sends its own data (write ... as the buffer)", name, a[1])
	default:
		return 0, nil, fmt.Errorf("%s buffer %s: the agent reads into its own buffer (... as the buffer)", name, a[1])
	}
}

func (x *exec) nullCall(fd agent.FD, write bool, n int64) func(context.Context) callResult {
	return func(ctx context.Context) callResult {
		if n <= 0 || n > 16<<20 {
			return callResult{err: fmt.Errorf("length %d: want 1 byte to 16 MiB", n)}
		}
		got, err := x.ag.NullIO(ctx, fd, write, int(n))
		return result(int64(got), err)
	}
}

func epollEvents(e Expr) (agent.EpollEvents, error) {
	if e.Kind == ExprInt && e.Int == 0 {
		return 0, nil
	}
	names, ok := e.Idents()
	if !ok {
		return 0, fmt.Errorf("epoll events %s: want EPOLL names", e)
	}
	return agent.ParseEpollEvents(names)
}

func pollEvents(e Expr) (agent.PollEvents, error) {
	if e.Kind == ExprInt && e.Int == 0 {
		return 0, nil
	}
	names, ok := e.Idents()
	if !ok {
		return 0, fmt.Errorf("poll events %s: want POLL names", e)
	}
	return agent.ParsePollEvents(names)
}

func (x *exec) sendCall(fd agent.FD, n int64, flags []string) func(context.Context) callResult {
	return func(ctx context.Context) callResult {
		if n < 0 || n > 16<<20 {
			return callResult{err: fmt.Errorf("length %d: drill writes at most 16 MiB at once", n)}
		}
		got, err := x.ag.Send(ctx, fd, make([]byte, n), flags...)
		if err != nil {
			return result(int64(got), err)
		}
		return callResult{val: int64(got)}
	}
}

// readCall reads up to n bytes; with wantInq >= 0 it also checks the
// TCP_CM_INQ control message (recvmsg's msg_control).
func (x *exec) readCall(fd agent.FD, sfd, n, wantInq int64, timeout func() time.Duration) func(context.Context) callResult {
	return func(ctx context.Context) callResult {
		t := timeout()
		if x.nonblock[sfd] {
			t = time.Millisecond
		}
		if n <= 0 || n > 16<<20 {
			return callResult{err: fmt.Errorf("length %d: drill reads 1 byte to 16 MiB at once", n)}
		}
		data, inq, err := x.ag.ReadInq(ctx, fd, int(n), t)
		if err != nil {
			return result(0, err)
		}
		if wantInq >= 0 {
			if inq == nil {
				return callResult{err: fmt.Errorf("recvmsg: the agent returned no TCP_CM_INQ control message: %w", agent.ErrUnsupported)}
			}
			if int64(*inq) != wantInq {
				return callResult{err: fmt.Errorf("recvmsg: expected TCP_CM_INQ %d but got %d", wantInq, *inq)}
			}
		}
		return callResult{val: int64(len(data))}
	}
}

// inqCmsg reads msg_control=[{cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ,
// cmsg_data=N}].
func inqCmsg(e Expr) (int64, bool) {
	if e.Kind != ExprArray || len(e.Elems) != 1 {
		return 0, false
	}
	lv, ok1 := field(e.Elems[0], "cmsg_level")
	ty, ok2 := field(e.Elems[0], "cmsg_type")
	d, ok3 := field(e.Elems[0], "cmsg_data")
	if !ok1 || !ok2 || !ok3 || d.Kind != ExprInt || (lv.Name != "SOL_TCP" && lv.Name != "IPPROTO_TCP") || ty.Name != "TCP_CM_INQ" {
		return 0, false
	}
	return d.Int, true
}

// python runs a %{ }% block of tcpi_* assertions with the target's
// tcp_info of the socket under test.
func (x *exec) python(ev *Event) {
	asserts, err := ParsePython(ev.Python)
	if err != nil {
		x.unsupported(ev, "%v", err)
	}
	x.finishPending()
	fd, ok := x.fds[x.lastFD]
	if !ok {
		x.broken(ev, "%%{ }%%: no socket to read tcp_info of")
	}
	info, err := x.ag.TCPInfo(x.ctx, fd)
	if err != nil {
		if errors.Is(err, agent.ErrUnsupported) {
			x.unsupported(ev, "tcp_info: %v", err)
		}
		x.broken(ev, "tcp_info: %v", err)
	}
	for _, a := range asserts {
		ok, err := a.Eval(info.Fields)
		if err != nil {
			x.unsupported(ev, "assert %s: %v", a.Text, err)
		}
		if !ok {
			var vals []string
			for _, n := range a.Names() {
				vals = append(vals, fmt.Sprintf("tcpi_%s=%d", n, info.Fields[n]))
			}
			x.fail(ev, "error executing code: assertion failed: %s (%s)", a.Text, strings.Join(vals, ", "))
		}
	}
}
