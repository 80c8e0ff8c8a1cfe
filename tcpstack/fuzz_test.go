package tcpstack

// FuzzStack: the whole stack fed arbitrary frames with a connection open.

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/link/pipe"
	"tcpregress.dev/tcpstack/tcp"
)

// The fuzz input: a flags byte (fuzzFixSums: recompute every checksum of
// each frame before it is fed, so that mutations reach past the checksum
// checks), then frames, each a 2-byte big-endian length and its bytes. The
// frames are fed as one batch to stack b (198.18.0.2, listening on 80),
// which has a connection open from a (198.18.0.1:40000); both use ISS 1000,
// so the seeds can name its sequence numbers.
const (
	fuzzFixSums   = 1
	fuzzMaxFrames = 64
	fuzzPort      = 40000
	fuzzISS       = 1000
)

// The seed corpus is testdata/fuzz/FuzzStack, stackSeeds written out.
func FuzzStack(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		base := runtime.NumGoroutine()
		frames, fix := splitFuzzInput(in)
		if fix {
			for _, fr := range frames {
				fixChecksums(fr)
			}
		}
		a, b, sc := fuzzStacks(t)
		b.inputBatch(frames)
		// Memory stays bounded: what one batch can make the stack hold.
		b.mu.Lock()
		conns, neigh, queued := len(b.conns), len(b.neigh), 0
		for _, n := range b.neigh {
			queued += len(n.queue)
		}
		b.unlock()
		if conns > 1+len(frames) || neigh > maxNeighbours || queued > neigh*arpMaxQueue {
			t.Fatalf("after %d frames: %d connections, %d neighbours, %d packets waiting for ARP", len(frames), conns, neigh, queued)
		}
		a.Close()
		b.Close()
		sc.Close()
		// No goroutine is left once both stacks are closed.
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > base {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Fatalf("%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(time.Millisecond)
		}
	})
}

