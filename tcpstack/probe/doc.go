// Package probe is the raw side of TCP test benches: it builds any segment
// and sends it, records every frame to and from its address, and waits for
// frames that match an expectation. The conformance suite is built on it.
//
// A [Probe] sits on a [tcpstack.Stack] through the stack's raw handler. The
// stack keeps doing what a host must (answer ARP for the address, resolve
// next hops), while the probe takes every TCP segment and ICMP message
// addressed to it, so the stack never answers the target with a RST of its
// own. Everything is recorded: [Probe.Frames], [Probe.Dump] and
// [Probe.WritePcap] give the exchange back, [Probe.Expectations] every wait
// for a frame (what was expected, when, and which frame met it), and
// [Frame.String] prints one frame the way tcpdump -nn -S does (with package
// tcpdump's printer).
//
// Segments are built field by field with [Segment] (any flags, options in
// any order and length from [MSS], [WScale], [SACKPermitted], [SACK],
// [Timestamps], [NOP], [EOL], [RawOption], [BadLenOption], a data offset
// that lies, bad checksums, IPv4 options) or written as packetdrill-like
// lines ([ParseLine]; the grammar is tcpstack/segline's, the one the
// engine's tests use too), numbers relative to the connection's ISS and IRS:
//
//	c.SendLine("P. 1:101(100) ack 1")
//	c.ExpectLine(". 1:1(0) ack 101")
//
// Expectations are values of [Match], built from terse helpers ([Flags],
// [Ack], [SeqAny], [From], [Tuple], [And], [Not], [Func]) or from a line.
// [Probe.Expect] waits for the next matching frame not yet taken and, on
// timeout, says what arrived instead. [Probe.ExpectNone] checks absence by
// waiting, which proves little: prefer a later segment whose reply shows
// that nothing else happened.
//
// A [Conn] keeps the numbers of one connection (ISS, IRS, SND.NXT, RCV.NXT,
// the target's window, negotiated options, TS.Recent) from the frames of its
// 4-tuple, so tests write relative numbers and leave the rest zero:
// [Probe.Dial] opens one actively, [Probe.Listen] and [Listener.Accept]
// passively, [Probe.NewConn] makes one that sends nothing until told.
//
// Which kind of test to write:
//
//	what is checked                              write
//	-------------------------------------------  -----------------------------------
//	one branch of the TCP engine                 tcp package harness (virtual time)
//	our stack against Linux, with real sockets   tcpstack kernel tests (net.Conn)
//	what a target sends on the wire, crafted     probe (this package), conformance
//	  or illegal input, RFC requirements
//
// A probe does not retransmit, acknowledge, reassemble or time anything out
// by itself: every segment is the test's decision.
package probe
