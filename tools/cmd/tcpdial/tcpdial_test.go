package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"tcpregress.dev/tcpstack/syncbuf"
	"tcpregress.dev/tcpstack/tcpdump/tcpdumptest"
	"tcpregress.dev/tools/cli/clitest"
)

// End-to-end tests: tcpdial runs in side A of a namespace pair (--netns,
// with an address A's kernel does not have) and talks to the kernel of side
// B: OpenBSD nc, or a Go listener opened inside B.

// TestBytesBothWays sends 1 MiB from stdin to nc -l in side B and gets nc's
// 1 MiB reply on stdout.
func TestBytesBothWays(t *testing.T) {
	p := newPair(t)
	port := testPort()
	reply := clitest.RandomBytes(2, 1<<20)
	nc := ncListen(t, p, port, reply)
	data := clitest.RandomBytes(1, 1<<20)
	// nc -l quits as soon as its network input ends and its stdin buffer
	// is empty, even with more stdin to come (netcat.c readwrite: "listen
	// and net in gone, queues empty, done"), so our FIN must wait until
	// the whole reply is in.
	var stdout, stderr syncbuf.Buffer
	out := &countingWriter{w: &stdout, want: len(reply), full: make(chan struct{})}
	in := &gatedReader{r: bytes.NewReader(data), gate: out.full}
	args := append(baseArgs(p, "-v"), peerArgs(p, port)...)
	code := run(args, in, out, &stderr)
	r := result{code, stdout.String(), stderr.String()}
	t.Logf("tcpdial %s: %v", strings.Join(args, " "), r)
	if r.code != 0 {
		t.Fatalf("want exit 0: %v", r)
	}
	if err := nc.wait(t, 10*time.Second); err != nil {
		t.Errorf("nc: %v; stderr %q", err, nc.stderr.String())
	}
	got := nc.stdout.String()
	if sha256.Sum256([]byte(got)) != sha256.Sum256(data) {
		t.Errorf("nc received %d bytes, SHA-256 %x; sent %d, SHA-256 %x", len(got), sha256.Sum256([]byte(got)), len(data), sha256.Sum256(data))
	}
	if sha256.Sum256([]byte(r.stdout)) != sha256.Sum256(reply) {
		t.Errorf("stdout has %d bytes, not nc's %d-byte reply", len(r.stdout), len(reply))
	}
	want := fmt.Sprintf("Connection to %s %d port [tcp/%s] succeeded!\n", p.B.Addr.Addr(), port, serviceName(uint16(port)))
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q", want)
	}
	for _, s := range []string{"SYN-SENT→ESTABLISHED", fmt.Sprintf("%d bytes sent, %d bytes received", len(data), len(reply))} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("-v: stderr lacks %q", s)
		}
	}
}

// countingWriter closes full once want bytes went through it.
type countingWriter struct {
	w    io.Writer
	n    int
	want int
	full chan struct{}
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if c.n < c.want && c.n+n >= c.want {
		close(c.full)
	}
	c.n += n
	return n, err
}

// gatedReader reads r, then holds back the EOF until gate closes (or 20 s
// pass, so that a failure does not hang the test).
type gatedReader struct {
	r    io.Reader
	gate chan struct{}
}

func (g *gatedReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err == io.EOF {
		select {
		case <-g.gate:
		case <-time.After(20 * time.Second):
		}
	}
	return n, err
}

