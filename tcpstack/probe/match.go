package probe

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"

	"tcpregress.dev/tcpstack/tcp"
)

// Match is an expectation about a frame: a predicate with a description
// that error messages quote. Build one from the helpers below, combine
// with [And], [Or] and [Not], or wrap any function with [Func].
//
// Matches are evaluated outside the probe's lock, so they may call the
// probe's and its connections' methods, but they must be pure: a frame
// that did not match once is not offered again.
type Match interface {
	Match(f *Frame) bool
	String() string
}

type funcMatch struct {
	desc string
	fn   func(*Frame) bool
}

func (m funcMatch) Match(f *Frame) bool { return m.fn(f) }
func (m funcMatch) String() string      { return m.desc }

// Func makes a Match of fn, described by desc.
func Func(desc string, fn func(f *Frame) bool) Match { return funcMatch{desc, fn} }

// Any matches every frame.
var Any Match = Func("any frame", func(*Frame) bool { return true })

// TCP matches a decodable TCP segment, whatever its checksum.
var TCP Match = Func("tcp", func(f *Frame) bool { return f.IsTCP() })

// ICMPMessage matches a decodable ICMP message.
var ICMPMessage Match = Func("icmp", func(f *Frame) bool { return f.IsICMP() })

// ChecksumOK matches a TCP segment or ICMP message with a right checksum.
var ChecksumOK Match = Func("checksum ok", func(f *Frame) bool { return f.Err == nil && f.ChecksumOK })

// SeqAny, AckAny and WindowAny match a TCP segment whatever its sequence
// number, acknowledgment number or window: they say in an expectation that
// the field was left open on purpose.
var (
	SeqAny    Match = Func("seq any", func(f *Frame) bool { return f.IsTCP() })
	AckAny    Match = Func("ack any", func(f *Frame) bool { return f.IsTCP() })
	WindowAny Match = Func("win any", func(f *Frame) bool { return f.IsTCP() })
)

// Flags matches a TCP segment whose control bits are exactly fl.
func Flags(fl tcp.Flags) Match {
	return Func("flags ["+tcpdumpFlags(fl)+"]", func(f *Frame) bool { return f.IsTCP() && f.TCP.Flags == fl })
}

// HasFlags matches a TCP segment with every bit of fl set, others free.
func HasFlags(fl tcp.Flags) Match {
	return Func("flags has ["+tcpdumpFlags(fl)+"]", func(f *Frame) bool { return f.IsTCP() && f.TCP.Flags.Has(fl) })
}

// Seq matches a TCP segment with sequence number v.
func Seq(v tcp.Value) Match {
	return Func(fmt.Sprintf("seq %d", uint32(v)), func(f *Frame) bool { return f.IsTCP() && f.TCP.Seq == v })
}

// Ack matches a TCP segment with acknowledgment number v (the ACK flag is
// not checked: combine with Flags or HasFlags).
func Ack(v tcp.Value) Match {
	return Func(fmt.Sprintf("ack %d", uint32(v)), func(f *Frame) bool { return f.IsTCP() && f.TCP.Ack == v })
}

// Window matches a TCP segment whose window field is w (unscaled).
func Window(w uint16) Match {
	return Func(fmt.Sprintf("win %d", w), func(f *Frame) bool { return f.IsTCP() && f.TCP.Window == w })
}

// Len matches a TCP segment carrying n octets of payload.
func Len(n int) Match {
	return Func(fmt.Sprintf("length %d", n), func(f *Frame) bool { return f.IsTCP() && len(f.TCP.Payload) == n })
}

// HasPayload matches a TCP segment that carries data.
var HasPayload Match = Func("length > 0", func(f *Frame) bool { return f.IsTCP() && len(f.TCP.Payload) > 0 })

// Payload matches a TCP segment whose payload is exactly b.
func Payload(b []byte) Match {
	return Func(fmt.Sprintf("payload %q", b), func(f *Frame) bool { return f.IsTCP() && bytes.Equal(f.TCP.Payload, b) })
}

// HasOption matches a TCP segment whose options area holds an option of
// that kind (walked the way receivers do; a broken length ends the walk).
func HasOption(kind byte) Match {
	return Func(fmt.Sprintf("option %d", kind), func(f *Frame) bool {
		for _, o := range walkOptions(f.TCPOptions()) {
			if o.kind == kind {
				return true
			}
		}
		return false
	})
}

// From matches a frame sent from ap; a zero port matches any port (and
// frames that are not TCP).
func From(ap netip.AddrPort) Match {
	return Func("from "+endpoint(ap), func(f *Frame) bool {
		return f.IP.Src == ap.Addr() && (ap.Port() == 0 || f.TCP.SrcPort == ap.Port())
	})
}

// To matches a frame sent to ap; a zero port matches any port.
func To(ap netip.AddrPort) Match {
	return Func("to "+endpoint(ap), func(f *Frame) bool {
		return f.IP.Dst == ap.Addr() && (ap.Port() == 0 || f.TCP.DstPort == ap.Port())
	})
}

// Tuple matches a TCP segment from remote to local: the 4-tuple of a
// connection seen from the probe's side.
func Tuple(local, remote netip.AddrPort) Match {
	return Func(fmt.Sprintf("%s > %s", endpoint(remote), endpoint(local)), func(f *Frame) bool {
		return f.IP.Protocol == protoTCP && f.Src() == remote && f.Dst() == local
	})
}

func endpoint(ap netip.AddrPort) string {
	if ap.Port() == 0 {
		return ap.Addr().String()
	}
	return fmt.Sprintf("%s.%d", ap.Addr(), ap.Port())
}

// And matches a frame that every m matches (and every frame when empty).
func And(ms ...Match) Match {
	if len(ms) == 1 {
		return ms[0]
	}
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return Func(strings.Join(parts, ", "), func(f *Frame) bool {
		for _, m := range ms {
			if !m.Match(f) {
				return false
			}
		}
		return true
	})
}

// Or matches a frame that at least one m matches.
func Or(ms ...Match) Match {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return Func("("+strings.Join(parts, " or ")+")", func(f *Frame) bool {
		for _, m := range ms {
			if m.Match(f) {
				return true
			}
		}
		return false
	})
}

// Not matches a frame m does not match.
func Not(m Match) Match {
	return Func("not ("+m.String()+")", func(f *Frame) bool { return !m.Match(f) })
}

// option is one option of an options area, as a receiver walks it.
type option struct {
	kind byte
	data []byte
}

// walkOptions splits an options area like tcp.Parse does (RFC9293 MUST-7:
// an illegal length ends the walk), skipping NOP and stopping at EOL.
func walkOptions(b []byte) []option {
	var out []option
	for i := 0; i < len(b); {
		switch b[i] {
		case 0:
			return out
		case 1:
			i++
			continue
		}
		if i+1 >= len(b) {
			return out
		}
		n := int(b[i+1])
		if n < 2 || i+n > len(b) {
			return out
		}
		out = append(out, option{b[i], b[i+2 : i+n]})
		i += n
	}
	return out
}
