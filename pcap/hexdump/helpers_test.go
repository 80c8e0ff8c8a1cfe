package hexdump

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/pcap/pcaptest"
)

// defaultSeed seeds the random inputs; TEST_SEED overrides it to replay a run.
const defaultSeed = 20240101

// testRand returns a seeded generator and logs the seed.
func testRand(t testing.TB) *rand.Rand {
	t.Helper()
	seed := uint64(defaultSeed)
	if s := os.Getenv("TEST_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			t.Fatalf("TEST_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("random inputs from seed %d (set TEST_SEED to replay another)", seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// input is a named test input.
type input struct {
	name string
	data []byte
}

// testInputs returns the inputs every style is checked on: edge sizes,
// runs of one byte value (for hexdump -C's "*"), every byte value, mixed
// runs, and random sizes from 0 to 5000 bytes.
func testInputs(t testing.TB, random int) []input {
	t.Helper()
	r := testRand(t)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	var mixed []byte
	mixed = append(mixed, bytes.Repeat([]byte{0}, 48)...)
	mixed = append(mixed, bytes.Repeat([]byte{1}, 16)...)
	mixed = append(mixed, bytes.Repeat([]byte{0}, 64)...)
	mixed = append(mixed, bytes.Repeat([]byte{0}, 5)...) // short line equal in content
	var partialRun []byte
	partialRun = append(partialRun, bytes.Repeat([]byte{'A'}, 40)...)
	partialRun = append(partialRun, bytes.Repeat([]byte{'B'}, 16)...)
	partialRun = append(partialRun, bytes.Repeat([]byte{'B'}, 16)...)
	ins := []input{
		{"empty", nil},
		{"size=1", []byte{0x7f}},
		{"size=15", randomBytes(r, 15)},
		{"size=16", randomBytes(r, 16)},
		{"size=17", randomBytes(r, 17)},
		{"same=00/size=100", make([]byte, 100)},
		{"same=00/size=128", make([]byte, 128)},
		{"same=00/size=4097", make([]byte, 4097)},
		{"same=41/size=300", bytes.Repeat([]byte{'A'}, 300)},
		{"same=20/size=33", bytes.Repeat([]byte{' '}, 33)},
		{"every-byte", all},
		{"every-byte-twice", append(append([]byte{}, all...), all...)},
		{"mixed-runs", mixed},
		{"partial-run", partialRun},
		{"text", []byte("GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: tcpregress\r\n\r\n")},
	}
	for i := range random {
		n := r.IntN(5001)
		ins = append(ins, input{"random=" + strconv.Itoa(i) + "/size=" + strconv.Itoa(n), randomBytes(r, n)})
	}
	return ins
}

// writePcap writes, with pcaptest (gopacket's pcapgo), a classic pcap file
// (microsecond time stamps) with one packet per element of packets, on link
// type 1 (Ethernet), so that "tcpdump -xx" dumps every byte.
func writePcap(t *testing.T, packets [][]byte) string {
	t.Helper()
	recs := make([]pcaptest.Record, len(packets))
	for i, p := range packets {
		recs[i] = pcaptest.Record{Data: p, Time: time.Unix(int64(1704067200+i), 1000)}
	}
	path := filepath.Join(t.TempDir(), "in.pcap")
	pcaptest.WritePcap(t, path, layers.LinkTypeEthernet, 262144, recs...)
	return path
}

// diffLines reports the first differing line of two dumps.
func diffLines(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	g := bytes.SplitAfter(got, []byte("\n"))
	w := bytes.SplitAfter(want, []byte("\n"))
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if !bytes.Equal(gl, wl) {
			t.Errorf("%s: line %d differs (%d lines vs %d)\n got: %q\nwant: %q", what, i+1, len(g), len(w), gl, wl)
			return
		}
	}
}
