package header

import (
	"encoding/binary"
	"fmt"
)

// TCP options (RFC 9293 §3.1 and §3.7.1; RFC 7323 §2.2 and §3.2 for Window
// Scale and Timestamps; RFC 2018 §2 and §3 for SACK).

// TCPOptionKind is the kind octet of a TCP option (IANA "TCP Option Kind
// Numbers").
type TCPOptionKind uint8

// TCP option kinds.
const (
	TCPOptionEOL           TCPOptionKind = 0  // End of Option List
	TCPOptionNOP           TCPOptionKind = 1  // No-Operation
	TCPOptionMSS           TCPOptionKind = 2  // Maximum Segment Size (RFC 9293 §3.7.1)
	TCPOptionWScale        TCPOptionKind = 3  // Window Scale (RFC 7323 §2)
	TCPOptionSACKPermitted TCPOptionKind = 4  // SACK-Permitted (RFC 2018 §2)
	TCPOptionSACK          TCPOptionKind = 5  // SACK (RFC 2018 §3)
	TCPOptionTimestamps    TCPOptionKind = 8  // Timestamps (RFC 7323 §3)
	TCPOptionMD5           TCPOptionKind = 19 // MD5 signature (RFC 2385)
	TCPOptionUserTimeout   TCPOptionKind = 28 // User Timeout (RFC 5482)
	TCPOptionAO            TCPOptionKind = 29 // TCP Authentication Option (RFC 5925)
	TCPOptionMPTCP         TCPOptionKind = 30 // Multipath TCP (RFC 8684)
	TCPOptionFastOpen      TCPOptionKind = 34 // Fast Open cookie (RFC 7413)
	TCPOptionExp1          TCPOptionKind = 253
	TCPOptionExp2          TCPOptionKind = 254
)

// String returns tcpdump's name for the kind ("mss", "wscale", "sackOK",
// "sack", "TS", "nop", "eol", ...) or "unknown-N" for kinds it has none
// for.
func (k TCPOptionKind) String() string { return enumString(tcpOptionNames[:], k, "unknown-") }

var tcpOptionNames = [...]string{
	TCPOptionEOL:           "eol",
	TCPOptionNOP:           "nop",
	TCPOptionMSS:           "mss",
	TCPOptionWScale:        "wscale",
	TCPOptionSACKPermitted: "sackOK",
	TCPOptionSACK:          "sack",
	6:                      "echo", // RFC 1072, obsolete
	7:                      "echoreply",
	TCPOptionTimestamps:    "TS",
	11:                     "cc", // RFC 1644, obsolete
	12:                     "ccnew",
	13:                     "ccecho",
	TCPOptionMD5:           "md5",
	20:                     "scps",
	TCPOptionUserTimeout:   "uto",
	TCPOptionAO:            "tcp-ao",
	TCPOptionMPTCP:         "mptcp",
	TCPOptionFastOpen:      "tfo",
	TCPOptionExp2:          "exp",
}

// TCPOptions is the options area of a TCP header.
type TCPOptions []byte

// Iter returns an iterator over the options.
func (o TCPOptions) Iter() TCPOptionIter { return TCPOptionIter{tlvIter{optionWalk{b: o}}} }

// TCPOption is one TCP option.
type TCPOption struct {
	// Kind is the option's kind octet.
	Kind TCPOptionKind
	// Data is the option after its kind and length octets; nil for EOL
	// and NOP, which are a single octet.
	Data []byte
	// Offset is where the option starts in the options area.
	Offset int
}

// Len returns the option's length on the wire: 1 for EOL and NOP, else its
// length octet.
func (o TCPOption) Len() int { return tlvLen(byte(o.Kind), o.Data) }

// The accessors below report false for another kind or for a length that
// is wrong for the kind: such an option is to be ignored like an unknown
// one.

