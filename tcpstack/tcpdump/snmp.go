package tcpdump

// SNMP (UDP ports 161 and 162) as tcpdump's print-snmp.c prints it with
// -nn and without -v: a walk over the message's BER encoding (X.690
// section 8: identifier, length and contents octets), the community of v1
// and v2c messages (RFC 1157 section 4, RFC 1901), v3's flags, user and
// context (RFC 3412 section 6, RFC 3414 section 2.4), the PDU (RFC 3416
// section 3) and its variable bindings, OIDs numeric and dotted. tcpdump's
// markers for malformed encodings ("[len5<asnlen10]", "[comm!=STR]", ...)
// end the line where tcpdump's do, and " [|snmp]" a cut one.

import "strconv"

// BER tag classes (X.690 section 8.1.2.2) and the number of tag values
// tcpdump names in each: a larger one is "[id?...]".
var snmpClassIDs = [4]uint8{18, 7, 9, 1}

var (
	snmpUniversal = []string{"U-0", "Boolean", "Integer", "Bitstring", "String", "Null", "ObjID", "ObjectDes",
		"U-8", "U-9", "U-10", "U-11", "U-12", "U-13", "U-14", "U-15", "Sequence", "Set"}
	snmpApplication = []string{"IpAddress", "Counter", "Gauge", "TimeTicks", "Opaque", "C-5", "Counter64"}
	snmpContext     = []string{"GetRequest", "GetNextRequest", "GetResponse", "SetRequest", "Trap", "GetBulk",
		"Inform", "V2Trap", "Report"}
	snmpExceptions  = []string{"noSuchObject", "noSuchInstance", "endOfMibView"}
	snmpErrorStatus = []string{"noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess",
		"wrongType", "wrongLength", "wrongEncoding", "wrongValue", "noCreation", "inconsistentValue",
		"resourceUnavailable", "commitFailed", "undoFailed", "authorizationError", "notWritable", "inconsistentName"}
	snmpGenericTrap = []string{"coldStart", "warmStart", "linkDown", "linkUp", "authenticationFailure",
		"egpNeighborLoss", "enterpriseSpecific"}
)

// snmpClassIDNames returns the tag names of a class.
func snmpClassIDNames(class uint8) []string {
	switch class {
	case 0:
		return snmpUniversal
	case 1:
		return snmpApplication
	case 2:
		return snmpContext
	}
	return []string{"P-0"}
}

// The kinds of BER element tcpdump tells apart.
const (
	berAny = iota
	berNull
	berOctet
	berOID
	berInt
	berUns
	berStr
	berSeq
	berInetAddr
	berPDU
	berUns64
	berNoSuchObject
	berNoSuchInstance
	berEndOfMIBView
)

// SNMP PDU tags (RFC 3416 section 3).
const (
	snmpGet     = 0
	snmpGetNext = 1
	snmpSet     = 3
	snmpTrap    = 4
	snmpGetBulk = 5
	snmpInform  = 6
	snmpV2Trap  = 7
	snmpReport  = 8
)

// berElem is one decoded element: its contents are data[off:off+n].
type berElem struct {
	kind    int
	id      uint8
	off     int
	n       uint32
	integer int32
	uns     uint64
}

// snmpWalk holds the captured bytes of the message and the line.
type snmpWalk struct {
	b    []byte
	data []byte
}

func (w *snmpWalk) str(s string) { w.b = append(w.b, s...) }
func (w *snmpWalk) num(v int64)  { w.b = strconv.AppendInt(w.b, v, 10) }
func (w *snmpWalk) unum(v uint64) {
	w.b = strconv.AppendUint(w.b, v, 10)
}

// lengths prints tcpdump's "[len5<asnlen10]" and "[asnlen? 1<2]": the
// bytes left (a signed number in tcpdump's format), fewer than needed.
func (w *snmpWalk) lengths(what string, left, need uint32) {
	w.str(what)
	w.num(int64(int32(left)))
	if what == "[len" {
		w.str("<asnlen")
	} else {
		w.str("<")
	}
	w.unum(uint64(need))
	w.str("]")
}

// captured reports whether n bytes from off were captured, and marks the
// line cut when they were not.
func (w *snmpWalk) captured(off int, n uint64) bool {
	if uint64(off)+n > uint64(len(w.data)) {
		w.b = appendTrunc(w.b, "snmp")
		return false
	}
	return true
}

