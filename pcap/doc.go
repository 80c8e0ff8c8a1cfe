// Package pcap is a complete Go binding to libpcap (1.9 or later): capture
// devices and their addresses, live capture, capture files in pcap and pcapng
// format, BPF filters, packet injection and dump files.
//
// # Opening
//
// [OpenOffline] reads a file ("-" for standard input), [OpenOfflineReader]
// any io.Reader, [OpenOfflineFile] an *os.File. [OpenLive] opens a device
// with common options; for the others (buffer size, immediate mode, monitor
// mode, time stamp type and precision) use [NewInactiveHandle], the Set
// methods, then [Handle.Activate]. [OpenDead] makes a handle for compiling
// filters and writing files. A closed handle can be reopened with
// [Handle.Reopen].
//
// # Reading
//
// [Handle.ReadPacketData] returns a copy of each packet,
// [Handle.ZeroCopyReadPacketData] libpcap's own bytes (valid until the next
// read), [Handle.ReadPacketDataInto] copies into a buffer of yours, and
// [Handle.ReadBatch] fills a [Batch] with many packets in one call into C,
// allocating nothing per packet: the fast path. [Handle.Loop] and
// [Handle.Dispatch] call a function per packet. A Handle is a gopacket
// PacketDataSource and ZeroCopyPacketDataSource, and its [LinkType] is a
// gopacket Decoder:
//
//	src := gopacket.NewPacketSource(h, h.LinkType())
//
// Reads on a live handle never block inside libpcap: the handle is
// non-blocking underneath and a read waits for libpcap's descriptor or a
// wake-up descriptor: on Linux parked in the runtime's network poller, so a
// blocked reader holds no OS thread; elsewhere in poll(2). So [Handle.Close]
// from another
// goroutine ends a blocked read at once with [ErrClosed],
// [Handle.ReadPacketContext] returns when its context is cancelled,
// [Handle.SetReadDeadline] bounds every read, and [Handle.BreakLoop] stops a
// Loop. There is no read timeout to configure: the timeout given to
// [OpenLive] is libpcap's packet buffer timeout, and zero selects immediate
// mode. Files end with [io.EOF].
//
// # Errors
//
// Errors match sentinels with errors.Is: [ErrClosed], [ErrPermission] (its
// message says how to get the permission), [ErrNoSuchDevice] (a
// [*DeviceError] lists the devices there are), [ErrBadFilter] (a
// [*FilterError] carries libpcap's message and the expression),
// [ErrTruncated] (a [*TruncatedError] has the file offset; the packets before
// it were delivered), [ErrBadFile], [ErrActivated] and [ErrNotActivated].
//
// # Logging
//
// A handle is silent unless given a zerolog.Logger with [Handle.SetLogger].
//
// # Platforms
//
// The package builds wherever libpcap and cgo do; it is tested on Linux. The
// wake-up descriptor is an eventfd on Linux and a pipe elsewhere (FreeBSD,
// macOS).
package pcap
