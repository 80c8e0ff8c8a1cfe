package pcap

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/gopacket/gopacket"
	"golang.org/x/sys/unix"
)

// Dumper writes packets to a capture file in pcap format with libpcap's
// dumper, in the link type, snapshot length and time stamp precision of the
// handle it was opened for. (libpcap 1.10 writes pcap only, not pcapng.)
// A Dumper is safe for concurrent use.
type Dumper struct {
	mu     sync.Mutex
	d      *cDumper
	name   string
	prec   Precision
	closed bool

	// For NewDumpWriter: libpcap writes into a pipe that a goroutine copies
	// to w.
	pipe    *os.File
	written int64 // bytes handed to libpcap's stream
	copied  int64 // bytes copied to w, guarded by cmu
	cmu     sync.Mutex
	cond    *sync.Cond
	done    chan struct{}
	werr    error // w's first error, guarded by cmu
}

// OpenDump creates (or truncates) the capture file at path for packets of
// h's link type.
func OpenDump(h *Handle, path string) (*Dumper, error) {
	return openDump(h, path, false)
}

// OpenDumpAppend opens the capture file at path for appending, or creates it.
// An existing file must have h's link type, snapshot length and time stamp
// precision.
func OpenDumpAppend(h *Handle, path string) (*Dumper, error) {
	return openDump(h, path, true)
}

func openDump(h *Handle, path string, appendTo bool) (*Dumper, error) {
	if err := h.use(); err != nil {
		return nil, err
	}
	defer h.release()
	h.cMu.Lock()
	defer h.cMu.Unlock()
	d := cDumpOpen(h.c, path, appendTo)
	if d == nil {
		op := "dump"
		if appendTo {
			op = "dump-append"
		}
		msg := cGeterr(h.c)
		e := &Error{Op: op, Source: path, Code: -1, Msg: msg}
		if isPermissionText(msg) {
			e.Err = os.ErrPermission
		}
		return nil, e
	}
	return &Dumper{d: d, name: path, prec: h.prec}, nil
}

// NewDumpWriter writes a capture of h's link type to w. Bytes reach w from a
// goroutine; Flush and Close return once w has them.
func NewDumpWriter(h *Handle, w io.Writer) (*Dumper, error) {
	if w == nil {
		return nil, errors.New("pcap: NewDumpWriter: nil writer")
	}
	if err := h.use(); err != nil {
		return nil, err
	}
	defer h.release()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("pcap: dump pipe: %w", err)
	}
	unix.SetNonblock(p[0], true)
	r := os.NewFile(uintptr(p[0]), "pcap-dump")
	h.cMu.Lock()
	d, err := cDumpFopen(h.c, p[1])
	msg := ""
	if d == nil && err == nil {
		msg = cGeterr(h.c)
	}
	h.cMu.Unlock()
	if d == nil {
		r.Close()
		if err != nil {
			unix.Close(p[1])
			return nil, fmt.Errorf("pcap: dump stream: %w", err)
		}
		return nil, &Error{Op: "dump", Source: "writer", Code: -1, Msg: msg}
	}
	dw := &Dumper{d: d, name: "writer", prec: h.prec, pipe: r, written: 24, done: make(chan struct{})}
	dw.cond = sync.NewCond(&dw.cmu)
	go dw.copy(w)
	return dw, nil
}

func (d *Dumper) copy(w io.Writer) {
	defer close(d.done)
	defer d.pipe.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := d.pipe.Read(buf)
		if n > 0 {
			d.cmu.Lock()
			failed := d.werr != nil
			d.cmu.Unlock()
			var werr error
			if !failed {
				_, werr = w.Write(buf[:n])
			}
			d.cmu.Lock()
			if werr != nil && d.werr == nil {
				d.werr = werr
			}
			d.copied += int64(n)
			d.cond.Broadcast()
			d.cmu.Unlock()
		}
		if err != nil {
			d.cmu.Lock()
			if !errors.Is(err, io.EOF) && d.werr == nil {
				d.werr = err
			}
			d.copied = 1 << 62 // nothing more will come: release waiters
			d.cond.Broadcast()
			d.cmu.Unlock()
			return
		}
	}
}

// Write appends one packet. ci.Timestamp and ci.Length are recorded; the
// captured length is len(data) (or ci.CaptureLength when it is smaller).
func (d *Dumper) Write(ci gopacket.CaptureInfo, data []byte) error {
	caplen := len(data)
	if ci.CaptureLength > 0 && ci.CaptureLength < caplen {
		caplen = ci.CaptureLength
	}
	length := ci.Length
	if length < caplen {
		length = caplen
	}
	sec := ci.Timestamp.Unix()
	frac := int64(ci.Timestamp.Nanosecond())
	if d.prec != Nanosecond {
		frac /= 1000
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("pcap: write to dump %s: %w", d.name, ErrClosed)
	}
	if err := d.writerErr(); err != nil {
		return err
	}
	cDump(d.d, sec, frac, uint32(caplen), uint32(length), data[:caplen])
	d.written += 16 + int64(caplen)
	return nil
}

func (d *Dumper) writerErr() error {
	if d.pipe == nil {
		return nil
	}
	d.cmu.Lock()
	defer d.cmu.Unlock()
	if d.werr != nil {
		return fmt.Errorf("pcap: dump writer: %w", d.werr)
	}
	return nil
}

// Flush writes buffered packets to the file or writer.
func (d *Dumper) Flush() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("pcap: flush dump %s: %w", d.name, ErrClosed)
	}
	if cDumpFlush(d.d) < 0 {
		return fmt.Errorf("pcap: flush dump %s: write failed (disk full or file removed?)", d.name)
	}
	if d.pipe != nil {
		d.cmu.Lock()
		for d.copied < d.written {
			d.cond.Wait()
		}
		d.cmu.Unlock()
	}
	return d.writerErr()
}

// Tell returns the size of the capture written so far, in bytes, header
// included (buffered bytes count).
func (d *Dumper) Tell() (int64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0, fmt.Errorf("pcap: tell dump %s: %w", d.name, ErrClosed)
	}
	if d.pipe != nil {
		return d.written, nil
	}
	n := cDumpFtell(d.d)
	if n < 0 {
		return 0, fmt.Errorf("pcap: tell dump %s: position unknown", d.name)
	}
	return n, nil
}

// Close flushes and closes the file or writer stream. It returns the first
// error writing met. A second Close returns ErrClosed.
func (d *Dumper) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("pcap: close dump %s: %w", d.name, ErrClosed)
	}
	d.closed = true
	flushErr := cDumpFlush(d.d)
	cDumpClose(d.d)
	d.d = nil
	if d.pipe != nil {
		<-d.done
		d.cmu.Lock()
		defer d.cmu.Unlock()
		if d.werr != nil {
			return fmt.Errorf("pcap: dump writer: %w", d.werr)
		}
		return nil
	}
	if flushErr < 0 {
		return fmt.Errorf("pcap: close dump %s: write failed (disk full or file removed?)", d.name)
	}
	return nil
}