// parse decodes the element at off, of at most length bytes, as asn1_parse
// does; it returns the bytes it spans, or -1 after printing why it stops.
func (w *snmpWalk) parse(off int, length uint32) (e berElem, count int) {
	if length < 1 {
		w.str("[nothing to parse]")
		return e, -1
	}
	if !w.captured(off, 1) {
		return e, -1
	}
	c := w.data[off]
	id, form, class := c&0x1f, c&0x20>>5, c>>6
	off, length = off+1, length-1
	hdr := uint32(1)
	if id == 0x1f { // high-tag-number form, X.690 section 8.1.2.4
		id = 0
		for {
			if !w.captured(off, 1) {
				return e, -1
			}
			if w.data[off]&0x80 == 0 {
				break
			}
			if length < 1 {
				w.str("[Xtagfield?]")
				return e, -1
			}
			id = id<<7 | w.data[off]&0x7f
			off, length, hdr = off+1, length-1, hdr+1
		}
		if length < 1 {
			w.str("[Xtagfield?]")
			return e, -1
		}
		id = id<<7 | w.data[off]
		off, length, hdr = off+1, length-1, hdr+1
	}
	e.id = id
	if length < 1 {
		w.str("[no asnlen]")
		return e, -1
	}
	if !w.captured(off, 1) {
		return e, -1
	}
	n := uint32(w.data[off])
	off, length, hdr = off+1, length-1, hdr+1
	if n&0x80 != 0 { // long form, X.690 section 8.1.3.5
		noct := n % 0x80
		n = 0
		if length < noct {
			w.lengths("[asnlen? ", length, noct)
			return e, -1
		}
		if !w.captured(off, uint64(noct)) {
			return e, -1
		}
		for ; noct != 0; noct-- {
			n = n<<8 | uint32(w.data[off])
			off, length, hdr = off+1, length-1, hdr+1
		}
	}
	if length < n {
		w.lengths("[len", length, n)
		return e, -1
	}
	names := snmpClassIDNames(class)
	form0 := "P"
	if form == 1 {
		form0 = "C"
	}
	if id >= snmpClassIDs[class] {
		// tcpdump's class names are all "x" (its table's macro does not
		// expand its argument inside the quotes).
		w.str("[id?" + form0 + "/x/")
		w.num(int64(id))
		w.str("]")
		return e, -1
	}
	if !w.captured(off, uint64(n)) {
		return e, -1
	}
	e.off, e.n, e.kind = off, n, berOctet
	content := w.data[off : off+int(n)]
	switch {
	case form == 0 && class == 0:
		switch id {
		case 4:
			e.kind = berStr
		case 2:
			e.kind = berInt
			if n == 0 {
				w.str("[asnlen=0]")
				return e, -1
			}
			// Two's complement, the last 4 bytes kept as tcpdump keeps them.
			e.integer = int32(berBytes(content, content[0]&0x80 != 0))
		case 6:
			e.kind = berOID
		case 5:
			e.kind = berNull
		default:
			w.str("[P/U/" + names[id] + "]")
		}
	case form == 0 && class == 1:
		switch id {
		case 0:
			e.kind = berInetAddr
		case 1, 2, 3:
			e.kind = berUns
			e.uns = uint64(uint32(berBytes(content, false)))
		case 6:
			e.kind = berUns64
			e.uns = berBytes(content, false)
		default:
			w.str("[P/A/" + names[id] + "]")
		}
	case form == 0 && class == 2:
		switch id {
		case 0:
			e.kind = berNoSuchObject
		case 1:
			e.kind = berNoSuchInstance
		case 2:
			e.kind = berEndOfMIBView
		default:
			e.kind = berAny
		}
	case form == 0:
		w.str("[P/x/" + names[id] + "]")
	case class == 0:
		if id == 16 {
			e.kind = berSeq
		} else {
			w.str("C/U/" + names[id])
		}
	case class == 2:
		e.kind = berPDU
	default:
		w.str("C/x/" + names[id])
	}
	return e, int(n + hdr)
}

// berBytes returns the big-endian number in p, its last 8 bytes; the bits
// above p's are ones when negative is set.
func berBytes(p []byte, negative bool) uint64 {
	var v uint64
	if negative {
		v = ^v
	}
	for _, c := range p {
		v = v<<8 | uint64(c)
	}
	return v
}

// octets prints an element's bytes as "_0a_0b".
func (w *snmpWalk) octets(e berElem) {
	for _, c := range w.data[e.off : e.off+int(e.n)] {
		w.b = append(w.b, '_', hexDigits[c>>4], hexDigits[c&15])
	}
}

