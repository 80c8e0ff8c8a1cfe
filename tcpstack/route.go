package tcpstack

import (
	"fmt"
	"net/netip"
	"syscall"

	"tcpregress.dev/tcpstack/header"
)

// IP source routes (RFC 791 §3.1 LSRR and SSRR; RFC 1122 §3.2.1.8 (c),
// §4.2.3.8; RFC9293 MUST-51 to MUST-53): the return route of a connection
// opened by a SYN that came along a completed route, and the route an
// application gives an active open.

// sourceRoute is the route of a connection: the packets of the connection
// go to hop, with opt (the source route option, padded to a multiple of 4
// octets) in their IP header.
type sourceRoute struct {
	hop netip.Addr
	opt []byte
}

// newSourceRoute lays out the route to hop whose option of type t lists
// addrs with pointer 4, padded with EOL to a multiple of 4 octets (RFC 791).
func newSourceRoute(hop netip.Addr, t header.IPv4OptionType, addrs ...netip.Addr) *sourceRoute {
	opt := header.AppendIPv4Route(make([]byte, 0, header.IPv4MaxOptionsLen), t, 4, addrs...)
	for len(opt)%4 != 0 {
		opt = append(opt, byte(header.IPv4OptionEOL))
	}
	return &sourceRoute{hop: hop, opt: opt}
}

// isSourceRoute reports whether t is LSRR or SSRR.
func isSourceRoute(t header.IPv4OptionType) bool {
	return t == header.IPv4OptionLSRR || t == header.IPv4OptionSSRR
}

// returnRoute builds the return route for a datagram from src whose IP
// options are opts, if they hold a completed source route (LSRR or SSRR whose
// pointer is past its last address: RFC 1122 §3.2.1.8 (c), "the datagram has
// reached its final destination; the option as received (the recorded
// route) MUST be passed up to the transport layer ... This recorded route
// will be reversed and used to form a return source route for reply
// datagrams"). For a recorded route {G1, ..., Gn} the reply goes to Gn with
// the option {>>Gn-1, ..., G1, S}, of the received type. "When a return
// source route is built, it MUST be correctly formed even if the recorded
// route included the source host" (case (B) of the same section: the option
// received is then {S, G1, ..., Gn}): a first recorded address equal to the
// source is left out, as Linux's ip_options_echo does; if nothing is left
// (the route recorded only the source), the source is reached directly and
// no route is returned. Malformed options, or a route not yet completed
// (the stack is not the final destination and does not forward), give none.
func returnRoute(src netip.Addr, opts header.IPv4Options) (*sourceRoute, bool) {
	it := opts.Iter()
	for it.Next() { // a malformed option ends the loop: no route
		o := it.Option()
		if !isSourceRoute(o.Type) {
			continue
		}
		rec, err := o.Route()
		if err != nil || !rec.Complete() {
			return nil, false
		}
		first := 0
		if rec.Len() > 0 && rec.Addr(0) == src {
			first = 1 // RFC 1122 §3.2.1.8 case (B)
		}
		last := rec.Len() - 1
		if last < first {
			return nil, false
		}
		// The reversed gateways, then the source.
		back := make([]netip.Addr, 0, last-first+1)
		for i := last - 1; i >= first; i-- {
			back = append(back, rec.Addr(i))
		}
		return newSourceRoute(rec.Addr(last), o.Type, append(back, src)...), true
	}
	return nil, false
}

// appSourceRoute builds the route of an active open from the application's
// source route opt (RFC9293 MUST-51): type LSRR or SSRR, pointer 4, the
// first hop, further gateways, and a last slot for the destination, which
// takes dst. The packets go to the first hop, and the option lists the rest
// (RFC791 "Loose Source and Record Route"; Linux lays it out the same way).
func appSourceRoute(opt []byte, dst netip.Addr) (*sourceRoute, error) {
	it := header.IPv4Options(opt).Iter()
	if it.Next() {
		o := it.Option()
		rec, err := o.Route()
		if err == nil && isSourceRoute(o.Type) && o.Len() == len(opt) && len(opt) <= header.IPv4MaxOptionsLen &&
			rec.Pointer == 4 && rec.Len() >= 2 {
			rest := make([]netip.Addr, 0, rec.Len()-1)
			for i := 1; i < rec.Len()-1; i++ {
				rest = append(rest, rec.Addr(i))
			}
			return newSourceRoute(rec.Addr(0), o.Type, append(rest, dst)...), nil
		}
	}
	return nil, fmt.Errorf("tcpstack: source route % x: want type 131 or 137, its length, pointer 4, then the first hop and at least the destination's slot: %w", opt, syscall.EINVAL)
}

// setRoute saves r as the connection's return source route (RFC9293 MUST-53,
// RFC1122 §4.2.3.8: "TCP MUST save the return route and use it for all
// segments sent on this connection") and tells the engine the IP option
// bytes each segment now carries, for the MSS. s.mu is held.
func (c *Conn) setRoute(r *sourceRoute) {
	c.route = r
	c.tcb.SetIPOptionsLen(len(r.opt))
}
