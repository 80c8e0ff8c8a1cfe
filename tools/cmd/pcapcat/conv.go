package main

import (
	"bytes"
	"strconv"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/tcpstack/tcpdump"
)

// Conversations: TCP and UDP traffic between two endpoints (address and
// port), both directions together, numbered per protocol in order of first
// appearance. Endpoint A is the sender of the conversation's first packet.
// A conversation is the 4-tuple: a port reused for a new connection
// continues the same conversation.

// convKey identifies a conversation whichever way a packet goes: the lower
// endpoint (address, then port) first.
type convKey struct {
	lo, hi   [16]byte
	loP, hiP uint16
	v6       bool
	proto    uint8 // 6 or 17
}

// convStats are a conversation's counters.
type convStats struct {
	num         int  // 1-based, per protocol
	aIsLo       bool // endpoint A is key.lo
	key         convKey
	pkts, bytes [2]uint64 // [0] A→B, [1] B→A; bytes on the wire
	first, last time.Time
}

// endpoints is a packet's transport endpoints, from a decoder.
type endpoints struct {
	proto        uint8
	v6           bool
	src, dst     []byte
	sport, dport uint16
	tcp          *layers.TCP // when proto is 6
	payload      []byte      // the transport payload (captured)
}

// packetEndpoints returns the TCP or UDP endpoints of a decoded packet; ok
// is false for other packets and for fragments after the first.
func packetEndpoints(d *tcpdump.Decoder) (e endpoints, ok bool) {
	switch {
	case d.Has(layers.LayerTypeIPv4):
		e.src, e.dst = d.IPv4.SrcIP, d.IPv4.DstIP
	case d.Has(layers.LayerTypeIPv6):
		e.src, e.dst, e.v6 = d.IPv6.SrcIP, d.IPv6.DstIP, true
	default:
		return e, false
	}
	switch {
	case d.Has(layers.LayerTypeTCP):
	case d.Has(layers.LayerTypeUDP):
	case d.Has(layers.LayerTypeIPv4) && d.IPv4.FragOffset == 0 && d.IPv4.Flags&layers.IPv4MoreFragments != 0:
		// The first fragment carries the transport header: decode it.
		switch d.IPv4.Protocol {
		case layers.IPProtocolTCP:
			if d.TCP.DecodeFromBytes(d.IPv4.Payload, gopacket.NilDecodeFeedback) != nil {
				return e, false
			}
			d.Decoded = append(d.Decoded, layers.LayerTypeTCP)
		case layers.IPProtocolUDP:
			if d.UDP.DecodeFromBytes(d.IPv4.Payload, gopacket.NilDecodeFeedback) != nil {
				return e, false
			}
			d.Decoded = append(d.Decoded, layers.LayerTypeUDP)
		default:
			return e, false
		}
	default:
		return e, false
	}
	if d.Has(layers.LayerTypeTCP) {
		e.proto, e.sport, e.dport, e.tcp, e.payload = 6, uint16(d.TCP.SrcPort), uint16(d.TCP.DstPort), &d.TCP, d.TCP.Payload
	} else {
		e.proto, e.sport, e.dport, e.payload = 17, uint16(d.UDP.SrcPort), uint16(d.UDP.DstPort), d.UDP.Payload
	}
	return e, true
}

// key returns the conversation key and whether the packet goes from the
// lower endpoint to the higher.
func (e *endpoints) key() (k convKey, fromLo bool) {
	k.v6, k.proto = e.v6, e.proto
	c := bytes.Compare(e.src, e.dst)
	fromLo = c < 0 || (c == 0 && e.sport <= e.dport)
	if fromLo {
		copy(k.lo[:], e.src)
		copy(k.hi[:], e.dst)
		k.loP, k.hiP = e.sport, e.dport
	} else {
		copy(k.lo[:], e.dst)
		copy(k.hi[:], e.src)
		k.loP, k.hiP = e.dport, e.sport
	}
	return k, fromLo
}

// convTable numbers and counts conversations.
type convTable struct {
	byKey map[convKey]*convStats
	tcp   []*convStats
	udp   []*convStats
}

func newConvTable() *convTable {
	return &convTable{byKey: make(map[convKey]*convStats)}
}

// add counts a packet and returns its conversation and direction (0 A→B,
// 1 B→A).
func (t *convTable) add(e *endpoints, wire int, ts time.Time) (*convStats, int) {
	k, fromLo := e.key()
	c := t.byKey[k]
	if c == nil {
		c = &convStats{aIsLo: fromLo, key: k, first: ts, last: ts}
		if k.proto == 6 {
			t.tcp = append(t.tcp, c)
			c.num = len(t.tcp)
		} else {
			t.udp = append(t.udp, c)
			c.num = len(t.udp)
		}
		t.byKey[k] = c
	}
	dir := 0
	if fromLo != c.aIsLo {
		dir = 1
	}
	c.pkts[dir]++
	c.bytes[dir] += uint64(wire)
	if ts.Before(c.first) {
		c.first = ts
	}
	if ts.After(c.last) {
		c.last = ts
	}
	return c, dir
}

// endpointA and endpointB return the conversation's endpoints as
// "addr:port" ("[addr]:port" for IPv6).
func (c *convStats) endpointA() string {
	if c.aIsLo {
		return formatEndpoint(c.key.lo[:], c.key.loP, c.key.v6)
	}
	return formatEndpoint(c.key.hi[:], c.key.hiP, c.key.v6)
}

func (c *convStats) endpointB() string {
	if c.aIsLo {
		return formatEndpoint(c.key.hi[:], c.key.hiP, c.key.v6)
	}
	return formatEndpoint(c.key.lo[:], c.key.loP, c.key.v6)
}

func formatEndpoint(addr []byte, port uint16, v6 bool) string {
	var b []byte
	if v6 {
		b = append(b, '[')
		b = tcpdump.AppendAddr(b, addr[:16])
		b = append(b, ']')
	} else {
		b = tcpdump.AppendAddr(b, addr[:4])
	}
	b = append(b, ':')
	b = strconv.AppendUint(b, uint64(port), 10)
	return string(b)
}