// text prints a string quoted when every byte is printable ASCII, else in
// hex as "0a_0b".
func (w *snmpWalk) text(e berElem) {
	s := w.data[e.off : e.off+int(e.n)]
	for _, c := range s {
		if c < 0x20 || c > 0x7e {
			w.b = appendHexBytes(w.b, s, '_')
			return
		}
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, s...)
	w.b = append(w.b, '"')
}

// print prints an element as asn1_print does with -nn.
func (w *snmpWalk) print(e berElem) {
	content := w.data[e.off : e.off+int(e.n)]
	switch e.kind {
	case berOctet:
		w.octets(e)
	case berOID:
		// X.690 section 8.19: the first subidentifier holds two arcs.
		var o int32
		first := true
		for _, c := range content {
			o = int32(uint32(o)<<7) + int32(c&0x7f)
			if c&0x80 != 0 {
				continue
			}
			if first {
				first = false
				s := o / 40
				if s > 2 {
					s = 2
				}
				w.str(".")
				w.unum(uint64(uint32(s)))
				o -= s * 40
			}
			w.str(".")
			w.unum(uint64(uint32(o)))
			o = 0
		}
	case berInt:
		w.num(int64(e.integer))
	case berUns, berUns64:
		w.unum(e.uns)
	case berStr:
		w.text(e)
	case berSeq:
		w.str("Seq(")
		w.unum(uint64(e.n))
		w.str(")")
	case berInetAddr:
		if e.n != 4 {
			w.str("[inetaddr len!=4]")
		}
		for i, c := range content {
			if i > 0 {
				w.str(".")
			}
			w.unum(uint64(c))
		}
	case berNoSuchObject, berNoSuchInstance, berEndOfMIBView:
		w.str("[" + snmpExceptions[e.id] + "]")
	case berPDU:
		w.str(snmpContext[e.id] + "(")
		w.unum(uint64(e.n))
		w.str(")")
	case berAny:
		w.str("[BE_ANY!?]")
	}
}

// expect parses the element at off and checks its kind; on a wrong one it
// prints "[what]" and the element, as tcpdump does, and fails.
func (w *snmpWalk) expect(off int, length uint32, kind int, what string) (berElem, int) {
	e, count := w.parse(off, length)
	if count < 0 {
		return e, -1
	}
	if e.kind != kind {
		w.str("[" + what + "]")
		w.print(e)
		return e, -1
	}
	return e, count
}

// extra prints tcpdump's "[N extra after what]" when count < length.
func (w *snmpWalk) extra(count int, length uint32, what string) {
	if uint32(count) < length {
		w.str("[")
		w.num(int64(int32(length - uint32(count))))
		w.str(" extra after " + what + "]")
	}
}

func snmpPrint(_ *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	w := snmpWalk{b: append(b, ' '), data: data}
	w.message(uint32(length))
	return w.b, true
}

// message prints the message: its version and what follows it.
func (w *snmpWalk) message(length uint32) {
	e, count := w.expect(0, length, berSeq, "!init SEQ")
	if count < 0 {
		return
	}
	w.extra(count, length, "iSEQ")
	off, length := e.off, e.n
	e, count = w.expect(off, length, berInt, "version!=INT")
	if count < 0 {
		return
	}
	version := e.integer
	if version != 0 && version != 1 && version != 3 {
		w.str("SNMP [version = ")
		w.num(int64(version))
		w.str("]")
		return
	}
	off, length = off+count, length-uint32(count)
	if version == 3 {
		w.v3(off, length)
		return
	}
	// v1 and v2c: the community, left out when it is "public".
	e, count = w.expect(off, length, berStr, "comm!=STR")
	if count < 0 {
		return
	}
	if string(w.data[e.off:e.off+int(e.n)]) != "public" {
		w.str("C=")
		w.text(e)
		w.str(" ")
	}
	w.pdu(off+count, length-uint32(count), version)
}

