//go:build linux && cgo

// Package lwip runs lwIP (Debian's liblwip-dev, lwIP 2.1) as a conformance
// target: [Open] brings up lwIP's tcpip thread and one Ethernet netif whose
// frames go through this project's libpcap link (tcpstack/link/pcap), and
// [Stack.Backend] is the agent backend that makes its socket calls through
// lwIP's BSD socket API (lwip_socket, lwip_connect, ...), which takes lwIP's
// core lock itself (LWIP_TCPIP_CORE_LOCKING).
//
// lwIP is built as Debian builds it: its lwipopts.h (from the GNU Hurd's
// lwIP translator) is the configuration, read at compile time from
// /usr/include/lwip. What it switches on and off matters to the verdicts:
// TCP_MSS 1460, TCP_WND 65535 with window scaling (LWIP_WND_SCALE, shift
// 1), keep-alive (LWIP_TCP_KEEPALIVE), SO_RCVBUF, SO_LINGER and
// SO_REUSEADDR on; no TCP timestamps (LWIP_TCP_TIMESTAMPS is left at its
// default, 0), no SACK (lwIP 2.1 has none to offer; LWIP_TCP_SACK_OUT is
// left at 0), no TCP_INFO, TCP_USER_TIMEOUT or IP_OPTIONS in the socket API,
// and no urgent data to send. The socket API uses the system's headers
// (LWIP_SOCKET_EXTERNAL_HEADERS), so option numbers and errno values are
// Linux's.
//
// Frames are handed to lwIP in PBUF_RAM pbufs (one contiguous buffer a
// frame): PBUF_POOL pbufs, which lwIP's own drivers use, corrupted the heap
// on the first full-sized frame with Debian's build (glibc: "malloc():
// corrupted top size" in the next allocation; not investigated further).
//
// lwIP's state is global: one stack per process at a time.
package lwip

/*
#cgo CFLAGS: -I/usr/include/lwip
#cgo LDFLAGS: -llwip
#include <stdint.h>
#include <string.h>
#include "lwip/opt.h"
#include "lwip/init.h"
#include "lwip/tcpip.h"
#include "lwip/netif.h"
#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

extern int goLinkOutput(void *data, int len);

static err_t tr_linkoutput(struct netif *n, struct pbuf *p) {
	static char buf[2048];
	u16_t len;
	(void)n;
	if (p->tot_len > sizeof buf) {
		return ERR_BUF;
	}
	// The core lock is held (by the tcpip thread or the caller of the
	// socket API): buf is used by one thread at a time.
	len = pbuf_copy_partial(p, buf, p->tot_len, 0);
	if (goLinkOutput(buf, len) != 0) {
		return ERR_IF;
	}
	return ERR_OK;
}

static unsigned char tr_mac[6];
static int tr_mtu;

static err_t tr_netif_init(struct netif *n) {
	n->name[0] = 't';
	n->name[1] = 'r';
	n->output = etharp_output;
	n->linkoutput = tr_linkoutput;
	n->mtu = tr_mtu;
	n->hwaddr_len = 6;
	memcpy(n->hwaddr, tr_mac, 6);
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	return ERR_OK;
}

static struct netif tr_netif;
static int tr_netif_added;

static void tr_tcpip_init(void) {
	tcpip_init(NULL, NULL);
}

// tr_up adds the netif (addresses in network byte order) under the core lock.
static int tr_up(uint32_t addr, uint32_t mask, const unsigned char *mac, int mtu) {
	ip4_addr_t a, m, gw;
	int ok = 1;
	memcpy(tr_mac, mac, 6);
	tr_mtu = mtu;
	a.addr = addr;
	m.addr = mask;
	gw.addr = 0;
	LOCK_TCPIP_CORE();
	if (netif_add(&tr_netif, &a, &m, &gw, NULL, tr_netif_init, tcpip_input) == NULL) {
		ok = 0;
	} else {
		tr_netif_added = 1;
		netif_set_default(&tr_netif);
		netif_set_link_up(&tr_netif);
		netif_set_up(&tr_netif);
	}
	UNLOCK_TCPIP_CORE();
	return ok;
}

static void tr_down(void) {
	LOCK_TCPIP_CORE();
	if (tr_netif_added) {
		netif_set_down(&tr_netif);
		netif_remove(&tr_netif);
		tr_netif_added = 0;
	}
	UNLOCK_TCPIP_CORE();
}

// tr_input hands one frame to lwIP (tcpip_input queues it for the tcpip
// thread), in one PBUF_RAM pbuf (see the package doc).
static int tr_input(const void *data, int len) {
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
	if (p == NULL) {
		return -1;
	}
	pbuf_take(p, data, (u16_t)len);
	if (tr_netif.input(p, &tr_netif) != ERR_OK) {
		pbuf_free(p);
		return -1;
	}
	return 0;
}

static const char *tr_version(void) { return LWIP_VERSION_STRING; }
*/
import "C"

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"unsafe"

	pcaplink "tcpregress.dev/tcpstack/link/pcap"
)

