package probe

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"tcpregress.dev/tcpstack"
)

// DefaultTimeout bounds each wait of a Conn (Dial, Accept, Expect) when
// neither ConnConfig nor Config sets one.
const DefaultTimeout = 3 * time.Second

// ErrClosed is returned by the methods of a closed Probe or Conn. It
// matches net.ErrClosed.
var ErrClosed = fmt.Errorf("probe: closed: %w", net.ErrClosed)

// Config configures a Probe. The zero value is ready to use.
type Config struct {
	// Ports, when not empty, limits what the probe takes from the stack to
	// TCP segments for these local ports (plus those claimed later with
	// Claim, Dial and Listen) and ICMP errors about them; the stack keeps
	// handling everything else, so its own connections work beside the
	// probe. When empty, every TCP segment and ICMP message addressed to
	// the stack is the probe's.
	Ports []uint16
	// Timeout bounds each wait of a Conn; default DefaultTimeout.
	Timeout time.Duration
	// Now is the clock that stamps sent frames and drives the Timestamps
	// option of connections; time.Now when nil. Received frames carry the
	// stack's time, so give both the same clock.
	Now func() time.Time
	// Logger receives every recorded frame at trace level. Silent by
	// default.
	Logger zerolog.Logger
	// MaxRecord bounds the bytes of inbound frames the probe records;
	// default DefaultMaxRecord. A target that sends more floods the
	// tester: later inbound frames are dropped (the probe still takes
	// them from the stack), and waits that the record cannot satisfy
	// return an error matching ErrFlooded at once.
	MaxRecord int
}

// DefaultMaxRecord is Config.MaxRecord's default: far more than a
// conformance case receives, far less than a flood would fill.
const DefaultMaxRecord = 64 << 20

// ErrFlooded matches the errors of waits on a probe whose record is full
// (Config.MaxRecord).
var ErrFlooded = errors.New("probe: the target flooded the tester")

// Probe is the raw side of a test bench on top of a tcpstack.Stack: it
// sends segments built field by field, records every TCP segment and ICMP
// message to and from the stack's address, and waits for frames that match
// an expectation. The stack keeps answering ARP for the address, and
// never answers (with RST) segments the probe takes.
//
// The record grows for the probe's life, its inbound part up to
// Config.MaxRecord (a target that sends more floods the tester: see
// ErrFlooded): make one probe per test (or per conformance case). Its
// methods are safe for concurrent use.
type Probe struct {
	s       *tcpstack.Stack
	addr    netip.Addr
	timeout time.Duration
	now     func() time.Time
	log     zerolog.Logger
	start   time.Time

	mu     sync.Mutex
	frames []Frame
	// taken marks the inbound frames an Expect returned; firstFree is the
	// first index whose frame may still be returned.
	taken     []bool
	firstFree int
	// expects records every wait, in the order they ended.
	expects []Expectation
	// changed is closed and replaced whenever a frame is recorded.
	changed  chan struct{}
	closed   bool
	ports    map[uint16]bool // nil: every port
	conns    map[connKey]*Conn
	nextPort uint16
	// inBytes counts the bytes of inbound frames recorded, up to
	// maxRecord; dropped counts those dropped after.
	inBytes, maxRecord int
	dropped            int
}

type connKey struct{ local, remote netip.AddrPort }

// New installs a probe on s: from now on the raw handler of s gives the
// probe its TCP and ICMP traffic (see Config.Ports). A stack has one raw
// handler, so one probe at a time; Close removes it.
func New(s *tcpstack.Stack, cfg Config) *Probe {
	p := &Probe{
		s:         s,
		addr:      s.Addr(),
		timeout:   cfg.Timeout,
		now:       cfg.Now,
		log:       cfg.Logger,
		changed:   make(chan struct{}),
		conns:     make(map[connKey]*Conn),
		nextPort:  40000,
		maxRecord: cfg.MaxRecord,
	}
	if p.maxRecord <= 0 {
		p.maxRecord = DefaultMaxRecord
	}
	if p.timeout <= 0 {
		p.timeout = DefaultTimeout
	}
	if p.now == nil {
		p.now = time.Now
	}
	if len(cfg.Ports) > 0 {
		p.ports = make(map[uint16]bool)
		for _, port := range cfg.Ports {
			p.ports[port] = true
		}
	}
	p.start = p.now()
	s.SetRawHandler(p.handle)
	return p
}

