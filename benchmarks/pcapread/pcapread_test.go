package pcapread

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"tcpregress.dev/pcap/pcaptest"
)

// testImpls is Impls plus ours-batch with a batch small enough that packets
// regularly do not fit and wait for the next call.
func testImpls() []Impl {
	return append(Impls(), Impl{"ours-batch-small", func() (ReadFunc, func()) { return OursBatch(7, 3000) }})
}

// writeTestCapture writes count Ethernet-sized frames of random lengths
// (1 to 1514 bytes) and contents to a pcap file and returns its path and the
// sum of the frames' first bytes.
func writeTestCapture(t *testing.T, count int) (string, uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	ts := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	recs := make([]pcaptest.Record, count)
	var sum uint64
	for i := range recs {
		n := 1 + rng.IntN(1514)
		if i%10 == 0 {
			n = 60
		}
		frame := make([]byte, n)
		for j := range frame {
			frame[j] = byte(rng.Uint32())
		}
		sum += uint64(frame[0])
		ts = ts.Add(time.Microsecond)
		recs[i] = pcaptest.Record{Data: frame, Time: ts}
	}
	path := filepath.Join(t.TempDir(), "frames.pcap")
	pcaptest.WritePcap(t, path, layers.LinkTypeEthernet, 65535, recs...)
	return path, sum
}

// TestImplsAgree runs every implementation on small files and checks that
// each sees every packet, so the benchmarks compare equal work.
func TestImplsAgree(t *testing.T) {
	generated, wantSum := writeTestCapture(t, 3000)
	files := []struct {
		name    string
		path    string
		packets int
		sum     uint64 // 0: take c-dispatch's
	}{
		{"generated", generated, 3000, wantSum},
		{"ethernet.pcap", filepath.Join("..", "..", "testdata", "ethernet.pcap"), 33, 0},
		{"empty.pcap", filepath.Join("..", "..", "testdata", "empty.pcap"), 0, 0},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			want := f.sum
			if want == 0 {
				_, s, err := CDispatchSum(f.path)
				if err != nil {
					t.Fatal(err)
				}
				want = s
			}
			for _, impl := range testImpls() {
				read, free := impl.New()
				// Twice: a reused batch must give the same answer again.
				for round := range 2 {
					n, sum, err := read(f.path)
					if err != nil {
						t.Errorf("%s (round %d): %v", impl.Name, round, err)
						continue
					}
					if n != f.packets || sum != want {
						t.Errorf("%s (round %d): %d packets with first-byte sum %d, want %d and %d", impl.Name, round, n, sum, f.packets, want)
					}
				}
				free()
			}
		})
	}
}

// TestImplsBadFile checks that every implementation reports a missing file
// and a file that is not a capture as errors.
func TestImplsBadFile(t *testing.T) {
	for _, path := range []string{
		filepath.Join(t.TempDir(), "missing.pcap"),
		filepath.Join("..", "..", "testdata", "garbage.pcap"),
	} {
		for _, impl := range testImpls() {
			read, free := impl.New()
			if n, _, err := read(path); err == nil {
				t.Errorf("%s: reading %s returned %d packets and no error", impl.Name, path, n)
			}
			free()
		}
	}
}

// benchInputs are the files gencaptures -bench writes.
var benchInputs = []struct {
	label   string
	file    string
	packets int
}{
	{"60", "bench-60.pcap", 1_000_000},
	{"1514", "bench-1514.pcap", 200_000},
}

// benchDir is $BENCHDIR, or .bench at the repository root.
func benchDir() string {
	if d := os.Getenv("BENCHDIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", ".bench")
}

var sink uint64

// BenchmarkRead reads each whole input file once per iteration with each
// implementation. ns/pkt is the time per packet; MB/s counts file bytes.
func BenchmarkRead(b *testing.B) {
	dir := benchDir()
	for _, in := range benchInputs {
		path := filepath.Join(dir, in.file)
		b.Run("file="+in.label, func(b *testing.B) {
			fi, err := os.Stat(path)
			if err != nil {
				b.Skipf("no input: %v; make bench generates it, or run go run ./benchmarks/cmd/gencaptures -bench -out DIR from the repository root and set BENCHDIR=DIR", err)
			}
			// The reference answer, which every implementation must match.
			wantPackets, wantSum, err := CDispatchSum(path)
			if err != nil {
				b.Fatal(err)
			}
			if wantPackets != in.packets {
				b.Fatalf("%s has %d packets, want %d: regenerate it with gencaptures -bench", path, wantPackets, in.packets)
			}
			for _, impl := range Impls() {
				b.Run("impl="+impl.Name, func(b *testing.B) {
					read, free := impl.New()
					defer free()
					b.ReportAllocs()
					b.SetBytes(fi.Size())
					for b.Loop() {
						n, sum, err := read(path)
						if err != nil {
							b.Fatal(err)
						}
						if n != in.packets || sum != wantSum {
							b.Fatalf("read %d packets with first-byte sum %d, want %d and %d", n, sum, in.packets, wantSum)
						}
						sink += sum
					}
					ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*in.packets)
					b.ReportMetric(ns, "ns/pkt")
					b.ReportMetric(1e9/ns, "pkts/s")
				})
			}
		})
	}
}
