// Package pcaptest writes the input files of tests: classic pcap files
// (microsecond time stamps) made with gopacket's pure-Go writer, so that the
// code under test (the pcap binding's readers, the hexdump views, the tools,
// tcpdump run on the engine's segments) reads a file that neither it nor
// libpcap wrote, and a test that only writes a capture needs no cgo; and
// plain files of bytes, for the hexdump library and command.
package pcaptest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Record is one packet of a capture file.
type Record struct {
	// Data is the captured bytes.
	Data []byte
	// Time is when it was captured.
	Time time.Time
	// OrigLen is its length on the wire; 0 means len(Data). A larger value
	// makes the packet look cut by a snapshot length.
	OrigLen int
}

// WritePcap writes recs, in order, to a classic pcap file at path whose
// header says link type lt (layers.LinkTypeEthernet, LinkTypeRaw for bare IP
// packets, ...) and snapshot length snaplen. It fails the test if the file
// cannot be written.
func WritePcap(t testing.TB, path string, lt layers.LinkType, snaplen uint32, recs ...Record) {
	t.Helper()
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	if err := w.WriteFileHeader(snaplen, lt); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		ci := gopacket.CaptureInfo{Timestamp: r.Time, CaptureLength: len(r.Data), Length: max(r.OrigLen, len(r.Data))}
		if err := w.WritePacket(ci, r.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TempFile writes b to a new file called name in the test's temporary
// directory and returns its path. It fails the test if the file cannot be
// written.
func TempFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