// v3 prints the header of an SNMPv3 message (RFC 3412 section 6): the
// flags, the user of the USM parameters and the scoped PDU.
func (w *snmpWalk) v3(off int, length uint32) {
	start, total := off, length
	e, count := w.expect(off, length, berSeq, "!message")
	if count < 0 {
		return
	}
	off, length = e.off, e.n
	for _, what := range []string{"msgID!=INT", "msgMaxSize!=INT"} {
		if _, count = w.expect(off, length, berInt, what); count < 0 {
			return
		}
		off, length = off+count, length-uint32(count)
	}
	if e, count = w.expect(off, length, berStr, "msgFlags!=STR"); count < 0 {
		return
	}
	if e.n != 1 {
		w.str("[msgFlags size ")
		w.num(int64(int32(e.n)))
		w.str("]")
		return
	}
	flags := w.data[e.off]
	switch flags {
	case 0, 1, 3, 4, 5, 7:
	default:
		w.str("[msgFlags=0x")
		w.b = append(w.b, "0123456789ABCDEF"[flags>>4], "0123456789ABCDEF"[flags&15])
		w.str("]")
		return
	}
	off, length = off+count, length-uint32(count)
	w.str("F=")
	for i, c := range "apr" {
		if flags&(1<<i) != 0 {
			w.b = append(w.b, byte(c))
		}
	}
	w.str(" ")
	if e, count = w.expect(off, length, berInt, "msgSecurityModel!=INT"); count < 0 {
		return
	}
	off, length = off+count, length-uint32(count)
	w.extra(count, length, "message SEQ")
	if e.integer != 3 {
		w.str("[security model ")
		w.num(int64(e.integer))
		w.str("]")
		return
	}
	length = total - uint32(off-start)
	if e, count = w.expect(off, length, berStr, "msgSecurityParameters!=STR"); count < 0 {
		return
	}
	off, length = off+count, length-uint32(count)
	w.usm(e.off, e.n)
	w.scopedPDU(off, length)
}

// usm prints the user of the User-based Security Model's parameters (RFC
// 3414 section 2.4).
func (w *snmpWalk) usm(off int, length uint32) {
	e, count := w.expect(off, length, berSeq, "!usm")
	if count < 0 {
		return
	}
	off, length = e.off, e.n
	for _, f := range []struct {
		kind int
		what string
	}{
		{berStr, "msgAuthoritativeEngineID!=STR"}, {berInt, "msgAuthoritativeEngineBoots!=INT"},
		{berInt, "msgAuthoritativeEngineTime!=INT"}, {berStr, "msgUserName!=STR"},
		{berStr, "msgAuthenticationParameters!=STR"}, {berStr, "msgPrivacyParameters!=STR"},
	} {
		if e, count = w.expect(off, length, f.kind, f.what); count < 0 {
			return
		}
		off, length = off+count, length-uint32(count)
		if f.what == "msgUserName!=STR" {
			w.str("U=")
			w.text(e)
			w.str(" ")
		}
	}
	w.extra(count, length, "usm SEQ")
}

// scopedPDU prints a scoped PDU: context engine ID and name, then the PDU.
func (w *snmpWalk) scopedPDU(off int, length uint32) {
	e, count := w.expect(off, length, berSeq, "!scoped PDU")
	if count < 0 {
		return
	}
	off, length = e.off, e.n
	if e, count = w.expect(off, length, berStr, "contextEngineID!=STR"); count < 0 {
		return
	}
	off, length = off+count, length-uint32(count)
	w.str("E=")
	w.octets(e)
	w.str(" ")
	if e, count = w.expect(off, length, berStr, "contextName!=STR"); count < 0 {
		return
	}
	off, length = off+count, length-uint32(count)
	w.str("C=")
	w.text(e)
	w.str(" ")
	w.pdu(off, length, 3)
}

// pdu prints a PDU's type and length, then its fields.
func (w *snmpWalk) pdu(off int, length uint32, version int32) {
	e, count := w.parse(off, length)
	if count < 0 {
		return
	}
	if e.kind != berPDU {
		w.str("[no PDU]")
		return
	}
	w.extra(count, length, "PDU")
	w.print(e)
	w.str(" ")
	switch {
	case version == 0 && (e.id == snmpGetBulk || e.id == snmpInform || e.id == snmpV2Trap || e.id == snmpReport):
		w.str("[v2 PDU in v1 message]")
	case version == 1 && e.id == snmpTrap:
		w.str("[v1 PDU in v2 message]")
	case e.id == snmpTrap:
		w.trap(e.off, e.n)
	default:
		w.request(e.id, e.off, e.n)
	}
}

// notify reports whether a PDU must carry zero error fields.
func snmpZeroErrors(id uint8) bool {
	switch id {
	case snmpGet, snmpGetNext, snmpSet, snmpInform, snmpV2Trap, snmpReport:
		return true
	}
	return false
}

