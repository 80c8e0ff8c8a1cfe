package agent

import (
	"context"
	"encoding/binary"
	"reflect"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The options kernel.go's sockopts takes from the system.
var (
	soLinger       = sockopt{unix.SOL_SOCKET, unix.SO_LINGER}
	tcpKeepIdle    = sockopt{unix.IPPROTO_TCP, unix.TCP_KEEPIDLE}
	tcpUserTimeout = sockopt{unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT}

	siocInq         = sockopt{0, unix.SIOCINQ}
	tcpCork         = sockopt{unix.IPPROTO_TCP, unix.TCP_CORK}
	tcpNotsentLowat = sockopt{unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT}
	tcpInq          = sockopt{unix.IPPROTO_TCP, unix.TCP_INQ}
	soZeroCopy      = sockopt{unix.SOL_SOCKET, unix.SO_ZEROCOPY}
	ipFreebind      = sockopt{unix.IPPROTO_IP, unix.IP_FREEBIND}
)

// sendFlagBits are the send flags of the protocol Linux has.
var sendFlagBits = map[SendFlags]int{MsgMore: unix.MSG_MORE, MsgEOR: unix.MSG_EOR, MsgZeroCopy: unix.MSG_ZEROCOPY}

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
		Fields:      tcpInfoFields(ti),
	}, nil
}

// tcpInfoFields returns every integer field of struct tcp_info by its
// Linux name without "tcpi_" (x/sys/unix names them Snd_cwnd, Ca_state,
// ...: the same words).
func tcpInfoFields(ti *unix.TCPInfo) map[string]int64 {
	out := map[string]int64{}
	v := reflect.ValueOf(ti).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		name := strings.ToLower(f.Name)
		if strings.HasPrefix(name, "pad") || name == "_" {
			continue
		}
		switch fv := v.Field(i); fv.Kind() {
		case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			out[name] = int64(fv.Uint())
		case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			out[name] = fv.Int()
		}
	}
	return out
}

// ReadInq is Read with recvmsg(2), which also returns the TCP_CM_INQ
// control message Linux adds once TCP_INQ is set on the socket.
func (b *kernelBackend) ReadInq(ctx context.Context, fd FD, size int, timeout time.Duration) ([]byte, *int, error) {
	deadline := Deadline(timeout)
	buf := make([]byte, size)
	oob := make([]byte, unix.CmsgSpace(4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(int(fd), buf, oob, 0)
		if err == nil {
			return buf[:n], cmsgInq(oob[:oobn]), nil
		}
		if !retry(err) || err == unix.EAGAIN && b.isNonblock(fd) {
			return nil, nil, err
		}
		if err := wait(ctx, fd, unix.POLLIN, deadline, unix.EAGAIN); err != nil {
			return nil, nil, err
		}
	}
}

// cmsgInq returns the value of a TCP_CM_INQ control message in oob.
func cmsgInq(oob []byte) *int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_TCP && m.Header.Type == unix.TCP_CM_INQ && len(m.Data) >= 4 {
			v := int(int32(binary.NativeEndian.Uint32(m.Data)))
			return &v
		}
	}
	return nil
}

// EpollCreate makes an epoll instance (epoll_create1 with EPOLL_CLOEXEC).
func (b *kernelBackend) EpollCreate() (FD, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	return FD(fd), err
}

var epollOps = map[string]int{"EPOLL_CTL_ADD": unix.EPOLL_CTL_ADD, "EPOLL_CTL_MOD": unix.EPOLL_CTL_MOD, "EPOLL_CTL_DEL": unix.EPOLL_CTL_DEL}

// EpollCtl is epoll_ctl(2); the event's data is the fd.
func (b *kernelBackend) EpollCtl(epfd FD, op string, fd FD, events EpollEvents) error {
	return unix.EpollCtl(int(epfd), epollOps[op], int(fd), &unix.EpollEvent{Events: uint32(events), Fd: int32(fd)})
}

