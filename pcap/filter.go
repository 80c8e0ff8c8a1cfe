package pcap

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/gopacket/gopacket"
)

// SetFilter compiles expr (tcpdump's filter syntax) for the handle and
// installs it; on a live handle the kernel filters, on a file libpcap does.
// The empty expression removes filtering. A bad expression returns a
// [*FilterError] (errors.Is ErrBadFilter) and leaves the old filter in force.
func (h *Handle) SetFilter(expr string) error {
	if err := h.use(); err != nil {
		return err
	}
	defer h.release()
	netmask := uint32(0xffffffff) // PCAP_NETMASK_UNKNOWN
	if h.kind == kindLive {
		eb := newErrbuf()
		if _, mask, ok := cLookupNet(h.source, eb); ok {
			netmask = mask
		}
		eb.free()
	}
	h.cMu.Lock()
	defer h.cMu.Unlock()
	prog, r := cCompile(h.c, expr, true, netmask)
	if r < 0 {
		return &FilterError{Expr: expr, Msg: cGeterr(h.c)}
	}
	defer cFreeProg(prog)
	if r := cSetFilter(h.c, prog); r < 0 {
		return statusError("setfilter", h.source, r, cGeterr(h.c))
	}
	h.filter = expr
	h.log.Debug().Str("filter", expr).Msg("filter set")
	return nil
}

// Filter returns the filter expression in force, or "" when none is.
func (h *Handle) Filter() string {
	h.cMu.Lock()
	defer h.cMu.Unlock()
	return h.filter
}

// BPF is a compiled filter program for matching packets in Go, such as
// packets read from a file or built by hand. It is safe for concurrent use.
type BPF struct {
	expr    string
	mu      sync.RWMutex // libpcap's interpreter is reentrant; the lock guards Free
	prog    *cProg
	cleanup runtime.Cleanup
}

// Instruction is one BPF instruction.
type Instruction struct {
	Code uint16
	Jt   uint8
	Jf   uint8
	K    uint32
}

func (i Instruction) String() string {
	return fmt.Sprintf("{ 0x%x, %d, %d, 0x%08x }", i.Code, i.Jt, i.Jf, i.K)
}

// CompileBPF compiles expr for packets of link type lt captured with the
// given snapshot length. netmask is the IPv4 netmask of the network the
// packets come from, in host order (0 when unknown); it matters only for
// "ip broadcast".
func CompileBPF(lt LinkType, snaplen int, expr string, optimize bool, netmask uint32) (*BPF, error) {
	if snaplen <= 0 {
		snaplen = DefaultSnapLen
	}
	c := cOpenDead(lt.dlt(), snaplen, int(Microsecond))
	if c == nil {
		return nil, fmt.Errorf("pcap: compile %q: out of memory", expr)
	}
	defer cFree(c)
	mask := uint32(0xffffffff)
	if netmask != 0 {
		mask = hostToNet(netmask)
	}
	prog, r := cCompile(c, expr, optimize, mask)
	if r < 0 {
		return nil, &FilterError{Expr: expr, Msg: cGeterr(c)}
	}
	b := &BPF{expr: expr, prog: prog}
	b.cleanup = runtime.AddCleanup(b, cFreeProg, prog)
	return b, nil
}

// String returns the expression the program was compiled from.
func (b *BPF) String() string { return b.expr }

// Matches reports whether the packet passes the filter. Only
// ci.CaptureLength bytes of data (at most len(data)) and ci.Length are used.
func (b *BPF) Matches(ci gopacket.CaptureInfo, data []byte) bool {
	caplen := ci.CaptureLength
	if caplen > len(data) || caplen <= 0 {
		caplen = len(data)
	}
	length := ci.Length
	if length < caplen {
		length = caplen
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.prog == nil {
		return false
	}
	return cOfflineFilter(b.prog, 0, 0, uint32(caplen), uint32(length), data[:caplen])
}

// Instructions returns the compiled program.
func (b *BPF) Instructions() []Instruction {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.prog == nil {
		return nil
	}
	raw := cProgInsns(b.prog)
	out := make([]Instruction, len(raw))
	for i, in := range raw {
		out[i] = Instruction{Code: uint16(in[0]), Jt: uint8(in[1]), Jf: uint8(in[2]), K: in[3]}
	}
	return out
}

// Free releases the program now rather than when it is collected; Matches
// returns false afterwards.
func (b *BPF) Free() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.prog != nil {
		b.cleanup.Stop()
		cFreeProg(b.prog)
		b.prog = nil
	}
}