// fuzzStacks returns stacks a and b over a pipe with a connection from
// a:40000 to b:80 established (b's end sc echoes), nothing in flight.
func fuzzStacks(t *testing.T) (a, b *Stack, sc *Conn) {
	t.Helper()
	la, lb := pipe.New(macA, macB, pipe.Faults{})
	var err error
	mk := func(l *pipe.Endpoint, p netip.Prefix) *Stack {
		s, err := New(Config{Link: l, Addr: p, TCP: tcp.Config{ISN: tcp.FixedISN(fuzzISS)}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b = mk(la, addrA), mk(lb, addrB)
	l, err := b.Listen("tcp", ":80")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := a.DialTCPFrom(ctx, "tcp", fuzzPort, "198.18.0.2:80"); err != nil {
		t.Fatal(err)
	}
	sc, err = l.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		io.Copy(sc, sc)
		sc.Close()
	}()
	return a, b, sc
}

func splitFuzzInput(in []byte) (frames [][]byte, fix bool) {
	if len(in) == 0 {
		return nil, false
	}
	fix = in[0]&fuzzFixSums != 0
	in = in[1:]
	for len(in) >= 2 && len(frames) < fuzzMaxFrames {
		n := int(binary.BigEndian.Uint16(in))
		in = in[2:]
		n = min(n, len(in))
		frames = append(frames, bytes.Clone(in[:n]))
		in = in[n:]
	}
	return frames, fix
}

// fixChecksums sets the IPv4 header checksum and the TCP or ICMP checksum
// of an untagged Ethernet frame, as far as its lengths allow.
func fixChecksums(f []byte) {
	e, err := header.ParseEthernet(f)
	if err != nil || e.EtherType() != header.EtherTypeIPv4 || e.HeaderLen() != header.EthernetLen {
		return
	}
	h, err := header.ParseIPv4(e.Payload())
	if err != nil {
		return
	}
	h.SetChecksum(h.ComputeChecksum())
	p := h.Payload()
	switch h.Protocol() {
	case header.IPProtocolTCP:
		if len(p) >= header.TCPMinLen {
			header.TCP(p).SetChecksum(header.TCP(p).ComputeChecksum(h.Src(), h.Dst()))
		}
	case header.IPProtocolICMP:
		if len(p) >= 8 {
			header.ICMPv4(p).SetChecksum(header.ICMPv4(p).ComputeChecksum())
		}
	}
}

// fuzzInput encodes frames as FuzzStack reads them, with checksums fixed
// when fix is set.
func fuzzInput(fix bool, frames ...[]byte) []byte {
	b := []byte{0}
	if fix {
		b[0] = fuzzFixSums
	}
	for _, f := range frames {
		b = binary.BigEndian.AppendUint16(b, uint16(len(f)))
		b = append(b, f...)
	}
	return b
}

var (
	fuzzA = netip.AddrPortFrom(addrA.Addr(), fuzzPort)
	fuzzB = netip.AddrPortFrom(addrB.Addr(), 80)
)

// seedTCP is a frame from a to b: IPv4 (with options ipOpts and the given
// fragment fields) around a TCP header with raw options opts.
func seedTCP(ip header.IPv4Fields, t header.TCPFields, payload []byte) []byte {
	if t.SrcPort == 0 {
		t.SrcPort, t.DstPort = fuzzA.Port(), fuzzB.Port()
	}
	if t.Window == 0 {
		t.Window = 65535
	}
	seg := header.AppendTCP(nil, &t)
	seg = append(seg, payload...)
	header.TCP(seg).SetChecksum(header.TCP(seg).ComputeChecksum(fuzzA.Addr(), fuzzB.Addr()))
	ip.Src, ip.Dst, ip.Protocol, ip.TTL, ip.PayloadLen = fuzzA.Addr(), fuzzB.Addr(), header.IPProtocolTCP, 64, len(seg)
	return ethernetFrame(macB, macA, append(header.AppendIPv4(nil, &ip), seg...))
}

// everyTCPOption is an option list with every kind the stack knows and a
// few it does not.
func everyTCPOption(tsval uint32) []byte {
	o := header.AppendTCPMSS(nil, 1460)
	o = header.AppendTCPWScale(o, 7)
	o = header.AppendTCPSACKPermitted(o)
	o = header.AppendTCPTimestamps(o, tsval, 1)
	o = header.AppendTCPSACK(o, header.TCPSACKBlock{Left: fuzzISS + 100, Right: fuzzISS + 200})
	o = header.AppendTCPOption(o, header.TCPOptionUserTimeout, []byte{0x80, 10})
	return o
}

// stackSeeds are valid frames for FuzzStack's connection and others: what
// the mutator starts from.
func stackSeeds() [][]byte {
	const seq, ack = fuzzISS + 1, fuzzISS + 1
	ts := header.AppendTCPTimestamps([]byte{byte(header.TCPOptionNOP), byte(header.TCPOptionNOP)}, 1<<20, 1)
	ack1 := func(flags header.TCPFlags, payload []byte) []byte {
		return seedTCP(header.IPv4Fields{DF: true}, header.TCPFields{Seq: seq, Ack: ack, Flags: flags, Options: ts}, payload)
	}
	sack := header.AppendTCPTimestamps(nil, 1<<20, 1)
	sack = header.AppendTCPSACK(sack, header.TCPSACKBlock{Left: seq + 10, Right: seq + 20}, header.TCPSACKBlock{Left: seq + 30, Right: seq + 40})
	syn := func(port uint16, opts []byte) []byte {
		return seedTCP(header.IPv4Fields{DF: true}, header.TCPFields{SrcPort: port, DstPort: 80, Seq: 5000, Flags: header.TCPFlagSYN, Options: opts}, nil)
	}
	rr := header.AppendIPv4Route(nil, header.IPv4OptionRecordRoute, 4, netip.IPv4Unspecified(), netip.IPv4Unspecified())
	lsrr := header.AppendIPv4Route(nil, header.IPv4OptionLSRR, 4, netip.MustParseAddr("198.18.0.7"))
	tsOpt := header.AppendIPv4Option(nil, header.IPv4OptionTimestamp, []byte{5, 0, 0, 0, 0, 0, 0, 0})

	arp := func(op header.ARPOp, senderIP, targetIP netip.Addr, mac header.MAC) []byte {
		f := header.AppendEthernet(nil, &header.EthernetFields{Dst: header.BroadcastMAC, Src: mac, Type: header.EtherTypeARP})
		return header.PadEthernet(header.AppendARP(f, &header.ARPFields{Op: op, SenderMAC: mac, SenderIP: senderIP, TargetIP: targetIP}))
	}
	icmp := func(typ, code byte, rest uint32, payload []byte) []byte {
		m := header.AppendICMPv4(nil, &header.ICMPv4Fields{Type: header.ICMPv4Type(typ), Code: code, Rest: rest, Payload: payload})
		return ethernetFrame(macB, macA, ipv4Packet(header.IPProtocolICMP, fuzzA.Addr(), fuzzB.Addr(), nil, m))
	}
	// The first 28 bytes of a segment b sent on the connection.
	quoted := header.AppendIPv4(nil, &header.IPv4Fields{DF: true, TTL: 64, Protocol: header.IPProtocolTCP, Src: fuzzB.Addr(), Dst: fuzzA.Addr(), PayloadLen: 40})
	quoted = append(quoted, make([]byte, 8)...)
	qt := header.TCP(quoted[header.IPv4MinLen:])
	qt.SetSrcPort(80)
	qt.SetDstPort(fuzzPort)
	qt.SetSeq(seq)
	vlan := ack1(header.TCPFlagACK, []byte("tagged"))
	vlan = append(vlan[:12:12], append([]byte{0x81, 0, 0, 5}, vlan[12:]...)...)

	return [][]byte{
		fuzzInput(false, ack1(header.TCPFlagACK|header.TCPFlagPSH, []byte("hello"))),
		fuzzInput(true, ack1(header.TCPFlagACK|header.TCPFlagPSH, []byte("hello")),
			ack1(header.TCPFlagACK|header.TCPFlagFIN, nil)),
		fuzzInput(false, seedTCP(header.IPv4Fields{DF: true}, header.TCPFields{Seq: seq + 10, Ack: ack, Flags: header.TCPFlagACK, Options: sack}, []byte("out of order"))),
		fuzzInput(false, seedTCP(header.IPv4Fields{DF: true}, header.TCPFields{Seq: seq, Ack: ack, Flags: header.TCPFlagACK | header.TCPFlagURG, Urgent: 3, Options: ts}, []byte("urgent"))),
		fuzzInput(false, seedTCP(header.IPv4Fields{DF: true}, header.TCPFields{Seq: seq, Ack: ack, Flags: header.TCPFlagACK, Options: everyTCPOption(1 << 20)}, []byte("options"))),
		fuzzInput(false, ack1(header.TCPFlagRST, nil)),
		fuzzInput(false, ack1(header.TCPFlagRST|header.TCPFlagACK, nil), ack1(header.TCPFlagSYN, nil)),
		fuzzInput(true, syn(40001, everyTCPOption(7)), syn(40002, nil),
			seedTCP(header.IPv4Fields{DF: true}, header.TCPFields{SrcPort: 40003, DstPort: 80, Seq: 1, Ack: 2, Flags: header.TCPFlagACK}, nil),
			seedTCP(header.IPv4Fields{DF: true}, header.TCPFields{SrcPort: 40004, DstPort: 81, Seq: 1, Flags: header.TCPFlagSYN}, nil)),
		fuzzInput(false, seedTCP(header.IPv4Fields{DF: true, Options: rr}, header.TCPFields{Seq: seq, Ack: ack, Flags: header.TCPFlagACK, Options: ts}, []byte("rr")),
			seedTCP(header.IPv4Fields{Options: lsrr}, header.TCPFields{SrcPort: 40005, DstPort: 80, Seq: 9, Flags: header.TCPFlagSYN}, nil),
			seedTCP(header.IPv4Fields{Options: tsOpt}, header.TCPFields{Seq: seq, Ack: ack, Flags: header.TCPFlagACK, Options: ts}, nil)),
		fuzzInput(false, seedTCP(header.IPv4Fields{MF: true, ID: 7}, header.TCPFields{Seq: seq, Ack: ack, Flags: header.TCPFlagACK, Options: ts}, []byte("first fragment")),
			seedTCP(header.IPv4Fields{FragOffset: 24, ID: 7}, header.TCPFields{Seq: seq, Ack: ack, Flags: header.TCPFlagACK}, []byte("second"))),
		fuzzInput(true, icmp(8, 0, 0x10001, []byte("ping")),
			icmp(3, 4, 1000, quoted), icmp(3, 3, 0, quoted), icmp(3, 1, 0, quoted), icmp(11, 0, 0, quoted)),
		fuzzInput(false, arp(header.ARPRequest, fuzzA.Addr(), fuzzB.Addr(), header.MAC(macA)),
			arp(header.ARPReply, fuzzA.Addr(), fuzzB.Addr(), header.MAC{2, 0, 0, 0, 0, 9}),
			arp(header.ARPRequest, netip.MustParseAddr("198.18.0.50"), fuzzB.Addr(), header.MAC{2, 0, 0, 0, 0, 50})),
		fuzzInput(false, vlan, append(ack1(header.TCPFlagACK, nil)[:12:12], 0x86, 0xdd, 0x60, 0, 0, 0)),
	}
}

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz/FuzzStack from stackSeeds")

// TestFuzzStackSeeds keeps the seed corpus in testdata/fuzz/FuzzStack (what
// go test runs as FuzzStack's seed inputs) the same as stackSeeds;
// -update-seeds rewrites it.
func TestFuzzStackSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzStack")
	for i, s := range stackSeeds() {
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(s)))
		name := filepath.Join(dir, fmt.Sprintf("seed-%02d", i))
		if *updateSeeds {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(name)
		if err != nil || string(got) != want {
			t.Fatalf("%s is missing or differs from stackSeeds()[%d]: run go test -run TestFuzzStackSeeds -update-seeds", name, i)
		}
	}
}
