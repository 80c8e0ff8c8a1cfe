package pcap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sys/unix"
)

// Defaults applied by [NewInactiveHandle] unless a setter overrides them.
const (
	DefaultSnapLen = 262144                 // libpcap's MAXIMUM_SNAPLEN
	DefaultTimeout = 100 * time.Millisecond // packet buffer timeout
)

// Precision is the resolution of the time stamps a handle delivers and
// writes.
type Precision int

const (
	Microsecond Precision = Precision(cPrecisionMicro)
	Nanosecond  Precision = Precision(cPrecisionNano)
)

func (p Precision) String() string {
	if p == Nanosecond {
		return "nanosecond"
	}
	return "microsecond"
}

// Direction selects which packets a live handle captures relative to the
// interface (pcap_setdirection).
type Direction int

const (
	DirectionInOut Direction = Direction(cDirectionInOut)
	DirectionIn    Direction = Direction(cDirectionIn)
	DirectionOut   Direction = Direction(cDirectionOut)
)

func (d Direction) String() string {
	switch d {
	case DirectionIn:
		return "in"
	case DirectionOut:
		return "out"
	case DirectionInOut:
		return "inout"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

type sourceKind int

const (
	kindLive   sourceKind = iota
	kindFile              // a path libpcap opens itself
	kindFD                // an *os.File holding a regular file
	kindReader            // any io.Reader, fed through a pipe
	kindDead
)

// wakeUp wakes a reader waiting in poll, if the handle is still open.
func (h *Handle) wakeUp() {
	if h.acquire() {
		h.wake.wake()
		h.release()
	}
}

// liveSettings are a live handle's options, kept so that Reopen can apply
// them again.
type liveSettings struct {
	snaplen    int
	promisc    bool
	timeout    time.Duration
	bufferSize int
	immediate  bool
	rfmon      bool
	tstampType int // -1: libpcap's default
	precision  Precision
}

// Handle is a libpcap capture handle: a live device, a capture file or
// stream, or a "dead" handle used only to compile filters and write files.
//
// Concurrency: one goroutine at a time may read (ReadPacketData and the
// other read methods serialise on an internal lock). Close, BreakLoop,
// Inject/WritePacketData, Stats, SetFilter and the other methods may be
// called from any goroutine at any time, including while a read is blocked;
// Close makes a blocked read return [ErrClosed] at once. Reopen must not run
// concurrently with any other method.
type Handle struct {
	kind   sourceKind
	source string // device, path or a description of the stream

	// Sources kept for Reopen.
	file   *os.File
	reader io.Reader
	live   liveSettings
	deadLT LinkType
	deadSL int

	c     *cHandle
	state atomic.Int64 // references<<1 | closed
	freed chan struct{}
	wake  *waker
	feed  *feeder

	activated bool
	ng        bool // the source is pcapng
	prec      Precision
	lt        LinkType // cached so that it is known after Close
	fd        int      // selectable fd, or -1
	np        *poller  // waits in the runtime's poller (Linux live handles), or nil
	warning   *Warning

	readMu   sync.Mutex // one reader at a time; never taken by Close
	cMu      sync.Mutex // serialises C calls on the pcap_t; held only for non-blocking calls
	rec      cRec       // reader's record, guarded by readMu
	sticky   error      // terminal read result (io.EOF or a file error), guarded by readMu
	inLoop   bool       // Loop or Dispatch is running, guarded by readMu
	filter   string     // guarded by cMu
	nonblock atomic.Bool
	brk      atomic.Bool
	deadline atomic.Int64 // unix nanoseconds; 0 means none

	txMu sync.Mutex // guards tx, the scratch of WritePacketBatch
	tx   batchTx

	log zerolog.Logger
}

// Version returns libpcap's version string.
func Version() string { return cLibVersion() }

func newHandle(kind sourceKind, source string) *Handle {
	return &Handle{kind: kind, source: source, fd: -1, log: zerolog.Nop()}
}

// SetLogger sets the logger the handle reports to. Handles are silent until
// given one. It logs opens, closes, filters and activation warnings at debug
// and warn levels.
func (h *Handle) SetLogger(l zerolog.Logger) {
	h.log = l.With().Str("source", h.source).Logger()
}

// Source returns the device name, file path or stream description the handle
// reads from.
func (h *Handle) Source() string { return h.source }

// attach installs a new C handle and wake-up channel.
func (h *Handle) attach(c *cHandle) error {
	w, err := newWaker()
	if err != nil {
		cFree(c)
		return fmt.Errorf("pcap: creating wake-up descriptor: %w", err)
	}
	h.c = c
	h.wake = w
	h.freed = make(chan struct{})
	h.state.Store(0)
	h.sticky = nil
	h.brk.Store(false)
	return nil
}

// acquire takes a reference that keeps the pcap_t alive; it fails once Close
// has started.
func (h *Handle) acquire() bool {
	for {
		s := h.state.Load()
		if s&1 != 0 {
			return false
		}
		if h.state.CompareAndSwap(s, s+2) {
			return true
		}
	}
}

// release drops a reference; the last one out after Close frees the handle.
func (h *Handle) release() {
	if h.state.Add(-2) == 1 {
		h.free()
	}
}

func (h *Handle) closed() bool { return h.state.Load()&1 != 0 }

func (h *Handle) free() {
	cFree(h.c)
	h.c = nil
	if h.np != nil {
		h.np.close()
		h.np = nil
	}
	h.wake.close()
	if h.feed != nil {
		h.feed.stop()
	}
	close(h.freed)
}

// Close releases the handle. It may be called from any goroutine, also while
// another goroutine is blocked reading: that read returns [ErrClosed]
// promptly. Close returns once libpcap's resources are freed. A second Close
// returns ErrClosed.
func (h *Handle) Close() error {
	if h == nil || h.c == nil && h.freed == nil {
		return ErrClosed
	}
	// Close holds a reference of its own while it wakes readers, so the
	// wake-up descriptor cannot be freed under it.
	for {
		s := h.state.Load()
		if s&1 != 0 {
			return ErrClosed
		}
		if h.state.CompareAndSwap(s, (s+2)|1) {
			break
		}
	}
	h.wake.wake()
	if h.feed != nil {
		// A read blocked inside libpcap on the pipe returns once the
		// writing end is gone.
		h.feed.stop()
	}
	h.release()
	<-h.freed
	h.log.Debug().Msg("closed")
	return nil
}

// Reopen opens a closed handle again on the same source with the same
// settings: the same device with the same options (and the filter that was in
// force), or the same file from its beginning. A handle reading a
// non-seekable stream cannot be reopened and returns [ErrNotSupported].
// Reopen of a handle that is not closed returns an error.
func (h *Handle) Reopen() error {
	if !h.closed() {
		return fmt.Errorf("pcap: reopen %s: the handle is still open; Close it first", h.source)
	}
	filter := h.filter
	var err error
	switch h.kind {
	case kindLive:
		var c *cHandle
		if c, err = createLive(h.source); err == nil {
			if err = h.attach(c); err == nil {
				h.activated = false
				_, err = h.Activate()
			}
		}
	case kindFile:
		err = h.openPath(h.source)
	case kindFD:
		if _, err = h.file.Seek(0, io.SeekStart); err == nil {
			err = h.openFD(h.file)
		}
	case kindReader:
		s, ok := h.reader.(io.Seeker)
		if !ok {
			return fmt.Errorf("pcap: reopen %s: %w: the reader cannot seek back to the start", h.source, ErrNotSupported)
		}
		if _, err = s.Seek(0, io.SeekStart); err == nil {
			err = h.openReader(h.reader)
		}
	case kindDead:
		err = h.openDead(h.deadLT, h.deadSL, h.prec)
	}
	if err != nil {
		return err
	}
	if filter != "" {
		return h.SetFilter(filter)
	}
	return nil
}

// NewInactiveHandle prepares a live capture on device. Set options with the
// Set methods, then call [Handle.Activate].
func NewInactiveHandle(device string) (*Handle, error) {
	c, err := createLive(device)
	if err != nil {
		return nil, err
	}
	h := newHandle(kindLive, device)
	h.live = liveSettings{snaplen: DefaultSnapLen, timeout: DefaultTimeout, tstampType: -1, precision: Microsecond}
	if err := h.attach(c); err != nil {
		return nil, err
	}
	return h, nil
}

func createLive(device string) (*cHandle, error) {
	eb := newErrbuf()
	defer eb.free()
	c := cCreate(device, eb)
	if c == nil {
		return nil, &Error{Op: "create", Source: device, Code: -1, Msg: eb.String()}
	}
	return c, nil
}

func (h *Handle) settable() error {
	if h.kind != kindLive {
		return fmt.Errorf("pcap: %s: %w: only live handles have capture options", h.source, ErrNotSupported)
	}
	if h.closed() {
		return ErrClosed
	}
	if h.activated {
		return ErrActivated
	}
	return nil
}

// setLive applies set to the options of a live handle not yet activated.
func (h *Handle) setLive(set func(s *liveSettings)) error {
	if err := h.settable(); err != nil {
		return err
	}
	set(&h.live)
	return nil
}

// SetSnapLen sets the number of bytes captured of each packet.
func (h *Handle) SetSnapLen(n int) error {
	if n <= 0 || n > DefaultSnapLen {
		n = DefaultSnapLen
	}
	return h.setLive(func(s *liveSettings) { s.snaplen = n })
}

// SetPromisc turns promiscuous mode on or off.
func (h *Handle) SetPromisc(on bool) error {
	return h.setLive(func(s *liveSettings) { s.promisc = on })
}

// SetTimeout sets libpcap's packet buffer timeout: how long the kernel may
// hold packets to deliver them in bulk. It is not a read timeout: reads wait
// for a packet, Close, a context or a deadline. A timeout of zero or less
// selects immediate mode.
func (h *Handle) SetTimeout(d time.Duration) error {
	return h.setLive(func(s *liveSettings) {
		s.timeout = d
		if d <= 0 {
			s.immediate = true
		}
	})
}

// SetBufferSize sets the kernel capture buffer size in bytes.
func (h *Handle) SetBufferSize(n int) error {
	return h.setLive(func(s *liveSettings) { s.bufferSize = n })
}

// SetImmediateMode delivers each packet as soon as it arrives instead of
// waiting for the buffer timeout.
func (h *Handle) SetImmediateMode(on bool) error {
	return h.setLive(func(s *liveSettings) { s.immediate = on })
}

// SetRFMon turns monitor mode on or off (wireless devices only).
func (h *Handle) SetRFMon(on bool) error {
	return h.setLive(func(s *liveSettings) { s.rfmon = on })
}

// SetTimestampType selects the source of time stamps (see
// [Handle.TimestampTypes]).
func (h *Handle) SetTimestampType(t TimestampType) error {
	return h.setLive(func(s *liveSettings) { s.tstampType = int(t) })
}

// SetTimestampPrecision selects microsecond or nanosecond time stamps.
func (h *Handle) SetTimestampPrecision(p Precision) error {
	if err := h.settable(); err != nil {
		return err
	}
	if p != Microsecond && p != Nanosecond {
		return fmt.Errorf("pcap: unknown time stamp precision %d: use pcap.Microsecond or pcap.Nanosecond", int(p))
	}
	h.live.precision = p
	return nil
}

// Activate starts the capture with the options set so far. A condition that
// libpcap reports as a warning (promiscuous mode not supported, time stamp
// type not supported) does not fail the activation: it is returned as the
// first result, logged, and kept in [Handle.Warning].
func (h *Handle) Activate() (*Warning, error) {
	if h.kind != kindLive {
		return nil, fmt.Errorf("pcap: %s: %w: only live handles are activated", h.source, ErrNotSupported)
	}
	if !h.acquire() {
		return nil, ErrClosed
	}
	defer h.release()
	if h.activated {
		return nil, ErrActivated
	}
	s := h.live
	cSetSnaplen(h.c, s.snaplen)
	cSetPromisc(h.c, s.promisc)
	if s.timeout > 0 {
		cSetTimeout(h.c, s.timeout)
	}
	if s.bufferSize > 0 {
		cSetBufferSize(h.c, s.bufferSize)
	}
	cSetImmediate(h.c, s.immediate)
	if s.rfmon {
		cSetRFMon(h.c, true)
	}
	if s.tstampType >= 0 {
		cSetTstampType(h.c, s.tstampType)
	}
	if r := cSetTstampPrecision(h.c, int(s.precision)); r != 0 {
		return nil, statusError("activate", h.source, r, "")
	}
	r := cActivate(h.c)
	if r < 0 {
		msg := cGeterr(h.c)
		err := h.activateError(r, msg)
		// A failed activation leaves a pcap_t that only pcap_close may touch;
		// recreate it so the handle can be configured and activated again.
		if c, cerr := createLive(h.source); cerr == nil {
			cFree(h.c)
			h.c = c
		}
		return nil, err
	}
	if r > 0 {
		h.warning = &Warning{Code: r, Msg: cGeterr(h.c)}
		h.log.Warn().Str("warning", h.warning.Error()).Msg("activated with a warning")
	}
	eb := newErrbuf()
	defer eb.free()
	if cSetNonblock(h.c, true, eb) < 0 {
		return nil, &Error{Op: "setnonblock", Source: h.source, Code: -1, Msg: eb.String()}
	}
	h.fd = cSelectableFD(h.c)
	if h.fd >= 0 {
		np, err := newPoller(h.fd, h.wake)
		if err != nil {
			// Waiting in poll(2) works as well, only with more thread
			// hand-offs under load.
			h.log.Debug().Err(err).Msg("waiting in poll(2): no runtime poller")
		}
		h.np = np
	}
	h.prec = Precision(cTstampPrecision(h.c))
	h.lt = fromDLT(cDatalink(h.c))
	h.activated = true
	h.log.Debug().Int("snaplen", s.snaplen).Bool("promisc", s.promisc).Bool("immediate", s.immediate).Msg("activated")
	return h.warning, nil
}

func (h *Handle) activateError(code int, msg string) error {
	switch code {
	case cErrorNoSuchDevice:
		var names []string
		if devs, err := FindAllDevs(); err == nil {
			for _, d := range devs {
				names = append(names, d.Name)
			}
		}
		return &DeviceError{Device: h.source, Available: names}
	case cErrorPermDenied, cErrorPromiscPerm:
		return &Error{Op: "activate", Source: h.source, Code: code, Msg: msg, Err: ErrPermission}
	}
	if code == -1 && isPermissionText(msg) {
		return &Error{Op: "activate", Source: h.source, Code: code, Msg: msg, Err: ErrPermission}
	}
	return statusError("activate", h.source, code, msg)
}

// Warning returns the warning the last activation produced, or nil.
func (h *Handle) Warning() *Warning { return h.warning }

// OpenLive opens device for live capture: snaplen bytes of each packet,
// promiscuous or not, with the given packet buffer timeout (zero or less
// selects immediate mode). Activation warnings are logged and kept in
// [Handle.Warning].
func OpenLive(device string, snaplen int32, promisc bool, timeout time.Duration) (*Handle, error) {
	h, err := NewInactiveHandle(device)
	if err != nil {
		return nil, err
	}
	h.SetSnapLen(int(snaplen))
	h.SetPromisc(promisc)
	h.SetTimeout(timeout)
	if _, err := h.Activate(); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// OpenOffline opens a capture file (pcap or pcapng) by path; "-" reads
// standard input. Time stamps keep the file's own precision, so a
// nanosecond file yields nanosecond time stamps.
func OpenOffline(path string) (*Handle, error) {
	if path == "-" {
		h, err := OpenOfflineFile(os.Stdin)
		if h != nil {
			h.source = "stdin"
		}
		return h, err
	}
	h := newHandle(kindFile, path)
	if err := h.openPath(path); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *Handle) openPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("pcap: %w", err)
	}
	var magic [4]byte
	n, _ := io.ReadFull(f, magic[:])
	f.Close()
	h.setFormat(magic[:n])
	eb := newErrbuf()
	defer eb.free()
	c, err := cOpenOffline(path, int(h.prec), eb)
	if err != nil {
		return fmt.Errorf("pcap: open %s: %w", path, err)
	}
	if c == nil {
		return openError(path, eb.String())
	}
	return h.attachOffline(c)
}

func (h *Handle) attachOffline(c *cHandle) error {
	if err := h.attach(c); err != nil {
		return err
	}
	h.activated = true
	h.fd = -1
	h.lt = fromDLT(cDatalink(c))
	h.log.Debug().Str("precision", h.prec.String()).Msg("opened capture")
	return nil
}

// setFormat picks the time stamp precision from a file's magic number.
func (h *Handle) setFormat(magic []byte) {
	h.prec = Microsecond
	h.ng = false
	if len(magic) < 4 {
		return
	}
	switch binary.LittleEndian.Uint32(magic) {
	case 0xa1b23c4d, 0x4d3cb2a1:
		h.prec = Nanosecond
	case 0x0a0d0d0a:
		h.ng = true
		h.prec = Nanosecond
	}
}

func openError(source, msg string) error {
	if msg == "" {
		msg = "unknown error"
	}
	if len(msg) >= 9 && msg[:9] == "truncated" {
		return &TruncatedError{Source: source, Offset: 0, Packets: 0, Msg: msg}
	}
	return &Error{Op: "open", Source: source, Code: -1, Msg: msg + " (is it a pcap or pcapng capture file?)", Err: ErrBadFile}
}

// OpenOfflineFile reads a capture from an open file, from its current
// offset. A regular file is read in place; a pipe, terminal or socket is
// streamed. The handle does not close f.
func OpenOfflineFile(f *os.File) (*Handle, error) {
	if f == nil {
		return nil, errors.New("pcap: OpenOfflineFile: nil *os.File")
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("pcap: %w", err)
	}
	if !st.Mode().IsRegular() {
		h := newHandle(kindReader, f.Name())
		h.reader = f
		if err := h.openReader(f); err != nil {
			return nil, err
		}
		return h, nil
	}
	h := newHandle(kindFD, f.Name())
	h.file = f
	if err := h.openFD(f); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *Handle) openFD(f *os.File) error {
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("pcap: %w", err)
	}
	var magic [4]byte
	n, _ := f.ReadAt(magic[:], off)
	h.setFormat(magic[:n])
	eb := newErrbuf()
	defer eb.free()
	c, err := cOpenOfflineFD(int(f.Fd()), int(h.prec), eb)
	if err != nil {
		return fmt.Errorf("pcap: open %s: %w", h.source, err)
	}
	if c == nil {
		return openError(h.source, eb.String())
	}
	return h.attachOffline(c)
}