// EpollWait is epoll_wait(2), in slices so that a cancelled context is
// noticed.
func (b *kernelBackend) EpollWait(ctx context.Context, epfd FD, max int, timeout time.Duration) ([]EpollReady, error) {
	var deadline time.Time
	if timeout >= 0 {
		deadline = time.Now().Add(timeout)
	}
	evs := make([]unix.EpollEvent, max)
	n := 0
	ready, err := PollSliced(ctx, deadline, func(ms int) (bool, error) {
		var err error
		n, err = unix.EpollWait(int(epfd), evs, ms)
		return n > 0, err
	})
	if err != nil || !ready {
		return nil, err
	}
	out := make([]EpollReady, n)
	for i := range out {
		out[i] = EpollReady{FD: FD(evs[i].Fd), Events: EpollEvents(evs[i].Events).Names()}
	}
	return out, nil
}

// NullIO is read(2) or write(2) with a NULL buffer: the kernel answers
// EFAULT when it has something to copy.
func (b *kernelBackend) NullIO(fd FD, write bool, size int) (int, error) {
	nr := uintptr(unix.SYS_READ)
	if write {
		nr = unix.SYS_WRITE
	}
	n, _, errno := unix.Syscall(nr, uintptr(fd), 0, uintptr(size))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// Pipe is pipe2(2). Its ends are non-blocking for the agent, like its
// sockets; Splice makes a blocking call's waits.
func (b *kernelBackend) Pipe() (FD, FD, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return 0, 0, err
	}
	b.pipes.Store(FD(p[0]), true)
	b.pipes.Store(FD(p[1]), true)
	return FD(p[0]), FD(p[1]), nil
}

func (b *kernelBackend) isPipe(fd FD) bool {
	_, ok := b.pipes.Load(fd)
	return ok
}

// Splice is splice(2) with NULL offsets. When in or out was set
// non-blocking it is one call. Otherwise it is splice(2) on a blocking
// socket, as packetdrill makes it: a socket among in and out is blocking
// for the call, with a receive and send timeout of at most PollSlice so
// that the deadline and ctx are noticed, since the kernel treats a blocking
// socket differently from a non-blocking one beyond waiting (tcp_splice_read
// on a blocking socket whose only data is urgent returns 0, not EAGAIN);
// a pipe stays non-blocking and an empty or full one is waited for with
// poll(2).
func (b *kernelBackend) Splice(ctx context.Context, in, out FD, size int, flags SpliceFlags, timeout time.Duration) (int, error) {
	if b.isNonblock(in) || b.isNonblock(out) {
		n, err := unix.Splice(int(in), nil, int(out), nil, size, int(flags))
		return int(n), err
	}
	deadline := Deadline(timeout)
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		slice := PollSlice
		if !deadline.IsZero() {
			slice = max(time.Millisecond, min(slice, time.Until(deadline)))
		}
		n, err := b.blockingSplice(in, out, size, flags, slice)
		if err == nil || !retry(err) {
			return n, err
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return 0, unix.EAGAIN
		}
		var fds []unix.PollFd
		if b.isPipe(in) {
			fds = append(fds, unix.PollFd{Fd: int32(in), Events: unix.POLLIN})
		}
		if b.isPipe(out) {
			fds = append(fds, unix.PollFd{Fd: int32(out), Events: unix.POLLOUT})
		}
		if _, err := unix.Poll(fds, int(slice/time.Millisecond)); err != nil && err != unix.EINTR {
			return 0, err
		}
	}
}

// blockingSplice is one splice(2) with the sockets among in and out
// blocking for at most slice, made non-blocking again after it.
func (b *kernelBackend) blockingSplice(in, out FD, size int, flags SpliceFlags, slice time.Duration) (int, error) {
	tv := unix.NsecToTimeval(slice.Nanoseconds())
	for _, s := range []struct {
		fd  FD
		opt int
	}{{in, unix.SO_RCVTIMEO}, {out, unix.SO_SNDTIMEO}} {
		if b.isPipe(s.fd) {
			continue
		}
		if err := unix.SetsockoptTimeval(int(s.fd), unix.SOL_SOCKET, s.opt, &tv); err != nil {
			return 0, err
		}
		if err := unix.SetNonblock(int(s.fd), false); err != nil {
			return 0, err
		}
		defer func(fd FD, opt int) {
			unix.SetNonblock(int(fd), true)
			unix.SetsockoptTimeval(int(fd), unix.SOL_SOCKET, opt, &unix.Timeval{})
		}(s.fd, s.opt)
	}
	n, err := unix.Splice(int(in), nil, int(out), nil, size, int(flags))
	return int(n), err
}
