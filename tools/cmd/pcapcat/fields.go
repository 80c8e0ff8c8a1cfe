package main

import (
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/pcap"
	"tcpregress.dev/tcpstack/tcpdump"
)

// The fields of gopacket's layers, by reflection, for -v and --json. The
// same rules serve both:
//
//   - every exported field of the layer struct, in declaration order, except
//     the raw Contents and Payload that every layer carries;
//   - integers are numbers; named integer types that name their values
//     (EthernetType, IPProtocol, TCPOptionKind, ...) are strings as
//     gopacket names them, except ports, which stay numbers;
//   - addresses (IPs, MACs) are strings in their usual notation;
//   - other byte strings are lower-case hex;
//   - booleans are booleans, nested structs are objects, lists are lists;
//   - absent (nil) pointers are left out.

const maxFieldDepth = 8

const hexDigits = "0123456789abcdef"

var (
	byteSliceType = reflect.TypeOf([]byte(nil))
	ipType        = reflect.TypeOf(net.IP(nil))
	macType       = reflect.TypeOf(net.HardwareAddr(nil))
	stringerType  = reflect.TypeOf((*fmt.Stringer)(nil)).Elem()
)

// skipField reports whether a struct field is left out: unexported
// fields, the raw bytes every layer carries, absent (nil) pointers, and the
// multipath subtype of TCP options other than multipath TCP's, which is a
// meaningless zero.
func skipField(sv reflect.Value, f reflect.StructField, v reflect.Value) bool {
	if !f.IsExported() {
		return true
	}
	if f.Anonymous && f.Type.Name() == "BaseLayer" {
		return true
	}
	if f.Name == "Contents" || f.Name == "Payload" {
		return true
	}
	if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
		return true
	}
	if sv.Type() == reflect.TypeOf(layers.TCPOption{}) && f.Name == "OptionMultipath" {
		return sv.FieldByName("OptionType").Interface() != layers.TCPOptionKindMultipathTCP
	}
	return false
}

// addrField reports whether a byte-string field holds an IP or a hardware
// address, by its name: gopacket keeps ARP's addresses as plain bytes.
func addrField(f reflect.StructField, v reflect.Value) (ip, mac bool) {
	if v.Kind() != reflect.Slice || v.Type().Elem().Kind() != reflect.Uint8 {
		return false, false
	}
	n := v.Len()
	switch {
	case strings.HasSuffix(f.Name, "HwAddress") && n > 0:
		return false, true
	case strings.HasSuffix(f.Name, "ProtAddress") && (n == 4 || n == 16):
		return true, false
	}
	return false, false
}

// isPortType reports whether t is one of gopacket's port types, printed as
// numbers although they have String methods.
func isPortType(t reflect.Type) bool {
	return strings.HasSuffix(t.Name(), "Port")
}

// isEnum reports whether an integer type names its values.
func isEnum(t reflect.Type) bool {
	return t.PkgPath() != "" && t.Implements(stringerType) && !isPortType(t)
}

// appendLayerLines appends, for --layers, one indented line per layer gopacket
// decodes from the packet: its name and its fields.
func appendLayerLines(b []byte, lt pcap.LinkType, data []byte) []byte {
	pkt := gopacket.NewPacket(data, lt, gopacket.NoCopy)
	for _, l := range pkt.Layers() {
		b = append(b, "    "...)
		b = append(b, l.LayerType().String()...)
		switch l.LayerType() {
		case gopacket.LayerTypePayload:
			b = append(b, " length="...)
			b = strconv.AppendInt(b, int64(len(l.LayerContents())), 10)
		case gopacket.LayerTypeDecodeFailure:
			b = append(b, " error="...)
			b = strconv.AppendQuote(b, pkt.ErrorLayer().Error().Error())
			b = append(b, " length="...)
			b = strconv.AppendInt(b, int64(len(l.LayerContents())), 10)
		default:
			b = appendStructText(b, reflect.ValueOf(l), 0, true)
		}
		b = append(b, '\n')
	}
	return b
}

// appendStructText appends " Name=value ..." for the fields of v (a struct
// or a pointer to one). top omits the braces.
func appendStructText(b []byte, v reflect.Value, depth int, top bool) []byte {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return append(b, "nil"...)
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return appendValueText(b, v, depth)
	}
	if !top {
		b = append(b, '{')
	}
	t := v.Type()
	first := true
	for i := 0; i < t.NumField(); i++ {
		f, fv := t.Field(i), v.Field(i)
		if skipField(v, f, fv) {
			continue
		}
		if top || !first {
			b = append(b, ' ')
		}
		first = false
		b = append(b, f.Name...)
		b = append(b, '=')
		switch ip, mac := addrField(f, fv); {
		case ip:
			b = tcpdump.AppendAddr(b, fv.Bytes())
		case mac:
			b = tcpdump.AppendMAC(b, fv.Bytes())
		default:
			b = appendValueText(b, fv, depth+1)
		}
	}
	if !top {
		b = append(b, '}')
	}
	return b
}

