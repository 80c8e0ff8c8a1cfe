// Package agent is the conformance suite's remote hand on a target: a small
// server that makes socket calls (socket, bind, listen, accept, connect,
// setsockopt, read, write, shutdown, close, TCP_INFO) on a tester's request,
// its backends, and the Go client the suite drives it with. packetdrill's
// remote mode and gVisor's packetimpact DUT work the same way.
//
// # Protocol
//
// The tester opens one TCP connection to the agent. It carries JSON lines,
// one request object per line from the tester and one response object per
// line from the agent, in the order of the requests. Requests are handled
// one at a time; a blocking call (accept, connect, read) holds up the
// requests behind it. A request line may be at most 1 MiB long (the
// agent's --max-line; hello tells its value as max_line).
//
// # Handshake (protocol version 2)
//
// A control connection starts with hello, then auth when the agent has a
// pre-shared secret; nothing else is served before. With Na the agent's
// nonce, Nt the tester's (32 random bytes each) and K the secret:
//
//	→ {"id": 1, "op": "hello", "version": 2, "nonce": Nt}
//	← {"id": 1, "ok": true, "version": 2, "auth": true, "nonce": Na}
//	→ {"id": 2, "op": "auth", "proof": Pt}
//	← {"id": 2, "ok": true, "version": 2, "proof": Pa, "os": ..., "max_line": ..., "allow_peers": [...], "test_addrs": [...]}
//
// Pt = HMAC-SHA256(K, "tcpregress agent v2: tester proof\x00" || Na || Nt)
// and Pa = HMAC-SHA256(K, "tcpregress agent v2: agent proof\x00" || Nt || Na);
// nonces and proofs are base64 like data. Each side proves it knows K over
// the nonce the other just chose, and K never crosses the wire. The tester
// proves first, so the agent gives nothing computed from K to a stranger;
// the tester then checks Pa (an impostor fails there). A wrong Pt is
// answered EACCES after a fixed delay (1 s), logged with the tester's
// address, and the connection closed.
// An agent without a secret (allowed on loopback only) answers hello with
// "auth" absent and the rest of the last answer at once; a tester that has
// a secret then refuses it, as it cannot tell it from an impostor.
//
// The answer that ends the handshake carries what hello answers later too:
// the fields below and "version", "max_line", "max_sockets", "allow_peers"
// (where connect may go: the tester's address, then the agent's
// --allow-peer prefixes) and "test_addrs" (what bind may use).
//
// Versions: version 1 had no handshake and no "version" field. A version 1
// hello, another version, any other op first, or a line that is not JSON is
// answered EPROTO saying which versions met, and the connection is closed;
// a tester of this version that meets a version 1 agent (a hello answer
// without "version") says so too.
//
// # Scope and limits
//
// connect answers EACCES unless its address is the tester's (the control
// connection's peer) or inside an --allow-peer prefix; bind answers EACCES
// unless its address is one of the agent's test addresses (--test-addr;
// 0.0.0.0 only when named); listen answers EACCES on a socket not bound
// through the agent (it would listen on every address). Each message names
// the flag that allows the call.
//
// Limits, each answered with a message naming its flag and logged: a
// connection holding --max-sockets sockets (256) gets EMFILE from socket
// and accept; beyond --max-conns authenticated connections (8) the
// handshake ends with EUSERS; a line over --max-line answers EMSGSIZE (with
// the request's id when it can be read) and the connection carries on; a
// connection that sends no request for --idle-timeout (10 min) while none
// runs, or does not finish its handshake in 10 s, gets a last answer with
// "id" 0 and ETIMEDOUT and is closed. At most 4 × --max-conns connections
// may be in their handshake; a new one pushes out the oldest that has not
// sent a line (half-open). An answer with "id" 0 and "ok" false is the
// agent's word on the whole connection, which it closes.
//
// Every request has "id" (an integer, echoed in the response) and "op".
// Every response has "id" and "ok"; a failed one also has "errno" (the
// symbolic name of the error, such as "ECONNREFUSED"), "error" (a message
// for people) and, when the platform or stack lacks the feature asked for,
// "unsupported": true.
//
//	{"id": 7, "op": "connect", "fd": 3, "addr": "198.18.0.1:40000", "timeout_ms": 3000}
//	{"id": 7, "ok": false, "errno": "ECONNREFUSED", "error": "connect: connection refused"}
//
// The ops, their request fields and the fields of a successful response:
//
//	op          request                              response
//	hello       version, nonce (handshake)           os, kernel, stack, options, version, ...
//	auth        proof (handshake)                    as hello
//	socket      -                                    fd
//	bind        fd, addr                             addr
//	listen      fd, backlog                          -
//	accept      fd, timeout_ms                       fd, addr
//	connect     fd, addr, timeout_ms                 -
//	setsockopt  fd, name, value                      -
//	getsockopt  fd, name                             value
//	set_ip_options fd, data                          -
//	read        fd, size, timeout_ms                 data, inq
//	write       fd, data                             n
//	send_oob    fd, data                             n
//	shutdown    fd, how                              -
//	close       fd                                   -
//	tcp_info    fd                                   info
//	set_nonblock fd, value                           -
//	poll        fd, events, timeout_ms               revents
//	sysctl      name, text                           text
//	epoll_create -                                   fd
//	epoll_ctl   fd, name, value, events              -
//	epoll_wait  fd, size, timeout_ms                 ready
//	pipe        -                                    fds
//	splice      fd, value, size, flags, timeout_ms   n
//
// Fields:
//
//   - os: the agent's runtime.GOOS ("linux", "freebsd", "darwin").
//   - kernel: the kernel release (uname -r).
//   - stack: "kernel" (the host's TCP through its sockets) or "tcpstack"
//     (this project's userland stack).
//   - options: the option names setsockopt and getsockopt support here,
//     and IP_OPTIONS when set_ip_options is supported.
//   - fd: a socket of this control connection. "socket" makes a TCP/IPv4
//     socket; "accept" returns the accepted connection's. An fd is valid
//     only on the control connection that made it: any other answers EBADF.
//     The sockets a control connection made are closed when it ends.
//   - addr: "IP:PORT", IPv4. In bind, port 0 means any; the response
//     carries the address bound (with the tcpstack backend, port 0 stays 0
//     until listen or connect picks one). In accept's response, the peer.
//   - backlog: listen's backlog (the tcpstack backend has one per stack).
//   - timeout_ms: how long accept, connect or read wait, in milliseconds;
//     0 or absent waits until the control connection ends. accept and read
//     answer EAGAIN when it runs out, connect ETIMEDOUT.
//   - name, value: an option name and its integer value (see below).
//   - size: the most bytes read returns; default 65536, at most 16 MiB.
//   - data: bytes in standard base64. In read's response, "" means EOF (the
//     peer's FIN was read); data is always present there.
//   - n: the bytes written. write sends all of data unless an error ends it
//     early (then the error is returned, not n); send_oob sends with MSG_OOB
//     in one call and may send fewer.
//   - how: "rd", "wr" or "rdwr" (SHUT_RD, SHUT_WR, SHUT_RDWR).
//   - sysctl: sets the host's sysctl name (a net.* key in dotted form,
//     such as "net.ipv4.tcp_ecn") to text and answers its old value in
//     text; for tcpregress drill, which applies the sysctls of packetdrill
//     scripts. Only an agent started with --allow-sysctl
//     (Server.AllowSysctl) on a Linux kernel backend does it, and hello
//     lists "SYSCTL" among the options then; others answer unsupported
//     (EPERM when not allowed). It changes the whole host's TCP.
//   - epoll_create, epoll_ctl, epoll_wait: Linux's epoll on the kernel
//     backend (agent.Epoller; others answer unsupported). epoll_create's fd
//     is an fd of the connection like a socket's (close it with close).
//     epoll_ctl: fd the epoll instance, name "EPOLL_CTL_ADD", "EPOLL_CTL_MOD"
//     or "EPOLL_CTL_DEL", value the socket to watch, events by name
//     ("EPOLLIN", "EPOLLOUT", "EPOLLPRI", "EPOLLERR", "EPOLLHUP",
//     "EPOLLRDHUP", "EPOLLET", "EPOLLONESHOT", "EPOLLEXCLUSIVE").
//     epoll_wait: at most size (1 to 1024) events within timeout_ms (0 at
//     once, negative no limit); ready lists them, each {"fd", "events"},
//     [] on a timeout.
//   - pipe, splice: pipes and splice(2) on the Linux kernel backend
//     (agent.Splicer; others answer unsupported, EOPNOTSUPP). pipe's fds
//     are its read and write ends, fds of the connection like a socket's
//     (close them with close; they count towards --max-sockets). splice
//     moves up to size bytes from fd to value (one of them a pipe) with
//     NULL offsets and flags by name ("SPLICE_F_MOVE",
//     "SPLICE_F_NONBLOCK", "SPLICE_F_MORE", "SPLICE_F_GIFT"); n is what it
//     moved. Unless fd or value was set non-blocking it is splice(2) on a
//     blocking socket, waiting up to timeout_ms (0: until the connection
//     ends; EAGAIN at the timeout), which matters beyond waiting: a
//     blocking socket whose only data is an urgent byte gives 0, a
//     non-blocking one EAGAIN.
//   - null: read and write with "null": true pass a NULL buffer of size
//     bytes to read(2) or write(2) and answer n or the errno (EFAULT when
//     the kernel has something to copy): packetdrill's syscall_bad_arg
//     scripts. The Linux kernel backend only (agent.NullBuffer).
//   - inq: in read's response, the bytes left to read as Linux's
//     TCP_CM_INQ control message says once TCP_INQ is set on the socket
//     (setsockopt TCP_INQ 1); absent when the read carried none (other
//     platforms, tcpstack).
//   - flags: write's send(2) flags, optional: "MSG_MORE", "MSG_EOR",
//     "MSG_ZEROCOPY". The Linux kernel backend has them all, FreeBSD and
//     macOS MSG_EOR, tcpstack none (unsupported, EOPNOTSUPP).
//   - set_nonblock: value 1 sets the fd's O_NONBLOCK, 0 clears it (new and
//     accepted sockets are blocking). Then accept and read answer EAGAIN
//     instead of waiting, connect answers EINPROGRESS while the handshake
//     goes on (poll for POLLOUT, then read SO_ERROR), write writes what
//     fits at once (n may be short) and answers EAGAIN when nothing does.
//   - events, revents: poll(2)'s events by name: "POLLIN", "POLLPRI",
//     "POLLOUT", "POLLERR", "POLLHUP", "POLLRDHUP". poll waits up to
//     timeout_ms (0: answers at once; negative: until the control
//     connection ends) for one of events, or an error or hang-up, on one
//     fd; revents lists what is ready, [] on a timeout. tcpstack reads
//     readiness from the connection's state (POLLOUT once its send queue
//     is empty) and answers unsupported on a listener.
//   - set_ip_options: data holds the IPv4 options (RFC 791 layout, at most
//     40 bytes; absent or empty clears them) that the socket's datagrams
//     carry from now on: setsockopt(IPPROTO_IP, IP_OPTIONS) with these
//     bytes. Set before connect, they are in the SYN. A source route (LSRR
//     131, SSRR 137, pointer 4) lists the first hop, the further gateways
//     and, last, the final destination: the first hop becomes the
//     datagrams' destination and leaves the option, as in 4.4BSD, FreeBSD,
//     macOS and Linux (which writes the connection's destination into the
//     last slot). For RFC9293 MUST-51 and MUST-52. The kernel backends have
//     it; the tcpstack backend answers unsupported (ENOPROTOOPT).
//   - info: TCP_INFO in a portable form: "state" (the RFC 9293 name, such
//     as "ESTABLISHED" or "SYN-RECEIVED"), "rtt_us" and "rto_us"
//     (microseconds), "snd_mss" and "rcv_mss" (bytes), "snd_cwnd"
//     (segments), "retransmits" (consecutive timeouts of the current
//     segment), "options" (the Linux TCPI_OPT_ bits: 1 timestamps, 2 SACK,
//     4 window scale, 8 ECN), and "fields": the struct tcp_info fields the
//     backend knows by their Linux names without "tcpi_" ("snd_cwnd",
//     "ca_state", "lost", "rwnd_limited", ...: all of them on Linux;
//     tcpstack has rtt, rttvar, rto, snd_mss, rcv_mss, snd_cwnd,
//     snd_ssthresh, unacked, retransmits, total_retrans, snd_wnd, rcv_wnd,
//     notsent_bytes, ca_state). Only Linux and tcpstack have it; elsewhere
//     it is unsupported.
//
// Option names: SO_RCVBUF, SO_SNDBUF, SO_LINGER (value in seconds, -1 means
// off; getsockopt answers -1 when off), SO_KEEPALIVE, SO_REUSEADDR,
// TCP_NODELAY, TCP_MAXSEG, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT (seconds
// and counts), TCP_USER_TIMEOUT (milliseconds), IP_TOS, IP_TTL; SO_ERROR (read-only:
// the pending error's errno number on the agent's platform, cleared by the
// read), SIOCINQ (read-only: the ioctl, bytes ready to read), and on Linux
// TCP_CORK, TCP_NOTSENT_LOWAT, TCP_INQ, SO_ZEROCOPY, IP_FREEBIND. Boolean
// options take 0 or 1. An option the platform or stack lacks answers
// {"ok": false, "errno": "ENOPROTOOPT", "unsupported": true}; an unknown
// name answers the same.
//
// By backend: the Linux kernel has them all; FreeBSD and macOS lack
// TCP_USER_TIMEOUT (macOS's TCP_KEEPIDLE is its TCP_KEEPALIVE, its
// SO_LINGER is SO_LINGER_SEC); tcpstack has SO_LINGER (0 resets on close,
// other values keep the orderly close), SO_KEEPALIVE, TCP_NODELAY,
// TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT and a read-only
// TCP_MAXSEG (the send MSS), SO_REUSEADDR (kept and read back, with no
// effect: tcpstack binds regardless), SO_ERROR and SIOCINQ. SO_REUSEADDR
// is not set unless asked for.
//
// Errors: "errno" is the name of the errno (unix.ErrnoName on the agent's
// platform, so names and not numbers cross platforms): ECONNREFUSED,
// ECONNRESET, ETIMEDOUT (connect timeout), EAGAIN (accept or read timeout),
// EPIPE, EADDRINUSE, EINVAL, ... Requests the agent cannot take answer with
// these, and the connection carries on:
//
//   - a line that is not a JSON object: EINVAL, "id" 0 unless one could be
//     read from the line;
//   - an unknown op: ENOSYS;
//   - a missing or bad field (address, how, value): EINVAL;
//   - an fd this connection does not own: EBADF;
//   - an unsupported op of the backend (send_oob on tcpstack): EOPNOTSUPP
//     with "unsupported": true.
//
// # Bringing your own stack
//
// A stack the suite should judge needs an agent: this protocol served on a
// control connection the tester can reach (a second interface, a serial
// bridge, loopback when the tester runs beside it), making the socket
// calls on the stack under test. The sections above are the specification
// to implement; nothing else of the project is needed on the device.
//
// The minimum for the MUST cases is [MinimumOps]: hello, socket, bind,
// listen, accept, connect, read, write, shutdown and close, with their
// timeouts (accept and read answer EAGAIN, connect ETIMEDOUT) and errno
// names (ECONNREFUSED, ECONNRESET, EPIPE, EAGAIN, EBADF, ENOSYS for an
// unknown op). Every other op and every option may answer
// {"ok": false, "errno": "ENOPROTOOPT" or "EOPNOTSUPP", "unsupported": true}:
// the cases that need it are then UNSUPPORTED, never ERROR. Options in
// hello's list are the ones the tester tries.
//
// [Check] is the conformance test of an agent implementation: run it
// through a [Client] against the agent, with the stack's own address, and
// every check must pass before the suite's verdicts mean anything. The
// kernel backend (TestCheckKernel) and the gVisor and lwIP backends
// (harness's TestAgentCheck) pass it; the tcpstack backend passes all but
// the connection to its own address, which tcpstack does not deliver
// locally. The backends in tcpregress.dev/conformance/stacks (gVisor's
// netstack in Go, lwIP through its BSD socket API in cgo) are worked
// examples of wrapping a stack that is not the host's; they share this
// package's helpers for it: [StackHello], [Deadline], [WaitReady] and
// [PollSliced] (blocking calls over a non-blocking socket's poll),
// [FinishConnect] (a blocking connect) and [FDTable] (fake fds).
//
// # Server, backends, client
//
// [Serve] (or a [Server], which adds a logger, the secret, the scope and
// the limits) answers control connections on a listener with a [Backend]:
// [KernelBackend] uses the host's kernel sockets through golang.org/x/sys/unix
// (pure Go, so the agent cross-compiles with CGO_ENABLED=0 for Linux,
// FreeBSD and macOS); [StackBackend] (cgo builds only) uses a
// tcpstack.Stack.
//
// [Client] is the tester's side ([Dial], or [NewClient] over a connection
// made elsewhere, such as inside a network namespace; both make the
// handshake, with the secret [LoadSecret] reads): one method per op,
// [Client.Do] for raw requests, [Client.Disconnect] to hang up (Close is the
// socket call). Failed calls return an *[Error] that matches, with
// errors.Is, [ErrUnsupported] and the syscall.Errno of the same name on the
// tester's platform (errors.Is(err, syscall.ECONNREFUSED)); [Errno] returns
// the name, for cases that check the errno instead of failing on it. A call
// whose context ends first disconnects the client ([ErrClientClosed]).
package agent
