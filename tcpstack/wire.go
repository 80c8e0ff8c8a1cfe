package tcpstack

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"tcpregress.dev/tcpstack/header"
)

// Byte layouts of the headers the stack speaks below TCP. Each parser checks
// lengths first, so no accessor can go out of bounds on hostile input.

const (
	ethHeaderLen  = 14
	etherTypeIPv4 = 0x0800
	etherTypeARP  = 0x0806
	etherTypeVLAN = 0x8100
	arpLen        = 28
	ipv4MinLen    = 20
	protoICMP     = 1
	protoTCP      = 6
	ipv4DF        = 0x4000
	ipv4MF        = 0x2000
	defaultTTL    = 64
)

var broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// putEthernet writes an Ethernet header into b[:14].
func putEthernet(b []byte, dst, src net.HardwareAddr, etherType uint16) {
	copy(b[0:6], dst)
	copy(b[6:12], src)
	binary.BigEndian.PutUint16(b[12:14], etherType)
}

// arpPacket is a parsed Ethernet/IPv4 ARP packet (RFC 826).
type arpPacket struct {
	op                   uint16
	senderMAC, targetMAC net.HardwareAddr
	senderIP, targetIP   netip.Addr
}

func parseARP(b []byte) (arpPacket, bool) {
	if len(b) < arpLen {
		return arpPacket{}, false
	}
	// htype 1 (Ethernet), ptype IPv4, hlen 6, plen 4.
	if binary.BigEndian.Uint16(b[0:2]) != 1 || binary.BigEndian.Uint16(b[2:4]) != etherTypeIPv4 || b[4] != 6 || b[5] != 4 {
		return arpPacket{}, false
	}
	return arpPacket{
		op:        binary.BigEndian.Uint16(b[6:8]),
		senderMAC: net.HardwareAddr(b[8:14]),
		senderIP:  netip.AddrFrom4([4]byte(b[14:18])),
		targetMAC: net.HardwareAddr(b[18:24]),
		targetIP:  netip.AddrFrom4([4]byte(b[24:28])),
	}, true
}

// appendARP appends an ARP packet to b.
func appendARP(b []byte, op uint16, sMAC net.HardwareAddr, sIP netip.Addr, tMAC net.HardwareAddr, tIP netip.Addr) []byte {
	b = binary.BigEndian.AppendUint16(b, 1)
	b = binary.BigEndian.AppendUint16(b, etherTypeIPv4)
	b = append(b, 6, 4)
	b = binary.BigEndian.AppendUint16(b, op)
	b = append(b, sMAC[:6]...)
	s4 := sIP.As4()
	b = append(b, s4[:]...)
	if tMAC == nil {
		tMAC = make(net.HardwareAddr, 6)
	}
	b = append(b, tMAC[:6]...)
	t4 := tIP.As4()
	return append(b, t4[:]...)
}

// ipv4Header is the part of an IPv4 header the stack uses.
type ipv4Header struct {
	headerLen int
	totalLen  int
	id        uint16
	flagsFrag uint16
	ttl       uint8
	protocol  uint8
	src, dst  netip.Addr
	options   []byte // the options, b[20:headerLen]: valid while b is
}

func (h ipv4Header) fragment() bool {
	return h.flagsFrag&ipv4MF != 0 || h.flagsFrag&0x1fff != 0
}

// parseIPv4 checks and parses an IPv4 header (RFC 791): version, header
// length (options are skipped), total length, and the header checksum.
func parseIPv4(b []byte) (ipv4Header, []byte, bool) {
	if len(b) < ipv4MinLen || b[0]>>4 != 4 {
		return ipv4Header{}, nil, false
	}
	hl := int(b[0]&0x0f) * 4
	tl := int(binary.BigEndian.Uint16(b[2:4]))
	if hl < ipv4MinLen || tl < hl || tl > len(b) {
		return ipv4Header{}, nil, false
	}
	if checksum(b[:hl], 0) != 0 {
		return ipv4Header{}, nil, false
	}
	h := ipv4Header{
		headerLen: hl,
		totalLen:  tl,
		id:        binary.BigEndian.Uint16(b[4:6]),
		flagsFrag: binary.BigEndian.Uint16(b[6:8]),
		ttl:       b[8],
		protocol:  b[9],
		src:       netip.AddrFrom4([4]byte(b[12:16])),
		dst:       netip.AddrFrom4([4]byte(b[16:20])),
		options:   b[ipv4MinLen:hl],
	}
	// Ethernet pads short frames: the payload ends at the total length.
	return h, b[hl:tl], true
}

// putIPv4 writes a 20-byte IPv4 header (no options, DF set) into b[:20].
func putIPv4(b []byte, id uint16, proto uint8, src, dst netip.Addr, payloadLen int, tos, ttl uint8) {
	putIPv4Options(b, id, proto, src, dst, nil, payloadLen, tos, ttl)
}

