package html_test

import (
	"context"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"tcpregress.dev/conformance/agent"
	htmlreport "tcpregress.dev/conformance/report/html"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack"
	"tcpregress.dev/tcpstack/link/pipe"
	"tcpregress.dev/tcpstack/probe"
)

// pipeEnv is a run's environment without root: the tester's probe on one
// userland stack, our stack as the target on the other end of an in-memory
// link, its agent served on loopback.
func pipeEnv(t *testing.T) suite.Env {
	t.Helper()
	tester, target := netip.MustParsePrefix("198.18.0.3/24"), netip.MustParsePrefix("198.18.0.2/24")
	la, lb := pipe.New(net.HardwareAddr{2, 0, 0, 0, 0, 3}, net.HardwareAddr{2, 0, 0, 0, 0, 2}, pipe.Faults{})
	ps, err := tcpstack.New(tcpstack.Config{Link: la, Addr: tester})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ps.Close() })
	ts, err := tcpstack.New(tcpstack.Config{Link: lb, Addr: target})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ts.Close() })
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	srv := &agent.Server{Backend: agent.StackBackend(ts), TestAddrs: []netip.Addr{target.Addr()},
		AllowPeers: []netip.Prefix{tester.Masked()}}
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("agent: %v", err)
		}
	})
	return suite.Env{
		NewProbe: func(ports []uint16) (*probe.Probe, func()) {
			return probe.New(ps, probe.Config{Ports: ports}), func() {}
		},
		DialAgent: func(ctx context.Context) (*agent.Client, error) { return agent.Dial(ctx, ln.Addr().String(), nil) },
		Target:    suite.Target{Name: "pipe", Kind: "tcpstack", Addr: target.Addr()},
	}
}

// listen makes the agent listen on the case's port: the listener and its
// address.
func listen(t *suite.T) (agent.FD, netip.AddrPort) {
	ctx, a := t.Context(), t.Agent()
	at := netip.AddrPortFrom(t.Target().Addr, t.Port())
	lfd, err := a.Socket(ctx)
	if err != nil {
		t.Brokenf("socket: %v", err)
	}
	if err := a.Bind(ctx, lfd, at); err != nil {
		t.Brokenf("bind: %v", err)
	}
	if err := a.Listen(ctx, lfd, 4); err != nil {
		t.Brokenf("listen: %v", err)
	}
	return lfd, at
}

// exchangeCase is a case whose exchange has all a diagram draws: agent
// calls, segments both ways, an expectation met, an ExpectNone that saw
// the segment it did not want (the first divergence), and an expected
// segment that never came.
func exchangeCase(t *suite.T) {
	ctx, a, p, port := t.Context(), t.Agent(), t.Probe(), t.Port()
	lfd, at := listen(t)
	c, err := p.Dial(at, probe.ConnConfig{LocalPort: port, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	fd, _, err := a.Accept(ctx, lfd, time.Second)
	if err != nil {
		t.Brokenf("accept: %v", err)
	}
	if err := c.SendLine("P. 1:5(4) ack 1"); err != nil {
		t.Brokenf("send: %v", err)
	}
	if d, err := a.Read(ctx, fd, 4, time.Second); err != nil || len(d) != 4 {
		t.Brokenf("read: %q, %v", d, err)
	}
	if _, err := c.ExpectLine(". 1:1(0) ack 5"); err != nil {
		t.Errorf("no ACK of the data: %v", err)
	}
	if _, err := a.Write(ctx, fd, []byte("pong")); err != nil {
		t.Brokenf("write: %v", err)
	}
	if err := c.ExpectNone(300*time.Millisecond, probe.HasPayload); err != nil {
		t.Errorf("data came: %v", err)
	}
	if _, err := c.ExpectLine("F. 5:5(0) ack 5"); err == nil {
		t.Brokenf("a FIN nobody asked for came")
	}
	t.Errorf("no FIN")
}

// TestLadder draws the exchange of a case run over the in-memory link and
// checks the diagram against the case's record.
func TestLadder(t *testing.T) {
	env := pipeEnv(t)
	res := suite.Run(context.Background(), []suite.Case{{ID: "self/exchange", Area: "self", Level: suite.MUST, Run: exchangeCase}},
		env, suite.Options{})[0]
	if res.Verdict != suite.FAIL || res.Exchange == nil {
		t.Fatalf("%s: %s\n%s", res.Verdict, res.Message, res.Trace)
	}
	ex := res.Exchange
	svg := string(htmlreport.Ladder(ex))
	count := func(s string) int { return strings.Count(svg, s) }

	if n := count(`<g class="seg `); n != len(ex.Frames) || n < 6 {
		t.Errorf("%d arrows for %d frames", n, len(ex.Frames))
	}
	if n := count(`<g class="miss">`); n != 1 || !strings.Contains(svg, `expected, never came: &#34;F. 5:5(0) ack 5&#34;`) {
		t.Errorf("%d arrows of segments that never came, want 1 with what was expected:\n%s", n, svg)
	}
	if n := count(`<g class="seg bad">`); n != 1 {
		t.Errorf("%d arrows marked unwanted, want the data segment alone", n)
	}
	if n := count(`<g class="seg in">`) + count(`<g class="seg out">`) + 1; n != len(ex.Frames) {
		t.Errorf("arrows by direction: %d, want %d", n, len(ex.Frames))
	}
	calls := 0
	for _, c := range ex.Calls {
		if c.Request.Op != "hello" {
			calls++
		}
	}
	if n := count(`<circle class="call"`); n != calls || calls < 6 {
		t.Errorf("%d calls on the target's lifeline, want %d", n, calls)
	}
	for _, call := range []string{"listen(", "accept(", ") = 4<", "write("} {
		if !strings.Contains(svg, call) {
			t.Errorf("no %q among the calls", call)
		}
	}
	if n := count(`class="event bad"`); n != 2 {
		t.Errorf("%d failures drawn, want the case's 2", n)
	}
	// The first divergence is the unwanted data segment, not the FIN that
	// never came after it.
	div := regexp.MustCompile(`<rect class="divergence" x="2" y="([0-9.]+)" width="\d+" height="([0-9.]+)"`).FindStringSubmatch(svg)
	bad := regexp.MustCompile(`<g class="seg bad"><line x1="\d+" y1="([0-9.]+)"`).FindStringSubmatch(svg)
	if div == nil || bad == nil || count(`class="divergence"`) != 1 {
		t.Fatalf("no single divergence and unwanted arrow in:\n%s", svg)
	}
	top, _ := strconv.ParseFloat(div[1], 64)
	height, _ := strconv.ParseFloat(div[2], 64)
	y, _ := strconv.ParseFloat(bad[1], 64)
	if y < top || y > top+height {
		t.Errorf("the divergence spans %v..%v, the unwanted segment is at %v", top, top+height, y)
	}
	if got := htmlreport.Ladder(nil); !strings.Contains(string(got), "did not run") {
		t.Errorf("Ladder(nil) = %s", got)
	}
}