// MSS returns the value of a Maximum Segment Size option (length 4).
func (o TCPOption) MSS() (uint16, bool) {
	if o.Kind != TCPOptionMSS || len(o.Data) != 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(o.Data), true
}

// WScale returns the shift count of a Window Scale option (length 3), as
// sent: RFC 7323 §2.3 has the receiver use 14 for anything larger.
func (o TCPOption) WScale() (uint8, bool) {
	if o.Kind != TCPOptionWScale || len(o.Data) != 1 {
		return 0, false
	}
	return o.Data[0], true
}

// IsSACKPermitted reports whether o is a SACK-Permitted option (length 2).
func (o TCPOption) IsSACKPermitted() bool {
	return o.Kind == TCPOptionSACKPermitted && len(o.Data) == 0
}

// SACK returns the blocks of a SACK option (length 2 plus 8 per block, at
// least one block).
func (o TCPOption) SACK() (TCPSACKBlocks, bool) {
	if o.Kind != TCPOptionSACK || len(o.Data) < 8 || len(o.Data)%8 != 0 {
		return nil, false
	}
	return TCPSACKBlocks(o.Data), true
}

// Timestamps returns TSval and TSecr of a Timestamps option (length 10).
func (o TCPOption) Timestamps() (val, ecr uint32, ok bool) {
	if o.Kind != TCPOptionTimestamps || len(o.Data) != 8 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint32(o.Data), binary.BigEndian.Uint32(o.Data[4:]), true
}

// TCPSACKBlock is one block of a SACK option: the receiver holds the
// sequence numbers [Left, Right) (RFC 2018 §3).
type TCPSACKBlock struct {
	Left, Right uint32
}

// TCPSACKBlocks is a view of the blocks of a SACK option, 8 bytes each.
type TCPSACKBlocks []byte

// Len returns the number of blocks.
func (s TCPSACKBlocks) Len() int { return len(s) / 8 }

// Block returns block i (0-based; RFC 2018 §4 puts the most recent first).
func (s TCPSACKBlocks) Block(i int) TCPSACKBlock {
	return TCPSACKBlock{Left: binary.BigEndian.Uint32(s[8*i:]), Right: binary.BigEndian.Uint32(s[8*i+4:])}
}

// TCPOptionIter iterates over TCP options, NOPs included. EOL is reported
// and ends the iteration: what follows it is padding.
type TCPOptionIter struct{ w tlvIter }

// Next advances to the next option and reports whether there is one. It
// returns false at the end of the options, after EOL, or at a malformed
// option (then Err says why): a kind without its length octet, a length
// below 2, or one that runs past the options area. RFC 9293 MUST-7: such an
// option ends option processing, not the segment.
func (it *TCPOptionIter) Next() bool { return it.w.next("TCP") }

// Option returns the current option.
func (it *TCPOptionIter) Option() TCPOption {
	return TCPOption{Kind: TCPOptionKind(it.w.kind()), Data: it.w.data(), Offset: it.w.start}
}

// Err returns the error that stopped the iteration, or nil.
func (it *TCPOptionIter) Err() error { return it.w.err }

// TCPOptionFields are the options TCP implementations negotiate, decoded
// or to lay out. Presence is explicit: an MSS option of 0 is not the same as
// none.
type TCPOptionFields struct {
	// MSS is the Maximum Segment Size (RFC 9293 §3.7.1), valid when HasMSS.
	MSS    uint16
	HasMSS bool
	// WScale is the Window Scale shift count (RFC 7323 §2.2), valid when
	// HasWScale.
	WScale    uint8
	HasWScale bool
	// SACKPermitted is the SACK-Permitted option (RFC 2018 §2).
	SACKPermitted bool
	// SACK holds the blocks of a SACK option (RFC 2018 §3), at most four.
	SACK []TCPSACKBlock
	// TSVal and TSEcr are the Timestamps option (RFC 7323 §3.2), valid when
	// HasTimestamps.
	TSVal, TSEcr  uint32
	HasTimestamps bool
}

