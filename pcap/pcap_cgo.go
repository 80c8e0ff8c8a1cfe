package pcap

// This file is the only place in the package's logic that talks to C: thin,
// typed wrappers around libpcap (>= 1.9; 1.10 on Debian 12) and a few C
// helpers that keep per-packet work on the C side of the boundary. The rest of
// the package calls these wrappers and never says "C.".

/*
#cgo linux LDFLAGS: -lpcap
#cgo freebsd LDFLAGS: -lpcap
#cgo darwin LDFLAGS: -lpcap
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#ifdef __linux__
#include <linux/if_packet.h>
#else
#include <net/if_dl.h>
#endif

// tr_handle wraps a pcap_t with the state the batch reader needs: a packet
// that pcap_next_ex returned but that did not fit into the previous batch
// (its bytes stay valid until the next read call on the same pcap_t), and
// the savefile offset of the next record for pcap-format files.
typedef struct {
	pcap_t *p;
	struct pcap_pkthdr *ph;
	const u_char *pd;
	int pending;
	long long offset;
	long long packets;
	const u_char *out;  // tr_next_one's packet data, read by Go after the call
	int status;         // tr_batch_fill's status, likewise
	char *iobuf;        // the stdio buffer of an offline handle's stream
} tr_handle;

typedef struct {
	int64_t sec;
	int64_t frac;
	uint32_t caplen;
	uint32_t len;
	uint64_t off;
} tr_rec;

typedef struct {
	unsigned char *buf;
	size_t cap;
	size_t used;
	tr_rec *recs;
	int max;
	int n;
} tr_batch;

static tr_handle *tr_new(pcap_t *p, long long offset) {
	tr_handle *h = calloc(1, sizeof(tr_handle));
	if (h == NULL) return NULL;
	h->p = p;
	h->offset = offset;
	return h;
}

static void tr_free(tr_handle *h) {
	if (h == NULL) return;
	if (h->p != NULL) pcap_close(h->p);
	free(h->iobuf);
	free(h);
}

// tr_fopen_offline opens a capture stream for libpcap with a 256 KiB stdio
// buffer: glibc's default of 4 KiB costs one read(2) per few dozen small
// packets, which dominates reading a file. (The buffer must be given
// explicitly; glibc ignores the size when the buffer is NULL.) On failure it
// closes f and returns NULL with errbuf set by libpcap, or errno set.
#define TR_IOBUF (256 << 10)
static tr_handle *tr_fopen_offline(FILE *f, unsigned int precision, char *errbuf) {
	char *buf = malloc(TR_IOBUF);
	if (buf != NULL) setvbuf(f, buf, _IOFBF, TR_IOBUF);
	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(f, precision, errbuf);
	if (p == NULL) {
		fclose(f);
		free(buf);
		return NULL;
	}
	tr_handle *h = tr_new(p, 24);
	if (h == NULL) {
		pcap_close(p);
		free(buf);
		return NULL;
	}
	h->iobuf = buf;
	return h;
}

// tr_next returns the pending packet if there is one, else the next one from
// libpcap. It returns pcap_next_ex's codes: 1 packet, 0 none yet (live,
// non-blocking), -1 error, -2 end of file.
static int tr_next(tr_handle *h, struct pcap_pkthdr **ph, const u_char **pd) {
	if (h->pending) {
		h->pending = 0;
		*ph = h->ph;
		*pd = h->pd;
		return 1;
	}
	int r = pcap_next_ex(h->p, ph, pd);
	if (r == 1) {
		h->offset += 16 + (long long)(*ph)->caplen;
		h->packets++;
	}
	return r;
}

// tr_batch_fill copies as many packets as fit into b in one crossing.
// A packet that does not fit stays pending for the next call; a single
// packet larger than the whole buffer is cut to the buffer's size.
static int tr_batch_fill(tr_handle *h, tr_batch *b) {
	int *status = &h->status;
	b->n = 0;
	b->used = 0;
	*status = 1;
	while (b->n < b->max) {
		struct pcap_pkthdr *ph;
		const u_char *pd;
		int r = tr_next(h, &ph, &pd);
		if (r != 1) {
			*status = r;
			break;
		}
		size_t n = ph->caplen;
		if (b->used + n > b->cap) {
			if (b->n > 0) {
				h->pending = 1;
				h->ph = ph;
				h->pd = pd;
				break;
			}
			n = b->cap;
		}
		memcpy(b->buf + b->used, pd, n);
		tr_rec *r0 = &b->recs[b->n];
		r0->sec = ph->ts.tv_sec;
		r0->frac = ph->ts.tv_usec;
		r0->caplen = (uint32_t)n;
		r0->len = ph->len;
		r0->off = b->used;
		b->used += n;
		b->n++;
	}
	return b->n;
}

static int tr_next_one(tr_handle *h, tr_rec *rec) {
	struct pcap_pkthdr *ph;
	int r = tr_next(h, &ph, &h->out);
	if (r == 1) {
		rec->sec = ph->ts.tv_sec;
		rec->frac = ph->ts.tv_usec;
		rec->caplen = ph->caplen;
		rec->len = ph->len;
		rec->off = 0;
	}
	return r;
}

static int tr_offline_filter(struct bpf_program *prog, int64_t sec, int64_t frac, uint32_t caplen, uint32_t len, const u_char *data) {
	struct pcap_pkthdr h;
	h.ts.tv_sec = sec;
	h.ts.tv_usec = frac;
	h.caplen = caplen;
	h.len = len;
	return pcap_offline_filter(prog, &h, data);
}

static void tr_dump(pcap_dumper_t *d, int64_t sec, int64_t frac, uint32_t caplen, uint32_t len, const u_char *data) {
	struct pcap_pkthdr h;
	h.ts.tv_sec = sec;
	h.ts.tv_usec = frac;
	h.caplen = caplen;
	h.len = len;
	pcap_dump((u_char *)d, &h, data);
}

static FILE *tr_fdopen(int fd, const char *mode) { return fdopen(fd, mode); }

static long long tr_ftell(pcap_t *p) {
	FILE *f = pcap_file(p);
	if (f == NULL) return -1;
	return ftell(f);
}

static int tr_required_timeout(pcap_t *p, long long *usec) {
	const struct timeval *tv = pcap_get_required_select_timeout(p);
	if (tv == NULL) return 0;
	*usec = (long long)tv->tv_sec * 1000000 + tv->tv_usec;
	return 1;
}

// Address kinds reported by tr_sockaddr.
enum { TR_AF_NONE = 0, TR_AF_INET = 4, TR_AF_INET6 = 6, TR_AF_LINK = 17 };

// tr_sockaddr normalises a sockaddr of any family into kind, raw address
// bytes, interface index, hardware type, IPv6 scope and the OS family number.
static int tr_sockaddr(struct sockaddr *sa, unsigned char *addr, int *alen, int *ifindex, int *hatype, uint32_t *scope, int *family) {
	*alen = 0; *ifindex = 0; *hatype = 0; *scope = 0; *family = 0;
	if (sa == NULL) return TR_AF_NONE;
	*family = sa->sa_family;
	switch (sa->sa_family) {
	case AF_INET: {
		struct sockaddr_in *in = (struct sockaddr_in *)sa;
		memcpy(addr, &in->sin_addr, 4);
		*alen = 4;
		return TR_AF_INET;
	}
	case AF_INET6: {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
		memcpy(addr, &in6->sin6_addr, 16);
		*alen = 16;
		*scope = in6->sin6_scope_id;
		return TR_AF_INET6;
	}
#ifdef __linux__
	case AF_PACKET: {
		struct sockaddr_ll *ll = (struct sockaddr_ll *)sa;
		int n = ll->sll_halen;
		if (n > 8) n = 8;
		memcpy(addr, ll->sll_addr, n);
		*alen = n;
		*ifindex = ll->sll_ifindex;
		*hatype = ll->sll_hatype;
		return TR_AF_LINK;
	}
#else
	case AF_LINK: {
		struct sockaddr_dl *dl = (struct sockaddr_dl *)sa;
		int n = dl->sdl_alen;
		if (n > 32) n = 32;
		memcpy(addr, LLADDR(dl), n);
		*alen = n;
		*ifindex = dl->sdl_index;
		*hatype = dl->sdl_type;
		return TR_AF_LINK;
	}
#endif
	}
	return TR_AF_NONE;
}
*/
import "C"