// TestHalfClose: at the end of stdin tcpdial sends its FIN and still reads
// the reply the peer sends only after seeing that FIN.
func TestHalfClose(t *testing.T) {
	p := newPair(t)
	port := testPort()
	goListen(t, p, port, func(c *net.TCPConn) {
		c.SetDeadline(time.Now().Add(20 * time.Second))
		data, err := io.ReadAll(c) // until tcpdial's FIN
		if err != nil {
			t.Errorf("server: %v", err)
			return
		}
		fmt.Fprintf(c, "got %q after your FIN\n", data)
	})
	// --idle-timeout ends the run if the FIN never came, so a failure
	// shows as missing output rather than a hang.
	r := runTool(t, strings.NewReader("question"), append(baseArgs(p, "-v", "--idle-timeout", "10s"), peerArgs(p, port)...)...)
	if r.code != 0 {
		t.Fatalf("want exit 0: %v", r)
	}
	if want := "got \"question\" after your FIN\n"; r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
	// Our FIN went first (FIN-WAIT-1), the reply and the peer's FIN after.
	i, j := strings.Index(r.stderr, "ESTABLISHED→FIN-WAIT-1"), strings.Index(r.stderr, "FIN-WAIT-2→TIME-WAIT")
	if i < 0 || j < i {
		t.Errorf("stderr does not show ESTABLISHED→FIN-WAIT-1 then FIN-WAIT-2→TIME-WAIT")
	}
}

// TestPortCheck: -z completes the handshake and closes; exit 0 on an open
// port, 1 with nc's message on a closed one.
func TestPortCheck(t *testing.T) {
	p := newPair(t)
	port := testPort()
	nc := ncListen(t, p, port, nil)
	host := p.B.Addr.Addr()

	r := runTool(t, nil, append(baseArgs(p, "-z"), peerArgs(p, port)...)...)
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("-z on an open port: %v; want exit 0 and no output", r)
	}
	// nc saw a connection closed in order: our FIN, not a reset.
	if err := nc.wait(t, 10*time.Second); err != nil {
		t.Errorf("nc: %v, stderr %q", err, nc.stderr.String())
	}

	nc = ncListen(t, p, port, nil)
	r = runTool(t, nil, append(baseArgs(p, "-z", "-v"), peerArgs(p, port)...)...)
	want := fmt.Sprintf("Connection to %s %d port [tcp/*] succeeded!\n", host, port)
	if r.code != 0 || !strings.Contains(r.stderr, want) {
		t.Errorf("-z -v on an open port: %v; want exit 0 and %q", r, want)
	}
	nc.wait(t, 10*time.Second)

	r = runTool(t, nil, append(baseArgs(p, "-z"), peerArgs(p, port+1)...)...)
	want = fmt.Sprintf("tcpdial: connect to %s port %d (tcp) failed: Connection refused\n", host, port+1)
	wantExit(t, "-z on a closed port", r, 1, want)
}

// TestRefused: connecting to a closed port fails like nc.
func TestRefused(t *testing.T) {
	p := newPair(t)
	port := testPort()
	r := runTool(t, strings.NewReader("never sent"), append(baseArgs(p), peerArgs(p, port)...)...)
	want := fmt.Sprintf("tcpdial: connect to %s port %d (tcp) failed: Connection refused\n", p.B.Addr.Addr(), port)
	if r.code != 1 || r.stderr != want || r.stdout != "" {
		t.Errorf("%v; want exit 1 and %q", r, want)
	}
}

// TestTimeout: nobody answers for an address of the subnet: -w gives up
// after its timeout; without it, ARP gives up (No route to host).
func TestTimeout(t *testing.T) {
	p := newPair(t)
	nobody := p.UnusedAddr(100).Addr().String()
	r := runTool(t, nil, append(baseArgs(p, "-w", "1s"), nobody, "80")...)
	want := fmt.Sprintf("tcpdial: connect to %s port 80 (tcp) timed out: no answer within 1s (-w)\n", nobody)
	wantExit(t, "-w 1s", r, 1, want)
	r = runTool(t, nil, append(baseArgs(p), nobody, "80")...)
	want = fmt.Sprintf("tcpdial: connect to %s port 80 (tcp) failed: No route to host (no ARP reply from the next hop)\n", nobody)
	wantExit(t, "no -w", r, 1, want)
}