// ErrMalformedTCPOptions is what [TCPOptions.Decode] returns for a
// malformed option; it wraps [ErrMalformed]. It is one value, so that a
// stream of bad segments costs the receive path no allocation.
var ErrMalformedTCPOptions = fmt.Errorf("%w: a TCP option's length is missing, below 2, or past the options area", ErrMalformed)

// Decode sets f from the options in o, as RFC 9293 §3.1 asks of a
// receiver: options may start at any offset (MUST-64), unknown kinds are
// skipped (MUST-6), a known kind with a wrong length is skipped as if
// unknown, and a malformed option stops decoding (MUST-7) with the options
// before it kept and [ErrMalformedTCPOptions] returned (Iter's Err says
// which option and why). When an option appears twice, the last one
// counts. f.SACK is reused: decoding allocates nothing when it has room for
// the blocks, also on hostile input.
func (o TCPOptions) Decode(f *TCPOptionFields) error {
	// Field by field: *f = TCPOptionFields{SACK: f.SACK[:0]} would make
	// the caller's SACK buffer escape to the heap.
	f.MSS, f.HasMSS, f.WScale, f.HasWScale, f.SACKPermitted = 0, false, 0, false, false
	f.TSVal, f.TSEcr, f.HasTimestamps = 0, 0, false
	f.SACK = f.SACK[:0]
	// The walk of TCPOptionIter, written out: this is the receive path.
	for off := 0; off < len(o) && o[off] != byte(TCPOptionEOL); {
		data, next, ok := tlvAt(o, off)
		if !ok {
			return ErrMalformedTCPOptions
		}
		kind := TCPOptionKind(o[off])
		off = next
		// The accessors' length rules, on the bytes: no TCPOption value is
		// built (copying one per accessor call doubles the walk's cost).
		switch {
		case kind == TCPOptionMSS && len(data) == 2:
			f.MSS, f.HasMSS = binary.BigEndian.Uint16(data), true
		case kind == TCPOptionWScale && len(data) == 1:
			f.WScale, f.HasWScale = data[0], true
		case kind == TCPOptionSACKPermitted && len(data) == 0:
			f.SACKPermitted = true
		case kind == TCPOptionSACK && len(data) >= 8 && len(data)%8 == 0:
			// By index, not append: the caller's buffer stays where it
			// is (on its stack) when it has room for the blocks.
			s := TCPSACKBlocks(data)
			n := min(s.Len(), 4)
			if cap(f.SACK) < n {
				f.SACK = make([]TCPSACKBlock, n)
			}
			f.SACK = f.SACK[:n]
			for i := range n {
				f.SACK[i] = s.Block(i)
			}
		case kind == TCPOptionTimestamps && len(data) == 8:
			f.TSVal, f.TSEcr, f.HasTimestamps = binary.BigEndian.Uint32(data), binary.BigEndian.Uint32(data[4:]), true
		}
	}
	return nil
}

// sackRoom returns how many SACK blocks fit after the other options of f.
func (f *TCPOptionFields) sackRoom() int {
	room := TCPMaxOptionsLen - f.lenWithoutSACK() - 4 // NOP NOP kind length
	if room < 8 {
		return 0
	}
	return min(room/8, 4)
}

// lenWithoutSACK is the laid-out length of every option but SACK blocks.
func (f *TCPOptionFields) lenWithoutSACK() int {
	n := 0
	if f.HasMSS {
		n += 4
	}
	switch {
	case f.SACKPermitted && f.HasTimestamps:
		n += 12 // SACK-Permitted, Timestamps: aligned without padding
	case f.HasTimestamps:
		n += 12 // NOP NOP Timestamps
	case f.SACKPermitted:
		n += 4 // NOP NOP SACK-Permitted
	}
	if f.HasWScale {
		n += 4 // NOP Window Scale
	}
	return n
}