// Close removes the probe's handler from the stack and wakes every waiting
// call, which returns ErrClosed. Connections are not reset. The record stays
// readable (Frames, WritePcap).
func (p *Probe) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	p.closed = true
	close(p.changed)
	p.mu.Unlock()
	p.s.SetRawHandler(nil)
	return nil
}

// Addr returns the probe's IPv4 address, the stack's.
func (p *Probe) Addr() netip.Addr { return p.addr }

// Stack returns the stack the probe sits on.
func (p *Probe) Stack() *tcpstack.Stack { return p.s }

// Claim adds local ports to those the probe takes when Config.Ports limits
// them; without that limit it does nothing.
func (p *Probe) Claim(ports ...uint16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ports != nil {
		for _, port := range ports {
			p.ports[port] = true
		}
	}
}

// handle is the stack's raw handler. It runs with the stack locked: it must
// not call the stack, and it only takes p.mu, which no probe method holds
// while calling the stack.
func (p *Probe) handle(pkt []byte, now time.Time) bool {
	if len(pkt) < ipv4MinLen || (pkt[9] != protoTCP && pkt[9] != protoICMP) {
		return false
	}
	f := decodeFrame(bytes.Clone(pkt), now, In)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || !p.claimsLocked(&f) {
		return false
	}
	if p.inBytes+len(pkt) > p.maxRecord {
		if p.dropped == 0 {
			p.log.Warn().Int("max_record", p.maxRecord).Msg("probe: the target floods the tester: dropping what it sends from now on")
			close(p.changed) // the waits that cannot be satisfied end
			p.changed = make(chan struct{})
		}
		p.dropped++
		return true
	}
	p.inBytes += len(pkt)
	p.recordLocked(f)
	return true
}

// floodedLocked returns the error of waits on a flooded probe, or nil.
func (p *Probe) floodedLocked() error {
	if p.dropped == 0 {
		return nil
	}
	return fmt.Errorf("%w: it sent more than %d bytes while this probe lived (Config.MaxRecord), and %d frames since were dropped",
		ErrFlooded, p.maxRecord, p.dropped)
}

// claimsLocked reports whether an inbound frame is the probe's.
func (p *Probe) claimsLocked(f *Frame) bool {
	if p.ports == nil {
		return true
	}
	switch f.IP.Protocol {
	case protoTCP:
		if errors.Is(f.Err, errFragment) || len(f.Transport()) < 4 {
			return false // no port to go by: the stack drops it
		}
		return p.ports[f.TCP.DstPort]
	case protoICMP:
		// An ICMP error quotes a packet we sent: its source port is ours.
		q, qt, ok := f.ICMP.Quoted()
		return ok && q.Protocol == protoTCP && len(qt) >= 2 && p.ports[uint16(qt[0])<<8|uint16(qt[1])]
	}
	return false
}

