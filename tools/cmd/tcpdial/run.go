package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/alecthomas/kong"
	"github.com/rs/zerolog"

	libpcap "tcpregress.dev/pcap"
	"tcpregress.dev/tcpstack"
	"tcpregress.dev/tcpstack/tcp"
)

// Run sets up the stack on the interface and connects or listens.
func (c *tcpdialCmd) Run(kctx *kong.Context, stdin io.Reader, log zerolog.Logger) (err error) {
	// Signals are caught from the start, so that the stack's Close (deferred
	// below) always runs and the peer sees a RST rather than silence.
	var wg sync.WaitGroup
	defer wg.Wait()
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigc)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	wg.Go(func() {
		select {
		case sig := <-sigc:
			cancel(&sigCause{sig})
		case <-ctx.Done():
		}
	})

	// -v shows the stack's debug log (state transitions); -vv adds every
	// frame at trace level. --log-level can ask for more, never less.
	appLog := log
	if c.Verbose >= 1 && log.GetLevel() > zerolog.DebugLevel {
		appLog = log.Level(zerolog.DebugLevel)
	}
	tapLog := zerolog.Nop()
	if c.Verbose >= 2 || log.GetLevel() <= zerolog.TraceLevel {
		tapLog = log.Level(zerolog.TraceLevel)
	}

	var dump *libpcap.Dumper
	if c.Pcap != "" {
		h, err := libpcap.OpenDead(libpcap.LinkTypeEthernet, 65535)
		if err != nil {
			return fmt.Errorf("--pcap: %w", err)
		}
		defer h.Close()
		if dump, err = libpcap.OpenDump(h, c.Pcap); err != nil {
			return fmt.Errorf("--pcap %s: %w", c.Pcap, err)
		}
	}
	closeDump := func() error {
		if dump == nil {
			return nil
		}
		if err := dump.Close(); err != nil {
			return fmt.Errorf("--pcap %s: %w", c.Pcap, err)
		}
		return nil
	}

	ls, warn, err := c.openLink()
	if err != nil {
		closeDump()
		return err
	}
	if warn != "" {
		appLog.Warn().Msg(warn)
	}
	var link tcpstack.Link = ls.link
	var tap *tapLink
	if dump != nil || tapLog.GetLevel() <= zerolog.TraceLevel {
		tap = &tapLink{Link: link, dump: dump, log: tapLog}
		link = tap
	}
	st, err := tcpstack.New(tcpstack.Config{
		Link:    link,
		Addr:    ls.prefix,
		Gateway: c.gw,
		TCP: tcp.Config{
			MSS:                c.MSS,
			DisableSACK:        c.NoSACK,
			DisableTimestamps:  c.NoTimestamps,
			DisableWindowScale: c.NoWScale,
			NoDelay:            c.NoDelay,
		},
		Logger: appLog,
	})
	if err != nil {
		link.Close()
		closeDump()
		return err
	}
	// The stack's Close always runs: connections still open are reset, so
	// the peer knows; then the capture is complete.
	defer func() {
		if cerr := st.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing the stack: %w", cerr)
		}
		if cerr := closeDump(); cerr != nil && err == nil {
			err = cerr
		}
		if tap != nil {
			if werr := tap.dumpErr(); werr != nil && err == nil {
				err = fmt.Errorf("--pcap %s: %w", c.Pcap, werr)
			}
		}
	}()
	appLog.Debug().Str("iface", ls.iface.name).Str("addr", ls.prefix.String()).
		Str("mac", st.HardwareAddr().String()).Str("netns", c.Netns).Msg("stack up")

	s := &session{cmd: c, ctx: ctx, stdout: kctx.Stdout, stderr: kctx.Stderr, log: appLog}
	if c.Listen {
		err = s.listen(st, stdin)
	} else {
		err = s.dial(st, stdin)
	}
	if err == nil && ctx.Err() != nil {
		// A signal came while the connection was closing.
		err = s.interrupted("")
	}
	return err
}

// sigCause is the cause of the context's cancellation after a signal.
type sigCause struct{ sig os.Signal }

func (s *sigCause) Error() string { return s.sig.String() }

