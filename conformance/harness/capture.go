package harness

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"tcpregress.dev/conformance/suite"
	libpcap "tcpregress.dev/pcap"
	"tcpregress.dev/tcpstack/netns"
)

// linkCapture is a suite.LinkCapture: a libpcap handle on the target's end
// of the test link, outbound direction only (what the target sends), read
// by one goroutine until Stop.
type linkCapture struct {
	h      *libpcap.Handle
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	frames []suite.LinkFrame
	err    error
	once   sync.Once
}

// captureTarget returns the Env.CaptureLink of a local target: captures on
// iface, the target's veth, inside ns.
func captureTarget(ns *netns.Namespace, iface string) func(filter string) (suite.LinkCapture, error) {
	return func(filter string) (suite.LinkCapture, error) {
		var h *libpcap.Handle
		err := ns.Do(func() error {
			var err error
			h, err = openCapture(iface, filter)
			return err
		})
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithCancel(context.Background())
		c := &linkCapture{h: h, cancel: cancel, done: make(chan struct{})}
		go c.read(ctx)
		return c, nil
	}
}

// openCapture opens an immediate-mode handle on iface for the frames it
// sends that match filter.
func openCapture(iface, filter string) (*libpcap.Handle, error) {
	h, err := libpcap.NewInactiveHandle(iface)
	if err != nil {
		return nil, err
	}
	h.SetSnapLen(256) // headers are enough
	h.SetImmediateMode(true)
	if _, err := h.Activate(); err != nil {
		h.Close()
		return nil, fmt.Errorf("capture on %s: %w", iface, err)
	}
	if err := h.SetDirection(libpcap.DirectionOut); err != nil {
		h.Close()
		return nil, fmt.Errorf("capture on %s: outbound only: %w", iface, err)
	}
	if err := h.SetFilter(filter); err != nil {
		h.Close()
		return nil, fmt.Errorf("capture on %s: %w", iface, err)
	}
	return h, nil
}

func (c *linkCapture) read(ctx context.Context) {
	defer close(c.done)
	for {
		data, ci, err := c.h.ReadPacketContext(ctx)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, libpcap.ErrClosed) {
				c.mu.Lock()
				c.err = err
				c.mu.Unlock()
			}
			return
		}
		c.mu.Lock()
		c.frames = append(c.frames, suite.LinkFrame{Time: ci.Timestamp, Data: data})
		c.mu.Unlock()
	}
}

// Stop ends the capture and closes its handle.
func (c *linkCapture) Stop() ([]suite.LinkFrame, error) {
	c.once.Do(func() {
		c.cancel()
		<-c.done
		c.h.Close()
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frames, c.err
}