// OpenOfflineReader reads a capture (pcap or pcapng) from any reader. The
// bytes are streamed to libpcap through a pipe, so r may be arbitrarily
// large; an *os.File is passed to [OpenOfflineFile]. A read error from r
// ends the capture with that error.
func OpenOfflineReader(r io.Reader) (*Handle, error) {
	if r == nil {
		return nil, errors.New("pcap: OpenOfflineReader: nil reader")
	}
	if f, ok := r.(*os.File); ok {
		return OpenOfflineFile(f)
	}
	h := newHandle(kindReader, "reader")
	h.reader = r
	if err := h.openReader(r); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *Handle) openReader(r io.Reader) error {
	var magic [4]byte
	n, rerr := io.ReadFull(r, magic[:])
	if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
		return fmt.Errorf("pcap: reading %s: %w", h.source, rerr)
	}
	h.setFormat(magic[:n])
	fd, fe, err := startFeeder(magic[:n], r)
	if err != nil {
		return fmt.Errorf("pcap: %s: %w", h.source, err)
	}
	eb := newErrbuf()
	defer eb.free()
	c, err := cOpenOfflineFD(fd, int(h.prec), eb)
	unix.Close(fd)
	if err != nil || c == nil {
		fe.stop()
		if err != nil {
			return fmt.Errorf("pcap: open %s: %w", h.source, err)
		}
		if ferr := fe.error(); ferr != nil {
			return fmt.Errorf("pcap: reading %s: %w", h.source, ferr)
		}
		return openError(h.source, eb.String())
	}
	h.feed = fe
	return h.attachOffline(c)
}

