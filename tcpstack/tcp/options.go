// TCP options: parsing and layout.
//
// Read before editing: RFC9293 §3.1 (option format; MUST-4 EOL/NOP/MSS,
// MUST-5 options in any segment, MUST-6 ignore unknown options, MUST-7 cope
// with illegal lengths, MUST-64 no alignment assumed, MUST-65 MSS only on SYN,
// MUST-68 length octet on every option but EOL and NOP, MUST-69 zero padding),
// RFC9293 §3.7.1 (MSS), RFC7323 §2.2 and §3.2 (Window Scale and Timestamps
// layout), RFC2018 §2 and §3 (SACK-Permitted and SACK layout).

package tcp

import (
	"encoding/binary"
)

// Option kinds (IANA "TCP Option Kind Numbers").
const (
	optEOL           = 0
	optNOP           = 1
	optMSS           = 2
	optWScale        = 3
	optSACKPermitted = 4
	optSACK          = 5
	optTimestamps    = 8
)

// maxOptionsLen is the room for options in a TCP header: a data offset of 15
// words minus the 5-word fixed header (RFC9293 §3.1).
const maxOptionsLen = 40

// maxWScale is the largest shift RFC7323 §2.3 allows: "If a Window Scale
// option is received with a shift.cnt value larger than 14, the TCP SHOULD log
// the error but MUST use 14 instead of the specified value."
const maxWScale = 14

// SACKBlock is one block of a SACK option: the receiver holds the bytes
// [Left, Right) (RFC2018 §3).
type SACKBlock struct {
	Left, Right Value
}

// Options holds the TCP options this package understands, parsed. Presence is
// explicit: a zero MSS in an option is not the same as no MSS option.
type Options struct {
	// MSS is the Maximum Segment Size option (RFC9293 §3.7.1), valid when HasMSS.
	MSS    uint16
	HasMSS bool
	// WScale is the Window Scale shift count (RFC7323 §2.2), valid when HasWScale.
	WScale    uint8
	HasWScale bool
	// SACKPermitted is the SACK-Permitted option (RFC2018 §2).
	SACKPermitted bool
	// SACK holds the blocks of a SACK option (RFC2018 §3), at most four.
	SACK []SACKBlock
	// TSVal and TSEcr are the Timestamps option (RFC7323 §3.2), valid when
	// HasTimestamps.
	TSVal, TSEcr  uint32
	HasTimestamps bool
}

// parseOptions reads the options area of a TCP header. It never fails: per
// RFC9293 §3.1, "a TCP implementation MUST be prepared to handle an illegal
// option length (e.g., zero) ... without crashing" (MUST-7); the suggested
// procedure, which is followed here, is to stop parsing options and keep the
// segment. Options may start at any offset (MUST-64); unknown kinds are skipped
// by their length (MUST-6); a known kind with the wrong length is ignored as if
// unknown.
func parseOptions(b []byte) Options {
	var o Options
	for i := 0; i < len(b); {
		kind := b[i]
		switch kind {
		case optEOL:
			return o
		case optNOP:
			i++
			continue
		}
		if i+1 >= len(b) {
			return o // a kind without its length octet (MUST-7)
		}
		n := int(b[i+1])
		if n < 2 || i+n > len(b) {
			return o // illegal length: stop, keep the segment (MUST-7)
		}
		body := b[i+2 : i+n]
		switch kind {
		case optMSS:
			if len(body) == 2 {
				o.MSS, o.HasMSS = binary.BigEndian.Uint16(body), true
			}
		case optWScale:
			if len(body) == 1 {
				o.WScale, o.HasWScale = body[0], true
			}
		case optSACKPermitted:
			if len(body) == 0 {
				o.SACKPermitted = true
			}
		case optSACK:
			if len(body) >= 8 && len(body)%8 == 0 {
				o.SACK = o.SACK[:0]
				for j := 0; j+8 <= len(body) && len(o.SACK) < 4; j += 8 {
					o.SACK = append(o.SACK, SACKBlock{
						Left:  Value(binary.BigEndian.Uint32(body[j:])),
						Right: Value(binary.BigEndian.Uint32(body[j+4:])),
					})
				}
			}
		case optTimestamps:
			if len(body) == 8 {
				o.TSVal = binary.BigEndian.Uint32(body)
				o.TSEcr = binary.BigEndian.Uint32(body[4:])
				o.HasTimestamps = true
			}
		}
		i += n
	}
	return o
}

// sackRoom returns how many SACK blocks fit after the other options of o.
func (o *Options) sackRoom() int {
	room := maxOptionsLen - o.lenWithoutSACK() - 4 // NOP NOP kind len
	if room < 8 {
		return 0
	}
	return min(room/8, 4)
}

// lenWithoutSACK is the laid-out length of every option but SACK blocks.
func (o *Options) lenWithoutSACK() int {
	n := 0
	if o.HasMSS {
		n += 4
	}
	switch {
	case o.SACKPermitted && o.HasTimestamps:
		n += 12 // SACK-Permitted + Timestamps, no padding needed
	case o.HasTimestamps:
		n += 12 // NOP NOP Timestamps
	case o.SACKPermitted:
		n += 4 // NOP NOP SACK-Permitted
	}
	if o.HasWScale {
		n += 4 // NOP Window Scale
	}
	return n
}

// Len returns the number of bytes the options occupy when laid out by
// appendOptions, a multiple of 4. SACK blocks that do not fit are not counted.
func (o *Options) Len() int {
	n := o.lenWithoutSACK()
	if k := min(len(o.SACK), o.sackRoom()); k > 0 {
		n += 4 + 8*k
	}
	return n
}

// appendOptions lays out o in the order Linux uses (MSS, SACK-Permitted,
// Timestamps, Window Scale, SACK), padding with NOPs so that the multi-octet
// fields are aligned; the result is a multiple of 4 bytes (RFC9293 §3.1, the
// padding being zero octets where needed, MUST-69). SACK blocks beyond the 40
// bytes of option space are dropped, the first ones kept (RFC2018 §4 puts the
// most recent block first).
func appendOptions(dst []byte, o *Options) []byte {
	if o.HasMSS {
		dst = append(dst, optMSS, 4)
		dst = binary.BigEndian.AppendUint16(dst, o.MSS)
	}
	switch {
	case o.SACKPermitted && o.HasTimestamps:
		dst = append(dst, optSACKPermitted, 2, optTimestamps, 10)
		dst = binary.BigEndian.AppendUint32(dst, o.TSVal)
		dst = binary.BigEndian.AppendUint32(dst, o.TSEcr)
	case o.HasTimestamps:
		dst = append(dst, optNOP, optNOP, optTimestamps, 10)
		dst = binary.BigEndian.AppendUint32(dst, o.TSVal)
		dst = binary.BigEndian.AppendUint32(dst, o.TSEcr)
	case o.SACKPermitted:
		dst = append(dst, optNOP, optNOP, optSACKPermitted, 2)
	}
	if o.HasWScale {
		dst = append(dst, optNOP, optWScale, 3, o.WScale)
	}
	if k := min(len(o.SACK), o.sackRoom()); k > 0 {
		dst = append(dst, optNOP, optNOP, optSACK, byte(2+8*k))
		for _, b := range o.SACK[:k] {
			dst = binary.BigEndian.AppendUint32(dst, uint32(b.Left))
			dst = binary.BigEndian.AppendUint32(dst, uint32(b.Right))
		}
	}
	return dst
}