import (
	"time"
	"unsafe"
)

// cHandle is libpcap's pcap_t behind the batch-reader wrapper.
type cHandle = C.tr_handle

// cRec is one packet's record in a batch.
type cRec = C.tr_rec

// cBatch is the C side of a [Batch].
type cBatch = C.tr_batch

// cProg is a compiled BPF program.
type cProg = C.struct_bpf_program

// cDumper is a pcap_dumper_t.
type cDumper = C.pcap_dumper_t

const (
	cErrorBreak           = int(C.PCAP_ERROR_BREAK)
	cErrorNotActivated    = int(C.PCAP_ERROR_NOT_ACTIVATED)
	cErrorActivated       = int(C.PCAP_ERROR_ACTIVATED)
	cErrorNoSuchDevice    = int(C.PCAP_ERROR_NO_SUCH_DEVICE)
	cErrorRFMonNotSup     = int(C.PCAP_ERROR_RFMON_NOTSUP)
	cErrorNotRFMon        = int(C.PCAP_ERROR_NOT_RFMON)
	cErrorPermDenied      = int(C.PCAP_ERROR_PERM_DENIED)
	cErrorIfaceNotUp      = int(C.PCAP_ERROR_IFACE_NOT_UP)
	cErrorCantSetTstamp   = int(C.PCAP_ERROR_CANTSET_TSTAMP_TYPE)
	cErrorPromiscPerm     = int(C.PCAP_ERROR_PROMISC_PERM_DENIED)
	cErrorTstampPrecision = int(C.PCAP_ERROR_TSTAMP_PRECISION_NOTSUP)

	cWarningPromiscNotSup = int(C.PCAP_WARNING_PROMISC_NOTSUP)
	cWarningTstampNotSup  = int(C.PCAP_WARNING_TSTAMP_TYPE_NOTSUP)

	cPrecisionMicro = int(C.PCAP_TSTAMP_PRECISION_MICRO)
	cPrecisionNano  = int(C.PCAP_TSTAMP_PRECISION_NANO)

	cDirectionInOut = int(C.PCAP_D_INOUT)
	cDirectionIn    = int(C.PCAP_D_IN)
	cDirectionOut   = int(C.PCAP_D_OUT)

	cIfLoopback         = uint32(C.PCAP_IF_LOOPBACK)
	cIfUp               = uint32(C.PCAP_IF_UP)
	cIfRunning          = uint32(C.PCAP_IF_RUNNING)
	cIfWireless         = uint32(C.PCAP_IF_WIRELESS)
	cIfConnStatusMask   = uint32(C.PCAP_IF_CONNECTION_STATUS)
	cIfConnConnected    = uint32(C.PCAP_IF_CONNECTION_STATUS_CONNECTED)
	cIfConnDisconnected = uint32(C.PCAP_IF_CONNECTION_STATUS_DISCONNECTED)
	cIfConnNotApplic    = uint32(C.PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE)

	cAFNone  = int(C.TR_AF_NONE)
	cAFInet  = int(C.TR_AF_INET)
	cAFInet6 = int(C.TR_AF_INET6)
	cAFLink  = int(C.TR_AF_LINK)

	cErrbufSize = int(C.PCAP_ERRBUF_SIZE)
	cRecSize    = int(C.sizeof_tr_rec)
)

