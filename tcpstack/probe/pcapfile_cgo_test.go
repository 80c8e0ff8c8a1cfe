//go:build cgo

package probe

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"

	"tcpregress.dev/pcap"
)

// TestWritePcapLibpcap checks that the probe's pure-Go pcap files are, byte
// for byte, what libpcap's dumper (which the probe used before) writes for
// the same frames: a recorded exchange and pcapTestFrames.
func TestWritePcapLibpcap(t *testing.T) {
	mac := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	p := echoExchange(t)
	for name, frames := range map[string][]Frame{"exchange": p.Frames(), "synthetic": pcapTestFrames(t)} {
		dir := t.TempDir()
		ours, theirs := filepath.Join(dir, "ours.pcap"), filepath.Join(dir, "libpcap.pcap")
		if err := writePcap(ours, frames, mac); err != nil {
			t.Fatal(err)
		}
		libpcapWrite(t, theirs, frames, mac)
		a, err := os.ReadFile(ours)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(theirs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			i := 0
			for i < len(a) && i < len(b) && a[i] == b[i] {
				i++
			}
			t.Errorf("%s: %d bytes, libpcap %d; first difference at offset %d", name, len(a), len(b), i)
		}
	}
}

// libpcapWrite is the probe's writePcap as it was with libpcap.
func libpcapWrite(t *testing.T, path string, frames []Frame, mac net.HardwareAddr) {
	h, err := pcap.OpenDead(pcap.LinkTypeEthernet, 65535)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	d, err := pcap.OpenDump(h, path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range frames {
		f := &frames[i]
		if f.SendErr != nil {
			continue
		}
		eth := make([]byte, 14+len(f.Raw))
		if f.Dir == In {
			copy(eth[0:6], mac)
		} else {
			copy(eth[6:12], mac)
		}
		eth[12], eth[13] = 0x08, 0x00
		copy(eth[14:], f.Raw)
		ci := gopacket.CaptureInfo{Timestamp: f.Time, CaptureLength: len(eth), Length: len(eth)}
		if err := d.Write(ci, eth); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}
