package pcap_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/pcap"
)

// Read a capture file packet by packet.
func ExampleOpenOffline() {
	h, err := pcap.OpenOffline("../testdata/ethernet.pcap")
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()
	fmt.Println("link type:", h.LinkType(), "-", h.LinkType().Description())
	n, bytes := 0, 0
	for {
		data, _, err := h.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		n++
		bytes += len(data)
	}
	fmt.Println(n, "packets,", bytes, "bytes")
	// Output:
	// link type: EN10MB - Ethernet
	// 33 packets, 3112 bytes
}

// Read many packets per call into C with a reusable Batch.
func ExampleHandle_ReadBatch() {
	h, err := pcap.OpenOffline("../testdata/ethernet.pcap")
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()
	b := pcap.NewBatch(16, 64<<10)
	defer b.Free()
	for {
		n, err := h.ReadBatch(b)
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		data, ci := b.Packet(0)
		fmt.Printf("batch of %d, first %d bytes at %s\n", n, len(data), ci.Timestamp.Format(time.RFC3339Nano))
	}
	// Output:
	// batch of 16, first 42 bytes at 2024-01-01T12:00:00Z
	// batch of 16, first 98 bytes at 2024-01-01T12:00:00.070761Z
	// batch of 1, first 130 bytes at 2024-01-01T12:00:00.145343Z
}

// Decode packets with gopacket: the handle is the data source and its link
// type the decoder.
func ExampleHandle_gopacket() {
	h, err := pcap.OpenOffline("../testdata/ethernet.pcap")
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()
	if err := h.SetFilter("tcp[tcpflags] & tcp-syn != 0"); err != nil {
		log.Fatal(err)
	}
	for p := range gopacket.NewPacketSource(h, h.LinkType()).Packets() {
		tcp := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		fmt.Printf("%d > %d SYN=%v ACK=%v\n", tcp.SrcPort, tcp.DstPort, tcp.SYN, tcp.ACK)
	}
	// Output:
	// 40000 > 80 SYN=true ACK=false
	// 80 > 40000 SYN=true ACK=true
	// 40002 > 81 SYN=true ACK=false
}

// Match packets against a filter in Go, without a capture handle.
func ExampleCompileBPF() {
	bpf, err := pcap.CompileBPF(pcap.LinkTypeEthernet, 65535, "udp port 53", true, 0)
	if err != nil {
		log.Fatal(err)
	}
	h, err := pcap.OpenOffline("../testdata/ethernet.pcap")
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()
	dns := 0
	for {
		data, ci, err := h.ZeroCopyReadPacketData()
		if err != nil {
			break
		}
		if bpf.Matches(ci, data) {
			dns++
		}
	}
	fmt.Println(dns, "DNS packets;", len(bpf.Instructions()), "BPF instructions")
	_, err = pcap.CompileBPF(pcap.LinkTypeEthernet, 65535, "udp prot 53", true, 0)
	fmt.Println(errors.Is(err, pcap.ErrBadFilter))
	// Output:
	// 4 DNS packets; 20 BPF instructions
	// true
}

// Write packets to a capture file.
func ExampleOpenDump() {
	dead, err := pcap.OpenDead(pcap.LinkTypeEthernet, 65535)
	if err != nil {
		log.Fatal(err)
	}
	defer dead.Close()
	var buf bytes.Buffer
	d, err := pcap.NewDumpWriter(dead, &buf)
	if err != nil {
		log.Fatal(err)
	}
	frame := make([]byte, 60)
	ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, 0), CaptureLength: 60, Length: 60}
	if err := d.Write(ci, frame); err != nil {
		log.Fatal(err)
	}
	if err := d.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(buf.Len(), "bytes: 24 of file header, 16 of record header, 60 of frame")
	// Output: 100 bytes: 24 of file header, 16 of record header, 60 of frame
}

// Capture on a device until a context ends. Close from another goroutine
// also ends a blocked read, with ErrClosed.
func ExampleOpenLive() {
	h, err := pcap.OpenLive("eth0", 262144, false, 0) // 0: immediate mode
	if err != nil {
		log.Fatal(err) // errors.Is(err, pcap.ErrPermission) when not root
	}
	defer h.Close()
	if err := h.SetFilter("tcp port 80"); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		data, ci, err := h.ReadPacketContext(ctx)
		if err != nil {
			break // ctx.Err() after 10 s
		}
		fmt.Fprintln(os.Stdout, ci.Timestamp, len(data))
	}
}

// List capture devices with every address.
func ExampleFindAllDevs() {
	devs, err := pcap.FindAllDevs()
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range devs {
		fmt.Println(d.Name, d.Flags)
		for _, a := range d.Addresses {
			fmt.Println("   ", a.Addr.Family, a.Addr, "mask", a.Netmask, "brd", a.Broadcast)
		}
	}
}