// OpenDead returns a handle that captures nothing, for compiling filters and
// writing capture files of the given link type with microsecond time
// stamps.
func OpenDead(lt LinkType, snaplen int) (*Handle, error) {
	return OpenDeadWithPrecision(lt, snaplen, Microsecond)
}

// OpenDeadWithPrecision is [OpenDead] with a choice of time stamp precision
// for the files it writes.
func OpenDeadWithPrecision(lt LinkType, snaplen int, p Precision) (*Handle, error) {
	h := newHandle(kindDead, "dead:"+lt.String())
	if err := h.openDead(lt, snaplen, p); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *Handle) openDead(lt LinkType, snaplen int, p Precision) error {
	if snaplen <= 0 {
		snaplen = DefaultSnapLen
	}
	if p != Microsecond && p != Nanosecond {
		return fmt.Errorf("pcap: unknown time stamp precision %d: use pcap.Microsecond or pcap.Nanosecond", int(p))
	}
	c := cOpenDead(lt.dlt(), snaplen, int(p))
	if c == nil {
		return fmt.Errorf("pcap: open dead handle for link type %d: out of memory", int(lt))
	}
	h.deadLT, h.deadSL, h.prec, h.lt = lt, snaplen, p, lt
	if err := h.attach(c); err != nil {
		return err
	}
	h.activated = true
	return nil
}

