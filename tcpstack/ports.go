package tcpstack

import (
	"hash/maphash"
	"io"
	"net/netip"
	"os"
	"syscall"
)

// Port choice: a free port for Listen(":0"), and the ephemeral port of an
// active open (RFC 6056).

// listenPort picks a port for Listen(":0") from the dynamic range: one that
// no listener and no connection uses, as a bind to port 0 gets from Linux.
// s.mu is held.
func (s *Stack) listenPort() (uint16, error) {
	const lo, hi = 49152, 65535
	const n = hi - lo + 1
	used := make(map[uint16]bool, len(s.conns))
	for t := range s.conns {
		used[t.local.Port()] = true
	}
	for range n {
		p := uint16(lo + s.nextPort%n)
		s.nextPort++
		if _, busy := s.listeners[p]; !busy && !used[p] {
			return p, nil
		}
	}
	return 0, os.NewSyscallError("listen", syscall.EADDRINUSE)
}

// ephemeral picks the local port of an active open to remote by RFC6056
// §3.3.3, Algorithm 3 ("Simple Hash-Based Port Selection"): the ports are
// tried from a keyed hash of the remote endpoint plus a counter, so a peer
// cannot guess the next port, while successive connections to one peer walk
// the whole range before any port comes back. A port whose connection to
// remote lingers in TIME-WAIT is taken over when tcp.Conn.TimeWaitReusable
// says it is safe, as Linux's tcp_tw_reuse does. s.mu is held.
func (s *Stack) ephemeral(remote netip.AddrPort) (netip.AddrPort, error) {
	const lo, hi = 49152, 65535 // RFC6335 §6: the dynamic ports
	const n = hi - lo + 1
	offset := uint32(maphash.Comparable(s.portSeed, remote))
	now := s.now()
	for range n {
		p := uint16(lo + (offset+s.nextPort)%n)
		s.nextPort++
		if _, busy := s.listeners[p]; busy {
			continue
		}
		lp := netip.AddrPortFrom(s.addr, p)
		if c, busy := s.conns[fourTuple{lp, remote}]; busy {
			if !c.tcb.TimeWaitReusable(now) {
				continue
			}
			s.remove(c)
			c.terminate(io.EOF)
		}
		return lp, nil
	}
	return netip.AddrPort{}, os.NewSyscallError("connect", syscall.EADDRNOTAVAIL)
}