// request prints the fields of every PDU but the v1 trap: errors (or
// GetBulk's non-repeaters and max-repetitions) and the variable bindings.
func (w *snmpWalk) request(id uint8, off int, length uint32) {
	_, count := w.expect(off, length, berInt, "reqId!=INT")
	if count < 0 {
		return
	}
	off, length = off+count, length-uint32(count)
	e, count := w.expect(off, length, berInt, "errorStatus!=INT")
	if count < 0 {
		return
	}
	status := int32(0)
	errName := func(v int32) string {
		if v >= 0 && int(v) < len(snmpErrorStatus) {
			return snmpErrorStatus[v]
		}
		return "err=" + strconv.FormatUint(uint64(uint32(v)), 10)
	}
	switch {
	case snmpZeroErrors(id) && e.integer != 0:
		w.str("[errorStatus(" + errName(e.integer) + ")!=0]")
	case id == snmpGetBulk:
		w.str(" N=")
		w.num(int64(e.integer))
	case e.integer != 0:
		w.str(" " + errName(e.integer))
		status = e.integer
	}
	off, length = off+count, length-uint32(count)
	if e, count = w.expect(off, length, berInt, "errorIndex!=INT"); count < 0 {
		return
	}
	switch {
	case snmpZeroErrors(id) && e.integer != 0:
		w.str("[errorIndex(")
		w.num(int64(e.integer))
		w.str(")!=0]")
	case id == snmpGetBulk:
		w.str(" M=")
		w.num(int64(e.integer))
	case e.integer != 0 && status == 0:
		w.str("[errorIndex(")
		w.num(int64(e.integer))
		w.str(") w/o errorStatus]")
	case e.integer != 0:
		w.str("@")
		w.num(int64(e.integer))
	case status != 0:
		w.str("[errorIndex==0]")
	}
	w.varbinds(id, off+count, length-uint32(count))
}

// trap prints a v1 Trap PDU (RFC 1157 section 4.1.6).
func (w *snmpWalk) trap(off int, length uint32) {
	w.str(" ")
	e, count := w.expect(off, length, berOID, "enterprise!=OID")
	if count < 0 {
		return
	}
	w.print(e)
	off, length = off+count, length-uint32(count)
	w.str(" ")
	if e, count = w.expect(off, length, berInetAddr, "agent-addr!=INETADDR"); count < 0 {
		return
	}
	w.print(e)
	off, length = off+count, length-uint32(count)
	if e, count = w.expect(off, length, berInt, "generic-trap!=INT"); count < 0 {
		return
	}
	generic := e.integer
	if generic >= 0 && int(generic) < len(snmpGenericTrap) {
		w.str(" " + snmpGenericTrap[generic])
	} else {
		w.str(" gt=")
		w.num(int64(generic))
	}
	off, length = off+count, length-uint32(count)
	if e, count = w.expect(off, length, berInt, "specific-trap!=INT"); count < 0 {
		return
	}
	if generic != 6 {
		if e.integer != 0 {
			w.str("[specific-trap(")
			w.num(int64(e.integer))
			w.str(")!=0]")
		}
	} else {
		w.str(" s=")
		w.num(int64(e.integer))
	}
	off, length = off+count, length-uint32(count)
	w.str(" ")
	if e, count = w.expect(off, length, berUns, "time-stamp!=TIMETICKS"); count < 0 {
		return
	}
	w.print(e)
	w.varbinds(snmpTrap, off+count, length-uint32(count))
}

// varbinds prints the variable bindings, name=value (names alone in
// requests that carry no values).
func (w *snmpWalk) varbinds(id uint8, off int, length uint32) {
	e, count := w.expect(off, length, berSeq, "!SEQ of varbind")
	if count < 0 {
		return
	}
	w.extra(count, length, "SEQ of varbind")
	request := id == snmpGet || id == snmpGetNext || id == snmpGetBulk
	off, length = e.off, e.n
	for length != 0 {
		w.str(" ")
		if e, count = w.expect(off, length, berSeq, "!varbind"); count < 0 {
			return
		}
		next, rest := off+count, length-uint32(count)
		off, length = e.off, e.n
		if e, count = w.expect(off, length, berOID, "objName!=OID"); count < 0 {
			return
		}
		w.print(e)
		off, length = off+count, length-uint32(count)
		if !request {
			w.str("=")
		}
		if e, count = w.parse(off, length); count < 0 {
			return
		}
		if request && e.kind != berNull {
			w.str("[objVal!=NULL]")
			w.print(e)
		} else if !request && e.kind != berNull {
			w.print(e)
		}
		off, length = next, rest
	}
}