// TestBadChecksumHint: with transmit checksum offload on at the peer's end
// of the veth, the peer's kernel answers with segments whose checksum it
// left to hardware (the SYN-ACK; resets are summed in software); the stack
// drops them, so the connection attempt times out, and tcpdial says why and
// what to do.
func TestBadChecksumHint(t *testing.T) {
	p := newPair(t)
	if _, err := p.B.NS.Run("ethtool", "-K", p.B.Veth, "tx", "on"); err != nil {
		t.Fatal(err)
	}
	port := testPort()
	goListen(t, p, port, func(c *net.TCPConn) { c.Close() }) // its SYN-ACK's checksum is left undone
	r := runTool(t, nil, append(baseArgs(p, "-w", "1s"), peerArgs(p, port)...)...)
	hint := "arrived with a bad checksum and were dropped; if the peer is across a veth, turn off its transmit checksum offload (ethtool -K PEER_VETH tx off)\n"
	timedOut := fmt.Sprintf("tcpdial: connect to %s port %d (tcp) timed out: no answer within 1s (-w)\n", p.B.Addr.Addr(), port)
	if r.code != 1 || !strings.Contains(r.stderr, hint) || !strings.HasSuffix(r.stderr, timedOut) {
		t.Errorf("%v; want exit 1, the checksum hint and %q", r, timedOut)
	}
}

// TestReset: the peer resets the connection: exit 1 with a message.
func TestReset(t *testing.T) {
	p := newPair(t)
	port := testPort()
	goListen(t, p, port, func(c *net.TCPConn) {
		buf := make([]byte, 5)
		io.ReadFull(c, buf)
		c.SetLinger(0) // Close sends a RST
	})
	stdin, w := io.Pipe()
	t.Cleanup(func() { w.Close() })
	go w.Write([]byte("hello"))
	r := runTool(t, stdin, append(baseArgs(p), peerArgs(p, port)...)...)
	want := fmt.Sprintf("tcpdial: connection to %s port %d (tcp) failed: Connection reset by peer\n", p.B.Addr.Addr(), port)
	wantExit(t, "a reset by the peer", r, 1, want)
}

// TestIdleTimeout: with nothing moving either way, --idle-timeout closes
// the connection in order (the peer reads EOF) and tcpdial exits 0.
func TestIdleTimeout(t *testing.T) {
	p := newPair(t)
	port := testPort()
	eof := peerReader(t, p, port)
	stdin, w := io.Pipe() // open, silent
	t.Cleanup(func() { w.Close() })
	r := runTool(t, stdin, append(baseArgs(p, "-v", "--idle-timeout", "300ms"), peerArgs(p, port)...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "tcpdial: idle timeout expired (no data either way for 300ms); closing\n") {
		t.Errorf("%v; want exit 0 and the idle message", r)
	}
	if ended, err := peerEnd(eof); !ended {
		t.Error("the peer saw no FIN")
	} else if err != nil {
		t.Errorf("the peer read %v, want EOF", err)
	}
}

// TestListen: tcpdial -l accepts one connection from nc in side B; data goes
// both ways, then a second connection is refused.
func TestListen(t *testing.T) {
	p := newPair(t)
	port := testPort()
	addr := p.UnusedAddr(0).Addr()
	bg := start(t, strings.NewReader("from tcpdial\n"), append(baseArgs(p, "-l", "-v"), fmt.Sprint(port))...)
	listening := fmt.Sprintf("Listening on %s %d\n", addr, port)
	waitFor(t, "tcpdial to listen", 10*time.Second, func() bool { return strings.Contains(bg.stderr.String(), listening) })

	nc := startProcess(t, p.B.NS.Command("nc", addr.String(), fmt.Sprint(port)), []byte("from nc\n"))
	if err := nc.wait(t, 10*time.Second); err != nil {
		t.Errorf("nc: %v; stderr %q", err, nc.stderr.String())
	}
	r := bg.wait(t, 10*time.Second)
	if r.code != 0 || r.stdout != "from nc\n" {
		t.Errorf("%v; want exit 0 and stdout %q", r, "from nc\n")
	}
	if got := nc.stdout.String(); got != "from tcpdial\n" {
		t.Errorf("nc received %q", got)
	}
	if want := fmt.Sprintf("Connection received on %s ", p.B.Addr.Addr()); !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q", want)
	}
}

