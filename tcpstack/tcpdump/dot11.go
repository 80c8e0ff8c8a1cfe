package tcpdump

import (
	"strconv"

	"github.com/gopacket/gopacket/layers"
)

// IEEE 802.11 frames, bare (DLT_IEEE802_11) or behind a radiotap header
// (DLT_IEEE802_11_RADIO), as print-802_11.c prints them without -e: the
// radiotap fields, then the frame. Management frames of the kinds below are
// printed; for other frames ok is false and the caller describes the
// packet otherwise.

const (
	linkTypeDot11         layers.LinkType = 105
	linkTypeDot11Radiotap layers.LinkType = 127
)

// cpack reads radiotap fields at their natural alignment from the start of
// the header (radiotap.org, "Alignment in Radiotap"), as tcpdump's cpack.c
// does.
type cpack struct {
	buf  []byte
	next int
}

// reserve aligns to size and takes size bytes; ok is false when they run
// past the header.
func (c *cpack) reserve(size int) ([]byte, bool) {
	off := (c.next + size - 1) &^ (size - 1)
	if off+size > len(c.buf) {
		return nil, false
	}
	c.next = off + size
	return c.buf[off : off+size], true
}

func (c *cpack) u8() (uint8, bool) {
	f, ok := c.reserve(1)
	if !ok {
		return 0, false
	}
	return f[0], true
}

func (c *cpack) u16() (uint16, bool) {
	f, ok := c.reserve(2)
	if !ok {
		return 0, false
	}
	return uint16(f[0]) | uint16(f[1])<<8, true
}

func (c *cpack) u32() (uint32, bool) {
	f, ok := c.reserve(4)
	if !ok {
		return 0, false
	}
	return le32(f), true
}

func (c *cpack) u64() (uint64, bool) {
	f, ok := c.reserve(8)
	if !ok {
		return 0, false
	}
	return uint64(le32(f)) | uint64(le32(f[4:]))<<32, true
}

func le32(p []byte) uint32 {
	return uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16 | uint32(p[3])<<24
}

// Radiotap flags (field 1).
const (
	radiotapFCS     = 0x10
	radiotapDataPad = 0x20
)

// radiotapPrint prints a radiotap header (radiotap.org) and the 802.11
// frame after it.
func (p *Printer) radiotapPrint(b []byte, data []byte, length int) ([]byte, bool) {
	const proto = "802.11_radio"
	if len(data) < 8 {
		return appendTrunc(b, proto), true
	}
	hlen := int(data[2]) | int(data[3])<<8
	if hlen < 8 || len(data) < hlen {
		return appendTrunc(b, proto), true
	}
	hdr := data[:hlen]
	// The presence bitmaps: each with bit 31 set is followed by another.
	last := 4
	for last+4 <= hlen && le32(hdr[last:])&(1<<31) != 0 {
		last += 4
	}
	if last+4 > hlen {
		return appendTrunc(b, proto), true
	}
	c := cpack{buf: hdr, next: last + 4}
	var flags uint8
	bit0, vendor, skip := 0, false, 0
	for w := 4; w <= last; w += 4 {
		present := le32(hdr[w:])
		if vendor {
			if c.next+skip > hlen {
				break
			}
			c.next += skip
			skip = 0
		} else {
			var stop, ok bool
			b, stop, ok = p.radiotapFields(b, &c, &flags, present, bit0)
			if !ok {
				return b, false
			}
			if stop {
				break
			}
		}
		switch present & (1<<29 | 1<<30) {
		case 0:
			bit0 += 32
		case 1 << 29: // back to the radiotap namespace
			bit0, vendor, skip = 0, false, 0
		case 1 << 30: // a vendor namespace: OUI, sub-namespace, skip length
			bit0, vendor = 0, true
			// tcpdump checks that 2 aligned bytes are there, then reads
			// the OUI and sub-namespace unaligned and the skip length
			// aligned.
			orig := c.next
			if _, ok := c.reserve(2); !ok {
				b = appendTrunc(b, proto)
				break
			}
			c.next = orig
			if c.next+4 > hlen {
				b = appendTrunc(b, proto)
				break
			}
			c.next += 4
			v, ok := c.u16()
			if !ok {
				b = appendTrunc(b, proto)
				break
			}
			skip = int(v)
		}
	}
	pad, fcs := false, 0
	if flags&radiotapDataPad != 0 {
		pad = true
	}
	if flags&radiotapFCS != 0 {
		fcs = 4
	}
	return p.dot11Print(b, data[hlen:], length-hlen, pad, fcs)
}

