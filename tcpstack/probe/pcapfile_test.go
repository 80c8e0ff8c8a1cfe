package probe

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tcpregress.dev/tcpstack/tcp"
	"tcpregress.dev/tcpstack/tcpdump/tcpdumptest"
)

// pcapTestFrames are frames of both directions with the times a pcap file
// must keep (sub-microsecond parts are cut), one zero, one past 2106 (its
// seconds do not fit 32 bits) and one never sent, which the file leaves out.
func pcapTestFrames(t *testing.T) []Frame {
	var frames []Frame
	for i, tc := range stringCases {
		f := build(t, tc.seg)
		f.Time = time.Unix(1700000000+int64(i), int64(i)*123456789%1e9)
		if i%2 == 0 {
			f.Dir = In
		}
		frames = append(frames, f)
	}
	frames = append(frames, build(t, Segment{SrcPort: 40000, DstPort: 81, Flags: tcp.FlagSYN})) // zero time
	late := build(t, Segment{SrcPort: 40000, DstPort: 82, Flags: tcp.FlagRST})
	late.Time = time.Date(2200, 1, 2, 3, 4, 5, 999999999, time.UTC)
	frames = append(frames, late)
	unsent := build(t, Segment{SrcPort: 40000, DstPort: 83, Flags: tcp.FlagFIN})
	unsent.SendErr = errors.New("link down")
	return append(frames, unsent)
}

// TestWritePcapReadBack reads the probe's pcap file back with tcpdump -e
// -tt: the link type, the snapshot length, and every sent frame with its
// synthesised Ethernet header, its length and its time. (What tcpdump
// prints of the segments themselves is TestFrameStringTcpdump's.)
func TestWritePcapReadBack(t *testing.T) {
	mac := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	frames := pcapTestFrames(t)
	path := filepath.Join(t.TempDir(), "frames.pcap")
	if err := writePcap(path, frames, mac); err != nil {
		t.Fatal(err)
	}
	r := tcpdumptest.Run(t, "-nn", "-e", "-tt", "-r", path)
	if r.Code != 0 {
		t.Fatalf("tcpdump: exit status %d\n%s", r.Code, r.Stderr)
	}
	if want := "link-type EN10MB (Ethernet), snapshot length 65535"; !strings.Contains(r.Stderr, want) {
		t.Errorf("tcpdump says %q, want %q", r.Stderr, want)
	}
	lines := r.Lines()
	sent := frames[:len(frames)-1] // the unsent one is not in the file
	if len(lines) != len(sent) {
		t.Fatalf("tcpdump printed %d lines for %d sent frames:\n%s", len(lines), len(sent), r.Stdout)
	}
	for i, f := range sent {
		src, dst := "00:00:00:00:00:00", mac.String()
		if f.Dir == Out {
			src, dst = dst, src
		}
		want := fmt.Sprintf(" %s > %s, ethertype IPv4 (0x0800), length %d: %s.", src, dst, 14+len(f.Raw), f.IP.Src)
		if !strings.Contains(lines[i], want) {
			t.Errorf("frame %d: tcpdump prints\n%s\nwant after the time\n%s…", i, lines[i], want)
		}
		if f.Time.IsZero() || f.Time.Year() > 2106 {
			continue // seconds beyond 32 bits: only libpcap's bytes matter (TestWritePcapLibpcap)
		}
		if ts := fmt.Sprintf("%d.%06d ", f.Time.Unix(), f.Time.Nanosecond()/1000); !strings.HasPrefix(lines[i], ts) {
			t.Errorf("frame %d: tcpdump prints\n%s\nwant the time %s", i, lines[i], ts)
		}
	}
}

func TestWritePcapError(t *testing.T) {
	err := writePcap(filepath.Join(t.TempDir(), "no", "such", "dir.pcap"), nil, nil)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("writePcap into a missing directory: %v", err)
	}
}
