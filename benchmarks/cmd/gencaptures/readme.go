package main

import (
	"bytes"
	"fmt"
)

// testdataREADME renders testdata/README.md from testFiles.
func testdataREADME() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`# testdata

Small capture files shared by the modules' tests. ` + "`benchmarks/cmd/gencaptures`" + ` generates
all of them, and this README, byte for byte reproducibly: do not edit them by hand. To change
or add a file, change the generator and regenerate, from the repository root:

    go run ./benchmarks/cmd/gencaptures -out testdata

(or ` + "`go generate ./cmd/gencaptures`" + ` in ` + "`benchmarks/`" + `). ` + "`go test ./cmd/gencaptures/`" + ` in
` + "`benchmarks/`" + ` fails when a file here differs from what the generator writes, and, when
tcpdump is installed, when tcpdump reads a file differently from the table below.

Hosts: A is 02:00:00:00:00:01, 198.18.0.1, 2001:db8::1; B is 02:00:00:00:00:02,
198.18.0.2, 2001:db8::2 (RFC 2544 benchmarking and RFC 3849 documentation ranges). A router
198.19.255.254 sends the ICMP error; DNS answers carry 198.18.0.80 and 2001:db8::80.
Timestamps start at 2024-01-01 12:00:00 UTC. Checksums and lengths are correct except where
a file is cut on purpose. Ethernet frames shorter than 60 bytes carry zero padding up to 60, as
on the wire, except the ARP requests, which are 42 bytes as their sender captures them.

"Packets" is how many complete packets a reader delivers (gopacket's pcapgo readers; for
` + "`ng-multi.pcapng`" + ` with ` + "`WantMixedLinkType`" + `). The last column is what
` + "`tcpdump -nn -r FILE`" + ` (tcpdump 4.99.3, libpcap 1.10.3) does: how many packets it prints,
one line each, and the error it then exits 1 with, if any.

| File | Bytes | Contents | Packets | ` + "`tcpdump -nn -r FILE`" + ` |
|---|---:|---|---:|---|
`)
	for _, tf := range testFiles {
		data, err := tf.build()
		if err != nil {
			return nil, fmt.Errorf("building %s: %w", tf.name, err)
		}
		result := fmt.Sprintf("%d packets", tf.tcpdumpPackets)
		if tf.tcpdumpPackets == 1 {
			result = "1 packet"
		}
		if tf.tcpdumpErr != "" {
			result += ", then `" + tf.tcpdumpErr + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %d | %s | %d | %s |\n", tf.name, len(data), tf.about, tf.packets, result)
	}
	b.WriteString(`
The subfolder ` + "`tcpdump/`" + ` is not generated: it holds the capture files of tcpdump's own test
suite, copied unchanged with their licence (see its README.md). Where test data belongs in the
repository: [ARCHITECTURE.md](../ARCHITECTURE.md).

The benchmark inputs are too big to commit; this command writes them:

    go run ./benchmarks/cmd/gencaptures -bench -out DIR

`)
	for _, bf := range benchFiles {
		fmt.Fprintf(&b, "- `%s`: %d Ethernet/IPv4 TCP or UDP frames of exactly %d bytes, %d bytes in all.\n",
			bf.name, bf.count, bf.frameLen, 24+int64(bf.count)*int64(16+bf.frameLen))
	}
	return b.Bytes(), nil
}
