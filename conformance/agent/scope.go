package agent

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"syscall"
)

// scope is where a control connection's sockets may go: connect (and any
// op that sends to an address) only to the tester's address or an allowed
// prefix, bind only to the target's test addresses.
type scope struct {
	peer  netip.Addr     // the control connection's peer: the tester
	allow []netip.Prefix // --allow-peer
	test  []netip.Addr   // --test-addr; 0.0.0.0 allows binding every address
}

// checkPeer refuses a destination outside the scope with EACCES.
func (s *scope) checkPeer(op string, a netip.Addr) error {
	a = a.Unmap()
	if a == s.peer {
		return nil
	}
	for _, p := range s.allow {
		if p.Contains(a) {
			return nil
		}
	}
	return fmt.Errorf("%s to %v refused: the agent reaches only the tester's address %v and the prefixes named with --allow-peer (%s); start it with --allow-peer %v/32: %w",
		op, a, s.peer, listOr(s.allow, "none"), a, syscall.EACCES)
}

// checkBind refuses a local address that is not a test address with EACCES.
func (s *scope) checkBind(a netip.Addr) error {
	if slices.Contains(s.test, a.Unmap()) {
		return nil
	}
	what := "the target's test addresses"
	if a.IsUnspecified() {
		what = "every address (the unspecified address)"
	}
	return fmt.Errorf("bind to %v refused: it would listen or send on %s; the agent binds only the test addresses named with --test-addr (%s); start it with --test-addr %v: %w",
		a, what, listOr(s.test, "none"), a, syscall.EACCES)
}

func listOr[T fmt.Stringer](xs []T, none string) string {
	if len(xs) == 0 {
		return none
	}
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = x.String()
	}
	return strings.Join(s, ", ")
}

// addrOf returns the IP address of a net.Addr of a TCP connection or
// listener, unmapped.
func addrOf(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// isLoopback reports whether a listener's address is reachable from this
// host only.
func isLoopback(a net.Addr) bool {
	ip := addrOf(a)
	return ip.IsValid() && ip.IsLoopback()
}