// errbuf is libpcap's error buffer, allocated in C so that libpcap may keep
// writing to it for the life of a pcap_t (pcap_geterr points into the pcap_t,
// but the create/open calls take a caller buffer).
type errbuf struct{ p *C.char }

func newErrbuf() errbuf {
	return errbuf{(*C.char)(C.calloc(1, C.size_t(cErrbufSize)))}
}

func (e errbuf) String() string { return C.GoString(e.p) }
func (e errbuf) free()          { C.free(unsafe.Pointer(e.p)) }

func cLibVersion() string { return C.GoString(C.pcap_lib_version()) }

func cWrap(p *C.pcap_t, offset int64) *cHandle {
	h := C.tr_new(p, C.longlong(offset))
	if h == nil {
		C.pcap_close(p)
	}
	return h
}

func cFree(h *cHandle) { C.tr_free(h) }

func cCreate(device string, eb errbuf) *cHandle {
	cs := C.CString(device)
	defer C.free(unsafe.Pointer(cs))
	p := C.pcap_create(cs, eb.p)
	if p == nil {
		return nil
	}
	return cWrap(p, 0)
}

// cOpenOffline opens a capture file by path. It returns nil with libpcap's
// message in eb, or an errno error when the file cannot be opened.
func cOpenOffline(path string, precision int, eb errbuf) (*cHandle, error) {
	cs := C.CString(path)
	defer C.free(unsafe.Pointer(cs))
	mode := C.CString("rb")
	defer C.free(unsafe.Pointer(mode))
	f, err := C.fopen(cs, mode)
	if f == nil {
		return nil, err
	}
	return C.tr_fopen_offline(f, C.uint(precision), eb.p), nil
}