// recordLocked appends f to the record, updates the connection it belongs
// to and wakes the waiters.
func (p *Probe) recordLocked(f Frame) {
	p.frames = append(p.frames, f)
	p.taken = append(p.taken, false)
	if f.Dir == Out && p.firstFree == len(p.frames)-1 {
		p.firstFree++
	}
	if f.IP.Protocol == protoTCP && f.Err == nil {
		key := connKey{f.Dst(), f.Src()}
		if f.Dir == Out {
			key = connKey{f.Src(), f.Dst()}
		}
		if c := p.conns[key]; c != nil {
			c.trackLocked(&f)
		}
	}
	if e := p.log.Trace(); e.Enabled() {
		e.Str("dir", f.Dir.String()).Str("frame", f.String()).Msg("probe")
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

// takeLocked marks frame i as returned by an Expect.
func (p *Probe) takeLocked(i int) {
	p.taken[i] = true
	for p.firstFree < len(p.frames) && (p.taken[p.firstFree] || p.frames[p.firstFree].Dir == Out) {
		p.firstFree++
	}
}

// Send lays out seg (see Segment.Marshal; a zero IP.Src is the probe's
// address) and sends it as it is: nothing is filled in, IP.Dst is
// required. The frame is recorded before it leaves.
func (p *Probe) Send(seg Segment) error {
	pkt, err := seg.Marshal(p.addr)
	if err != nil {
		return err
	}
	return p.SendIPv4(pkt)
}

// SendIPv4 sends pkt, a complete IPv4 packet of any protocol, through the
// stack (which resolves the next hop with ARP) and records it. The probe
// keeps pkt.
func (p *Probe) SendIPv4(pkt []byte) error {
	if mtu := p.s.MTU(); len(pkt) > mtu {
		return fmt.Errorf("%w: %d-byte packet exceeds the MTU of %d", ErrBuild, len(pkt), mtu)
	}
	f := decodeFrame(pkt, p.now(), Out)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	// Record first: the reply may be recorded before WriteIPv4 returns.
	i := len(p.frames)
	p.recordLocked(f)
	p.mu.Unlock()
	if err := p.s.WriteIPv4(pkt); err != nil {
		p.mu.Lock()
		p.frames[i].SendErr = err
		p.mu.Unlock()
		return fmt.Errorf("probe: sending %v: %w", &f, err)
	}
	return nil
}

// Frames returns a copy of the record: every frame sent and received, in
// the order the probe saw them.
func (p *Probe) Frames() []Frame {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Frame(nil), p.frames...)
}

// Expectation is one wait of the probe, as recorded: an Expect (or a
// Conn's ExpectLine, ExpectData, ...) or an ExpectNone. With the frames it
// tells what a test waited for and when, and whether it came: what a
// report draws as the segment that was expected and did not come.
type Expectation struct {
	// Match describes what was waited for (Match.String; for a Conn's
	// waits without the 4-tuple, such as the line of an ExpectLine).
	Match string
	// None reports an ExpectNone: the frame was not to come.
	None bool
	// Start and End are when the wait began and ended, on the probe's
	// clock.
	Start, End time.Time
	// Frame is the index in Frames of the frame that matched, or -1 when
	// none came in time.
	Frame int
}

// Met reports whether the wait went as the test wanted: the frame came,
// or, for an ExpectNone, it did not.
func (e *Expectation) Met() bool { return (e.Frame >= 0) != e.None }

// Expectations returns a copy of the record of waits, in the order they
// ended. A wait the probe's Close interrupted is not recorded.
func (p *Probe) Expectations() []Expectation {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Expectation(nil), p.expects...)
}

// Start returns when the probe was made, on its clock: the origin of the
// times Dump lists.
func (p *Probe) Start() time.Time { return p.start }

// Expect waits up to timeout for the next inbound frame that matches m and
// that no earlier Expect returned, and returns it. Frames that arrived
// before the call count, so a reply is never missed for having come early;
// frames that do not match stay available to later calls. On timeout the
// error (an *ExpectError) lists the frames that came instead.
func (p *Probe) Expect(timeout time.Duration, m Match) (Frame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.ExpectContext(ctx, m)
}

// ExpectContext is Expect bounded by a context.
func (p *Probe) ExpectContext(ctx context.Context, m Match) (Frame, error) {
	return p.expect(ctx, m, waitFor{desc: m.String()})
}

// waitFor says how a wait is recorded ([Expectation]): what it waits for,
// and whether the frame must not come (ExpectNone).
type waitFor struct {
	desc string
	none bool
}

// expect is ExpectContext, recorded as w says.
func (p *Probe) expect(ctx context.Context, m Match, w waitFor) (Frame, error) {
	began := p.now()
	f, i, err := p.expectFrame(ctx, m)
	if !errors.Is(err, ErrClosed) {
		p.mu.Lock()
		p.expects = append(p.expects, Expectation{Match: w.desc, None: w.none, Start: began, End: p.now(), Frame: i})
		p.mu.Unlock()
	}
	return f, err
}

