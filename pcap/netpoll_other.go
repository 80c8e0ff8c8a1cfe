//go:build !linux

package pcap

import (
	"errors"
	"time"
)

// poller is Linux's wait in the runtime's network poller (netpoll_linux.go);
// elsewhere readers wait in poll(2).
type poller struct{}

func newPoller(sock int, w *waker) (*poller, error) { return nil, nil }

func (p *poller) close() {}

func (p *poller) busy(n int) {}

func (h *Handle) pollWait(p *poller, deadline time.Time) error {
	return errors.New("pcap: no runtime poller wait on this platform")
}
