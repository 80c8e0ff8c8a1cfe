package header

import (
	"errors"
	"fmt"
)

// Errors of the ParseX functions and the iterators. They are wrapped with
// detail (which header, which field, which lengths); match them with
// errors.Is.
var (
	// ErrTruncated reports bytes that end before the header does, or
	// before a length field says they should.
	ErrTruncated = errors.New("header: truncated")
	// ErrMalformed reports a field whose value the format forbids: a wrong
	// version, a header length below the minimum, an option length of 0
	// or 1, an extension header out of place.
	ErrMalformed = errors.New("header: malformed")
	// ErrUnsupported reports a well-formed header of a variant this
	// package does not decode, such as ARP for another hardware type.
	ErrUnsupported = errors.New("header: unsupported")
)

// errShort is the error of a ParseX function given fewer bytes than the
// header needs: "ICMP message needs 8 bytes, have 3". It is built only on
// the error path, so that a successful parse allocates nothing.
func errShort(what string, need, have int) error {
	return fmt.Errorf("%w: %s needs %d bytes, have %d", ErrTruncated, what, need, have)
}
