package tcpstack

import (
	"container/heap"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"tcpregress.dev/tcpstack/tcp"
)

// Config configures a [Stack].
type Config struct {
	// Link moves the stack's Ethernet frames. Required.
	Link Link
	// Addr is the stack's IPv4 address and the prefix of its subnet, such as
	// 198.18.0.2/24. No kernel interface on the same host should own it, or
	// the kernel answers the stack's peers with resets. Required.
	Addr netip.Prefix
	// Gateway is the next hop for peers outside Addr's prefix. Without one,
	// such peers are unreachable.
	Gateway netip.Addr
	// MAC overrides the link's hardware address (the link must then receive
	// frames for it, e.g. in promiscuous mode).
	MAC net.HardwareAddr
	// MTU overrides the link's MTU; the TCP MSS follows it (MTU - 40).
	MTU int
	// TCP is the configuration of every connection: buffer sizes, option
	// toggles (SACK, timestamps, window scale, Nagle, delayed ACK), timers.
	// Its MSS is derived from the MTU when zero; its ISN generator is shared
	// by all connections and derived from ISNKey when nil.
	TCP tcp.Config
	// ISNKey is the secret of the RFC6528 ISN generator. Random when empty.
	ISNKey []byte
	// Backlog bounds the connections a listener holds that the application
	// has not accepted yet (SYN-RECEIVED included); SYNs beyond it are
	// dropped. Default 128.
	Backlog int
	// ARPTimeout is how long a neighbour resolution waits for a reply per try
	// (3 tries). Default 1 s. ARPCacheTTL is how long an entry is trusted.
	// Default 60 s.
	ARPTimeout, ARPCacheTTL time.Duration
	// Logger receives the stack's events: state transitions at debug level,
	// every segment at trace level. Silent by default.
	Logger zerolog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Stack is a userland TCP/IP stack (Ethernet, ARP, IPv4, ICMP, TCP) over a
// [Link]. Its methods are safe for concurrent use.
type Stack struct {
	cfg  Config
	link Link // dev behind the transmit queue: the output code writes here
	dev  Link
	mac  net.HardwareAddr
	addr netip.Addr
	mtu  int
	log  zerolog.Logger
	now  func() time.Time

	mu        sync.Mutex
	closed    bool
	conns     map[fourTuple]*Conn
	listeners map[uint16]*Listener
	neigh     map[netip.Addr]*neighbour
	timers    timerHeap
	ipID      uint16
	portSeed  maphash.Seed // key of the ephemeral port choice (RFC6056)
	nextPort  uint32       // its counter
	frame     []byte       // output frame buffer, guarded by mu
	raw       RawHandler
	// batch is set while the read loop handles a batch of frames; the
	// connections they touched wait in deferred for their output
	// (RFC9293 MUST-59, see inputTCP). Guarded by mu.
	batch    bool
	deferred []*Conn

	badTCPSum atomic.Uint64 // TCP segments dropped for a bad checksum (Stats)

	// Transmission (tx.go).
	txq, txSpare *txQueue   // frames waiting to be sent, guarded by mu
	txMu         sync.Mutex // held by the goroutine sending

	wakeTimer chan struct{}
	done      chan struct{}
	wg        sync.WaitGroup
}

// Stats are counters of what the stack dropped.
type Stats struct {
	// BadTCPChecksums counts TCP segments addressed to the stack whose
	// checksum was wrong. On a veth whose peer end has transmit checksum
	// offload on, every segment the peer's kernel sends arrives so (its
	// checksum is left for hardware that is not there): turn it off with
	// ethtool -K PEER tx off.
	BadTCPChecksums uint64
}

// Stats returns the stack's counters.
func (s *Stack) Stats() Stats { return Stats{BadTCPChecksums: s.badTCPSum.Load()} }

type fourTuple struct {
	local, remote netip.AddrPort
}

// ErrStackClosed is returned by operations on a closed stack. It matches
// net.ErrClosed.
var ErrStackClosed = fmt.Errorf("tcpstack: stack closed: %w", net.ErrClosed)

// New starts a stack on cfg.Link: a goroutine reads frames and one runs the
// timers until [Stack.Close].
func New(cfg Config) (*Stack, error) {
	if cfg.Link == nil {
		return nil, errors.New("tcpstack: Config.Link is required")
	}
	if !cfg.Addr.IsValid() || !cfg.Addr.Addr().Is4() {
		return nil, fmt.Errorf("tcpstack: Config.Addr %v is not an IPv4 prefix such as 198.18.0.2/24", cfg.Addr)
	}
	if cfg.Gateway.IsValid() && !cfg.Addr.Contains(cfg.Gateway) {
		return nil, fmt.Errorf("tcpstack: gateway %v is outside %v", cfg.Gateway, cfg.Addr.Masked())
	}
	s := &Stack{
		cfg:       cfg,
		dev:       cfg.Link,
		txq:       new(txQueue),
		txSpare:   new(txQueue),
		mac:       cfg.MAC,
		addr:      cfg.Addr.Addr(),
		mtu:       cfg.MTU,
		log:       cfg.Logger,
		now:       cfg.Now,
		conns:     make(map[fourTuple]*Conn),
		listeners: make(map[uint16]*Listener),
		neigh:     make(map[netip.Addr]*neighbour),
		wakeTimer: make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	s.link = queueLink{Link: cfg.Link, s: s}
	if s.mac == nil {
		s.mac = cfg.Link.HardwareAddr()
	}
	if len(s.mac) != 6 {
		return nil, fmt.Errorf("tcpstack: hardware address %v is not a 6-byte Ethernet address", s.mac)
	}
	if s.mtu <= 0 {
		s.mtu = cfg.Link.MTU()
	}
	if s.mtu < 576 {
		return nil, fmt.Errorf("tcpstack: MTU %d is below the IPv4 minimum of 576", s.mtu)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.cfg.Backlog <= 0 {
		s.cfg.Backlog = 128
	}
	if s.cfg.ARPTimeout <= 0 {
		s.cfg.ARPTimeout = time.Second
	}
	if s.cfg.ARPCacheTTL <= 0 {
		s.cfg.ARPCacheTTL = 60 * time.Second
	}
	if s.cfg.TCP.MSS <= 0 {
		s.cfg.TCP.MSS = s.mtu - 40
	}
	if s.cfg.TCP.TSEpoch.IsZero() {
		s.cfg.TCP.TSEpoch = s.now()
	}
	if s.cfg.TCP.ISN == nil {
		key := cfg.ISNKey
		if len(key) == 0 {
			key = make([]byte, 32)
			rand.Read(key)
		}
		s.cfg.TCP.ISN = tcp.NewKeyedISN(key)
	}
	var idb [2]byte
	rand.Read(idb[:])
	s.ipID = binary.BigEndian.Uint16(idb[:])
	s.frame = make([]byte, 0, ethHeaderLen+s.mtu)
	s.portSeed = maphash.MakeSeed()
	s.wg.Add(2)
	go s.readLoop()
	go s.timerLoop()
	return s, nil
}

// Addr returns the stack's IPv4 address.
func (s *Stack) Addr() netip.Addr { return s.addr }

// HardwareAddr returns the stack's MAC address.
func (s *Stack) HardwareAddr() net.HardwareAddr { return s.mac }

// Close stops the stack: every connection is reset (its peer gets a RST),
// every blocked call returns, the link is closed and every goroutine the
// stack started has ended when Close returns.
func (s *Stack) Close() error {
	s.mu.Lock()
	if s.closed {
		s.unlock()
		return ErrStackClosed
	}
	s.closed = true
	now := s.now()
	for _, c := range s.conns {
		c.tcb.Abort()
		s.flush(c, now)
		c.terminate(ErrStackClosed)
	}
	s.conns = map[fourTuple]*Conn{}
	for _, l := range s.listeners {
		l.terminate()
	}
	s.listeners = map[uint16]*Listener{}
	s.unlock()
	s.drainTx() // the resets go out before the link closes
	close(s.done)
	err := s.link.Close()
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// readLoop feeds received frames to the stack until the link closes.
func (s *Stack) readLoop() {
	defer s.wg.Done()
	for {
		err := s.link.Read(func(frames [][]byte) {
			s.mu.Lock()
			defer s.unlock()
			if s.closed {
				return
			}
			now := s.now()
			s.batch = true
			for _, f := range frames {
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
		})
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

// input handles one Ethernet frame. s.mu is held.
func (s *Stack) input(f []byte, now time.Time) {
	if len(f) < ethHeaderLen {
		return
	}
	dst := net.HardwareAddr(f[0:6])
	if !macEqual(dst, s.mac) && !macEqual(dst, broadcastMAC) {
		return
	}
	if macEqual(net.HardwareAddr(f[6:12]), s.mac) {
		return // our own frame, seen by a capture that sees both directions
	}
	switch binary.BigEndian.Uint16(f[12:14]) {
	case etherTypeARP:
		s.inputARP(f[ethHeaderLen:], now)
	case etherTypeIPv4:
		s.inputIPv4(net.HardwareAddr(f[6:12]), f[ethHeaderLen:], now)
	}
}

func (s *Stack) inputIPv4(srcMAC net.HardwareAddr, b []byte, now time.Time) {
	h, payload, ok := parseIPv4(b)
	if !ok {
		s.log.Debug().Msg("dropped a malformed IPv4 packet")
		return
	}
	if h.dst != s.addr {
		return
	}
	if s.raw != nil && s.raw(b[:h.totalLen], now) {
		return
	}
	if _, group := groupMAC(h.src, s.cfg.Addr); group {
		// RFC1122 §3.2.1.3: a broadcast or multicast address "MUST NOT be
		// used as a source address", and "A host MUST silently discard an
		// incoming datagram containing an IP source address that is invalid
		// by the rules of this section". For TCP this is RFC9293 MUST-63:
		// a SYN from such a source is not answered.
		s.log.Debug().Str("src", h.src.String()).Msg("dropped a packet from a broadcast or multicast source")
		return
	}
	if h.fragment() {
		// Fragments are dropped cleanly: the stack sets DF on everything it
		// sends and lowers its MSS on ICMP fragmentation-needed, so peers
		// using path MTU discovery never fragment toward it.
		s.log.Debug().Str("src", h.src.String()).Uint16("id", h.id).Msg("dropped an IPv4 fragment")
		return
	}
	// A packet from a neighbour refreshes what we know of its address.
	if s.cfg.Addr.Contains(h.src) {
		s.learn(h.src, srcMAC, now, false)
	}
	switch h.protocol {
	case protoTCP:
		s.inputTCP(h, payload, now)
	case protoICMP:
		s.inputICMP(h, payload, now)
	}
}

func (s *Stack) inputTCP(h ipv4Header, b []byte, now time.Time) {
	if !tcp.VerifyChecksum(h.src, h.dst, b) {
		s.badTCPSum.Add(1)
		s.log.Debug().Str("src", h.src.String()).Msg("dropped a TCP segment with a bad checksum")
		return
	}
	seg, err := tcp.Parse(b)
	if err != nil {
		s.log.Debug().Err(err).Msg("dropped a malformed TCP segment")
		return
	}
	if e := s.log.Trace(); e.Enabled() {
		e.Str("seg", seg.TCPDump(h.src, h.dst)).Msg("in")
	}
	local := netip.AddrPortFrom(h.dst, seg.DstPort)
	remote := netip.AddrPortFrom(h.src, seg.SrcPort)
	// A completed IP source route in a SYN is saved as the connection's
	// return route (RFC9293 MUST-53, RFC1122 §4.2.3.8). Only SYNs set it:
	// RFC1122's "If a different source route arrives in a later segment,
	// the later definition SHOULD override the earlier one" is not
	// followed, since any off-path host could then redirect an established
	// connection with one forged segment (RFC7126 §4.3 and §4.4, on LSRR
	// and SSRR, advise dropping such datagrams outright; see also RFC6274).
	var route *sourceRoute
	if seg.Flags&tcp.FlagSYN != 0 && len(h.options) > 0 {
		route, _ = returnRoute(h.src, h.options)
	}
	if c := s.conns[fourTuple{local, remote}]; c != nil {
		if route != nil && c.tcb.State() == tcp.StateSynSent && !c.appRoute {
			c.setRoute(route)
		}
		c.tcb.Input(seg, now)
		// RFC9293 §3.10.7.4: "the processing of received segments MUST be
		// implemented to aggregate ACK segments whenever possible (MUST-58).
		// For example, if the TCP endpoint is processing a series of queued
		// segments, it MUST process them all before sending any ACK segments
		// (MUST-59)." A batch from the link is such a series: a connection's
		// output (its ACK, and the data the ACKs in the batch let it send)
		// waits for the end of the batch. Segments with SYN, FIN or RST, or
		// that changed the state (a closed connection must leave the table
		// before the batch's next segment for its addresses), or whose
		// duplicate ACK a peer without SACK counts, are answered at once.
		// Segments arriving one at a time are still acknowledged every
		// second one (SHLD-19).
		if !s.batch || seg.Flags&(tcp.FlagSYN|tcp.FlagFIN|tcp.FlagRST) != 0 || c.tcb.OutputDue() {
			s.flush(c, now)
			return
		}
		if !c.deferred {
			c.deferred = true
			s.deferred = append(s.deferred, c)
		}
		return
	}
	if l := s.listeners[seg.DstPort]; l != nil {
		if seg.Flags&tcp.FlagSYN != 0 && seg.Flags&(tcp.FlagACK|tcp.FlagRST) == 0 && l.pending >= s.cfg.Backlog {
			// RFC9293 §3.10.7.2 leaves a full queue to the implementation;
			// like Linux without SYN cookies, drop the SYN and let the
			// peer retransmit.
			s.log.Debug().Str("listener", l.addr.String()).Msg("backlog full: dropped a SYN")
			return
		}
		tcb, rst, sendRST := l.tcb.Input(h.src, seg, now)
		if sendRST {
			s.sendSegment(local.Addr(), remote.Addr(), &rst, 0)
		}
		if tcb != nil {
			c := newConn(s, tcb, l)
			if l.ttl != 0 {
				c.ttl = l.ttl
			}
			if route != nil {
				c.setRoute(route)
			}
			s.conns[fourTuple{local, remote}] = c
			l.pending++
			s.flush(c, now)
		}
		return
	}
	// RFC9293 §3.10.7.1: a segment for a connection that does not exist
	// draws a reset, unless it is one.
	if rst, ok := tcp.ResetFor(seg); ok {
		s.sendSegment(local.Addr(), remote.Addr(), &rst, 0)
	}
}

// flush emits what the connection has to send, handles its events and
// schedules its next deadline. s.mu is held.
func (s *Stack) flush(c *Conn, now time.Time) {
	c.tcb.Output(now, func(seg tcp.Segment) {
		s.sendSegmentRouted(c.local.Addr(), c.remote.Addr(), &seg, c.tos, c.ttl, c.route)
	})
	c.handleEvents(c.tcb.Events())
	s.schedule(c)
}

// sendSegment wraps seg in IPv4 and Ethernet and sends it. s.mu is held.
func (s *Stack) sendSegment(src, dst netip.Addr, seg *tcp.Segment, tos uint8) {
	s.sendSegmentRouted(src, dst, seg, tos, defaultTTL, nil)
}

// sendSegmentRouted is sendSegment along the source route r when it is not
// nil: the IP header carries r's option and goes to r's first hop, while the
// TCP checksum's pseudo-header keeps dst, the final destination, which the
// route's last slot makes the IP destination again on arrival (as Linux
// does; RFC8200 §8.1 states the same rule for IPv6 routing headers).
// s.mu is held.
func (s *Stack) sendSegmentRouted(src, dst netip.Addr, seg *tcp.Segment, tos, ttl uint8, r *sourceRoute) {
	var opts []byte
	hop := dst
	if r != nil {
		opts, hop = r.opt, r.hop
	}
	ipLen := ipv4MinLen + len(opts)
	f := s.frame[:ethHeaderLen+ipLen]
	f = seg.AppendTo(f)
	tcpBytes := f[ethHeaderLen+ipLen:]
	tcp.PutChecksum(src, dst, tcpBytes)
	s.ipID++
	putIPv4Options(f[ethHeaderLen:], s.ipID, protoTCP, src, hop, opts, len(tcpBytes), tos, ttl)
	if e := s.log.Trace(); e.Enabled() {
		e.Str("seg", seg.TCPDump(src, dst)).Msg("out")
	}
	s.sendIP(hop, f, true)
	s.frame = f[:0]
}

// sendIP sends an IPv4 packet already laid out after room for an Ethernet
// header in f, resolving the next hop's MAC first. s.mu is held.
func (s *Stack) sendIP(dst netip.Addr, f []byte, fromConn bool) {
	hop := dst
	if !s.cfg.Addr.Contains(dst) {
		if !s.cfg.Gateway.IsValid() {
			return
		}
		hop = s.cfg.Gateway
	}
	mac, ok := s.resolve(hop, f, fromConn)
	if !ok {
		return // queued until ARP answers
	}
	putEthernet(f, mac, s.mac, etherTypeIPv4)
	if err := s.link.Write(f); err != nil && !s.closed {
		s.log.Debug().Err(err).Msg("link write failed")
	}
}

// nextHopReachable reports whether dst can be routed to at all.
func (s *Stack) nextHopReachable(dst netip.Addr) bool {
	return s.cfg.Addr.Contains(dst) || s.cfg.Gateway.IsValid()
}

// Timers: a min-heap of (deadline, connection) entries. A connection has at
// most one entry that matters: the one for c.scheduled; stale entries fire,
// find nothing due, and are dropped.

type timerEntry struct {
	at time.Time
	c  *Conn
}

type timerHeap []timerEntry

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// schedule records c's next deadline. s.mu is held.
func (s *Stack) schedule(c *Conn) {
	if c.gone {
		return
	}
	d, ok := c.tcb.NextDeadline()
	if !ok {
		return
	}
	if !c.scheduled.IsZero() && !d.Before(c.scheduled) {
		return // an earlier entry will fire and reschedule
	}
	c.scheduled = d
	heap.Push(&s.timers, timerEntry{d, c})
	if s.timers[0].c == c && s.timers[0].at.Equal(d) {
		select {
		case s.wakeTimer <- struct{}{}:
		default:
		}
	}
}

// timerLoop fires connection timers and ARP retries. It sleeps until the
// earliest deadline; nothing polls.
func (s *Stack) timerLoop() {
	defer s.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		s.mu.Lock()
		if s.closed {
			s.unlock()
			return
		}
		now := s.now()
		for len(s.timers) > 0 && !s.timers[0].at.After(now) {
			e := heap.Pop(&s.timers).(timerEntry)
			c := e.c
			if c.gone || !c.scheduled.Equal(e.at) {
				continue
			}
			c.scheduled = time.Time{}
			s.flush(c, now)
		}
		next := time.Time{}
		if len(s.timers) > 0 {
			next = s.timers[0].at
		}
		if at, ok := s.arpTick(now); ok && (next.IsZero() || at.Before(next)) {
			next = at
		}
		s.unlock()
		wait := time.Hour
		if !next.IsZero() {
			wait = next.Sub(now)
		}
		t.Reset(max(wait, 0))
		select {
		case <-s.done:
			return
		case <-s.wakeTimer:
			if !t.Stop() {
				select {
				case <-t.C:
				default:
				}
			}
		case <-t.C:
		}
	}
}

// opError builds the error a net.Conn method returns, in the form of Go's
// net package: *net.OpError wrapping an *os.SyscallError for errnos.
func opError(op string, local, remote netip.AddrPort, err error) error {
	if err == nil {
		return nil
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		err = os.NewSyscallError(op, errno)
	}
	oe := &net.OpError{Op: op, Net: "tcp", Err: err}
	if local.IsValid() {
		oe.Source = net.TCPAddrFromAddrPort(local)
	}
	if remote.IsValid() {
		oe.Addr = net.TCPAddrFromAddrPort(remote)
	}
	return oe
}

func macEqual(a, b net.HardwareAddr) bool {
	return len(a) == 6 && len(b) == 6 && a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] && a[4] == b[4] && a[5] == b[5]
}
