package tcpstack

import "tcpregress.dev/tcpstack/link"

// Link moves Ethernet frames for a [Stack]: see package [link]. Its
// implementations are link/pcap (a live interface through libpcap),
// link/pipe (an in-memory pair, for tests) and link/faults (seeded loss,
// delay and reordering around either).
type Link = link.Link
