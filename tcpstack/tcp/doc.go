// Package tcp is a sans-IO TCP engine: one connection is a state machine that
// takes arriving segments ([Conn.Input]), user calls ([Conn.Write],
// [Conn.Read], [Conn.CloseWrite], [Conn.Close], [Conn.Abort]) and the current
// time, and produces segments to send ([Conn.Output]) and the next timer
// deadline ([Conn.NextDeadline]). It starts no goroutines, reads no clock and
// owns no socket, so a test drives it with a virtual clock and a fuzzer feeds
// it arbitrary segments.
//
// A socket layer uses it like this:
//
//	c, err := tcp.Open(cfg, local, remote, now) // active OPEN: emits a SYN
//	// or: c, rst, ok := listener.Input(srcIP, seg, now) for a passive OPEN
//	for {
//		c.Output(now, send)          // after every Input, user call or deadline
//		deadline, ok := c.NextDeadline()
//		// wait for a segment, a user call, or the deadline; then
//		c.Input(seg, now)            // segment arrival, checksum already verified
//		ev := c.Events()             // readable, writable, established, closed...
//	}
//
// Wire format helpers ([Parse], [Segment.AppendTo], [Checksum]) are separate
// from protocol flow. Sequence numbers are the modular [Value].
//
// Every branch cites the requirement it implements in one greppable form,
// such as "RFC9293 §3.10.7.4", "RFC9293 MUST-13", "RFC5961 §3.2",
// "RFC6298 (2.1)". Implemented: RFC9293 (states, segment arrival, user calls,
// timeouts, Nagle, SWS avoidance, zero-window probing, delayed ACK, urgent
// data, keep-alive), RFC5961 (blind RST/SYN/data injection mitigations),
// RFC6298 (RTO), RFC5681 and RFC6582 (congestion control, NewReno), RFC6928
// (initial window), RFC2018 and RFC6675 (SACK and SACK-based recovery),
// RFC7323 (window scaling, timestamps, PAWS), RFC6528 (ISNs), RFC1337
// (TIME-WAIT RST).
package tcp