// Version is lwIP's LWIP_VERSION_STRING as built.
func Version() string { return C.GoString(C.tr_version()) }

var (
	initOnce sync.Once
	// openMu serialises Open and Close.
	openMu sync.Mutex
	// current is the open stack, whose link goLinkOutput writes to (lwIP
	// sends from under its core lock, Open's netif_set_up included, so
	// goLinkOutput takes no lock of ours).
	current atomic.Pointer[Stack]
)

// Stack is lwIP on one interface.
type Stack struct {
	link *pcaplink.Link
	addr netip.Prefix
	done chan struct{}
}

// Open starts lwIP at addr on iface (opened with libpcap in the calling
// goroutine's network namespace). addr must be an IPv4 address no kernel
// interface owns. Only one Stack may be open at a time.
func Open(iface string, addr netip.Prefix) (*Stack, error) {
	if !addr.Addr().Is4() {
		return nil, fmt.Errorf("lwip: address %v: want IPv4 with its prefix length", addr)
	}
	openMu.Lock()
	defer openMu.Unlock()
	if current.Load() != nil {
		return nil, errors.New("lwip: a stack is already open in this process (lwIP's state is global)")
	}
	link, err := pcaplink.Open(iface, addr.Addr(), pcaplink.Options{})
	if err != nil {
		return nil, fmt.Errorf("lwip: %w", err)
	}
	initOnce.Do(func() { C.tr_tcpip_init() })
	s := &Stack{link: link, addr: addr, done: make(chan struct{})}
	mac := link.HardwareAddr()
	if len(mac) != 6 {
		link.Close()
		return nil, fmt.Errorf("lwip: %s has no Ethernet address", iface)
	}
	current.Store(s)
	a := addr.Addr().As4()
	m := net.CIDRMask(addr.Bits(), 32)
	if C.tr_up(C.uint32_t(*(*uint32)(unsafe.Pointer(&a[0]))), C.uint32_t(*(*uint32)(unsafe.Pointer(&m[0]))),
		(*C.uchar)(unsafe.Pointer(&mac[0])), C.int(link.MTU())) == 0 {
		current.Store(nil)
		link.Close()
		return nil, errors.New("lwip: netif_add failed")
	}
	go s.readLoop()
	return s, nil
}

// readLoop hands every frame the link reads to lwIP until the link closes.
func (s *Stack) readLoop() {
	defer close(s.done)
	for {
		err := s.link.Read(func(frames [][]byte) {
			for _, f := range frames {
				if len(f) > 0 {
					C.tr_input(unsafe.Pointer(&f[0]), C.int(len(f)))
				}
			}
		})
		if err != nil {
			return
		}
	}
}

//export goLinkOutput
func goLinkOutput(data unsafe.Pointer, n C.int) C.int {
	s := current.Load()
	if s == nil {
		return -1
	}
	if err := s.link.Write(unsafe.Slice((*byte)(data), int(n))); err != nil {
		return -1
	}
	return 0
}

// Addr is the stack's address.
func (s *Stack) Addr() netip.Prefix { return s.addr }

// Close removes the netif and closes the link; sockets still open are
// left to lwIP (they can no longer send).
func (s *Stack) Close() {
	openMu.Lock()
	defer openMu.Unlock()
	if current.Load() != s {
		return
	}
	C.tr_down()
	current.Store(nil)
	s.link.Close()
	<-s.done
}