// use takes a reference and checks that the handle is activated; the caller
// must call release when it returns nil.
func (h *Handle) use() error {
	if h == nil || !h.acquire() {
		return ErrClosed
	}
	if !h.activated {
		h.release()
		return ErrNotActivated
	}
	return nil
}

// SnapLen returns the snapshot length in force.
func (h *Handle) SnapLen() int {
	if h.use() != nil {
		return 0
	}
	defer h.release()
	return cSnapshot(h.c)
}

// Precision returns the precision of the time stamps the handle delivers.
func (h *Handle) Precision() Precision { return h.prec }

// IsOffline reports whether the handle reads a capture file or stream.
func (h *Handle) IsOffline() bool {
	return h.kind == kindFile || h.kind == kindFD || h.kind == kindReader
}

// Stats are a live handle's packet counters (pcap_stats). Their exact meaning
// is platform-specific; on Linux Received counts packets that passed the
// filter and Dropped those lost for lack of buffer space.
type Stats struct {
	Received         uint32
	Dropped          uint32
	InterfaceDropped uint32
}

// Stats returns the handle's packet counters.
func (h *Handle) Stats() (Stats, error) {
	if err := h.use(); err != nil {
		return Stats{}, err
	}
	defer h.release()
	h.cMu.Lock()
	r, d, i, code := cStats(h.c)
	msg := ""
	if code < 0 {
		msg = cGeterr(h.c)
	}
	h.cMu.Unlock()
	if code < 0 {
		return Stats{}, statusError("stats", h.source, code, msg)
	}
	return Stats{Received: r, Dropped: d, InterfaceDropped: i}, nil
}