// TestListenOnce: without -k the listener closes once a connection is
// accepted: a second client is refused while the first is served.
func TestListenOnce(t *testing.T) {
	p := newPair(t)
	port := testPort()
	addr := netip.AddrPortFrom(p.UnusedAddr(0).Addr(), uint16(port)).String()
	stdin, w := io.Pipe() // open: tcpdial sends nothing and no FIN
	t.Cleanup(func() { w.Close() })
	bg := start(t, stdin, append(baseArgs(p, "-l", "-v"), fmt.Sprint(port))...)
	waitFor(t, "tcpdial to listen", 10*time.Second, func() bool { return strings.Contains(bg.stderr.String(), "Listening on") })

	dial := func() (net.Conn, error) {
		var c net.Conn
		err := p.B.NS.Do(func() error {
			var err error
			c, err = net.DialTimeout("tcp4", addr, 5*time.Second)
			return err
		})
		return c, err
	}
	first, err := dial()
	if err != nil {
		t.Fatalf("first client: %v", err)
	}
	defer first.Close()
	waitFor(t, "the connection to be accepted", 10*time.Second, func() bool { return strings.Contains(bg.stderr.String(), "Connection received on") })
	if c, err := dial(); !errors.Is(err, syscall.ECONNREFUSED) {
		if c != nil {
			c.Close()
		}
		t.Errorf("second client: %v, want connection refused", err)
	}
	io.WriteString(first, "bye")
	first.(*net.TCPConn).CloseWrite()
	r := bg.wait(t, 10*time.Second)
	if r.code != 0 || r.stdout != "bye" {
		t.Errorf("%v; want exit 0 and stdout %q", r, "bye")
	}
}

// TestJSONLog: with --log-format=json every line of standard error is a
// JSON object, the -v messages included.
func TestJSONLog(t *testing.T) {
	p := newPair(t)
	port := testPort()
	ncListen(t, p, port, nil)
	r := runTool(t, nil, append(baseArgs(p, "-z", "-v", "--log-format=json"), peerArgs(p, port)...)...)
	if r.code != 0 {
		t.Fatalf("%v", r)
	}
	var msgs []string
	for _, line := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
		var ev struct{ Message string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Errorf("not JSON: %q", line)
		}
		msgs = append(msgs, ev.Message)
	}
	want := fmt.Sprintf("Connection to %s %d port [tcp/*] succeeded!", p.B.Addr.Addr(), port)
	if !slices.Contains(msgs, want) || !slices.Contains(msgs, "tcp state") {
		t.Errorf("messages %q lack %q or tcp state", msgs, want)
	}
}

// TestListenKeepOpenSignal: -k serves connections one after another, stdin
// going to the first; SIGTERM ends it with 143.
func TestListenKeepOpenSignal(t *testing.T) {
	p := newPair(t)
	port := testPort()
	addr := p.UnusedAddr(0).Addr().String()
	bg := start(t, strings.NewReader("first only\n"), append(baseArgs(p, "-l", "-k", "-v"), fmt.Sprint(port))...)
	waitFor(t, "tcpdial to listen", 10*time.Second, func() bool { return strings.Contains(bg.stderr.String(), "Listening on") })

	nc1 := startProcess(t, p.B.NS.Command("nc", addr, fmt.Sprint(port)), []byte("one\n"))
	if err := nc1.wait(t, 10*time.Second); err != nil {
		t.Errorf("nc 1: %v; stderr %q", err, nc1.stderr.String())
	}
	// The second connection gets nothing from tcpdial, which closes once
	// nc has (-N: shut down after its input).
	nc2 := startProcess(t, p.B.NS.Command("nc", "-N", addr, fmt.Sprint(port)), []byte("two\n"))
	if err := nc2.wait(t, 10*time.Second); err != nil {
		t.Errorf("nc 2: %v; stderr %q", err, nc2.stderr.String())
	}
	waitFor(t, "both connections served", 10*time.Second, func() bool { return bg.stdout.String() == "one\ntwo\n" })
	bg.signal(t, syscall.SIGTERM, 143, "tcpdial: interrupted by SIGTERM\n")
	if got := nc1.stdout.String(); got != "first only\n" {
		t.Errorf("nc 1 received %q", got)
	}
	if got := nc2.stdout.String(); got != "" {
		t.Errorf("nc 2 received %q, want nothing", got)
	}
}