// putIPv4Options writes an IPv4 header with options (DF set) into
// b[:20+len(opts)]; len(opts) must be a multiple of 4, at most 40. The
// header checksum covers the options (RFC 791 §3.1).
func putIPv4Options(b []byte, id uint16, proto uint8, src, dst netip.Addr, opts []byte, payloadLen int, tos, ttl uint8) {
	hl := ipv4MinLen + len(opts)
	b[0] = 0x40 | byte(hl/4)
	b[1] = tos
	binary.BigEndian.PutUint16(b[2:4], uint16(hl+payloadLen))
	binary.BigEndian.PutUint16(b[4:6], id)
	binary.BigEndian.PutUint16(b[6:8], ipv4DF)
	b[8] = ttl
	b[9] = proto
	b[10], b[11] = 0, 0
	s, d := src.As4(), dst.As4()
	copy(b[12:16], s[:])
	copy(b[16:20], d[:])
	copy(b[ipv4MinLen:hl], opts)
	binary.BigEndian.PutUint16(b[10:12], header.Checksum(b[:hl], 0))
}

// IP source routes (RFC 791 §3.1 LSRR and SSRR; RFC 1122 §3.2.1.8 (c),
// §4.2.3.8; RFC9293 MUST-53).
const (
	ipOptEOL  = 0
	ipOptNOP  = 1
	ipOptLSRR = 131
	ipOptSSRR = 137
)

// sourceRoute is the return route of a connection: the packets of the
// connection go to hop, with opt (the source route option, padded to a
// multiple of 4 octets) in their IP header.
type sourceRoute struct {
	hop netip.Addr
	opt []byte
}

// returnRoute builds the return route for a datagram from h.src whose IP
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
func returnRoute(src netip.Addr, opts []byte) (*sourceRoute, bool) {
	for i := 0; i < len(opts); {
		t := opts[i]
		if t == ipOptEOL {
			break
		}
		if t == ipOptNOP {
			i++
			continue
		}
		if i+1 >= len(opts) || opts[i+1] < 2 || i+int(opts[i+1]) > len(opts) {
			return nil, false // malformed: an option runs past the header
		}
		o := opts[i : i+int(opts[i+1])]
		i += len(o)
		if t != ipOptLSRR && t != ipOptSSRR {
			continue
		}
		// type, length, pointer, then addresses; the pointer (1-based) is
		// at least 4 and past the length once the route is complete.
		if len(o) < 3 || (len(o)-3)%4 != 0 || int(o[2]) < 4 || int(o[2]) <= len(o) {
			return nil, false
		}
		var rec []netip.Addr
		for j := 3; j+4 <= len(o); j += 4 {
			rec = append(rec, netip.AddrFrom4([4]byte(o[j:j+4])))
		}
		if len(rec) > 0 && rec[0] == src {
			rec = rec[1:] // RFC 1122 §3.2.1.8 case (B)
		}
		if len(rec) == 0 {
			return nil, false
		}
		r := &sourceRoute{hop: rec[len(rec)-1]}
		n := 3 + 4*len(rec)             // the reversed gateways, then the source
		r.opt = make([]byte, (n+3)/4*4) // padded with EOL (RFC 791)
		r.opt[0], r.opt[1], r.opt[2] = t, byte(n), 4
		k := 3
		for j := len(rec) - 2; j >= 0; j-- {
			a := rec[j].As4()
			k += copy(r.opt[k:], a[:])
		}
		a := src.As4()
		copy(r.opt[k:], a[:])
		return r, true
	}
	return nil, false
}

// appSourceRoute builds the route of an active open from the application's
// source route opt (RFC9293 MUST-51): type LSRR or SSRR, pointer 4, the
// first hop, further gateways, and a last slot for the destination, which
// takes dst. The packets go to the first hop, and the option lists the rest
// (RFC791 "Loose Source and Record Route"; Linux lays it out the same way).
func appSourceRoute(opt []byte, dst netip.Addr) (*sourceRoute, error) {
	if len(opt) < 11 || len(opt) > 39 || (opt[0] != ipOptLSRR && opt[0] != ipOptSSRR) || int(opt[1]) != len(opt) || opt[2] != 4 || (len(opt)-3)%4 != 0 {
		return nil, fmt.Errorf("tcpstack: source route % x: want type 131 or 137, its length, pointer 4, then the first hop and at least the destination's slot: %w", opt, syscall.EINVAL)
	}
	r := &sourceRoute{hop: netip.AddrFrom4([4]byte(opt[3:7]))}
	n := len(opt) - 4
	r.opt = make([]byte, (n+3)/4*4) // padded with EOL (RFC791)
	r.opt[0], r.opt[1], r.opt[2] = opt[0], byte(n), 4
	copy(r.opt[3:], opt[7:])
	d := dst.As4()
	copy(r.opt[n-4:n], d[:])
	return r, nil
}

// checksum returns the Internet checksum of b (RFC 1071) starting from the
// partial sum initial; 0 for data that includes a correct checksum.
func checksum(b []byte, initial uint32) uint16 { return header.Checksum(b, initial) }