// cOpenOfflineFD hands a dup of fd to libpcap as a stdio stream; libpcap
// closes it with the handle. It returns nil with errno text in eb on failure.
func cOpenOfflineFD(fd int, precision int, eb errbuf) (*cHandle, error) {
	mode := C.CString("rb")
	defer C.free(unsafe.Pointer(mode))
	nfd, err := C.dup(C.int(fd))
	if nfd < 0 {
		return nil, err
	}
	f, err := C.tr_fdopen(nfd, mode)
	if f == nil {
		C.close(nfd)
		return nil, err
	}
	// libpcap does not close the stream when it rejects it; tr_fopen_offline
	// does.
	return C.tr_fopen_offline(f, C.uint(precision), eb.p), nil
}

func cOpenDead(linktype, snaplen, precision int) *cHandle {
	p := C.pcap_open_dead_with_tstamp_precision(C.int(linktype), C.int(snaplen), C.u_int(precision))
	if p == nil {
		return nil
	}
	return cWrap(p, 0)
}

func cGeterr(h *cHandle) string { return C.GoString(C.pcap_geterr(h.p)) }
func cStatustostr(code int) string {
	return C.GoString(C.pcap_statustostr(C.int(code)))
}

func cSetSnaplen(h *cHandle, n int) int   { return int(C.pcap_set_snaplen(h.p, C.int(n))) }
func cSetPromisc(h *cHandle, on bool) int { return int(C.pcap_set_promisc(h.p, cbool(on))) }
func cSetTimeout(h *cHandle, d time.Duration) int {
	return int(C.pcap_set_timeout(h.p, C.int(d/time.Millisecond)))
}
func cSetBufferSize(h *cHandle, n int) int { return int(C.pcap_set_buffer_size(h.p, C.int(n))) }
func cSetImmediate(h *cHandle, on bool) int {
	return int(C.pcap_set_immediate_mode(h.p, cbool(on)))
}
func cSetRFMon(h *cHandle, on bool) int    { return int(C.pcap_set_rfmon(h.p, cbool(on))) }
func cCanSetRFMon(h *cHandle) int          { return int(C.pcap_can_set_rfmon(h.p)) }
func cSetTstampType(h *cHandle, t int) int { return int(C.pcap_set_tstamp_type(h.p, C.int(t))) }
func cSetTstampPrecision(h *cHandle, p int) int {
	return int(C.pcap_set_tstamp_precision(h.p, C.int(p)))
}
func cTstampPrecision(h *cHandle) int { return int(C.pcap_get_tstamp_precision(h.p)) }
func cActivate(h *cHandle) int        { return int(C.pcap_activate(h.p)) }

func cListTstampTypes(h *cHandle) ([]int, int) {
	var list *C.int
	n := int(C.pcap_list_tstamp_types(h.p, &list))
	if n < 0 {
		return nil, n
	}
	defer C.pcap_free_tstamp_types(list)
	return goInts(list, n), n
}

// goInts copies the n ints of a C array.
func goInts(list *C.int, n int) []int {
	out := make([]int, n)
	for i, v := range unsafe.Slice(list, n) {
		out[i] = int(v)
	}
	return out
}

// cTstampTypeName and cDatalinkName return "" for a value libpcap has no
// name for: it returns NULL, and C.GoString(NULL) is "".
func cTstampTypeName(t int) (name, desc string) {
	return C.GoString(C.pcap_tstamp_type_val_to_name(C.int(t))), C.GoString(C.pcap_tstamp_type_val_to_description(C.int(t)))
}

func cTstampTypeByName(name string) int {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	return int(C.pcap_tstamp_type_name_to_val(cs))
}

func cSetNonblock(h *cHandle, on bool, eb errbuf) int {
	return int(C.pcap_setnonblock(h.p, cbool(on), eb.p))
}
func cSelectableFD(h *cHandle) int { return int(C.pcap_get_selectable_fd(h.p)) }
func cRequiredTimeout(h *cHandle) (time.Duration, bool) {
	var us C.longlong
	if C.tr_required_timeout(h.p, &us) == 0 {
		return 0, false
	}
	return time.Duration(us) * time.Microsecond, true
}