// TestSignalResets: SIGINT during a connection resets it (the peer reads
// ECONNRESET) and exits 130.
func TestSignalResets(t *testing.T) {
	p := newPair(t)
	port := testPort()
	peerErr := peerReader(t, p, port)
	stdin, w := io.Pipe()
	t.Cleanup(func() { w.Close() })
	bg := start(t, stdin, append(baseArgs(p, "-v"), peerArgs(p, port)...)...)
	waitFor(t, "the connection", 10*time.Second, func() bool { return strings.Contains(bg.stderr.String(), "succeeded!") })
	bg.signal(t, syscall.SIGINT, 130, "tcpdial: interrupted by SIGINT; connection reset\n")
	if ended, err := peerEnd(peerErr); !ended {
		t.Error("the peer saw no reset")
	} else if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("the peer read %v, want ECONNRESET", err)
	}
}

// TestSignalWhileConnecting: SIGINT while the SYN waits for an answer
// ends the run with 130.
func TestSignalWhileConnecting(t *testing.T) {
	p := newPair(t)
	bg := start(t, nil, append(baseArgs(p, "-v"), p.UnusedAddr(100).Addr().String(), "80")...)
	waitFor(t, "the SYN", 10*time.Second, func() bool { return strings.Contains(bg.stderr.String(), "CLOSED→SYN-SENT") })
	bg.signal(t, syscall.SIGINT, 130, "tcpdial: interrupted by SIGINT while connecting\n")
}

// TestKernelOwnsSource: -s with an address the kernel of the namespace owns
// is refused with the reason.
func TestKernelOwnsSource(t *testing.T) {
	p := newPair(t)
	r := runTool(t, nil, "--netns", p.B.NS.Name, "-s", p.B.Addr.Addr().String(), p.UnusedAddr(5).Addr().String(), "80")
	for _, s := range []string{
		fmt.Sprintf("tcpdial: -s %s: the kernel owns this address (on %s in namespace %s).", p.B.Addr.Addr(), p.B.Veth, p.B.NS.Name),
		"answer the peer's SYN-ACK with a RST",
		"an unused address in the subnet",
		p.Net.String(),
	} {
		if r.code != 2 || !strings.Contains(r.stderr, s) {
			t.Errorf("%v; want exit 2 and %q", r, s)
		}
	}
}

// TestInterfaceChoice: the only non-loopback interface is picked without
// -i; a wrong -i lists the interfaces.
func TestInterfaceChoice(t *testing.T) {
	p := newPair(t)
	r := runTool(t, nil, append(baseArgs(p, "-i", "nosuch0"), peerArgs(p, 80)...)...)
	want := fmt.Sprintf("tcpdial: -i nosuch0: no such interface in namespace %s; the interfaces are: lo (up, loopback, 127.0.0.1/8); %s (up, no IPv4 address)\n", p.A.NS.Name, p.A.Veth)
	wantExit(t, "-i nosuch0", r, 2, want)
	r = runTool(t, nil, append(baseArgs(p, "-i", "lo"), peerArgs(p, 80)...)...)
	if r.code != 2 || !strings.Contains(r.stderr, "loopback is not an Ethernet link") {
		t.Errorf("-i lo: %v", r)
	}
	r = runTool(t, nil, append(baseArgs(p, "-i", p.A.Veth, "-z"), peerArgs(p, 80)...)...)
	if r.code != 1 || !strings.Contains(r.stderr, "Connection refused") {
		t.Errorf("-i %s: %v; want the connection refused", p.A.Veth, r)
	}
	r = runTool(t, nil, "--netns", p.A.NS.Name, "-s", p.UnusedAddr(252).Addr().String(), p.B.Addr.Addr().String(), "80")
	if r.code != 2 || !strings.Contains(r.stderr, "is the broadcast address of "+p.Net.String()) {
		t.Errorf("-s the broadcast address: %v", r)
	}
	// The subnet must contain HOST unless there is a gateway.
	r = runTool(t, nil, append(baseArgs(p), "192.0.2.1", "80")...)
	if r.code != 2 || !strings.Contains(r.stderr, "is outside the stack's subnet") {
		t.Errorf("HOST outside the subnet: %v", r)
	}
}

