package header

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
func (p IPProtocol) String() string { return enumString(ipProtocolNames[:], p, "ip-proto-") }

var ipProtocolNames = [...]string{
	IPProtocolHopByHop: "hopopt",
	IPProtocolICMP:     "icmp",
	IPProtocolTCP:      "tcp",
	IPProtocolUDP:      "udp",
	IPProtocolRouting:  "ipv6-route",
	IPProtocolFragment: "ipv6-frag",
	IPProtocolESP:      "esp",
	IPProtocolAH:       "ah",
	IPProtocolICMPv6:   "icmp6",
	IPProtocolNoNext:   "ipv6-nonxt",
	IPProtocolDestOpts: "ipv6-opts",
}
