package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// benchFile is one large benchmark input: count Ethernet/IPv4 frames of
// exactly frameLen bytes, TCP or UDP, spread over many flows.
type benchFile struct {
	name     string
	frameLen int
	count    int
	seed     uint64
	gapMin   time.Duration // spacing of timestamps: gapMin + [0, gapJitter)
	gapJit   time.Duration
}

var benchFiles = []benchFile{
	// Minimum-size frames, about 1 Mpps.
	{name: "bench-60.pcap", frameLen: 60, count: 1_000_000, seed: 60, gapMin: time.Microsecond, gapJit: 2 * time.Microsecond},
	// Full-size frames, about 1 Gbit/s.
	{name: "bench-1514.pcap", frameLen: 1514, count: 200_000, seed: 1514, gapMin: 12 * time.Microsecond, gapJit: 2 * time.Microsecond},
}

func writeBenchFiles(dir string, report func(name string, packets int, size int64)) error {
	for _, bf := range benchFiles {
		var cw countingWriter
		if err := writeFile(dir, bf.name, func(w io.Writer) error {
			cw.w = w
			return bf.write(&cw, bf.count)
		}); err != nil {
			return err
		}
		report(bf.name, bf.count, cw.n)
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// benchFlow is one conversation between a client in 198.18.0.0/16 and a
// server in 198.19.0.0/24.
type benchFlow struct {
	tcp        bool
	ip         [2]net.IP // client, server
	port       [2]uint16
	next       [2]uint32 // TCP: next sequence number each side sends
	ipID       [2]uint16
	toServerOf uint8 // out of 8, how often a packet goes client→server
}

const benchFlows = 1024

// write writes the pcap of the first count frames to w. The same count
// always gives the same bytes, and a smaller count a prefix of the records.
func (bf benchFile) write(w io.Writer, count int) error {
	rng := rand.New(rand.NewPCG(bf.seed, 0x7463707265677265)) // "tcpregre"

	flows := make([]benchFlow, benchFlows)
	for i := range flows {
		f := &flows[i]
		f.tcp = rng.IntN(10) < 7
		f.ip = [2]net.IP{{198, 18, byte(1 + i/250), byte(1 + i%250)}, {198, 19, 0, byte(1 + rng.IntN(16))}}
		f.port = [2]uint16{uint16(32768 + rng.IntN(28232)), []uint16{5201, 5001, 9000, 11211}[rng.IntN(4)]}
		f.next = [2]uint32{rng.Uint32(), rng.Uint32()}
		f.ipID = [2]uint16{uint16(rng.Uint32()), uint16(rng.Uint32())}
		f.toServerOf = uint8(4 + rng.IntN(5))
	}
	// Payload bytes come from a random pool at random offsets.
	pool := make([]byte, 1<<16)
	for i := range pool {
		pool[i] = byte(rng.Uint32())
	}

	const ethIP = 14 + 20
	tcpPayload := bf.frameLen - ethIP - 20
	udpPayload := bf.frameLen - ethIP - 8
	if tcpPayload < 0 || udpPayload < 0 {
		return fmt.Errorf("frame length %d is too short for Ethernet, IPv4 and TCP headers", bf.frameLen)
	}

	bw := bufio.NewWriterSize(w, 1<<20)
	pw := pcapgo.NewWriter(bw)
	if err := pw.WriteFileHeader(snaplen, layers.LinkTypeEthernet); err != nil {
		return err
	}
	var (
		buf = gopacket.NewSerializeBuffer()
		e   = layers.Ethernet{EthernetType: layers.EthernetTypeIPv4}
		ip  = layers.IPv4{Version: 4, IHL: 5, TTL: 64, Flags: layers.IPv4DontFragment}
		tcp = layers.TCP{ACK: true, PSH: true, Window: 502}
		u   layers.UDP
		now = epoch
	)
	if err := tcp.SetNetworkLayerForChecksum(&ip); err != nil {
		return err
	}
	if err := u.SetNetworkLayerForChecksum(&ip); err != nil {
		return err
	}
	for i := range count {
		f := &flows[rng.IntN(len(flows))]
		from := 1
		if rng.IntN(8) < int(f.toServerOf) {
			from = 0
		}
		to := 1 - from
		e.SrcMAC, e.DstMAC = macA, macB
		if from == 1 {
			e.SrcMAC, e.DstMAC = macB, macA
		}
		f.ipID[from]++
		ip.Id, ip.SrcIP, ip.DstIP = f.ipID[from], f.ip[from], f.ip[to]

		var transport gopacket.SerializableLayer
		var n int
		if f.tcp {
			n = tcpPayload
			ip.Protocol = layers.IPProtocolTCP
			tcp.SrcPort, tcp.DstPort = layers.TCPPort(f.port[from]), layers.TCPPort(f.port[to])
			tcp.Seq, tcp.Ack = f.next[from], f.next[to]
			f.next[from] += uint32(n)
			transport = &tcp
		} else {
			n = udpPayload
			ip.Protocol = layers.IPProtocolUDP
			u.SrcPort, u.DstPort = layers.UDPPort(f.port[from]), layers.UDPPort(f.port[to])
			transport = &u
		}
		off := rng.IntN(len(pool) - n + 1)
		if err := gopacket.SerializeLayers(buf, serializeOpts, &e, &ip, transport, gopacket.Payload(pool[off:off+n])); err != nil {
			return fmt.Errorf("packet %d: %w", i+1, err)
		}
		frame := buf.Bytes()
		if len(frame) != bf.frameLen {
			return fmt.Errorf("packet %d: made a %d-byte frame, want %d", i+1, len(frame), bf.frameLen)
		}
		now = now.Add(bf.gapMin + time.Duration(rng.Int64N(int64(bf.gapJit/time.Microsecond)))*time.Microsecond)
		ci := gopacket.CaptureInfo{Timestamp: now, CaptureLength: len(frame), Length: len(frame)}
		if err := pw.WritePacket(ci, frame); err != nil {
			return fmt.Errorf("packet %d: %w", i+1, err)
		}
	}
	return bw.Flush()
}
