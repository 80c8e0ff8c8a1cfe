package tcpstack

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"tcpregress.dev/tcpstack/header"
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
	// A fixed key keeps the ISNs of a 4-tuple growing across restarts of
	// the stack (what RFC6528's secret is for), or makes a run repeatable.
	ISNKey []byte
	// Backlog bounds the connections a listener holds that the application
	// has not accepted yet (SYN-RECEIVED included). SYNs beyond it are
	// answered with SYN cookies (RFC4987 §3.6), which hold no state: a
	// flood of SYNs from addresses that never answer cannot keep real
	// clients out. When the established connections alone fill it (the
	// application does not accept), SYNs are dropped, as Linux does.
	// Default 128.
	Backlog int
	// DisableSYNCookies drops the SYNs beyond the backlog instead, as Linux
	// does with net.ipv4.tcp_syncookies=0.
	DisableSYNCookies bool
	// ARPTimeout is how long a neighbour resolution waits for a reply per try
	// (3 tries). Default 1 s. ARPCacheTTL is how long an entry is trusted.
	// Default 60 s.
	ARPTimeout, ARPCacheTTL time.Duration
	// Logger receives the stack's events: state transitions at debug level,
	// every segment at trace level. Silent by default.
	Logger zerolog.Logger

	// now is the clock; time.Now when nil. Tests move it forward (the
	// timers still sleep in real time, so it is no virtual clock).
	now func() time.Time
}

// Stack is a userland TCP/IP stack (Ethernet, ARP, IPv4, ICMP, TCP) over a
// [Link]. Its methods are safe for concurrent use.
type Stack struct {
	cfg  Config
	link Link // dev behind the transmit queue: the output code writes here
	dev  Link
	mac  net.HardwareAddr
	hw   header.MAC // mac, as the headers take it
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
	arrived   time.Time // when the frame being handled arrived (StampedReader), for raw
	// batch is set while the read loop handles a batch of frames; the
	// connections they touched wait in deferred for their output
	// (RFC9293 MUST-59, see inputTCP). Guarded by mu.
	batch    bool
	deferred []*Conn

	cookies *tcp.SYNCookies // the stack's secret for SYN cookies, guarded by mu

	// Counters (Stats).
	badTCPSum                                atomic.Uint64
	cookiesSent, cookiesValid, cookiesFailed atomic.Uint64

	// Transmission (tx.go).
	txq, txSpare *txQueue   // frames waiting to be sent, guarded by mu
	txMu         sync.Mutex // held by the goroutine sending

	wakeTimer chan struct{}
	done      chan struct{}
	wg        sync.WaitGroup
}

// Stats are counters of what the stack dropped or did under load.
type Stats struct {
	// BadTCPChecksums counts TCP segments addressed to the stack whose
	// checksum was wrong. On a veth whose peer end has transmit checksum
	// offload on, every segment the peer's kernel sends arrives so (its
	// checksum is left for hardware that is not there): turn it off with
	// ethtool -K PEER tx off.
	BadTCPChecksums uint64
	// SYNCookiesSent counts SYN-ACKs sent with a SYN cookie because a
	// listener's backlog was full (Linux's TcpExt.SyncookiesSent).
	SYNCookiesSent uint64
	// SYNCookiesValidated counts connections opened by the ACK of a cookie
	// (TcpExt.SyncookiesRecv).
	SYNCookiesValidated uint64
	// SYNCookiesRejected counts ACKs that reached a listener while it was
	// sending cookies and carried no valid one: forged, too old (cookies
	// live 64 to 128 s) or stray (TcpExt.SyncookiesFailed). They are then
	// answered as any ACK to a listener is, with a reset.
	SYNCookiesRejected uint64
}

// Stats returns the stack's counters.
func (s *Stack) Stats() Stats {
	return Stats{
		BadTCPChecksums:     s.badTCPSum.Load(),
		SYNCookiesSent:      s.cookiesSent.Load(),
		SYNCookiesValidated: s.cookiesValid.Load(),
		SYNCookiesRejected:  s.cookiesFailed.Load(),
	}
}

type fourTuple struct {
	local, remote netip.AddrPort
}

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
		now:       cfg.now,
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
		s.cfg.TCP.MSS = s.mtu - header.IPv4MinLen - header.TCPMinLen
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
	s.hw = header.MAC(s.mac)
	s.frame = make([]byte, 0, header.EthernetLen+s.mtu)
	s.portSeed = maphash.MakeSeed()
	s.cookies = tcp.NewSYNCookies(nil)
	s.wg.Add(2)
	go s.readLoop()
	go s.timerLoop()
	return s, nil
}

// Addr returns the stack's IPv4 address.
func (s *Stack) Addr() netip.Addr { return s.addr }

// HardwareAddr returns the stack's MAC address.
func (s *Stack) HardwareAddr() net.HardwareAddr { return s.mac }

// MTU returns the stack's MTU.
func (s *Stack) MTU() int { return s.mtu }

// Prefix returns the stack's address and subnet.
func (s *Stack) Prefix() netip.Prefix { return s.cfg.Addr }

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

// connConfig is the engine configuration for one connection; its logger is
// the stack's (the engine adds the connection's endpoints when it logs).
func (s *Stack) connConfig() tcp.Config {
	cfg := s.cfg.TCP
	cfg.Logger = s.log
	return cfg
}
