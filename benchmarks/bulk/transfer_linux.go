//go:build linux

package bulk

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime/pprof"
	"sync/atomic"
	"time"

	"tcpregress.dev/tcpstack/netns"
)

// ioSize is the size of every Write of the sender and Read of the receiver.
const ioSize = 256 << 10

// stopGrace bounds how long the sender may take to notice the end of a run.
const stopGrace = 10 * time.Second

// transfer sends from send to recv as fast as the sender can write, until
// the receiver has counted Limit bytes or Duration has passed since its
// first Read, and returns what the receiver counted. It writes a CPU
// profile of the transfer to profile when that is set. It closes both
// connections.
func (b *Bench) transfer(send, recv net.Conn, profile string) (result, error) {
	defer send.Close()
	defer recv.Close()
	var stop atomic.Bool
	sendDone := make(chan error, 1)
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return result{}, fmt.Errorf("CPU profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return result{}, fmt.Errorf("CPU profile: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	go func() {
		buf := make([]byte, ioSize)
		for i := range buf {
			buf[i] = byte(i*7 + i>>8)
		}
		for !stop.Load() {
			if _, err := send.Write(buf); err != nil {
				if stop.Load() {
					err = nil
				}
				sendDone <- err
				return
			}
		}
		sendDone <- nil
	}()

	buf := make([]byte, ioSize)
	start := time.Now()
	recv.SetReadDeadline(start.Add(b.o.Duration))
	// A Read that ignores its deadline must not hang the benchmark.
	var watchdog atomic.Bool
	wd := time.AfterFunc(b.o.Duration+30*time.Second, func() {
		watchdog.Store(true)
		recv.Close()
		send.Close()
	})
	var total int64
	var rerr error
	for total < b.o.Limit {
		n, err := recv.Read(buf)
		total += int64(n)
		if err != nil {
			if !isTimeout(err) {
				rerr = err
			}
			break
		}
	}
	elapsed := time.Since(start)
	wd.Stop()
	stop.Store(true)
	send.SetWriteDeadline(time.Now()) // unblock a blocked Write
	recv.Close()
	var serr error
	select {
	case serr = <-sendDone:
	case <-time.After(stopGrace):
		serr = fmt.Errorf("still blocked in Write %v after the receiver stopped (SetWriteDeadline and the peer's close did not unblock it)", stopGrace)
	}
	res := result{bytes: total, seconds: elapsed.Seconds()}
	switch {
	case watchdog.Load():
		return res, fmt.Errorf("the receiver's Read ignored its deadline: stopped by the watchdog %v after the start, %d bytes received", b.o.Duration+30*time.Second, total)
	case rerr != nil && serr != nil:
		return res, fmt.Errorf("the connection failed after %d bytes in %.2f s: receiver: %w; sender: %v", total, elapsed.Seconds(), rerr, serr)
	case rerr != nil:
		return res, fmt.Errorf("the connection failed after %d bytes in %.2f s: receiver: %w", total, elapsed.Seconds(), rerr)
	case serr != nil:
		return res, fmt.Errorf("sender: %w", serr)
	case total == 0:
		return res, fmt.Errorf("no data arrived in %v", b.o.Duration)
	}
	return res, nil
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// userland is how the bulk runs reach a userland stack under test.
type userland struct {
	name   string
	dial   func(ctx context.Context, peer netip.AddrPort) (net.Conn, error)
	listen func(local netip.AddrPort) (net.Listener, error)
}

// runUserland connects the userland stack at us with the kernel on p's side
// B and moves data from the stack to the kernel (send) or the other way.
func (b *Bench) runUserland(ctx context.Context, p *netns.Pair, us netip.Addr, u userland, send bool, profile string) (result, error) {
	port := uint16(b.nextPort())
	if send {
		peer := netip.AddrPortFrom(p.B.Addr.Addr(), port)
		ln, err := kernelListen(p.B, peer)
		if err != nil {
			return result{}, err
		}
		defer ln.Close()
		c, k, err := connectVia(ln, func() (net.Conn, error) {
			dctx, cancel := context.WithTimeout(ctx, setupTimeout)
			defer cancel()
			return u.dial(dctx, peer)
		})
		if err != nil {
			return result{}, fmt.Errorf("%s: %w", u.name, err)
		}
		return b.transfer(c, k, profile)
	}
	local := netip.AddrPortFrom(us, port)
	ln, err := u.listen(local)
	if err != nil {
		return result{}, fmt.Errorf("%s: %w", u.name, err)
	}
	defer ln.Close()
	k, c, err := connectVia(ln, func() (net.Conn, error) { return kernelDial(ctx, p.B, local) })
	if err != nil {
		return result{}, fmt.Errorf("%s: %w", u.name, err)
	}
	return b.transfer(k, c, profile)
}

// connectVia makes a connection with dial and accepts it on ln, waiting at
// most setupTimeout for the accept: it returns both ends.
func connectVia(ln net.Listener, dial func() (net.Conn, error)) (dialed, accepted net.Conn, err error) {
	cc, ec := acceptOne(ln)
	dialed, err = dial()
	if err != nil {
		return nil, nil, err
	}
	accepted, err = waitAccept(ln, cc, ec, setupTimeout)
	if err != nil {
		dialed.Close()
		return nil, nil, err
	}
	return dialed, accepted, nil
}

// acceptOne accepts one connection from ln in the background; see
// waitAccept.
func acceptOne(ln net.Listener) (<-chan net.Conn, <-chan error) {
	cc := make(chan net.Conn, 1)
	ec := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			ec <- fmt.Errorf("accept: %w", err)
			return
		}
		cc <- c
	}()
	return cc, ec
}

// waitAccept waits for acceptOne's connection for at most d, closing ln
// when it gives up.
func waitAccept(ln net.Listener, cc <-chan net.Conn, ec <-chan error, d time.Duration) (net.Conn, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case c := <-cc:
		return c, nil
	case err := <-ec:
		return nil, err
	case <-t.C:
		ln.Close()
		select {
		case c := <-cc:
			return c, nil
		default:
		}
		return nil, fmt.Errorf("accept: no connection within %v", d)
	}
}
