package header

import "strconv"

// IPProtocol is an IP protocol number: the Protocol field of IPv4 and the
// Next Header field of IPv6 and its extension headers (IANA "Assigned
// Internet Protocol Numbers").
type IPProtocol uint8

// Protocol numbers used by the project.
const (
	IPProtocolHopByHop IPProtocol = 0   // IPv6 Hop-by-Hop Options (RFC 8200 §4.3)
	IPProtocolICMP     IPProtocol = 1   // ICMP for IPv4 (RFC 792)
	IPProtocolTCP      IPProtocol = 6   // TCP (RFC 9293)
	IPProtocolUDP      IPProtocol = 17  // UDP (RFC 768)
	IPProtocolRouting  IPProtocol = 43  // IPv6 Routing header (RFC 8200 §4.4)
	IPProtocolFragment IPProtocol = 44  // IPv6 Fragment header (RFC 8200 §4.5)
	IPProtocolESP      IPProtocol = 50  // Encapsulating Security Payload (RFC 4303)
	IPProtocolAH       IPProtocol = 51  // Authentication Header (RFC 4302)
	IPProtocolICMPv6   IPProtocol = 58  // ICMP for IPv6 (RFC 4443)
	IPProtocolNoNext   IPProtocol = 59  // IPv6 No Next Header (RFC 8200 §4.7)
	IPProtocolDestOpts IPProtocol = 60  // IPv6 Destination Options (RFC 8200 §4.6)
	IPProtocolRaw      IPProtocol = 255 // reserved; used for raw sockets
)

// String returns the protocol's usual lower-case name ("tcp", "icmp",
// "ipv6-frag", ...) or "ip-proto-N", as tcpdump prints unknown ones.
func (p IPProtocol) String() string {
	switch p {
	case IPProtocolHopByHop:
		return "hopopt"
	case IPProtocolICMP:
		return "icmp"
	case IPProtocolTCP:
		return "tcp"
	case IPProtocolUDP:
		return "udp"
	case IPProtocolRouting:
		return "ipv6-route"
	case IPProtocolFragment:
		return "ipv6-frag"
	case IPProtocolESP:
		return "esp"
	case IPProtocolAH:
		return "ah"
	case IPProtocolICMPv6:
		return "icmp6"
	case IPProtocolNoNext:
		return "ipv6-nonxt"
	case IPProtocolDestOpts:
		return "ipv6-opts"
	}
	return "ip-proto-" + strconv.Itoa(int(p))
}
