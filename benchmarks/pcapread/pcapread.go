// Package pcapread measures how fast capture files can be read: tcpregress's
// pcap package in each of its read modes against gopacket's cgo binding
// (gopacket/pcap), gopacket's pure-Go reader (pcapgo), and a C loop over
// libpcap's pcap_dispatch that is the floor for any libpcap-based reader:
// c-dispatch on a file libpcap opened itself, as every reader above does, and
// c-dispatch-256k on a file with a larger stdio buffer.
//
// Every implementation reads a whole file and touches every packet (it sums
// the first byte of each), so none can skip work the others do. Run the
// benchmarks through `make bench` (scripts/bench.sh), which generates the
// inputs and prints the medians as a table; `go test` alone runs a check that
// all implementations agree on a small file.
package pcapread

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	gopcap "github.com/gopacket/gopacket/pcap"
	"github.com/gopacket/gopacket/pcapgo"
	"tcpregress.dev/pcap"
)

// ReadFunc reads the whole capture file at path once and returns the number of
// packets in it and the sum of their first bytes.
type ReadFunc func(path string) (packets int, sum uint64, err error)

// Impl is one way of reading a capture file.
type Impl struct {
	Name string
	// New returns the reader and a function that releases what it holds
	// (a reused batch buffer, for example). Call New once and the ReadFunc
	// many times.
	New func() (read ReadFunc, free func())
}

// Default batch size of the ours-batch implementation: 4096 packets or 4 MiB
// of packet data per cgo call.
const (
	BatchPackets = 4096
	BatchBytes   = 4 << 20
)

// CStdioBuf is the stdio buffer of the c-dispatch-256k implementation: the
// c-dispatch loop on a file read 256 KiB per read(2) instead of stdio's
// default 4 KiB. It shows what libpcap's file reading costs when buffering is
// not the bottleneck.
const CStdioBuf = 256 << 10

// Impls returns the implementations in the order the tables list them: the C
// floors first, then ours, then the peers.
func Impls() []Impl {
	return []Impl{
		{"c-dispatch", stateless(CDispatchSum)},
		{"c-dispatch-256k", stateless(func(path string) (int, uint64, error) { return CDispatchSumBuffered(path, CStdioBuf) })},
		{"ours-batch", func() (ReadFunc, func()) { return OursBatch(BatchPackets, BatchBytes) }},
		{"ours-zerocopy", stateless(OursZeroCopy)},
		{"ours-copy", stateless(OursCopy)},
		{"gopacket-pcap", stateless(GopacketPcap)},
		{"pcapgo", stateless(Pcapgo)},
	}
}

func stateless(f ReadFunc) func() (ReadFunc, func()) {
	return func() (ReadFunc, func()) { return f, func() {} }
}

// OursBatch reads with [pcap.Handle.ReadBatch] into one [pcap.Batch] of
// maxPackets packets and bufBytes bytes, reused for every file the returned
// ReadFunc reads; free releases the batch.
func OursBatch(maxPackets, bufBytes int) (read ReadFunc, free func()) {
	b := pcap.NewBatch(maxPackets, bufBytes)
	read = func(path string) (int, uint64, error) {
		h, err := pcap.OpenOffline(path)
		if err != nil {
			return 0, 0, err
		}
		defer h.Close()
		var packets int
		var sum uint64
		for {
			n, err := h.ReadBatch(b)
			for i := range n {
				data, _ := b.Packet(i)
				if len(data) > 0 {
					sum += uint64(data[0])
				}
			}
			packets += n
			if err == io.EOF {
				return packets, sum, nil
			}
			if err != nil {
				return packets, sum, err
			}
		}
	}
	return read, b.Free
}

// OursZeroCopy reads with [pcap.Handle.ZeroCopyReadPacketData].
func OursZeroCopy(path string) (int, uint64, error) {
	return drainOurs(path, func(h *pcap.Handle) nextFunc { return h.ZeroCopyReadPacketData })
}

// OursCopy reads with [pcap.Handle.ReadPacketData], which copies every packet
// into a new slice.
func OursCopy(path string) (int, uint64, error) {
	return drainOurs(path, func(h *pcap.Handle) nextFunc { return h.ReadPacketData })
}

// drainOurs opens path with [pcap.OpenOffline] and drains it with the read
// method that method picks.
func drainOurs(path string, method func(*pcap.Handle) nextFunc) (int, uint64, error) {
	h, err := pcap.OpenOffline(path)
	if err != nil {
		return 0, 0, err
	}
	defer h.Close()
	return drain(method(h))
}

// GopacketPcap reads with gopacket's cgo libpcap binding,
// github.com/gopacket/gopacket/pcap, through its ZeroCopyReadPacketData.
func GopacketPcap(path string) (int, uint64, error) {
	h, err := gopcap.OpenOffline(path)
	if err != nil {
		return 0, 0, fmt.Errorf("gopacket-pcap: %w", err)
	}
	defer h.Close()
	return drain(h.ZeroCopyReadPacketData)
}

// pcapgoBufSize is the bufio buffer between the file and pcapgo's reader.
const pcapgoBufSize = 1 << 20

// Pcapgo reads with gopacket's pure-Go reader, pcapgo.NewReader over a
// buffered file, through its ZeroCopyReadPacketData.
func Pcapgo(path string) (int, uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	r, err := pcapgo.NewReader(bufio.NewReaderSize(f, pcapgoBufSize))
	if err != nil {
		return 0, 0, fmt.Errorf("pcapgo: %s: %w", path, err)
	}
	return drain(r.ZeroCopyReadPacketData)
}

// nextFunc reads the next packet, as ReadPacketData does.
type nextFunc = func() ([]byte, gopacket.CaptureInfo, error)

// drain calls next until io.EOF, counting the packets and summing their first
// bytes.
func drain(next nextFunc) (int, uint64, error) {
	var packets int
	var sum uint64
	for {
		data, _, err := next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return packets, sum, nil
			}
			return packets, sum, err
		}
		packets++
		if len(data) > 0 {
			sum += uint64(data[0])
		}
	}
}
