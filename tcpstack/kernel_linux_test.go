//go:build linux

package tcpstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"tcpregress.dev/pcap/testenv"
	"tcpregress.dev/tcpstack/link/faults"
	"tcpregress.dev/tcpstack/link/pcap"
	"tcpregress.dev/tcpstack/netns"
	"tcpregress.dev/tcpstack/tcp"
)

// Interop with the real Linux TCP stack: our stack on side A of a veth pair
// (whose kernel has no IPv4 address, so it stays out of the way), the
// kernel's sockets on side B.

type kernelBench struct {
	p     *netns.Pair
	s     *Stack
	us    netip.Addr // our address
	peer  netip.Addr // the kernel's address
	link  *pcap.Link
	tweak func(*Config)
}

func newKernelBench(t testing.TB, tweak func(*Config)) *kernelBench {
	t.Helper()
	p := netns.NewTestPair(t, netns.Config{NoAddrA: true})
	kb := &kernelBench{p: p, us: p.UnusedAddr(0).Addr(), peer: p.B.Addr.Addr()}
	var err error
	kb.link, err = pcap.Open(p.A.Veth, kb.us, pcap.Options{Namespace: p.A.NS.Name})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Link: kb.link, Addr: p.UnusedAddr(0)}
	if tweak != nil {
		tweak(&cfg)
	}
	kb.s, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kb.s.Close() })
	return kb
}

// kernelListen opens a kernel listener in side B.
func (kb *kernelBench) kernelListen(t testing.TB, port int) net.Listener {
	t.Helper()
	var ln net.Listener
	err := kb.p.B.NS.Do(func() error {
		var err error
		ln, err = net.Listen("tcp4", fmt.Sprintf("%s:%d", kb.peer, port))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// kernelDial connects from side B's kernel to our stack.
func (kb *kernelBench) kernelDial(t testing.TB, port int) *net.TCPConn {
	t.Helper()
	var c net.Conn
	err := kb.p.B.NS.Do(func() error {
		var err error
		c, err = net.DialTimeout("tcp4", fmt.Sprintf("%s:%d", kb.us, port), 10*time.Second)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

func (kb *kernelBench) dial(t testing.TB, port int) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := kb.s.DialTCP(ctx, "tcp", fmt.Sprintf("%s:%d", kb.peer, port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestKernelServerEcho(t *testing.T) {
	kb := newKernelBench(t, nil)
	ln := kb.kernelListen(t, 7)
	go echoServer(ln)
	c := kb.dial(t, 7)
	sendAndCheck(t, c, randomData(1<<20, 1))
	info := c.Info()
	if !info.SACK || !info.Timestamps || !info.WindowScale || info.SndMSS != 1448 {
		t.Errorf("options negotiated with Linux: %+v", info)
	}
}

func TestKernelClientEcho(t *testing.T) {
	kb := newKernelBench(t, nil)
	l, err := kb.s.Listen("tcp", ":7")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go echoServer(l)
	kc := kb.kernelDial(t, 7)
	sendAndCheck(t, kc, randomData(1<<20, 2))
}

// TestKernelBulk moves 100 MiB each way between our stack and the kernel,
// in both roles, and checks SHA-256.
func TestKernelBulk(t *testing.T) {
	size := 100 << 20
	if raceEnabled {
		size = 8 << 20
		t.Logf("race detector on: %d MiB instead of 100", size>>20)
	}
	kb := newKernelBench(t, nil)
	start := time.Now()
	transfer(t, kb.kernelListen(t, 9000), kb.dial(t, 9000), size)
	t.Logf("%d MiB each way in %v", size>>20, time.Since(start))
}

func TestKernelHalfClose(t *testing.T) {
	kb := newKernelBench(t, nil)
	// We half-close; the kernel answers afterwards.
	acceptOne(kb.kernelListen(t, 80), func(c net.Conn) { answerAfterFIN(c) })
	askAfterHalfClose(t, kb.dial(t, 80), "ours")
	// The kernel half-closes; we answer afterwards.
	l, err := kb.s.Listen("tcp", ":81")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	acceptOne(l, func(c net.Conn) { answerAfterFIN(c) })
	askAfterHalfClose(t, kb.kernelDial(t, 81), "kernel's")
}

func TestKernelResets(t *testing.T) {
	kb := newKernelBench(t, nil)
	// Refused: nothing listens on the kernel's port.
	_, err := kb.s.Dial("tcp", fmt.Sprintf("%s:%d", kb.peer, 1))
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial to a closed kernel port: %v", err)
	}
	// The kernel aborts (SO_LINGER 0): we read ECONNRESET.
	acceptOne(kb.kernelListen(t, 80), resetAfterFirstByte)
	expectReset(t, kb.dial(t, 80), "after the kernel's reset")
	// We abort: the kernel reads ECONNRESET.
	l, err := kb.s.Listen("tcp", ":82")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	acceptOne(l, resetAfterFirstByte)
	expectReset(t, kb.kernelDial(t, 82), "the kernel after our reset")
	// A kernel SYN to a port we do not listen on is refused.
	err = kb.p.B.NS.Do(func() error {
		_, err := net.DialTimeout("tcp4", fmt.Sprintf("%s:%d", kb.us, 4444), 5*time.Second)
		return err
	})
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("kernel dial to our closed port: %v", err)
	}
}

// TestKernelSimultaneousClose closes both ends at once, many times: every
// connection ends without error on both sides.
func TestKernelSimultaneousClose(t *testing.T) {
	kb := newKernelBench(t, func(c *Config) { c.TCP.MSL = time.Second })
	ln := kb.kernelListen(t, 80)
	for i := range 20 {
		accepted := make(chan net.Conn, 1)
		go func() { c, _ := ln.Accept(); accepted <- c }()
		c := kb.dial(t, 80)
		kc := <-accepted
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); c.Close() }()
		go func() { defer wg.Done(); kc.Close() }()
		wg.Wait()
		if !testenv.Eventually(10*time.Second, func() bool {
			st := c.State()
			return st == tcp.StateTimeWait || st == tcp.StateClosed
		}) {
			t.Fatalf("round %d: stuck in %v after a simultaneous close", i, c.State())
		}
	}
}

func TestKernelManyConnections(t *testing.T) {
	kb := newKernelBench(t, nil)
	go echoServer(kb.kernelListen(t, 7))
	manyEchoes(t, kb.s, netip.AddrPortFrom(kb.peer, 7), 200)
}

// TestKernelCurl: curl (kernel) fetches from net/http served over our
// Listener, and our http.Client fetches from a kernel net/http server.
func TestKernelHTTP(t *testing.T) {
	kb := newKernelBench(t, nil)
	l, err := kb.s.Listen("tcp", ":80")
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("tcpregress ", 20000)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s%s", r.URL.Path, body)
	})}
	go srv.Serve(l)
	defer srv.Close()
	out, err := kb.p.B.NS.Command("curl", "-sS", "--max-time", "20", fmt.Sprintf("http://%s/curl", kb.us)).Output()
	if err != nil {
		t.Fatalf("curl: %v", err)
	}
	if string(out) != "/curl"+body {
		t.Fatalf("curl got %d bytes", len(out))
	}

	kln := kb.kernelListen(t, 8080)
	ksrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "kernel%s", r.URL.Path)
	})}
	go ksrv.Serve(kln)
	defer ksrv.Close()
	tr := &http.Transport{DialContext: kb.s.DialContext}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 20 * time.Second}).Get(fmt.Sprintf("http://%s:8080/ours", kb.peer))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != "kernel/ours" {
		t.Fatalf("our client got %q", got)
	}
}

