package pcaptest_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"tcpregress.dev/pcap/pcaptest"
)

// TestWritePcap reads the file back with gopacket's reader: every record's
// bytes, time stamp and lengths, and the header's link type and snapshot
// length.
func TestWritePcap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.pcap")
	recs := []pcaptest.Record{
		{Data: []byte{1, 2, 3}, Time: time.Unix(1704067200, 1000)},
		{Data: []byte{4}, Time: time.Unix(1704067201, 2000), OrigLen: 60},
		{Data: nil, Time: time.Unix(1704067202, 0)},
	}
	pcaptest.WritePcap(t, path, layers.LinkTypeEthernet, 262144, recs...)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeEthernet || r.Snaplen() != 262144 {
		t.Errorf("link type %v, snapshot length %d", r.LinkType(), r.Snaplen())
	}
	for i, want := range recs {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		orig := max(want.OrigLen, len(want.Data))
		if !bytes.Equal(data, want.Data) || !ci.Timestamp.Equal(want.Time) || ci.CaptureLength != len(want.Data) || ci.Length != orig {
			t.Errorf("record %d: % x %+v, want % x at %v, %d on the wire", i, data, ci, want.Data, want.Time, orig)
		}
	}
	if _, _, err := r.ReadPacketData(); err == nil {
		t.Error("a record after the last")
	}
}

// TestTempFile: the bytes are in a file of that name, each call in a
// directory of its own.
func TestTempFile(t *testing.T) {
	a := pcaptest.TempFile(t, "in.bin", []byte("abc"))
	b := pcaptest.TempFile(t, "in.bin", nil)
	got, err := os.ReadFile(a)
	if err != nil || string(got) != "abc" || filepath.Base(a) != "in.bin" || a == b {
		t.Fatalf("%s: %q, %v; second file %s", a, got, err, b)
	}
}