// appendValueText appends one value for -v.
func appendValueText(b []byte, v reflect.Value, depth int) []byte {
	if depth > maxFieldDepth {
		return append(b, "..."...)
	}
	t := v.Type()
	switch {
	case t == ipType:
		if v.Len() == 0 {
			return append(b, "none"...)
		}
		return tcpdump.AppendAddr(b, v.Bytes())
	case t == macType:
		return tcpdump.AppendMAC(b, v.Bytes())
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		if v.Len() == 0 {
			return append(b, "[]"...)
		}
		return hex.AppendEncode(b, v.Bytes())
	}
	switch v.Kind() {
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if isEnum(t) {
			return append(b, enumName(v)...)
		}
		return strconv.AppendInt(b, v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if isEnum(t) {
			return append(b, enumName(v)...)
		}
		return strconv.AppendUint(b, v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return strconv.AppendFloat(b, v.Float(), 'g', -1, 64)
	case reflect.String:
		s := v.String()
		if s == "" || strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r == '"' || r == '=' || r == 0x7f }) >= 0 || !utf8.ValidString(s) {
			return strconv.AppendQuote(b, s)
		}
		return append(b, s...)
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(b, "nil"...)
		}
		return appendValueText(b, v.Elem(), depth)
	case reflect.Struct:
		return appendStructText(b, v, depth, false)
	case reflect.Slice, reflect.Array:
		b = append(b, '[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendValueText(b, v.Index(i), depth+1)
		}
		return append(b, ']')
	case reflect.Map:
		b = append(b, "map["...)
		for i, k := range v.MapKeys() {
			if i > 0 {
				b = append(b, ' ')
			}
			b = appendValueText(b, k, depth+1)
			b = append(b, ':')
			b = appendValueText(b, v.MapIndex(k), depth+1)
		}
		return append(b, ']')
	}
	return fmt.Appendf(b, "%v", v.Interface())
}

// enumName returns the name gopacket gives an enumerated value.
func enumName(v reflect.Value) (s string) {
	defer func() {
		if recover() != nil {
			s = "?"
		}
	}()
	if st, ok := v.Interface().(fmt.Stringer); ok {
		return st.String()
	}
	return fmt.Sprint(v.Interface())
}

// appendJSONValue appends v as JSON under the same rules.
func appendJSONValue(b []byte, v reflect.Value, depth int) []byte {
	if depth > maxFieldDepth {
		return append(b, "null"...)
	}
	if !v.IsValid() {
		return append(b, "null"...)
	}
	t := v.Type()
	switch {
	case t == ipType:
		if v.Len() == 0 {
			return append(b, "null"...)
		}
		b = append(b, '"')
		b = tcpdump.AppendAddr(b, v.Bytes())
		return append(b, '"')
	case t == macType:
		b = append(b, '"')
		b = tcpdump.AppendMAC(b, v.Bytes())
		return append(b, '"')
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		b = append(b, '"')
		b = hex.AppendEncode(b, v.Bytes())
		return append(b, '"')
	case t.Kind() == reflect.Array && t.Elem().Kind() == reflect.Uint8:
		// Element by element: the element may be a named uint8 type
		// (gopacket's radiotap arrays), which reflect.Copy refuses.
		raw := make([]byte, v.Len())
		for i := range raw {
			raw[i] = byte(v.Index(i).Uint())
		}
		b = append(b, '"')
		b = hex.AppendEncode(b, raw)
		return append(b, '"')
	}
	switch v.Kind() {
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if isEnum(t) {
			return appendJSONString(b, enumName(v))
		}
		return strconv.AppendInt(b, v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if isEnum(t) {
			return appendJSONString(b, enumName(v))
		}
		return strconv.AppendUint(b, v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return append(b, "null"...)
		}
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	case reflect.String:
		return appendJSONString(b, v.String())
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(b, "null"...)
		}
		return appendJSONValue(b, v.Elem(), depth)
	case reflect.Struct:
		return appendJSONObject(b, v, depth)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return append(b, "[]"...)
		}
		b = append(b, '[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONValue(b, v.Index(i), depth+1)
		}
		return append(b, ']')
	case reflect.Map:
		b = append(b, '{')
		for i, k := range v.MapKeys() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, fmt.Sprint(k.Interface()))
			b = append(b, ':')
			b = appendJSONValue(b, v.MapIndex(k), depth+1)
		}
		return append(b, '}')
	}
	return appendJSONString(b, fmt.Sprint(v.Interface()))
}

// appendJSONObject appends the fields of struct v as a JSON object.
func appendJSONObject(b []byte, v reflect.Value, depth int) []byte {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return append(b, "null"...)
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return appendJSONValue(b, v, depth)
	}
	b = append(b, '{')
	t := v.Type()
	n := 0
	for i := 0; i < t.NumField(); i++ {
		f, fv := t.Field(i), v.Field(i)
		if skipField(v, f, fv) {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendJSONString(b, f.Name)
		b = append(b, ':')
		switch ip, mac := addrField(f, fv); {
		case ip:
			b = append(b, '"')
			b = tcpdump.AppendAddr(b, fv.Bytes())
			b = append(b, '"')
		case mac:
			b = append(b, '"')
			b = tcpdump.AppendMAC(b, fv.Bytes())
			b = append(b, '"')
		default:
			b = appendJSONValue(b, fv, depth+1)
		}
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\\ufffd"...)
		} else if r == '\u2028' || r == '\u2029' {
			b = fmt.Appendf(b, "\\u%04x", r)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
