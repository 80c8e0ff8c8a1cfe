package tcpstack

import (
	"time"

	"tcpregress.dev/tcpstack/header"
)

// The link side: the read loop takes frames from the Link in batches and
// dispatches each by its EtherType; putEthernet heads every frame the stack
// sends.

// readLoop feeds received frames to the stack until the link closes.
func (s *Stack) readLoop() {
	defer s.wg.Done()
	sr, stamped := s.dev.(StampedReader)
	for {
		var err error
		if stamped {
			err = sr.ReadStamped(s.inputStamped)
		} else {
			err = s.link.Read(s.inputBatch)
		}
		if err != nil {
			select {
			case <-s.done:
			default:
				s.log.Error().Err(err).Msg("link read failed; the stack stops receiving")
			}
			return
		}
	}
}

// inputBatch handles a batch of frames from the link.
func (s *Stack) inputBatch(frames [][]byte) { s.inputStamped(frames, nil) }

// inputStamped handles a batch of frames from the link; stamp, when not nil,
// gives their arrival times for the raw handler (see StampedReader).
func (s *Stack) inputStamped(frames [][]byte, stamp func(int) time.Time) {
	s.mu.Lock()
	defer s.unlock()
	if s.closed {
		return
	}
	now := s.now()
	s.batch = true
	for i, f := range frames {
		s.arrived = now
		if stamp != nil && s.raw != nil {
			if t := stamp(i); !t.IsZero() {
				s.arrived = t
			}
		}
		s.input(f, now)
	}
	s.batch = false
	for i, c := range s.deferred {
		c.deferred = false
		if !c.gone {
			s.flush(c, now)
		}
		s.deferred[i] = nil
	}
	s.deferred = s.deferred[:0]
}

// input handles one Ethernet frame: frames to the stack's MAC or to the
// broadcast address, untagged (the stack does not speak 802.1Q), carrying
// ARP or IPv4. s.mu is held.
func (s *Stack) input(f []byte, now time.Time) {
	if len(f) < header.EthernetLen {
		return
	}
	e, err := header.ParseEthernet(f) // fails only for a truncated VLAN tag
	if err != nil || e.HeaderLen() != header.EthernetLen {
		return
	}
	if dst := e.Dst(); dst != s.hw && !dst.IsBroadcast() {
		return
	}
	src := e.Src()
	if src == s.hw {
		return // our own frame, seen by a capture that sees both directions
	}
	switch e.EtherType() {
	case header.EtherTypeARP:
		s.inputARP(e.Payload(), now)
	case header.EtherTypeIPv4:
		s.inputIPv4(src, e.Payload(), now)
	}
}

// putEthernet writes the Ethernet header of a frame from the stack to dst
// into f[:header.EthernetLen].
func (s *Stack) putEthernet(f []byte, dst header.MAC, t header.EtherType) {
	header.Ethernet(f).Encode(&header.EthernetFields{Dst: dst, Src: s.hw, Type: t})
}