// radiotapFields prints the fields of one presence bitmap of the radiotap
// namespace whose first bit is field bit0. stop is true when the header
// cannot be read further (a field cut short or of unknown size); ok is
// false for fields the printer does not know the words of.
func (p *Printer) radiotapFields(b []byte, c *cpack, flags *uint8, present uint32, bit0 int) (out []byte, stop, ok bool) {
	for bits := present; bits != 0; bits &= bits - 1 {
		bitno := 0
		for bits>>bitno&1 == 0 {
			bitno++
		}
		if bitno >= 29 {
			break
		}
		bit := bit0 + bitno
		var good bool
		switch bit {
		case 0: // TSFT
			var v uint64
			if v, good = c.u64(); good {
				b = strconv.AppendUint(b, v, 10)
				b = append(b, "us tsft "...)
			}
		case 1: // flags
			var v uint8
			if v, good = c.u8(); good {
				*flags = v
				for _, f := range []bitName{{0x01, "cfp "}, {0x02, "short preamble "}, {0x04, "wep "}, {0x08, "fragmented "}, {0x40, "bad-fcs "}} {
					if uint32(v)&f.bits != 0 {
						b = append(b, f.name...)
					}
				}
			}
		case 2: // rate
			var v uint8
			if v, good = c.u8(); good {
				if v >= 0x80 && v <= 0x8f {
					b = append(b, "MCS "...)
					b = appendUint(b, uint64(v&0x7f))
					b = append(b, ' ')
				} else {
					b = strconv.AppendFloat(b, 0.5*float64(v), 'f', 1, 64)
					b = append(b, " Mb/s "...)
				}
			}
		case 3: // channel
			var freq, cf uint16
			if freq, good = c.u16(); good {
				if cf, good = c.u16(); good && present&(1<<18) == 0 {
					b = appendChanInfo(b, freq, uint32(cf), present)
				}
			}
		case 4: // FHSS
			var set, pat uint8
			if set, good = c.u8(); good {
				if pat, good = c.u8(); good {
					b = append(b, "fhset "...)
					b = appendUint(b, uint64(set))
					b = append(b, " fhpat "...)
					b = appendUint(b, uint64(pat))
					b = append(b, ' ')
				}
			}
		case 5, 6, 10: // dBm antenna signal, noise, transmit power
			var v uint8
			if v, good = c.u8(); good {
				b = appendInt(b, int(int8(v)))
				b = append(b, [...]string{5: "dBm signal ", 6: "dBm noise ", 10: "dBm tx power "}[bit]...)
			}
		case 7: // lock quality
			var v uint16
			if v, good = c.u16(); good {
				b = appendUint(b, uint64(v))
				b = append(b, " sq "...)
			}
		case 8: // TX attenuation
			var v uint16
			if v, good = c.u16(); good {
				b = appendInt(b, -int(int16(v)))
				b = append(b, " tx power "...)
			}
		case 9: // dB TX attenuation: tcpdump 4.99 reads one signed byte
			var v uint8
			if v, good = c.u8(); good {
				b = appendInt(b, -int(int8(v)))
				b = append(b, "dB tx attenuation "...)
			}
		case 11: // antenna
			var v uint8
			if v, good = c.u8(); good {
				b = append(b, "antenna "...)
				b = appendUint(b, uint64(v))
				b = append(b, ' ')
			}
		case 12, 13: // dB antenna signal, noise
			var v uint8
			if v, good = c.u8(); good {
				b = appendUint(b, uint64(v))
				if bit == 12 {
					b = append(b, "dB signal "...)
				} else {
					b = append(b, "dB noise "...)
				}
			}
		case 14: // RX flags: read, not printed
			_, good = c.u16()
		case 18: // extended channel
			var cf uint32
			var freq uint16
			if cf, good = c.u32(); good {
				if freq, good = c.u16(); good {
					if _, good = c.u8(); good {
						if _, good = c.u8(); good {
							b = appendChanInfo(b, freq, cf, present)
						}
					}
				}
			}
		case 19, 20, 21: // MCS, A-MPDU status, VHT: not printed here
			return b, true, false
		default:
			b = append(b, "[bit "...)
			b = appendInt(b, bit)
			return append(b, "] "...), true, true
		}
		if !good {
			return appendTrunc(b, "802.11_radio"), true, true
		}
	}
	return b, false, true
}

// Channel flags (radiotap field 3).
const (
	chanTurbo   = 0x00010
	chanCCK     = 0x00020
	chanOFDM    = 0x00040
	chan2GHz    = 0x00080
	chan5GHz    = 0x00100
	chanDyn     = 0x00400
	chanGFSK    = 0x00800
	chanHalf    = 0x04000
	chanQuarter = 0x08000
	chanHT20    = 0x10000
	chanHT40U   = 0x20000
	chanHT40D   = 0x40000
)

// appendChanInfo appends a channel as tcpdump's print_chaninfo does:
// "2412 MHz 11b ".
func appendChanInfo(b []byte, freq uint16, flags uint32, present uint32) []byte {
	has := func(m uint32) bool { return flags&m == m }
	b = appendUint(b, uint64(freq))
	b = append(b, " MHz"...)
	if present&(1<<19) != 0 {
		b = append(b, " 11n"...)
	} else {
		if has(chan2GHz | chanGFSK) {
			b = append(b, " FHSS"...)
		}
		width := func(b []byte, name string) []byte {
			b = append(b, name...)
			switch {
			case flags&chanHalf != 0:
				b = append(b, "/10Mhz"...)
			case flags&chanQuarter != 0:
				b = append(b, "/5Mhz"...)
			}
			return b
		}
		if has(chan5GHz | chanOFDM) {
			b = width(b, " 11a")
		}
		if has(chan2GHz|chanOFDM) || has(chan2GHz|chanDyn) {
			b = width(b, " 11g")
		} else if has(chan2GHz | chanCCK) {
			b = append(b, " 11b"...)
		}
		if flags&chanTurbo != 0 {
			b = append(b, " Turbo"...)
		}
	}
	switch {
	case flags&chanHT20 != 0:
		b = append(b, " ht/20"...)
	case flags&chanHT40D != 0:
		b = append(b, " ht/40-"...)
	case flags&chanHT40U != 0:
		b = append(b, " ht/40+"...)
	}
	return append(b, ' ')
}