// expectFrame waits for a frame matching m and returns it with its index in
// the record (-1 with an error).
func (p *Probe) expectFrame(ctx context.Context, m Match) (Frame, int, error) {
	began := time.Now()
	checked := 0 // frames before it were offered to m already
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return Frame{}, -1, ErrClosed
		}
		var idx []int
		var cand []Frame
		for i := max(p.firstFree, checked); i < len(p.frames); i++ {
			if p.frames[i].Dir == In && !p.taken[i] {
				idx = append(idx, i)
				cand = append(cand, p.frames[i])
			}
		}
		checked = len(p.frames)
		changed := p.changed
		flooded := p.floodedLocked()
		p.mu.Unlock()

		// Matches run unlocked: they may ask the probe for state.
		for k := range cand {
			if !m.Match(&cand[k]) {
				continue
			}
			p.mu.Lock()
			if !p.taken[idx[k]] {
				p.takeLocked(idx[k])
				p.mu.Unlock()
				return cand[k], idx[k], nil
			}
			p.mu.Unlock() // another Expect took it
		}
		if flooded != nil {
			return Frame{}, -1, p.expectError(m, time.Since(began), flooded)
		}
		select {
		case <-ctx.Done():
			return Frame{}, -1, p.expectError(m, time.Since(began), ctx.Err())
		case <-changed:
		}
	}
}

// ExpectNone waits d and reports an error (an *UnexpectedError) if a frame
// matching m arrives meanwhile, or had arrived and was not taken yet.
//
// Absence can only be shown by waiting, and a wait proves little: the
// frame may come just after it. Prefer positive evidence: send a later
// segment whose reply shows that nothing else happened (an ACK number that
// did not move, data that was not delivered), and keep ExpectNone for what
// cannot be shown otherwise, with d chosen from the timer that would fire.
func (p *Probe) ExpectNone(d time.Duration, m Match) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	f, err := p.expect(ctx, m, waitFor{desc: m.String(), none: true})
	switch {
	case err == nil:
		return &UnexpectedError{Match: m.String(), Frame: f, Base: p.start}
	case errors.Is(err, context.DeadlineExceeded):
		return nil
	}
	return err
}

// maxListed bounds the frames an ExpectError lists.
const maxListed = 20

func (p *Probe) expectError(m Match, waited time.Duration, cause error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := &ExpectError{Match: m.String(), Waited: waited, Err: cause, Base: p.start}
	for i := p.firstFree; i < len(p.frames); i++ {
		if p.frames[i].Dir == In && !p.taken[i] {
			e.Frames = append(e.Frames, p.frames[i])
		}
	}
	return e
}

// ExpectError reports that no frame matched an expectation in time.
type ExpectError struct {
	// Match describes the expectation.
	Match string
	// Waited is how long the call waited.
	Waited time.Duration
	// Frames are the inbound frames that arrived and were not taken by an
	// Expect: what came instead.
	Frames []Frame
	// Base is the probe's start, from which the listed times count.
	Base time.Time
	// Err is the context's error (context.DeadlineExceeded on timeout).
	Err error
}

func (e *ExpectError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "probe: no frame matching [%s] within %v", e.Match, e.Waited.Round(time.Millisecond))
	if !errors.Is(e.Err, context.DeadlineExceeded) {
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	if len(e.Frames) == 0 {
		b.WriteString("; no other frame arrived")
		return b.String()
	}
	fmt.Fprintf(&b, "; %d other inbound frame(s):", len(e.Frames))
	list := e.Frames
	if len(list) > maxListed {
		fmt.Fprintf(&b, "\n\t(%d earlier ones left out)", len(list)-maxListed)
		list = list[len(list)-maxListed:]
	}
	for i := range list {
		b.WriteString("\n\t")
		b.WriteString(listLine(&list[i], e.Base))
	}
	return b.String()
}

