package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"tcpregress.dev/pcap/testenv"
)

// testdataDir is the repository's testdata/, seen from this package.
const testdataDir = "../../../testdata"

const regenerate = "regenerate from the repository root with `go run ./benchmarks/cmd/gencaptures -out testdata` and commit the result"

// TestCommittedTestdata regenerates the test captures into a temporary
// directory and checks that testdata/ holds exactly those bytes, so the
// committed files cannot drift from the generator.
func TestCommittedTestdata(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	if code := run([]string{"-q", "-out", dir}, &stderr); code != 0 {
		t.Fatalf("gencaptures -out %s: exit %d: %s", dir, code, stderr.String())
	}
	names := []string{"README.md"}
	for _, tf := range testFiles {
		names = append(names, tf.name)
	}
	for _, name := range names {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(testdataDir, name))
		if err != nil {
			t.Errorf("testdata/%s: %v; %s", name, err, regenerate)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("testdata/%s (%d bytes) differs from what the generator writes (%d bytes); %s", name, len(got), len(want), regenerate)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(names) {
		t.Errorf("the output directory holds %d files, want %d: temporary files left behind?", len(entries), len(names))
	}
}

// TestReadBack reads every test capture with gopacket's readers: the
// packet counts the README states, the errors the broken files must cause,
// and frames that decode cleanly with correct checksums.
func TestReadBack(t *testing.T) {
	for _, tf := range testFiles {
		t.Run(tf.name, func(t *testing.T) {
			data, err := tf.build()
			if err != nil {
				t.Fatal(err)
			}
			broken := tf.tcpdumpErr != "" && tf.name != "ng-multi.pcapng"

			var read func() ([]byte, gopacket.CaptureInfo, error)
			linkOf := func(gopacket.CaptureInfo) layers.LinkType { return 0 }
			switch {
			case strings.HasSuffix(tf.name, ".pcapng"):
				r, err := pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.NgReaderOptions{WantMixedLinkType: true})
				if err != nil {
					t.Fatalf("opening: %v", err)
				}
				read = r.ReadPacketData
				linkOf = func(ci gopacket.CaptureInfo) layers.LinkType { return ci.AncillaryData[0].(layers.LinkType) }
			default:
				r, err := pcapgo.NewReader(bytes.NewReader(data))
				if err != nil {
					if broken && tf.packets == 0 {
						return // zero.pcap, garbage.pcap
					}
					t.Fatalf("opening: %v", err)
				}
				read = r.ReadPacketData
				linkOf = func(gopacket.CaptureInfo) layers.LinkType { return r.LinkType() }
				if tf.name == "nanosecond.pcap" && r.Resolution() != gopacket.TimestampResolutionNanosecond {
					t.Errorf("resolution %v, want nanoseconds", r.Resolution())
				}
			}

			n := 0
			links := map[layers.LinkType]int{}
			for {
				frame, ci, err := read()
				if err == io.EOF {
					if broken {
						t.Errorf("read to a clean end; want an error after packet %d", tf.packets)
					}
					break
				}
				if err != nil {
					if !broken {
						t.Errorf("after %d packets: %v", n, err)
					}
					break
				}
				n++
				if ci.Timestamp.Before(epoch) {
					t.Errorf("packet %d: timestamp %v before %v", n, ci.Timestamp, epoch)
				}
				if tf.name == "nanosecond.pcap" && ci.Timestamp.Nanosecond()%1000 == 0 {
					t.Errorf("packet %d: timestamp %v has no nanosecond digits", n, ci.Timestamp)
				}
				link := linkOf(ci)
				links[link]++
				p := gopacket.NewPacket(frame, link, gopacket.Default)
				if ci.CaptureLength < ci.Length {
					continue // snaplen.pcap: cut on purpose
				}
				if el := p.ErrorLayer(); el != nil {
					t.Errorf("packet %d: decoding: %v", n, el.Error())
				}
				if err := verifyChecksums(p); err != nil {
					t.Errorf("packet %d: %v", n, err)
				}
			}
			if n != tf.packets {
				t.Errorf("read %d packets, want %d", n, tf.packets)
			}
			if tf.name == "ng-multi.pcapng" && (links[layers.LinkTypeEthernet] != 2 || links[layers.LinkTypeRaw] != 2) {
				t.Errorf("link types %v, want 2 Ethernet and 2 RAW", links)
			}
		})
	}
}

