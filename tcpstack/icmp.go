package tcpstack

import (
	"encoding/binary"
	"net/netip"
	"os"
	"syscall"
	"time"

	"tcpregress.dev/tcpstack/tcp"
)

var osErrDeadlineExceeded = os.ErrDeadlineExceeded

// ICMP (RFC 792): echo requests are answered; destination-unreachable
// messages are delivered to the connection they quote (RFC1122 §4.2.3.9):
// fragmentation-needed lowers its MSS (RFC1191); protocol and port
// unreachable (hard errors) abort a connection in SYN-SENT; the others, and
// all of them for a synchronized connection, are soft errors that do not
// abort it and explain a later timeout.

const (
	icmpEchoReply   = 0
	icmpUnreachable = 3
	icmpEchoRequest = 8
	icmpFragNeeded  = 4 // code of icmpUnreachable
)

func (s *Stack) inputICMP(h ipv4Header, b []byte, now time.Time) {
	if len(b) < 8 || checksum(b, 0) != 0 {
		return
	}
	switch b[0] {
	case icmpEchoRequest:
		f := s.frame[:ethHeaderLen+ipv4MinLen]
		f = append(f, icmpEchoReply, 0, 0, 0)
		f = append(f, b[4:]...)
		icmp := f[ethHeaderLen+ipv4MinLen:]
		binary.BigEndian.PutUint16(icmp[2:4], checksum(icmp, 0))
		s.ipID++
		putIPv4(f[ethHeaderLen:], s.ipID, protoICMP, s.addr, h.src, len(icmp), 0, defaultTTL)
		s.sendIP(h.src, f, false)
		s.frame = f[:0]
	case icmpUnreachable:
		s.inputUnreachable(b, now)
	}
}

func (s *Stack) inputUnreachable(b []byte, now time.Time) {
	code := b[1]
	mtu := int(binary.BigEndian.Uint16(b[6:8]))
	// The quoted datagram: its IP header and at least 8 bytes of TCP.
	q := b[8:]
	if len(q) < ipv4MinLen || q[0]>>4 != 4 {
		return
	}
	hl := int(q[0]&0x0f) * 4
	if hl < ipv4MinLen || len(q) < hl+8 || q[9] != protoTCP {
		return
	}
	src := netip.AddrFrom4([4]byte(q[12:16]))
	dst := netip.AddrFrom4([4]byte(q[16:20]))
	if src != s.addr {
		return
	}
	t := q[hl:]
	local := netip.AddrPortFrom(src, binary.BigEndian.Uint16(t[0:2]))
	remote := netip.AddrPortFrom(dst, binary.BigEndian.Uint16(t[2:4]))
	c := s.conns[fourTuple{local, remote}]
	if c == nil {
		return
	}
	// RFC5927 §4.1: accept the message only if the quoted sequence number
	// is in flight, so a blind attacker cannot lower the MSS or inject
	// errors.
	seq := tcp.Value(binary.BigEndian.Uint32(t[4:8]))
	info := c.tcb.Info()
	if seq.LessThan(info.SndUna) || info.SndMax.LessThan(seq) {
		s.log.Debug().Str("conn", local.String()).Msg("ignored an ICMP error quoting a sequence number not in flight")
		return
	}
	if code == icmpFragNeeded {
		if mtu == 0 || mtu < 68 {
			return
		}
		if c.tcb.SetPathMTU(mtu) {
			s.log.Debug().Str("conn", local.String()).Int("mtu", mtu).Msg("path MTU lowered")
			s.flush(c, now)
		}
		return
	}
	// Soft errors (RFC1122 §4.2.3.9, RFC5461): recorded, not fatal.
	switch code {
	case 0, 6, 11: // net unreachable, unknown net, net unreachable for TOS
		c.softErr = syscall.ENETUNREACH
	case 2: // protocol unreachable
		c.softErr = syscall.ENOPROTOOPT
	case 3: // port unreachable
		c.softErr = syscall.ECONNREFUSED
	default:
		c.softErr = syscall.EHOSTUNREACH
	}
	// RFC1122 §4.2.3.9: "Destination Unreachable -- codes 2-4: These are
	// hard error conditions, so TCP SHOULD abort the connection" (code 4 is
	// handled above). A connection attempt is aborted; a synchronized
	// connection keeps the soft-error treatment RFC5461 §4 recommends
	// against forged ICMP. The quoted sequence number was checked above.
	if (code == 2 || code == 3) && c.tcb.State() == tcp.StateSynSent {
		c.err = c.softErr
		c.tcb.Abort()
		s.flush(c, now)
		s.remove(c)
		c.terminate(c.softErr)
	}
}
