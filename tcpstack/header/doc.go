// Package header reads and writes the wire formats tcpregress speaks:
// Ethernet (with 802.1Q tags), ARP, IPv4 with its options, IPv6 with its
// extension headers, ICMPv4, ICMPv6 with the fixed parts of Neighbor
// Discovery, TCP with its options, and the Internet checksum.
//
// It is the only place in the project where a header's byte layout is
// written down. Other packages (the stack, the probe, the tools, the
// conformance cases) go through it rather than indexing packet bytes
// themselves.
//
// # Views
//
// Each header is a view: a named byte slice such as [IPv4], [TCP] or
// [ICMPv6] whose methods read (and a few write) fields in place. A view
// never copies, and its accessors allocate nothing, so they are fit for the
// stack's receive path.
//
// A ParseX function ([ParseIPv4], [ParseTCP], ...) checks that the bytes
// hold a complete, well-formed header (lengths first, then the fields that
// give other lengths) and returns the view, or an error wrapping
// [ErrTruncated], [ErrMalformed] or [ErrUnsupported] that says what is
// wrong. Accessors of a view that its ParseX function accepted, or that a
// builder wrote, never go out of bounds. A view made by plain conversion,
// such as IPv4(b), is unchecked: its accessors may panic on short bytes.
// Checksums are never verified by ParseX (a tool must be able to show a
// packet with a wrong one); each view has IsChecksumValid.
//
// Options and extension headers are read with iterators in the style of
// bufio.Scanner (Next, then the current element, then Err), which allocate
// nothing either:
//
//	it := tcp.Options().Iter()
//	for it.Next() {
//		if mss, ok := it.Option().MSS(); ok {
//			...
//		}
//	}
//	if err := it.Err(); err != nil { ... }
//
// # Builders
//
// Each header has a fields struct ([IPv4Fields], [TCPFields], ...) with an
// Encode method on the view, which writes the header into bytes the caller
// sized, and an AppendX function, which appends it. Builders write what
// they are given: a conformance test may build a header that a parser
// rejects, then adjust single fields with the view's setters. Builders
// panic only on values that the format cannot hold (more than 40 bytes of
// IPv4 or TCP options, say), which are programming errors.
//
// Each rule taken from a specification is marked with the RFC section it
// comes from.
package header