func cSnapshot(h *cHandle) int { return int(C.pcap_snapshot(h.p)) }
func cDatalink(h *cHandle) int { return int(C.pcap_datalink(h.p)) }
func cSetDatalink(h *cHandle, lt int) int {
	return int(C.pcap_set_datalink(h.p, C.int(lt)))
}
func cListDatalinks(h *cHandle) ([]int, int) {
	var list *C.int
	n := int(C.pcap_list_datalinks(h.p, &list))
	if n < 0 {
		return nil, n
	}
	defer C.pcap_free_datalinks(list)
	return goInts(list, n), n
}
func cDatalinkName(lt int) (name, desc string) {
	return C.GoString(C.pcap_datalink_val_to_name(C.int(lt))), C.GoString(C.pcap_datalink_val_to_description(C.int(lt)))
}
func cDatalinkByName(name string) int {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	return int(C.pcap_datalink_name_to_val(cs))
}

func cStats(h *cHandle) (recv, drop, ifdrop uint32, code int) {
	var st C.struct_pcap_stat
	if r := C.pcap_stats(h.p, &st); r < 0 {
		return 0, 0, 0, int(r)
	}
	return uint32(st.ps_recv), uint32(st.ps_drop), uint32(st.ps_ifdrop), 0
}

func cSetDirection(h *cHandle, d int) int {
	return int(C.pcap_setdirection(h.p, C.pcap_direction_t(d)))
}

func cInject(h *cHandle, b []byte) int {
	if len(b) == 0 {
		return int(C.pcap_inject(h.p, nil, 0))
	}
	return int(C.pcap_inject(h.p, unsafe.Pointer(&b[0]), C.size_t(len(b))))
}

func cFtell(h *cHandle) int64 { return int64(C.tr_ftell(h.p)) }

// cHandleOffset and cHandlePackets report the reader's byte offset of the next
// pcap-format record and the number of packets read so far.
func cHandleOffset(h *cHandle) int64  { return int64(h.offset) }
func cHandlePackets(h *cHandle) int64 { return int64(h.packets) }

// Reads.

func cNextOne(h *cHandle, rec *cRec) ([]byte, int) {
	r := int(C.tr_next_one(h, rec))
	if r != 1 {
		return nil, r
	}
	if rec.caplen == 0 {
		return []byte{}, 1
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(h.out)), int(rec.caplen)), 1
}

func recFields(r *cRec) (sec, frac int64, caplen, length uint32) {
	return int64(r.sec), int64(r.frac), uint32(r.caplen), uint32(r.len)
}

func cBatchNew(maxPackets, bufSize int) *cBatch {
	b := (*cBatch)(C.calloc(1, C.size_t(C.sizeof_tr_batch)))
	if b == nil {
		return nil
	}
	b.buf = (*C.uchar)(C.malloc(C.size_t(bufSize)))
	b.recs = (*cRec)(C.calloc(C.size_t(maxPackets), C.size_t(cRecSize)))
	if b.buf == nil || b.recs == nil {
		cBatchFree(b)
		return nil
	}
	b.cap = C.size_t(bufSize)
	b.max = C.int(maxPackets)
	return b
}

func cBatchFree(b *cBatch) {
	C.free(unsafe.Pointer(b.buf))
	C.free(unsafe.Pointer(b.recs))
	C.free(unsafe.Pointer(b))
}

func cBatchFill(h *cHandle, b *cBatch) (n, status int) {
	n = int(C.tr_batch_fill(h, b))
	return n, int(h.status)
}

func cBatchViews(b *cBatch) (buf []byte, recs []cRec) {
	return unsafe.Slice((*byte)(unsafe.Pointer(b.buf)), int(b.cap)),
		unsafe.Slice(b.recs, int(b.max))
}

// Filters.

func cCompile(h *cHandle, expr string, optimize bool, netmask uint32) (*cProg, int) {
	cs := C.CString(expr)
	defer C.free(unsafe.Pointer(cs))
	prog := (*cProg)(C.calloc(1, C.size_t(C.sizeof_struct_bpf_program)))
	r := int(C.pcap_compile(h.p, prog, cs, cbool(optimize), C.bpf_u_int32(netmask)))
	if r < 0 {
		C.free(unsafe.Pointer(prog))
		return nil, r
	}
	return prog, r
}

func cFreeProg(p *cProg) {
	C.pcap_freecode(p)
	C.free(unsafe.Pointer(p))
}