// TestTcpdump checks the tcpdump column of the README against the real
// tcpdump, when it is installed.
func TestTcpdump(t *testing.T) {
	tcpdump := testenv.Program(t, "tcpdump", "tcpdump")
	for _, tf := range testFiles {
		t.Run(tf.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(tcpdump, "-nn", "-r", filepath.Join(testdataDir, tf.name))
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatal(err)
			}
			if lines := strings.Count(stdout.String(), "\n"); lines != tf.tcpdumpPackets {
				t.Errorf("tcpdump printed %d packets, want %d:\n%s", lines, tf.tcpdumpPackets, stdout.String())
			}
			switch {
			case tf.tcpdumpErr == "" && err != nil:
				t.Errorf("tcpdump failed: %v: %s", err, stderr.String())
			case tf.tcpdumpErr != "" && err == nil:
				t.Errorf("tcpdump succeeded; want it to fail with %q", tf.tcpdumpErr)
			case !strings.Contains(stderr.String(), tf.tcpdumpErr):
				t.Errorf("tcpdump stderr %q does not contain %q", stderr.String(), tf.tcpdumpErr)
			}
		})
	}
}

// TestBenchFrames checks the start of each benchmark input: deterministic,
// every frame exactly the promised size, decodable, with good checksums,
// TCP and UDP both present.
func TestBenchFrames(t *testing.T) {
	const count = 2000
	for _, bf := range benchFiles {
		t.Run(bf.name, func(t *testing.T) {
			var first, second bytes.Buffer
			if err := bf.write(&first, count); err != nil {
				t.Fatal(err)
			}
			if err := bf.write(&second, count); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first.Bytes(), second.Bytes()) {
				t.Fatal("two runs wrote different bytes")
			}
			if want := 24 + count*(16+bf.frameLen); first.Len() != want {
				t.Errorf("file is %d bytes, want %d", first.Len(), want)
			}
			r, err := pcapgo.NewReader(&first)
			if err != nil {
				t.Fatal(err)
			}
			last := epoch
			kinds := map[gopacket.LayerType]int{}
			for i := 0; ; i++ {
				frame, ci, err := r.ReadPacketData()
				if err == io.EOF {
					if i != count {
						t.Errorf("read %d packets, want %d", i, count)
					}
					break
				}
				if err != nil {
					t.Fatalf("packet %d: %v", i+1, err)
				}
				if len(frame) != bf.frameLen || ci.Length != bf.frameLen {
					t.Fatalf("packet %d: %d of %d bytes, want %d", i+1, len(frame), ci.Length, bf.frameLen)
				}
				if !ci.Timestamp.After(last) {
					t.Fatalf("packet %d: timestamp %v not after %v", i+1, ci.Timestamp, last)
				}
				last = ci.Timestamp
				p := gopacket.NewPacket(frame, layers.LinkTypeEthernet, gopacket.Default)
				if el := p.ErrorLayer(); el != nil {
					t.Fatalf("packet %d: decoding: %v", i+1, el.Error())
				}
				tl := p.TransportLayer()
				if tl == nil || p.ApplicationLayer() == nil {
					t.Fatalf("packet %d: want TCP or UDP with a payload, got %v", i+1, p)
				}
				kinds[tl.LayerType()]++
				if err := verifyChecksums(p); err != nil {
					t.Fatalf("packet %d: %v", i+1, err)
				}
			}
			if kinds[layers.LayerTypeTCP] == 0 || kinds[layers.LayerTypeUDP] == 0 {
				t.Errorf("transport layers %v, want both TCP and UDP", kinds)
			}
		})
	}
}

// verifyChecksums checks every checksum in p. Decoding does not give the
// transport layers the network layer of their pseudo-header; this does.
func verifyChecksums(p gopacket.Packet) error {
	if nl := p.NetworkLayer(); nl != nil {
		for _, l := range p.Layers() {
			if l, ok := l.(interface {
				SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
			}); ok {
				if err := l.SetNetworkLayerForChecksum(nl); err != nil {
					return err
				}
			}
		}
	}
	err, bad := p.VerifyChecksums()
	if err != nil {
		return fmt.Errorf("verifying checksums: %w", err)
	}
	if len(bad) > 0 {
		m := bad[0]
		return fmt.Errorf("bad %s checksum %#04x, want %#04x", m.Layer.LayerType(), m.Actual, m.Correct)
	}
	return nil
}

func TestUsage(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		say  string
	}{
		{[]string{"-h"}, 0, "Usage: gencaptures -out DIR"},
		{nil, 2, "missing -out DIR"},
		{[]string{"-out"}, 2, "flag needs an argument"},
		{[]string{"-nope"}, 2, "flag provided but not defined"},
		{[]string{"-out", t.TempDir(), "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"-out", notDir}, 1, "creating the output directory"},
	} {
		var stderr bytes.Buffer
		if code := run(tc.args, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.say) {
			t.Errorf("gencaptures %q: exit %d, stderr %q; want exit %d saying %q", tc.args, code, stderr.String(), tc.code, tc.say)
		}
	}
}
