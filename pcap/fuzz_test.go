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

// FuzzOpenOfflineReader feeds arbitrary bytes to libpcap through
// OpenOfflineReader and reads to the end: every input is either rejected with
// ErrBadFile or ErrTruncated, or read to io.EOF or a classified error, never
// a panic or a hang.
func FuzzOpenOfflineReader(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/*.pcap*")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil && len(b) < 8192 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		watchdog := time.AfterFunc(10*time.Second, func() {
			panic(fmt.Sprintf("pcap: reading a %d-byte input has not finished after 10 s: %x", len(data), data))
		})
		defer watchdog.Stop()
		h, err := OpenOfflineReader(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrBadFile) && !errors.Is(err, ErrTruncated) {
				t.Fatalf("open error %v is neither ErrBadFile nor ErrTruncated", err)
			}
			return
		}
		defer h.Close()
		b := NewBatch(4, 1<<16)
		defer b.Free()
		for i := 0; ; i++ {
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
					t.Fatalf("read error %v is neither ErrBadFile nor ErrTruncated", err)
				}
				return
			}
			if i > len(data) {
				t.Fatalf("more packets than input bytes")
			}
		}
	})
}

// TestMutatedCaptures runs the fuzz target's checks on a fixed, seeded set of
// mutations of the test captures (bytes changed, cut, inserted), so that
// `make test` covers hostile input without the fuzzing engine.
func TestMutatedCaptures(t *testing.T) {
	seeds, _ := filepath.Glob("../testdata/*.pcap*")
	var inputs [][]byte
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil && len(b) < 8192 {
			inputs = append(inputs, b)
		}
	}
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
		h, err := OpenOfflineReader(bytes.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrBadFile) && !errors.Is(err, ErrTruncated) {
				t.Fatalf("input %x: open error %v is neither ErrBadFile nor ErrTruncated", in, err)
			}
			continue
		}
		b := NewBatch(4, 1<<16)
		for i := 0; ; i++ {
			if i > len(in) {
				t.Fatalf("input %x: more packets than bytes", in)
			}
			var err error
			if i%2 == 0 {
				_, _, err = h.ReadPacketData()
			} else {
				_, err = h.ReadBatch(b)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				if !errors.Is(err, ErrBadFile) && !errors.Is(err, ErrTruncated) {
					t.Fatalf("input %x: read error %v", in, err)
				}
				break
			}
		}
		b.Free()
		h.Close()
	}
}