// SetDirection selects whether a live handle captures packets received,
// sent, or both. On Linux, DirectionIn also asks the kernel to leave the
// host's outgoing packets out of the capture socket (PACKET_IGNORE_OUTGOING,
// Linux 4.20 and later), so they cost no copy into the ring and do not count
// in [Stats]; libpcap on its own only skips them when reading.
func (h *Handle) SetDirection(d Direction) error {
	if d != DirectionIn && d != DirectionOut && d != DirectionInOut {
		return fmt.Errorf("pcap: unknown direction %d: use DirectionIn, DirectionOut or DirectionInOut", int(d))
	}
	if err := h.use(); err != nil {
		return err
	}
	defer h.release()
	h.cMu.Lock()
	defer h.cMu.Unlock()
	if r := cSetDirection(h.c, int(d)); r < 0 {
		return statusError("setdirection", h.source, r, cGeterr(h.c))
	}
	h.kernelDirection(d)
	return nil
}

// Inject sends a raw frame, link-layer header included, on a live handle. It
// returns the number of bytes sent.
func (h *Handle) Inject(b []byte) (int, error) {
	if err := h.use(); err != nil {
		return 0, err
	}
	defer h.release()
	if h.kind != kindLive {
		return 0, fmt.Errorf("pcap: inject on %s: %w: only live handles can send", h.source, ErrNotSupported)
	}
	n := cInject(h.c, b)
	if n < 0 {
		return 0, statusError("inject", h.source, n, cGeterr(h.c))
	}
	return n, nil
}

