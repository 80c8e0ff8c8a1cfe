package segline

import (
	"encoding/hex"
	"strconv"

	"tcpregress.dev/tcpstack/header"
)

// String returns the segment as a line: the flags in packetdrill's order,
// START:END(LEN) (or "*"), the fields that are not absent in the order
// ack, win, urg, and the options when HasOptions:
//
//	S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
//
// For every segment Parse returns, Parse(s.String()) returns s again.
func (s Segment) String() string { return string(s.Append(nil)) }

// Append appends the segment as a line (see String) to b.
func (s Segment) Append(b []byte) []byte {
	b = append(b, s.Flags.PacketdrillString()...)
	b = append(b, ' ')
	if s.Seq.Form == Exact {
		b = strconv.AppendInt(b, s.Seq.V, 10)
		b = append(b, ':')
		b = strconv.AppendInt(b, s.Seq.V+int64(s.Len), 10)
		b = append(b, '(')
		b = strconv.AppendInt(b, int64(s.Len), 10)
		b = append(b, ')')
	} else {
		b = append(b, '*')
	}
	for _, f := range [...]struct {
		name string
		n    Num
	}{{"ack", s.Ack}, {"win", s.Win}, {"urg", s.Urg}} {
		if f.n.Form != Absent {
			b = append(b, ' ')
			b = append(b, f.name...)
			b = append(b, ' ')
			b = appendNum(b, f.n)
		}
	}
	if s.HasOptions {
		b = append(b, " <"...)
		b = AppendOptions(b, s.Options)
		b = append(b, '>')
	} else if s.AnyOptions {
		b = append(b, " <...>"...)
	}
	return b
}

// FormatOptions returns options as the inside of a line's "<...>":
// "mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7".
func FormatOptions(opts []Option) string { return string(AppendOptions(nil, opts)) }

// AppendOptions appends options as FormatOptions writes them to b.
func AppendOptions(b []byte, opts []Option) []byte {
	for i, o := range opts {
		if i > 0 {
			b = append(b, ',')
		}
		b = o.Append(b)
	}
	return b
}

// String returns the option as a line writes it: "mss 1460", "sack 1:2
// 3:4", "opt 253 len 4 0xbeef".
func (o Option) String() string { return string(o.Append(nil)) }

// Append appends the option as String writes it to b.
func (o Option) Append(b []byte) []byte {
	if o.Raw {
		b = append(b, "opt "...)
		b = strconv.AppendUint(b, uint64(o.Kind), 10)
		if o.Len.Form != Absent {
			b = append(b, " len "...)
			b = appendNum(b, o.Len)
		}
		if o.Data != nil {
			b = append(b, " 0x"...)
			b = hex.AppendEncode(b, o.Data)
		}
		return b
	}
	switch o.Kind {
	case header.TCPOptionEOL, header.TCPOptionNOP, header.TCPOptionSACKPermitted:
		return append(b, o.Kind.String()...)
	case header.TCPOptionMSS, header.TCPOptionWScale:
		b = append(b, o.Kind.String()...)
		b = append(b, ' ')
		return appendNum(b, o.Value)
	case header.TCPOptionTimestamps:
		b = append(b, "TS val "...)
		b = appendNum(b, o.TSVal)
		b = append(b, " ecr "...)
		return appendNum(b, o.TSEcr)
	case header.TCPOptionSACK:
		b = append(b, "sack"...)
		for _, blk := range o.SACK {
			b = append(b, ' ')
			b = appendNum(b, blk.Left)
			b = append(b, ':')
			b = appendNum(b, blk.Right)
		}
		return b
	}
	// Another kind without Raw cannot come from Parse; write it as the
	// option of that kind that a line can say.
	b = append(b, "opt "...)
	b = strconv.AppendUint(b, uint64(o.Kind), 10)
	if o.Data != nil {
		b = append(b, " 0x"...)
		b = hex.AppendEncode(b, o.Data)
	}
	return b
}

// appendNum appends n as a line writes it. An absent number where the
// grammar wants one (an Option built by hand) is written "*", which
// accepts any value as an absent field does.
func appendNum(b []byte, n Num) []byte {
	if n.Form == Exact {
		return strconv.AppendInt(b, n.V, 10)
	}
	return append(b, '*')
}
