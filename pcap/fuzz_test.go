package pcap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// seedCaptures returns the test captures under 8 KiB: the fuzz target's
// seeds and the inputs TestMutatedCaptures mutates.
func seedCaptures() [][]byte {
	files, _ := filepath.Glob("../testdata/*.pcap*")
	var out [][]byte
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil && len(b) < 8192 {
			out = append(out, b)
		}
	}
	return out
}

// readHostile opens in with OpenOfflineReader and reads it to the end,
// alternating ReadPacketData and ReadBatch. It fails t unless every error is
// ErrBadFile or ErrTruncated, the reads end (io.EOF or such an error), and
// they deliver no more packets than in has bytes.
func readHostile(t *testing.T, in []byte) {
	t.Helper()
	h, err := OpenOfflineReader(bytes.NewReader(in))
	if err != nil {
		if !errors.Is(err, ErrBadFile) && !errors.Is(err, ErrTruncated) {
			t.Fatalf("input %x: open error %v is neither ErrBadFile nor ErrTruncated", in, err)
		}
		return
	}
	defer h.Close()
	b := NewBatch(4, 1<<16)
	defer b.Free()
	for i := 0; ; i++ {
		if i > len(in) {
			t.Fatalf("input %x: more packets than input bytes", in)
		}
		var err error
		if i%2 == 0 {
			_, _, err = h.ReadPacketData()
		} else {
			_, err = h.ReadBatch(b)
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			if !errors.Is(err, ErrBadFile) && !errors.Is(err, ErrTruncated) {
				t.Fatalf("input %x: read error %v is neither ErrBadFile nor ErrTruncated", in, err)
			}
			return
		}
	}
}

// FuzzOpenOfflineReader feeds arbitrary bytes to libpcap through
// OpenOfflineReader and reads to the end: every input is either rejected with
// ErrBadFile or ErrTruncated, or read to io.EOF or a classified error, never
// a panic or a hang.
func FuzzOpenOfflineReader(f *testing.F) {
	for _, b := range seedCaptures() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		watchdog := time.AfterFunc(10*time.Second, func() {
			panic(fmt.Sprintf("pcap: reading a %d-byte input has not finished after 10 s: %x", len(data), data))
		})
		defer watchdog.Stop()
		readHostile(t, data)
	})
}

// TestMutatedCaptures runs the fuzz target's checks on a fixed, seeded set of
// mutations of the test captures (bytes changed, cut, inserted), so that
// `make test` covers hostile input without the fuzzing engine.
func TestMutatedCaptures(t *testing.T) {
	inputs := seedCaptures()
	if len(inputs) == 0 {
		t.Fatal("no seed captures in ../testdata")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("TEST_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("TEST_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	for n := 0; n < 20000; n++ {
		in := bytes.Clone(inputs[rng.IntN(len(inputs))])
		for k := rng.IntN(8); k >= 0 && len(in) > 0; k-- {
			switch rng.IntN(3) {
			case 0:
				in[rng.IntN(len(in))] = byte(rng.Uint32())
			case 1:
				in = in[:rng.IntN(len(in))]
			default:
				i := rng.IntN(len(in))
				in = append(in[:i:i], append([]byte{byte(rng.Uint32()), 0xff, 0xff}, in[i:]...)...)
			}
		}
		readHostile(t, in)
	}
}