// TestPcapAndTrace: --pcap writes a capture tcpdump reads, with the
// handshake; -vv traces every frame in tcpdump's words.
func TestPcapAndTrace(t *testing.T) {
	tcpdumptest.Path(t) // before the namespaces: skip (or fail under CI) without tcpdump
	p := newPair(t)
	port := testPort()
	nc := ncListen(t, p, port, nil)
	file := filepath.Join(t.TempDir(), "conn.pcap")
	r := runTool(t, nil, append(baseArgs(p, "-z", "-vv", "--pcap", file), peerArgs(p, port)...)...)
	if r.code != 0 {
		t.Fatalf("%v", r)
	}
	nc.wait(t, 10*time.Second)
	read := tcpdumptest.Run(t, "-nn", "-S", "-r", file)
	if read.Code != 0 {
		t.Fatalf("tcpdump -r: exit %d: %s", read.Code, read.Stderr)
	}
	out := read.Stdout
	t.Logf("tcpdump -r:\n%s", out)
	me, peer := p.UnusedAddr(0).Addr().String(), fmt.Sprintf("%s.%d", p.B.Addr.Addr(), port)
	for _, s := range []string{
		"ARP, Request who-has " + p.B.Addr.Addr().String() + " tell " + me,
		"> " + peer + ": Flags [S], seq ",
		"IP " + peer + " > " + me + ".",
		"Flags [S.], seq ",
		"sackOK", "TS val", "wscale",
		"> " + peer + ": Flags [F.], seq ",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("the capture lacks %q", s)
		}
	}
	// The trace has the same lines, one per frame.
	for _, s := range []string{"> " + peer + ": Flags [S], seq ", "Flags [S.], seq ", "dir=out", "dir=in"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("-vv: stderr lacks %q", s)
		}
	}
	lines := tcpdumptest.Run(t, "-nn", "-S", "-t", "-r", file)
	if lines.Code != 0 {
		t.Fatalf("tcpdump -t -r: exit %d: %s", lines.Code, lines.Stderr)
	}
	for _, line := range lines.Lines() {
		if !strings.Contains(r.stderr, line) {
			t.Errorf("-vv: stderr lacks tcpdump's line %q", line)
		}
	}
}

// TestSourcePortAndOptions: -p sets the source port the peer sees; the
// option flags shape the SYN.
func TestSourcePortAndOptions(t *testing.T) {
	p := newPair(t)
	port := testPort()
	goListen(t, p, port, func(c *net.TCPConn) {
		c.SetDeadline(time.Now().Add(20 * time.Second))
		io.ReadAll(c)
		fmt.Fprintf(c, "you are port %d\n", c.RemoteAddr().(*net.TCPAddr).Port)
	})
	r := runTool(t, strings.NewReader("hi"), append(baseArgs(p, "-p", "4242", "-vv",
		"--mss", "1000", "--no-sack", "--no-timestamps", "--no-wscale", "--nodelay"), peerArgs(p, port)...)...)
	if r.code != 0 || r.stdout != "you are port 4242\n" {
		t.Errorf("%v; want exit 0 and stdout %q", r, "you are port 4242\n")
	}
	syn := regexp.MustCompile(`\.4242 > [0-9.]+: Flags \[S\], seq \d+, win \d+, options \[mss 1000\], length 0`)
	if !syn.MatchString(r.stderr) {
		t.Errorf("-vv: no SYN from port 4242 with only the MSS option in stderr")
	}
}