// Len returns the number of bytes AppendTCPOptions lays f out in, a
// multiple of 4. SACK blocks that do not fit are not counted.
func (f *TCPOptionFields) Len() int {
	n := f.lenWithoutSACK()
	if k := min(len(f.SACK), f.sackRoom()); k > 0 {
		n += 4 + 8*k
	}
	return n
}

// AppendTCPOptions appends the options of f in the order and alignment
// Linux uses: MSS; SACK-Permitted and Timestamps (kind, length, TSval,
// TSecr), NOP NOP before Timestamps alone or SACK-Permitted alone; NOP and
// Window Scale; NOP NOP and SACK. The multi-octet fields are so aligned and
// the result is a multiple of 4 bytes, needing no padding. SACK blocks
// beyond the 40 bytes of option space are dropped, the first ones kept
// (RFC 2018 §4 puts the most recent block first).
func AppendTCPOptions(b []byte, f *TCPOptionFields) []byte {
	if f.HasMSS {
		b = AppendTCPMSS(b, f.MSS)
	}
	switch {
	case f.SACKPermitted && f.HasTimestamps:
		b = AppendTCPSACKPermitted(b)
		b = AppendTCPTimestamps(b, f.TSVal, f.TSEcr)
	case f.HasTimestamps:
		b = append(b, byte(TCPOptionNOP), byte(TCPOptionNOP))
		b = AppendTCPTimestamps(b, f.TSVal, f.TSEcr)
	case f.SACKPermitted:
		b = append(b, byte(TCPOptionNOP), byte(TCPOptionNOP))
		b = AppendTCPSACKPermitted(b)
	}
	if f.HasWScale {
		b = append(b, byte(TCPOptionNOP))
		b = AppendTCPWScale(b, f.WScale)
	}
	if k := min(len(f.SACK), f.sackRoom()); k > 0 {
		b = append(b, byte(TCPOptionNOP), byte(TCPOptionNOP))
		b = AppendTCPSACK(b, f.SACK[:k]...)
	}
	return b
}

// AppendTCPOption appends an option of kind k: a single octet for EOL and
// NOP (data is ignored), else the kind, a length octet of 2+len(data) and
// data. The length octet wraps past 253 bytes of data, unchecked.
func AppendTCPOption(b []byte, k TCPOptionKind, data []byte) []byte {
	return appendTLV(b, byte(k), data)
}

// AppendTCPMSS appends a Maximum Segment Size option.
func AppendTCPMSS(b []byte, mss uint16) []byte {
	return binary.BigEndian.AppendUint16(append(b, byte(TCPOptionMSS), 4), mss)
}

// AppendTCPWScale appends a Window Scale option.
func AppendTCPWScale(b []byte, shift uint8) []byte {
	return append(b, byte(TCPOptionWScale), 3, shift)
}

// AppendTCPSACKPermitted appends a SACK-Permitted option.
func AppendTCPSACKPermitted(b []byte) []byte {
	return append(b, byte(TCPOptionSACKPermitted), 2)
}

// AppendTCPTimestamps appends a Timestamps option.
func AppendTCPTimestamps(b []byte, val, ecr uint32) []byte {
	b = append(b, byte(TCPOptionTimestamps), 10)
	b = binary.BigEndian.AppendUint32(b, val)
	return binary.BigEndian.AppendUint32(b, ecr)
}

// AppendTCPSACK appends a SACK option with the blocks given. More than four
// blocks do not fit in a header, and more than 31 make the length octet
// wrap: unchecked, as a test may want such an option.
func AppendTCPSACK(b []byte, blocks ...TCPSACKBlock) []byte {
	b = append(b, byte(TCPOptionSACK), byte(2+8*len(blocks)))
	for _, s := range blocks {
		b = binary.BigEndian.AppendUint32(b, s.Left)
		b = binary.BigEndian.AppendUint32(b, s.Right)
	}
	return b
}