// session is one run: connecting or listening, then copying.
type session struct {
	cmd            *tcpdialCmd
	ctx            context.Context // cancelled by SIGINT and SIGTERM
	stdout, stderr io.Writer
	log            zerolog.Logger
}

// interrupted returns the error that ends a run after a signal.
func (s *session) interrupted(what string) error {
	var sc *sigCause
	if errors.As(context.Cause(s.ctx), &sc) {
		return signalError(sc.sig, what)
	}
	return signalError(syscall.SIGINT, what)
}

// checksumHint says, when a connection attempt failed, that segments came
// back with bad checksums: the usual cause of a SYN that seems unanswered
// on a veth, whose peer end leaves checksums to offload that is not there.
func (s *session) checksumHint(st *tcpstack.Stack) {
	n := st.Stats().BadTCPChecksums
	if n == 0 {
		return
	}
	msg := fmt.Sprintf("%d TCP segment(s) to us arrived with a bad checksum and were dropped; "+
		"if the peer is across a veth, turn off its transmit checksum offload (ethtool -K PEER_VETH tx off)", n)
	if s.cmd.LogFormat == "json" {
		s.log.Warn().Uint64("bad_tcp_checksums", n).Msg(msg)
		return
	}
	fmt.Fprintf(s.stderr, "tcpdial: %s\n", msg)
}

// verbose prints one of the -v messages: a plain line, or with
// --log-format=json an info event, so that standard error stays one JSON
// object per line.
func (s *session) verbose(msg string) {
	switch {
	case s.cmd.Verbose == 0:
	case s.cmd.LogFormat == "json":
		s.log.Info().Msg(strings.TrimSuffix(msg, "\n"))
	default:
		io.WriteString(s.stderr, msg)
	}
}

func (s *session) dial(st *tcpstack.Stack, stdin io.Reader) error {
	c := s.cmd
	ctx := s.ctx
	if c.Wait.set {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Wait.d)
		defer cancel()
	}
	conn, err := st.DialTCPFrom(ctx, "tcp4", uint16(c.SrcPort), c.remote.String())
	if err != nil {
		s.checksumHint(st)
		if s.ctx.Err() != nil {
			return s.interrupted(" while connecting")
		}
		return connectError(c.remote, c.Wait.d, err)
	}
	s.verbose(succeededMsg(c.remote))
	s.logInfo(conn)
	if c.Zero {
		conn.Close()
		linger(s.ctx, conn)
		return nil
	}
	return s.serve(conn, c.remote, stdin)
}

func (s *session) listen(st *tcpstack.Stack, stdin io.Reader) error {
	c := s.cmd
	ln, err := st.Listen("tcp4", fmt.Sprintf(":%d", c.port))
	if err != nil {
		return fmt.Errorf("listening on port %d: %w", c.port, err)
	}
	defer ln.Close()
	stop := context.AfterFunc(s.ctx, func() { ln.Close() })
	defer stop()
	s.verbose(listeningMsg(ln.Addr().(*net.TCPAddr).AddrPort()))
	in := stdin
	for {
		conn, err := ln.AcceptTCP()
		if err != nil {
			if s.ctx.Err() != nil {
				return s.interrupted("")
			}
			return fmt.Errorf("accepting a connection: %w", err)
		}
		if !c.KeepOpen {
			ln.Close() // later SYNs are refused, as with nc -l
		}
		peer := conn.RemoteAddr().(*net.TCPAddr).AddrPort()
		s.verbose(receivedMsg(peer))
		s.logInfo(conn)
		err = s.serve(conn, peer, in)
		in = nil // standard input goes to the first connection only
		switch {
		case s.ctx.Err() != nil && err == nil:
			return s.interrupted("")
		case !c.KeepOpen, s.ctx.Err() != nil:
			return err
		case errors.Is(err, syscall.EPIPE) && !isConnErr(err):
			return err // standard output is gone
		case err != nil:
			fmt.Fprintf(s.stderr, "tcpdial: %v\n", err)
		}
	}
}

func isConnErr(err error) bool {
	var ce *connError
	return errors.As(err, &ce)
}