var dot11MgmtSubtypes = [16]string{0: "Assoc Request", 1: "Assoc Response", 2: "ReAssoc Request", 3: "ReAssoc Response",
	4: "Probe Request", 5: "Probe Response", 8: "Beacon", 9: "ATIM", 10: "Disassociation", 11: "Authentication",
	12: "DeAuthentication", 13: "Action"}

var dot11AuthAlgs = []string{"Open System", "Shared Key", "EAP"}

// dot11Print prints an 802.11 frame (IEEE 802.11-2016 section 9.2) as
// tcpdump's ieee802_11_print does: pad is true when the radiotap flags
// say the body is aligned to 4 bytes, fcs the length of the frame check
// sequence at the end.
func (p *Printer) dot11Print(b []byte, data []byte, length int, pad bool, fcs int) ([]byte, bool) {
	const proto = "802.11"
	if p.LinkHeader {
		return b, false // the -e header is not printed here
	}
	if length < fcs {
		return appendTrunc(b, proto), true
	}
	length -= fcs
	if len(data) > length {
		data = data[:length]
	}
	if len(data) < 2 {
		return appendTrunc(b, proto), true
	}
	fc := uint16(data[0]) | uint16(data[1])<<8
	typ, subtype := fc>>2&3, fc>>4&0xf
	if typ != 0 {
		return b, false // control and data frames are not printed here
	}
	hdrLen := 24
	if pad {
		hdrLen = (hdrLen + 3) &^ 3
	}
	if len(data) < hdrLen {
		return appendTrunc(b, proto), true
	}
	src := data[10:16] // address 2
	body, blen := data[hdrLen:], length-hdrLen
	if fc&0x4000 != 0 { // protected: WEP
		return b, false
	}
	name := dot11MgmtSubtypes[subtype]
	switch subtype {
	case 9: // ATIM: no body
		return append(b, name...), true
	case 10, 12: // disassociation, deauthentication: a reason code
		b = append(b, name...)
		if len(body) < 2 || blen < 2 {
			return appendTrunc(b, proto), true
		}
		reason := "Reserved"
		if code := int(body[0]) | int(body[1])<<8; code < len(dot11Reasons) {
			reason = dot11Reasons[code]
		}
		if subtype == 12 {
			b = append(b, " ("...)
			b = AppendMAC(b, src)
			b = append(b, ')')
		}
		b = append(b, ": "...)
		return append(b, reason...), true
	case 11: // authentication: algorithm, transaction number, status
		b = append(b, name...)
		if len(body) < 6 || blen < 6 {
			return appendTrunc(b, proto), true
		}
		alg := int(body[0]) | int(body[1])<<8
		seq := int(body[2]) | int(body[3])<<8
		status := int(body[4]) | int(body[5])<<8
		elemsOK := dot11ElementsOK(body[6:], blen-6)
		b = append(b, " ("...)
		if alg < len(dot11AuthAlgs) {
			b = append(b, dot11AuthAlgs[alg]...)
		} else {
			b = append(b, "Reserved"...)
		}
		b = append(b, ")-"...)
		b = appendHex(b, uint64(seq), 1)
		if alg == 1 && (seq == 2 || seq == 3) {
			b = append(b, " [Challenge Text] "...)
		} else {
			b = append(b, ": "...)
		}
		if seq%2 == 1 {
			if status < len(dot11Statuses) {
				b = append(b, dot11Statuses[status]...)
			} else {
				b = append(b, "n/a"...)
			}
		}
		if !elemsOK {
			b = appendTrunc(b, proto)
		}
		return b, true
	case 6, 7, 14, 15:
		b = append(b, "Unhandled Management subtype("...)
		b = appendHex(b, uint64(subtype), 1)
		return append(b, ')'), true
	}
	return b, false // frames with elements to print: not printed here
}

// dot11ElementsOK walks the information elements of a management frame
// body as tcpdump's parse_elements does and reports whether they are
// whole: each within the frame, and the SSID, rates, challenge text and
// TIM bitmap no longer than tcpdump keeps.
func dot11ElementsOK(e []byte, length int) bool {
	for length > 0 {
		if len(e) < 2 || length < 2 {
			return false
		}
		id, n := e[0], int(e[1])
		if len(e) < 2+n || length < 2+n {
			return false
		}
		switch {
		case id == 0 && n > 32, id == 1 && n > 16, id == 16 && n > 253, id == 5 && n > 3 && n-3 > 251:
			return false
		}
		e, length = e[2+n:], length-2-n
	}
	return true
}
