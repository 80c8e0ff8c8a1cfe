// TCP options: parsing and layout.
//
// Read before editing: RFC9293 §3.1 (option format; MUST-4 EOL/NOP/MSS,
// MUST-5 options in any segment, MUST-6 ignore unknown options, MUST-7 cope
// with illegal lengths, MUST-64 no alignment assumed, MUST-65 MSS only on SYN,
// MUST-68 length octet on every option but EOL and NOP, MUST-69 zero padding),
// RFC9293 §3.7.1 (MSS), RFC7323 §2.2 and §3.2 (Window Scale and Timestamps
// layout), RFC2018 §2 and §3 (SACK-Permitted and SACK layout).

package tcp

import hdr "tcpregress.dev/tcpstack/header"

// maxOptionsLen is the room for options in a TCP header: a data offset of 15
// words minus the 5-word fixed header (RFC9293 §3.1).
const maxOptionsLen = hdr.TCPMaxOptionsLen

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

// maxSACKBlocks is the most SACK blocks an option holds in 40 bytes of
// option space (RFC2018 §3).
const maxSACKBlocks = 4

// parseOptions sets o, which is zero, from the options area of a TCP header,
// with header's receive-path decoder (header.TCPOptions.Decode; its option
// iterator measured slower). It never fails: per
// RFC9293 §3.1, "a TCP implementation MUST be prepared to handle an illegal
// option length (e.g., zero) ... without crashing" (MUST-7); the suggested
// procedure, which is followed here, is to stop parsing options and keep the
// segment. Options may start at any offset (MUST-64); unknown kinds are
// skipped by their length (MUST-6); a known kind with the wrong length is
// ignored as if unknown. When a kind appears twice, the last one counts.
func parseOptions(b hdr.TCPOptions, o *Options) {
	var blocks [maxSACKBlocks]hdr.TCPSACKBlock
	f := hdr.TCPOptionFields{SACK: blocks[:0]}
	_ = b.Decode(&f) // a malformed option ends decoding, the segment is kept
	o.MSS, o.HasMSS = f.MSS, f.HasMSS
	o.WScale, o.HasWScale = f.WScale, f.HasWScale
	o.SACKPermitted = f.SACKPermitted
	o.TSVal, o.TSEcr, o.HasTimestamps = f.TSVal, f.TSEcr, f.HasTimestamps
	if len(f.SACK) > 0 {
		o.SACK = make([]SACKBlock, len(f.SACK))
		for i, blk := range f.SACK {
			o.SACK[i] = SACKBlock{Left: Value(blk.Left), Right: Value(blk.Right)}
		}
	}
}

// setFields sets f to the options of o, all but the SACK blocks, which need
// room of their own (see appendOptions). Field by field, and the blocks
// apart, for speed: a composite literal is built and then copied, which
// stalls the store buffer, and blocks stored through f would escape.
func (o *Options) setFields(f *hdr.TCPOptionFields) {
	f.MSS, f.HasMSS = o.MSS, o.HasMSS
	f.WScale, f.HasWScale = o.WScale, o.HasWScale
	f.SACKPermitted = o.SACKPermitted
	f.TSVal, f.TSEcr, f.HasTimestamps = o.TSVal, o.TSEcr, o.HasTimestamps
}

// uncounted stands in for SACK blocks that are counted, never read.
var uncounted [maxSACKBlocks]hdr.TCPSACKBlock

// sackRoom returns how many SACK blocks fit after the other options of o.
func (o *Options) sackRoom() int {
	var f hdr.TCPOptionFields
	o.setFields(&f)
	return f.SACKRoom()
}

// Len returns the number of bytes the options occupy when laid out by
// appendOptions, a multiple of 4. SACK blocks that do not fit are not counted.
func (o *Options) Len() int {
	var f hdr.TCPOptionFields
	o.setFields(&f)
	f.SACK = uncounted[:min(len(o.SACK), maxSACKBlocks)]
	return f.Len()
}

// appendOptions lays out o as header.AppendTCPOptions does, in the order and
// alignment Linux uses (MSS, SACK-Permitted, Timestamps, Window Scale, SACK),
// with NOPs so that the multi-octet fields are aligned; the result is a
// multiple of 4 bytes (RFC9293 §3.1, MUST-69). SACK blocks beyond the 40
// bytes of option space are dropped, the first ones kept (RFC2018 §4 puts the
// most recent block first).
func appendOptions(dst []byte, o *Options) []byte {
	var f hdr.TCPOptionFields
	o.setFields(&f)
	var blocks [maxSACKBlocks]hdr.TCPSACKBlock
	n := min(len(o.SACK), maxSACKBlocks)
	for i, blk := range o.SACK[:n] {
		blocks[i] = hdr.TCPSACKBlock{Left: uint32(blk.Left), Right: uint32(blk.Right)}
	}
	f.SACK = blocks[:n]
	return hdr.AppendTCPOptions(dst, &f)
}
