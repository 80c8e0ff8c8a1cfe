package pcapread

/*
#cgo LDFLAGS: -lpcap
#include <stdint.h>
#include <stdlib.h>
#include <pcap/pcap.h>

int cloop_dispatch_sum(const char *path, size_t stdio_buf, long long *packets, uint64_t *sum, char *errbuf);
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// CDispatchSum reads the whole capture at path in one cgo call: a C loop over
// libpcap's pcap_dispatch whose C callback adds each packet's first byte to
// sum, on a file libpcap opened itself (pcap_open_offline). It is the floor
// for a libpcap-based reader that leaves libpcap's file buffering alone.
func CDispatchSum(path string) (packets int, sum uint64, err error) {
	return CDispatchSumBuffered(path, 0)
}

// CDispatchSumBuffered is [CDispatchSum] on a file opened with fopen and given
// a stdio buffer of stdioBuf bytes (setvbuf) before pcap_fopen_offline. By
// default stdio reads the file 4 KiB (st_blksize) at a time, one read(2) per
// 54 60-byte packets or 2.7 1514-byte packets. Zero means libpcap's default.
func CDispatchSumBuffered(path string, stdioBuf int) (packets int, sum uint64, err error) {
	if stdioBuf < 0 {
		return 0, 0, fmt.Errorf("c-dispatch: negative stdio buffer size %d", stdioBuf)
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var errbuf [C.PCAP_ERRBUF_SIZE]C.char
	var n C.longlong
	var s C.uint64_t
	if C.cloop_dispatch_sum(cpath, C.size_t(stdioBuf), &n, &s, &errbuf[0]) != 0 {
		return 0, 0, fmt.Errorf("c-dispatch: reading %s: %s", path, C.GoString(&errbuf[0]))
	}
	return int(n), uint64(s), nil
}
