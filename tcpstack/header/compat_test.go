package header_test

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"testing"

	"tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/tcp"
)

// The stack's tcp package is to switch to this package without a byte
// changing on the wire: these tests hold the two to the same output.

func TestFlagsMatchTCPPackage(t *testing.T) {
	for f := range 256 {
		if got, want := header.TCPFlags(f).PacketdrillString(), tcp.Flags(f).String(); got != want {
			t.Errorf("%#02x: PacketdrillString() = %q, tcp.Flags.String() = %q", f, got, want)
		}
	}
}

// randomTCPOptions returns options as both packages describe them.
func randomTCPOptions(r *rand.Rand) (tcp.Options, header.TCPOptionFields) {
	var o tcp.Options
	o.HasMSS, o.MSS = r.IntN(2) == 0, uint16(r.Uint32())
	o.HasWScale, o.WScale = r.IntN(2) == 0, uint8(r.IntN(16))
	o.SACKPermitted = r.IntN(2) == 0
	o.HasTimestamps, o.TSVal, o.TSEcr = r.IntN(2) == 0, r.Uint32(), r.Uint32()
	for range r.IntN(6) {
		o.SACK = append(o.SACK, tcp.SACKBlock{Left: tcp.Value(r.Uint32()), Right: tcp.Value(r.Uint32())})
	}
	f := header.TCPOptionFields{MSS: o.MSS, HasMSS: o.HasMSS, WScale: o.WScale, HasWScale: o.HasWScale,
		SACKPermitted: o.SACKPermitted, TSVal: o.TSVal, TSEcr: o.TSEcr, HasTimestamps: o.HasTimestamps}
	for _, s := range o.SACK {
		f.SACK = append(f.SACK, header.TCPSACKBlock{Left: uint32(s.Left), Right: uint32(s.Right)})
	}
	return o, f
}

func TestTCPOptionsLayoutMatchesTCPPackage(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 5000 {
		o, f := randomTCPOptions(r)
		seg := tcp.Segment{Options: o}
		want := seg.Marshal()[tcp.HeaderLen:]
		got := header.AppendTCPOptions(nil, &f)
		if !bytes.Equal(got, want) || f.Len() != o.Len() {
			t.Fatalf("%+v:\n header % x (Len %d)\n tcp    % x (Len %d)", o, got, f.Len(), want, o.Len())
		}
	}
}

func TestTCPOptionsDecodeMatchesTCPPackage(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 20000 {
		// Options area of random well-formed, malformed and unknown
		// options; or plain random bytes.
		var opts []byte
		if r.IntN(4) == 0 {
			opts = make([]byte, r.IntN(41))
			for i := range opts {
				opts[i] = byte(r.IntN(12))
			}
		} else {
			for len(opts) < 40 {
				switch r.IntN(9) {
				case 0:
					opts = header.AppendTCPMSS(opts, uint16(r.Uint32()))
				case 1:
					opts = header.AppendTCPWScale(opts, uint8(r.Uint32()))
				case 2:
					opts = header.AppendTCPSACKPermitted(opts)
				case 3:
					opts = header.AppendTCPTimestamps(opts, r.Uint32(), r.Uint32())
				case 4:
					blocks := make([]header.TCPSACKBlock, r.IntN(5))
					for i := range blocks {
						blocks[i] = header.TCPSACKBlock{Left: r.Uint32(), Right: r.Uint32()}
					}
					opts = header.AppendTCPSACK(opts, blocks...)
				case 5:
					opts = append(opts, byte(header.TCPOptionNOP))
				case 6:
					opts = append(opts, byte(r.IntN(9)), byte(r.IntN(12))) // a kind with a random length
				case 7:
					opts = header.AppendTCPOption(opts, header.TCPOptionKind(r.IntN(256)), make([]byte, r.IntN(8)))
				case 8:
					opts = append(opts, byte(header.TCPOptionEOL))
				}
			}
			opts = opts[:40]
		}
		for len(opts)%4 != 0 {
			opts = append(opts, 0)
		}
		b := header.AppendTCP(nil, &header.TCPFields{Flags: header.TCPFlagACK, Options: opts})
		seg, err := tcp.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		var f header.TCPOptionFields
		_ = header.TCP(b).Options().Decode(&f)
		o := seg.Options
		same := f.MSS == o.MSS && f.HasMSS == o.HasMSS && f.WScale == o.WScale && f.HasWScale == o.HasWScale &&
			f.SACKPermitted == o.SACKPermitted && f.TSVal == o.TSVal && f.TSEcr == o.TSEcr &&
			f.HasTimestamps == o.HasTimestamps && len(f.SACK) == len(o.SACK)
		for i := range min(len(f.SACK), len(o.SACK)) {
			same = same && f.SACK[i].Left == uint32(o.SACK[i].Left) && f.SACK[i].Right == uint32(o.SACK[i].Right)
		}
		if !same {
			t.Fatalf("options % x:\n header %+v\n tcp    %+v", opts, f, o)
		}
	}
}

func TestTCPChecksumMatchesTCPPackage(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	addr := func(v6 bool) netip.Addr {
		var a [16]byte
		for i := range a {
			a[i] = byte(r.Uint32())
		}
		if v6 {
			return netip.AddrFrom16(a)
		}
		return netip.AddrFrom4([4]byte(a[:4]))
	}
	for i := range 5000 {
		v6 := i%2 == 1
		src, dst := addr(v6), addr(v6)
		b := make([]byte, 20+r.IntN(1500))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		if got, want := header.TCP(b).ComputeChecksum(src, dst), tcp.Checksum(src, dst, b); got != want {
			t.Fatalf("%v > %v, %d bytes: %#x, tcp.Checksum %#x", src, dst, len(b), got, want)
		}
		tcp.PutChecksum(src, dst, b)
		if !header.TCP(b).IsChecksumValid(src, dst) {
			t.Fatalf("%v > %v: tcp.PutChecksum's checksum refused", src, dst)
		}
	}
}