// WritePacketBatch sends frames in order on a live handle, like a
// [Handle.WritePacketData] of each, but with as few system calls as the
// platform allows: on Linux one sendmmsg(2) on libpcap's packet socket for up
// to 1024 frames, where pcap_inject makes one send(2) per frame. Elsewhere it
// calls pcap_inject for each frame. It returns how many frames were sent; on an
// error, frames[n] is the one that failed and those after it were not sent.
// Concurrent calls are serialised, so each batch goes out contiguously.
func (h *Handle) WritePacketBatch(frames [][]byte) (n int, err error) {
	if err := h.use(); err != nil {
		return 0, err
	}
	defer h.release()
	if h.kind != kindLive {
		return 0, fmt.Errorf("pcap: inject on %s: %w: only live handles can send", h.source, ErrNotSupported)
	}
	h.txMu.Lock()
	defer h.txMu.Unlock()
	return h.writeBatch(frames)
}

// injectEach is WritePacketBatch one pcap_inject at a time. h is in use and
// h.txMu is held.
func (h *Handle) injectEach(frames [][]byte) (int, error) {
	for i, f := range frames {
		if len(f) == 0 {
			return i, fmt.Errorf("pcap: inject on %s: frame %d is empty", h.source, i)
		}
		k := cInject(h.c, f)
		if k < 0 {
			return i, statusError("inject", h.source, k, cGeterr(h.c))
		}
		if k != len(f) {
			return i, fmt.Errorf("pcap: inject on %s: sent %d of %d bytes", h.source, k, len(f))
		}
	}
	return len(frames), nil
}

// WritePacketData sends a raw frame on a live handle, as [Handle.Inject]
// does, and reports only the error.
func (h *Handle) WritePacketData(b []byte) error {
	n, err := h.Inject(b)
	if err == nil && n != len(b) {
		return fmt.Errorf("pcap: inject on %s: sent %d of %d bytes", h.source, n, len(b))
	}
	return err
}
