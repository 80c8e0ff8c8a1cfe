// Package tcpstack is a userland TCP/IP stack: Ethernet, ARP, IPv4, ICMP and
// TCP over any [Link] that moves Ethernet frames, with net.Conn and
// net.Listener on top.
//
// # Layers
//
//	socket API      Dial, DialContext, Listen,     dial.go, conn.go, listener.go
//	                Conn, Listener
//	─────────────────────────────────────────────────────────────────────────────
//	transport       tcpstack/tcp: the sans-IO      demux.go (demultiplexing,
//	                engine, one tcp.Conn per       flush, sendSegment),
//	                connection, tcp.Listener       timers.go, ports.go
//	─────────────────────────────────────────────────────────────────────────────
//	network         IPv4 in and out, next hop,     ipv4.go, route.go, arp.go,
//	                source routes, ARP, ICMP;      icmp.go, raw.go
//	                every header read and built
//	                by tcpstack/header
//	─────────────────────────────────────────────────────────────────────────────
//	link            Link: link/pcap (libpcap),     link.go, ethernet.go, tx.go
//	                link/pipe (in memory),
//	                link/faults (loss, delay, ...)
//
// stack.go holds Config, Stack, New and Close; errors.go the errors the
// socket API returns. The package itself needs no cgo: only link/pcap does.
//
// # A frame in
//
// The read loop (ethernet.go) takes frames from the link a batch at a time
// and, with the stack's lock held, hands each to input, which keeps the
// untagged frames for the stack's MAC (or broadcast) and dispatches on the
// EtherType: ARP to inputARP (answer requests, learn neighbours), IPv4 to
// inputIPv4. That one checks the header (header.ParseIPv4 and its
// checksum), drops what is not for the stack's address, offers the packet to
// the raw handler (the probe's hook), drops fragments and packets from
// broadcast sources, and hands TCP to inputTCP and ICMP to inputICMP.
// inputTCP (demux.go) verifies the TCP checksum, parses the segment
// (tcp.Parse), and gives it to the connection of its 4-tuple, or to the
// listener of its port, or answers it with a reset. Every view is a slice of
// the frame the link lent: nothing is copied or allocated on the way.
//
// # A segment out
//
// The engine emits segments when flush asks it (after input, a user call or
// a timer). sendSegment lays each out in the stack's frame buffer: the TCP
// segment, its checksum, an IPv4 header (header.IPv4.Encode, DF set, a
// source route's option if the connection has one), then sendIP finds the
// next hop, resolves its MAC through ARP (or queues the packet until ARP
// answers) and writes the Ethernet header. The frame goes into the transmit
// queue (tx.go), which is written to the link in batches once the stack's
// lock is released. The engine's next deadline goes into the timer heap
// (timers.go), whose goroutine sleeps until the earliest one.
package tcpstack