func cSetFilter(h *cHandle, p *cProg) int { return int(C.pcap_setfilter(h.p, p)) }

func cOfflineFilter(p *cProg, sec, frac int64, caplen, length uint32, data []byte) bool {
	var dp *C.u_char
	if len(data) > 0 {
		dp = (*C.u_char)(unsafe.Pointer(&data[0]))
	}
	return C.tr_offline_filter(p, C.int64_t(sec), C.int64_t(frac), C.uint32_t(caplen), C.uint32_t(length), dp) != 0
}

// cProgInsns returns the program's instructions as (code, jt, jf, k).
func cProgInsns(p *cProg) [][4]uint32 {
	n := int(p.bf_len)
	out := make([][4]uint32, n)
	for i, in := range unsafe.Slice(p.bf_insns, n) {
		out[i] = [4]uint32{uint32(in.code), uint32(in.jt), uint32(in.jf), uint32(in.k)}
	}
	return out
}

// Dumpers.

func cDumpOpen(h *cHandle, path string, appendTo bool) *cDumper {
	cs := C.CString(path)
	defer C.free(unsafe.Pointer(cs))
	if appendTo {
		return C.pcap_dump_open_append(h.p, cs)
	}
	return C.pcap_dump_open(h.p, cs)
}

func cDumpFopen(h *cHandle, fd int) (*cDumper, error) {
	mode := C.CString("wb")
	defer C.free(unsafe.Pointer(mode))
	f, err := C.tr_fdopen(C.int(fd), mode)
	if f == nil {
		return nil, err
	}
	d := C.pcap_dump_fopen(h.p, f)
	if d == nil {
		C.fclose(f)
	}
	return d, nil
}

func cDump(d *cDumper, sec, frac int64, caplen, length uint32, data []byte) {
	var dp *C.u_char
	if len(data) > 0 {
		dp = (*C.u_char)(unsafe.Pointer(&data[0]))
	}
	C.tr_dump(d, C.int64_t(sec), C.int64_t(frac), C.uint32_t(caplen), C.uint32_t(length), dp)
}

func cDumpFlush(d *cDumper) int   { return int(C.pcap_dump_flush(d)) }
func cDumpFtell(d *cDumper) int64 { return int64(C.pcap_dump_ftell64(d)) }
func cDumpClose(d *cDumper)       { C.pcap_dump_close(d) }

// Devices.

// cDevAddr is one address of a device as plain Go values.
type cDevAddr struct {
	kind   int
	family int
	addr   []byte
	index  int
	hatype int
	scope  uint32
}

type cDev struct {
	name, desc string
	flags      uint32
	addrs      [][4]cDevAddr // address, netmask, broadcast, destination
}

func cSockaddr(sa *C.struct_sockaddr) cDevAddr {
	var buf [32]C.uchar
	var alen, ifindex, hatype, family C.int
	var scope C.uint32_t
	kind := int(C.tr_sockaddr(sa, &buf[0], &alen, &ifindex, &hatype, &scope, &family))
	return cDevAddr{
		kind:   kind,
		family: int(family),
		addr:   C.GoBytes(unsafe.Pointer(&buf[0]), alen),
		index:  int(ifindex),
		hatype: int(hatype),
		scope:  uint32(scope),
	}
}

func cFindAllDevs(eb errbuf) ([]cDev, bool) {
	var list *C.pcap_if_t
	if C.pcap_findalldevs(&list, eb.p) < 0 {
		return nil, false
	}
	defer C.pcap_freealldevs(list)
	var out []cDev
	for d := list; d != nil; d = d.next {
		dev := cDev{name: C.GoString(d.name), flags: uint32(d.flags)}
		if d.description != nil {
			dev.desc = C.GoString(d.description)
		}
		for a := d.addresses; a != nil; a = a.next {
			dev.addrs = append(dev.addrs, [4]cDevAddr{
				cSockaddr(a.addr), cSockaddr(a.netmask), cSockaddr(a.broadaddr), cSockaddr(a.dstaddr),
			})
		}
		out = append(out, dev)
	}
	return out, true
}

func cLookupNet(device string, eb errbuf) (net, mask uint32, ok bool) {
	cs := C.CString(device)
	defer C.free(unsafe.Pointer(cs))
	var n, m C.bpf_u_int32
	if C.pcap_lookupnet(cs, &n, &m, eb.p) < 0 {
		return 0, 0, false
	}
	return uint32(n), uint32(m), true
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