// logInfo logs what the handshake negotiated, at debug level (-v).
func (s *session) logInfo(conn *tcpstack.Conn) {
	if e := s.log.Debug(); e.Enabled() {
		i := conn.Info()
		e.Int("snd_mss", i.SndMSS).Int("rcv_mss", i.RcvMSS).Bool("sack", i.SACK).Bool("timestamps", i.Timestamps).
			Bool("wscale", i.WindowScale).Int("snd_wscale", i.SndWScale).Int("rcv_wscale", i.RcvWScale).
			Dur("rtt", i.RTT).Msg("connection established")
	}
}

// serve copies in (nil: nothing to send) to the connection and the
// connection to standard output. At the end of in it half-closes; when the
// peer closes it closes too and returns.
func (s *session) serve(conn *tcpstack.Conn, peer netip.AddrPort, in io.Reader) error {
	c := s.cmd
	var act activity
	act.touch()
	start := act.last()
	readDone := make(chan error, 1)
	go func() { readDone <- copyOut(s.stdout, conn, peer, &act) }()
	var inDone chan error
	if in != nil {
		inDone = make(chan error, 1)
		// This goroutine may stay blocked reading standard input after
		// serve returns (a terminal cannot be interrupted); it ends at the
		// next read, finding the connection closed.
		go func() { inDone <- copyIn(conn, in, peer, &act) }()
	}
	var idle <-chan struct{}
	if c.Idle.set {
		w := act.watch(c.Idle.d)
		defer w.stop()
		idle = w.expired
	}
	summary := func() {
		sent, recv := act.sent.Load(), act.received.Load()
		s.verbose(fmt.Sprintf("tcpdial: %d bytes sent, %d bytes received in %.2f seconds.\n", sent, recv, act.last().Sub(start).Seconds()))
	}
	for {
		select {
		case err := <-readDone:
			if err != nil {
				abort(conn)
				return err
			}
			// The peer closed its side: close ours (ncat does the same),
			// and give the FIN time to be acknowledged.
			conn.Close()
			linger(s.ctx, conn)
			summary()
			return nil
		case err := <-inDone:
			inDone = nil
			if err != nil {
				abort(conn)
				<-readDone
				return err
			}
		case <-idle:
			s.verbose(fmt.Sprintf("tcpdial: idle timeout expired (no data either way for %v); closing\n", c.Idle.d))
			conn.Close()
			<-readDone
			linger(s.ctx, conn)
			summary()
			return nil
		case <-s.ctx.Done():
			abort(conn)
			<-readDone
			return s.interrupted("; connection reset")
		}
	}
}

// abort resets the connection.
func abort(conn *tcpstack.Conn) {
	conn.SetLinger(0)
	conn.Close()
}

// copyIn sends in to the connection, then our FIN.
func copyIn(conn *tcpstack.Conn, in io.Reader, peer netip.AddrPort, act *activity) error {
	buf := make([]byte, 32<<10)
	for {
		n, rerr := in.Read(buf)
		if n > 0 {
			if _, err := conn.Write(buf[:n]); err != nil {
				return connectionError(peer, "write", err)
			}
			act.sent.Add(int64(n))
			act.touch()
		}
		switch {
		case rerr == io.EOF:
			if err := conn.CloseWrite(); err != nil {
				return connectionError(peer, "shutdown", err)
			}
			return nil
		case rerr != nil:
			return fmt.Errorf("reading standard input: %w", rerr)
		}
	}
}

// copyOut writes what arrives to out until the peer's FIN (nil) or an error.
func copyOut(out io.Writer, conn *tcpstack.Conn, peer netip.AddrPort, act *activity) error {
	buf := make([]byte, 64<<10)
	for {
		n, rerr := conn.Read(buf)
		if n > 0 {
			if _, err := out.Write(buf[:n]); err != nil {
				return fmt.Errorf("writing standard output: %w", err)
			}
			act.received.Add(int64(n))
			act.touch()
		}
		switch {
		case rerr == io.EOF:
			return nil
		case rerr != nil:
			return connectionError(peer, "read", rerr)
		}
	}
}
