// Package pcap is a tcpstack.Link over a live libpcap handle: immediate
// mode, non-blocking reads batched into one cgo call, a BPF filter that lets
// through only ARP and IPv4 for the stack's address, and inbound direction
// only, so the stack never sees its own frames.
package pcap

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	libpcap "tcpregress.dev/pcap"
)

// Link is a tcpstack.Link on a network interface.
type Link struct {
	h     *libpcap.Handle
	mac   net.HardwareAddr
	mtu   int
	batch *libpcap.Batch
	views [][]byte
	stamp func(int) time.Time // l.stampOf, made once
}

// Options tune Open.
type Options struct {
	// BufferSize is the kernel capture buffer in bytes. Default 8 MiB.
	BufferSize int
	// Promiscuous captures frames for other MAC addresses too (needed when
	// the stack uses a MAC other than the interface's).
	Promiscuous bool
	// MAC, when set, is the stack's MAC address if it differs from the
	// interface's; the filter accepts frames to it.
	MAC net.HardwareAddr
	// Namespace, when set, names the network namespace iface is in
	// (/run/netns/NAME, as `ip netns add` and tcpstack/netns make them):
	// Open opens the capture on a thread inside it (pcap/nsenter), and the
	// handle stays there. Linux only.
	Namespace string
}

// Open captures on iface for a stack at addr. An interface in another
// network namespace is opened there: name it in o.Namespace, or call Open
// on a thread inside that namespace.
func Open(iface string, addr netip.Addr, o Options) (*Link, error) {
	if ns := o.Namespace; ns != "" {
		o.Namespace = ""
		var l *Link
		err := inNamespace(ns, func() error {
			var err error
			if l, err = Open(iface, addr, o); err != nil {
				return fmt.Errorf("%w (in network namespace %s)", err, ns)
			}
			return nil
		})
		if err != nil {
			if l != nil { // opened, but the thread could not leave the namespace
				l.Close()
			}
			return nil, err
		}
		return l, nil
	}
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("link/pcap: interface %s: %w", iface, err)
	}
	if len(ifi.HardwareAddr) != 6 {
		return nil, fmt.Errorf("link/pcap: interface %s has no Ethernet address (loopback and tunnels are not Ethernet links)", iface)
	}
	if o.BufferSize <= 0 {
		o.BufferSize = 8 << 20
	}
	h, err := libpcap.NewInactiveHandle(iface)
	if err != nil {
		return nil, err
	}
	h.SetSnapLen(ifi.MTU + 64)
	h.SetImmediateMode(true)
	h.SetBufferSize(o.BufferSize)
	h.SetPromisc(o.Promiscuous)
	if _, err := h.Activate(); err != nil {
		h.Close()
		return nil, err
	}
	if h.LinkType() != libpcap.LinkTypeEthernet {
		h.Close()
		return nil, fmt.Errorf("link/pcap: %s has link type %v, not Ethernet", iface, h.LinkType())
	}
	mac := ifi.HardwareAddr
	if o.MAC != nil {
		mac = o.MAC
	}
	// Only what the stack needs: ARP, and IPv4 addressed to it.
	filter := fmt.Sprintf("arp or (ip dst host %s)", addr)
	if err := h.SetFilter(filter); err != nil {
		h.Close()
		return nil, err
	}
	if err := h.SetDirection(libpcap.DirectionIn); err != nil {
		// Not every platform can; the stack drops frames from its own MAC.
		_ = err
	}
	return New(h, mac, ifi.MTU), nil
}

// New wraps an activated Ethernet handle. The link owns h from now on.
func New(h *libpcap.Handle, mac net.HardwareAddr, mtu int) *Link {
	return &Link{h: h, mac: mac, mtu: mtu, batch: libpcap.NewBatch(256, 1<<20)}
}

// Read waits for frames and passes a batch of them to fn.
func (l *Link) Read(fn func(frames [][]byte)) error {
	if err := l.readBatch(); err != nil {
		return err
	}
	fn(l.views)
	return nil
}

// ReadStamped is Read that also passes the frames' capture time stamps:
// stamp(i) is when the kernel received frame i. It implements
// tcpstack.StampedReader.
func (l *Link) ReadStamped(fn func(frames [][]byte, stamp func(i int) time.Time)) error {
	if err := l.readBatch(); err != nil {
		return err
	}
	if l.stamp == nil {
		l.stamp = l.stampOf
	}
	fn(l.views, l.stamp)
	return nil
}

// readBatch waits for the next batch and points l.views at its frames.
func (l *Link) readBatch() error {
	n, err := l.h.ReadBatch(l.batch)
	if err != nil {
		if errors.Is(err, libpcap.ErrClosed) {
			return net.ErrClosed
		}
		return err
	}
	l.views = l.views[:0]
	for i := 0; i < n; i++ {
		l.views = append(l.views, l.batch.Data(i))
	}
	return nil
}

// stampOf is the capture time of frame i of the last batch.
func (l *Link) stampOf(i int) time.Time {
	_, ci := l.batch.Packet(i)
	return ci.Timestamp
}

// Write sends a frame.
func (l *Link) Write(frame []byte) error {
	if err := l.h.WritePacketData(frame); err != nil {
		if errors.Is(err, libpcap.ErrClosed) {
			return net.ErrClosed
		}
		return err
	}
	return nil
}

// WriteBatch sends frames in order with as few system calls as the platform
// allows (libpcap.Handle.WritePacketBatch: one sendmmsg per 1024 frames on
// Linux). It implements tcpstack.BatchWriter.
func (l *Link) WriteBatch(frames [][]byte) error {
	if _, err := l.h.WritePacketBatch(frames); err != nil {
		if errors.Is(err, libpcap.ErrClosed) {
			return net.ErrClosed
		}
		return err
	}
	return nil
}

// HardwareAddr returns the MAC the stack uses.
func (l *Link) HardwareAddr() net.HardwareAddr { return l.mac }

// MTU returns the interface's MTU.
func (l *Link) MTU() int { return l.mtu }

// Handle returns the underlying capture handle (for statistics).
func (l *Link) Handle() *libpcap.Handle { return l.h }

// Close closes the handle; a blocked Read returns net.ErrClosed.
func (l *Link) Close() error {
	err := l.h.Close()
	if errors.Is(err, libpcap.ErrClosed) {
		return net.ErrClosed
	}
	return err
}