// TestKernelFaults runs a transfer with the kernel through a lossy path:
// 5% loss, 1% duplication, 5% reordering and 20 ms of delay, as `tc qdisc
// add dev VETH root netem` on our veth would apply them to what leaves it.
// This kernel has no sch_netem (CONFIG_NET_SCH_NETEM is off), so link/faults
// injects them on our side of the veth instead; where tc netem exists a
// second, milder netem is added on the kernel's side. 20 MiB each way arrive
// intact, memory stays bounded, and goleak (TestMain) checks that no
// goroutine is left.
func TestKernelFaults(t *testing.T) {
	seed := testSeed(t)
	f := faults.Faults{Loss: 0.05, Duplicate: 0.01, Reorder: 0.05, Delay: 20 * time.Millisecond, Seed: seed}
	kb := newKernelBench(t, func(c *Config) {
		c.Link = faults.Wrap(c.Link, f, faults.Faults{})
		// TR_DEBUG=1 logs the stack at trace level, to replay a failure
		// together with TEST_SEED.
		if os.Getenv("TR_DEBUG") != "" {
			c.Logger = zerolog.New(os.Stderr).Level(zerolog.TraceLevel)
		}
		// Linux's minimum RTO; RFC6298's 1 s makes every lost tail cost a
		// second (RFC6298 (2.4) allows a lower bound "if it is known").
		c.TCP.RTOMin = 200 * time.Millisecond
	})
	if _, err := kb.p.B.NS.Run("tc", "qdisc", "add", "dev", kb.p.B.Veth, "root", "netem", "delay", "5ms", "loss", "1%"); err != nil {
		t.Logf("no tc netem on this kernel (%v); userland faults only", err)
	}
	size := 20 << 20
	if raceEnabled {
		size = 4 << 20
	}
	acceptOne(kb.kernelListen(t, 9000), func(c net.Conn) { io.Copy(c, c) })
	c := kb.dial(t, 9000)
	c.SetDeadline(time.Now().Add(10 * time.Minute))
	start := time.Now()
	sendAndCheck(t, c, randomData(size, 5))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%d MiB each way through the faults in %v; heap in use %d MiB; retransmits %d", size>>20, time.Since(start), ms.HeapInuse>>20, c.Info().TotalRetransmits)
	if ms.HeapInuse > 512<<20 {
		t.Errorf("heap in use %d MiB after the transfer", ms.HeapInuse>>20)
	}
}

func TestKernelDialUnreachable(t *testing.T) {
	kb := newKernelBench(t, func(c *Config) { c.ARPTimeout = 100 * time.Millisecond })
	// Nobody has .99: ARP fails and the dial reports it.
	a := kb.p.UnusedAddr(90).Addr()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := kb.s.DialTCP(ctx, "tcp", a.String()+":80")
	if !errors.Is(err, syscall.EHOSTUNREACH) {
		t.Fatalf("dial to an address nobody has: %v", err)
	}
	// Off the subnet without a gateway.
	if _, err := kb.s.Dial("tcp", "198.51.100.1:80"); !errors.Is(err, syscall.ENETUNREACH) {
		t.Fatalf("dial off-link without a gateway: %v", err)
	}
	_ = os.Getpid
}