// TestUsage: bad flags and arguments exit 2 with a message; no root needed.
func TestUsage(t *testing.T) {
	src := []string{"-s", "198.18.0.3"}
	tests := []struct {
		args []string
		msg  string
	}{
		{nil, "tcpdial: missing HOST and PORT"},
		{src, "tcpdial: missing HOST and PORT"},
		{append(src, "198.18.0.2"), "tcpdial: missing PORT after HOST 198.18.0.2"},
		{append(src, "a", "b", "c"), "tcpdial: too many arguments"},
		{append(src, "example.com", "80"), `tcpdial: HOST "example.com" is not an IPv4 address: the userland stack does not resolve names`},
		{append(src, "::1", "80"), "IPv4 only"},
		{append(src, "198.18.0.2", "0"), `tcpdial: PORT "0": want a number from 1 to 65535`},
		{append(src, "198.18.0.2", "http"), `tcpdial: PORT "http"`},
		{append(src, "198.18.0.2", "70000"), `tcpdial: PORT "70000"`},
		{[]string{"198.18.0.2", "80"}, "tcpdial: -s SRC_IP is required"},
		{[]string{"-s", "127.0.0.5", "198.18.0.2", "80"}, "a loopback address belongs to the kernel"},
		{[]string{"-s", "198.18.0.3/33", "198.18.0.2", "80"}, "the prefix length must be 1 to 32"},
		{[]string{"-s", "fe80::1", "198.18.0.2", "80"}, "want an IPv4 address"},
		{append(src, "-g", "gw", "198.18.0.2", "80"), "the gateway must be an IPv4 address"},
		{append(src, "-k", "80"), "tcpdial: -k keeps a listener open: it needs -l"},
		{append(src, "-l", "-z", "80"), "-z checks a remote port"},
		{append(src, "-l", "-p", "5", "80"), "-p sets the source port"},
		{append(src, "-l", "-w", "5", "80"), "-w is the connect timeout"},
		{append(src, "-l"), "-l needs the PORT"},
		{append(src, "-l", "198.18.0.3", "80"), "-l takes one argument"},
		{append(src, "-p", "70000", "198.18.0.2", "80"), "-p 70000"},
		{append(src, "-w", "soon", "198.18.0.2", "80"), `bad duration "soon"`},
		{append(src, "--wait=-1s", "198.18.0.2", "80"), "-w: the connect timeout must be positive"},
		{append(src, "--mss", "10", "198.18.0.2", "80"), "--mss 10"},
		{append(src, "--bogus", "198.18.0.2", "80"), "tcpdial: unknown flag --bogus"},
		{append(src, "--log-level=loud", "198.18.0.2", "80"), "--log-level must be one of"},
		{append(src, "--netns", "tcpdial-no-such-ns", "198.18.0.2", "80"), "tcpdial: --netns tcpdial-no-such-ns: no network namespace /run/netns/tcpdial-no-such-ns"},
	}
	for _, tt := range tests {
		r := runTool(t, nil, tt.args...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "tcpdial: ") || !strings.Contains(r.stderr, tt.msg) || r.stdout != "" {
			t.Errorf("%q: %v; want exit 2 and %q", tt.args, r, tt.msg)
		}
	}
	if r := runTool(t, nil, "-V"); r.code != 0 || !strings.HasPrefix(r.stdout, "tcpdial ") {
		t.Errorf("-V: %v", r)
	}
	if r := runTool(t, nil, "--help"); r.code != 0 || !strings.Contains(r.stdout, "tcpdial -l [-k] [flags] -s SRC_IP PORT") || !strings.Contains(r.stdout, "--no-timestamps") {
		t.Errorf("--help: %v", r)
	}
}