// Unwrap returns the context's error.
func (e *ExpectError) Unwrap() error { return e.Err }

// UnexpectedError reports a frame that ExpectNone said should not come.
type UnexpectedError struct {
	Match string
	Frame Frame
	Base  time.Time
}

func (e *UnexpectedError) Error() string {
	return fmt.Sprintf("probe: a frame matching [%s] arrived: %s", e.Match, listLine(&e.Frame, e.Base))
}

// listLine renders a frame for error lists: time since base, direction,
// tcpdump line.
func listLine(f *Frame, base time.Time) string {
	return fmt.Sprintf("%+.6fs %-3s %s", f.Time.Sub(base).Seconds(), f.Dir, f)
}

// Dump returns the record as text, one frame per line with its time since
// the probe started and its direction: a trace for a failing test's log.
func (p *Probe) Dump() string {
	var b strings.Builder
	for i, f := range p.Frames() {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(listLine(&f, p.start))
		if f.SendErr != nil {
			fmt.Fprintf(&b, " (not sent: %v)", f.SendErr)
		}
	}
	return b.String()
}

// WritePcap writes every recorded frame that reached the wire, both
// directions, to a pcap file at path (Ethernet link type, readable by
// tcpdump -r and Wireshark). The Ethernet headers are synthesised: the
// stack's MAC on the probe's side, 00:00:00:00:00:00 on the target's
// (the raw handler does not see link headers).
func (p *Probe) WritePcap(path string) error {
	return writePcap(path, p.Frames(), p.s.HardwareAddr())
}

func writePcap(path string, frames []Frame, mac net.HardwareAddr) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("probe: pcap: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("probe: pcap: %w", cerr)
		}
	}()
	w := bufio.NewWriter(f)
	if err := writePcapTo(w, frames, mac); err != nil {
		return fmt.Errorf("probe: pcap: writing %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("probe: pcap: writing %s: %w", path, err)
	}
	return nil
}

// pcapSnapLen is the snapshot length in the files' header; frames are
// written whole whatever their length.
const pcapSnapLen = 65535

// writePcapTo writes frames as a classic pcap file (not pcapng): magic
// a1b2c3d4 (microsecond time stamps), version 2.4, zone and sigfigs 0,
// snapshot length 65535, link type 1 (Ethernet), every field in the host's
// byte order, seconds and microseconds truncated to 32 bits. These are the
// bytes libpcap's pcap_dump wrote for the probe before it was pure Go.
// (gopacket's pcapgo.Writer differs: always little-endian, and it replaces
// a zero time with the current one.)
func writePcapTo(w io.Writer, frames []Frame, mac net.HardwareAddr) error {
	bo := binary.NativeEndian
	var hdr [24]byte
	bo.PutUint32(hdr[0:], 0xa1b2c3d4)
	bo.PutUint16(hdr[4:], 2)
	bo.PutUint16(hdr[6:], 4)
	bo.PutUint32(hdr[16:], pcapSnapLen)
	bo.PutUint32(hdr[20:], 1) // LINKTYPE_ETHERNET
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	var rec [16 + 14]byte // record header, then the Ethernet header
	for i := range frames {
		f := &frames[i]
		if f.SendErr != nil {
			continue
		}
		n := uint32(14 + len(f.Raw))
		bo.PutUint32(rec[0:], uint32(f.Time.Unix()))
		bo.PutUint32(rec[4:], uint32(f.Time.Nanosecond()/1000))
		bo.PutUint32(rec[8:], n)  // captured length
		bo.PutUint32(rec[12:], n) // length on the wire
		eth := rec[16:]
		clear(eth)
		if f.Dir == In {
			copy(eth[0:6], mac)
		} else {
			copy(eth[6:12], mac)
		}
		eth[12], eth[13] = 0x08, 0x00
		if _, err := w.Write(rec[:]); err != nil {
			return err
		}
		if _, err := w.Write(f.Raw); err != nil {
			return err
		}
	}
	return nil
}
