package header

import "strconv"

// enumString is the String method of the package's numbered types
// (IPProtocol, ICMPv4Type, TCPOptionKind, ...): the name names holds for v,
// else prefix followed by v in decimal ("type-#42"). names is indexed by
// value; a value past its end or with an empty entry has no name.
func enumString[T ~uint8 | ~uint16](names []string, v T, prefix string) string {
	if int(v) < len(names) && names[v] != "" {
		return names[v]
	}
	return prefix + strconv.Itoa(int(v))
}
