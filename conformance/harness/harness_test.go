package harness

import (
	"context"
	"errors"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"tcpregress.dev/conformance/agent"
	// The cases register themselves: TestRemote runs one of them.
	_ "tcpregress.dev/conformance/cases"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/netns"
	"tcpregress.dev/tcpstack/probe"
	"tcpregress.dev/tcpstack/tcp"
)

// synCase has the agent listen on a fresh port and expects the target's
// SYN-ACK to the probe's SYN.
var synCase = suite.Case{
	ID: "harness/listen-syn-synack", Title: "A listener answers a SYN with a SYN-ACK", Area: "harness",
	Level: suite.MUST, Requirements: []string{"RFC9293 MUST-10"}, Timeout: 10 * time.Second,
	Run: func(t *suite.T) {
		ctx := t.Context()
		a := t.Agent()
		port := t.Port()
		fd, err := a.Socket(ctx)
		if err != nil {
			t.Brokenf("socket: %v", err)
		}
		if err := a.Bind(ctx, fd, netip.AddrPortFrom(t.Target().Addr, port)); err != nil {
			t.Brokenf("bind: %v", err)
		}
		if err := a.Listen(ctx, fd, 8); err != nil {
			t.Brokenf("listen: %v", err)
		}
		c, err := t.Probe().NewConn(netip.AddrPortFrom(t.Target().Addr, port), probe.ConnConfig{LocalPort: port})
		if err != nil {
			t.Brokenf("conn: %v", err)
		}
		if err := c.SendLine("S 0:0(0) win 65535 <mss 1460>"); err != nil {
			t.Brokenf("send: %v", err)
		}
		f, err := c.Expect(probe.Flags(tcp.FlagSYN | tcp.FlagACK))
		if err != nil {
			t.Fatalf("no SYN-ACK: %v", err)
		}
		t.Logf("got %s", f.String())
		c.Close()
	},
}

// failCase expects what never comes, to exercise the pcap of a FAIL.
var failCase = suite.Case{
	ID: "harness/closed-port-synack", Area: "harness", Level: suite.MUST, Timeout: 10 * time.Second,
	Run: func(t *suite.T) {
		port := t.Port()
		c, err := t.Probe().NewConn(netip.AddrPortFrom(t.Target().Addr, port), probe.ConnConfig{LocalPort: port, Timeout: 300 * time.Millisecond})
		if err != nil {
			t.Brokenf("conn: %v", err)
		}
		c.SendLine("S 0:0(0) win 65535 <mss 1460>")
		if _, err := c.Expect(probe.Flags(tcp.FlagSYN | tcp.FlagACK)); err != nil {
			t.Fatalf("no SYN-ACK (on purpose: the port is closed): %v", err)
		}
	},
}

func check(t *testing.T, res []suite.Result) {
	t.Helper()
	if res[0].Verdict != suite.PASS {
		t.Errorf("%s: %s %s\n%s", res[0].ID, res[0].Verdict, res[0].Message, res[0].Trace)
	}
	if len(res) > 1 && (res[1].Verdict != suite.FAIL || res[1].Pcap == "") {
		t.Errorf("%s: %s %q pcap %q\n%s", res[1].ID, res[1].Verdict, res[1].Message, res[1].Pcap, res[1].Trace)
	}
}

func TestLocal(t *testing.T) {
	netns.RequireRoot(t)
	ctx := context.Background()
	env, cleanup, err := Local(ctx, Options{Jobs: 2, Sysctls: []string{"net.ipv4.tcp_timestamps=0"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	if env.Target.Kind != "kernel" || env.Target.OS != "linux" || env.Target.Sysctls["net.ipv4.tcp_timestamps"] != "0" {
		t.Errorf("target %+v", env.Target)
	}
	res := suite.Run(ctx, []suite.Case{synCase, failCase}, *env, suite.Options{Jobs: 2, PcapDir: t.TempDir()})
	check(t, res)
	cleanup()
}

func TestLocalBadSysctl(t *testing.T) {
	netns.RequireRoot(t)
	if _, _, err := Local(context.Background(), Options{Sysctls: []string{"net.ipv4.no_such_thing=1"}}); err == nil {
		t.Fatal("a bad sysctl was accepted")
	}
}

// TestRemote sets a remote target up by hand: the tester in namespace A on
// the test link, the agent in B reached over a second veth pair through
// the kernels of A and B.
func TestRemote(t *testing.T) {
	netns.RequireRoot(t)
	pair := netns.NewTestPair(t, netns.Config{NoAddrA: true})
	ca, cb := "ctl-a", "ctl-b"
	for _, args := range [][]string{
		{"link", "add", ca, "netns", pair.A.NS.Name, "type", "veth", "peer", "name", cb, "netns", pair.B.NS.Name},
		{"-n", pair.A.NS.Name, "addr", "add", "10.254.0.1/30", "dev", ca},
		{"-n", pair.B.NS.Name, "addr", "add", "10.254.0.2/30", "dev", cb},
		{"-n", pair.A.NS.Name, "link", "set", ca, "up"},
		{"-n", pair.B.NS.Name, "link", "set", cb, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	// Off loopback the agent needs a secret; its scope is the target's
	// address and, besides the control connection's peer, the test link.
	secret := agent.NewSecret()
	backend := nsKernel{Backend: agent.KernelBackend(), ns: pair.B.NS}
	if _, stop, err := serveAgent(pair.B.NS, "10.254.0.2:0", &agent.Server{Backend: backend}); err != nil {
		t.Fatal(err)
	} else if err := stop(); err == nil || !strings.Contains(err.Error(), "without a secret") {
		t.Errorf("an agent off loopback without a secret: %v", err)
	}
	ln, stopAgent, err := serveAgent(pair.B.NS, "10.254.0.2:0", &agent.Server{Backend: backend, Secret: secret,
		AllowPeers: []netip.Prefix{pair.Net}, TestAddrs: []netip.Addr{pair.B.Addr.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); stopAgent() })

	opts := Options{
		Target: pair.B.Addr.Addr().String(), Agent: ln.Addr().String(),
		Iface: pair.A.Veth, SrcIP: pair.UnusedAddr(0), Namespace: pair.A.NS,
	}
	// Without the secret, or with another, the tester is refused and says
	// why.
	for _, s := range [][]byte{nil, agent.NewSecret()} {
		opts.Secret = s
		if _, _, err := Remote(ctx, opts); !errors.Is(err, agent.ErrAuth) {
			t.Errorf("remote target with secret %x: %v, want ErrAuth", s, err)
		} else {
			t.Log(err)
		}
	}
	opts.Secret = secret
	env, cleanup, err := Remote(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	res := suite.Run(ctx, []suite.Case{synCase}, *env, suite.Options{})
	check(t, res)

	// A remote target's link is not the harness's to watch: the cases
	// that need a capture of it (a SYN from a multicast source draws no
	// reply the probe could see) SKIP and say why.
	if env.CaptureLink != nil {
		t.Error("a remote target offers CaptureLink")
	}
	var capCase []suite.Case
	for _, c := range suite.Cases() {
		if c.ID == "handshake/syn-from-multicast-ignored" {
			capCase = append(capCase, c)
		}
	}
	if len(capCase) != 1 {
		t.Fatal("handshake/syn-from-multicast-ignored is not registered")
	}
	r := suite.Run(ctx, capCase, *env, suite.Options{PortFirst: 30000, PortLast: 30099})[0]
	if r.Verdict != suite.SKIP || !strings.Contains(r.Message, "remote target") {
		t.Errorf("%s on a remote target: %s %q, want SKIP naming the remote target\n%s", r.ID, r.Verdict, r.Message, r.Trace)
	}
}

func TestRemoteUsage(t *testing.T) {
	netns.RequireRoot(t)
	for _, o := range []Options{
		{Target: "example.org", Agent: "x:1", Iface: "lo", SrcIP: netip.MustParsePrefix("192.0.2.9/24")},
		{Target: "192.0.2.1"},
		{Target: "192.0.2.1", Agent: "x:1", Iface: "lo", SrcIP: netip.MustParsePrefix("127.0.0.1/8")},
	} {
		if _, _, err := Remote(context.Background(), o); err == nil {
			t.Errorf("%+v accepted", o)
		} else {
			t.Log(err)
		}
	}
}

func TestLocalTCPStack(t *testing.T) {
	netns.RequireRoot(t)
	ctx := context.Background()
	if _, _, err := Local(ctx, Options{Stack: "tcpstack", Sysctls: []string{"a=b"}}); err == nil {
		t.Error("--sysctl with --stack tcpstack accepted")
	}
	if _, _, err := Local(ctx, Options{StackOptions: []string{"no-sack"}}); err == nil {
		t.Error("stack options with the kernel target accepted")
	}
	set, err := StackOptions([]string{"no-sack"})
	if err != nil {
		t.Fatal(err)
	}
	env, cleanup, err := Local(ctx, Options{Stack: "tcpstack", StackTCP: set, StackOptions: []string{"no-sack"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	if env.Target.Kind != "tcpstack" || !slices.Equal(env.Target.StackOptions, []string{"no-sack"}) {
		t.Errorf("target %+v", env.Target)
	}
	check(t, suite.Run(ctx, []suite.Case{synCase}, *env, suite.Options{}))
}

// TestCaptureLink: a local target's Env.CaptureLink sees what the target
// sends, here the SYN-ACK of synCase, through its BPF filter, and nothing
// the target did not send (the probe's SYN); Stop may be called twice. A
// remote target has none (see TestRemote).
func TestCaptureLink(t *testing.T) {
	netns.RequireRoot(t)
	ctx := context.Background()
	env, cleanup, err := Local(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	if env.CaptureLink == nil {
		t.Fatal("the local target has no CaptureLink")
	}
	if _, err := env.CaptureLink("not a ( filter"); err == nil {
		t.Error("a bad filter was accepted")
	}
	c, err := env.CaptureLink("tcp")
	if err != nil {
		t.Fatal(err)
	}
	check(t, suite.Run(ctx, []suite.Case{synCase}, *env, suite.Options{}))
	time.Sleep(100 * time.Millisecond)
	frames, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	var synAcks int
	for _, f := range frames {
		const flags = 14 + 20 + 13 // Ethernet, IPv4 without options, TCP flags
		if len(f.Data) <= flags {
			t.Fatalf("short frame % x", f.Data)
		}
		if src := netip.AddrFrom4([4]byte(f.Data[14+12 : 14+16])); src != env.Target.Addr {
			t.Errorf("captured a frame from %v, not from the target %v", src, env.Target.Addr)
		}
		if f.Data[flags]&0x12 == 0x12 {
			synAcks++
		}
	}
	if synAcks == 0 {
		t.Errorf("no SYN-ACK among the %d frames captured", len(frames))
	}
	if again, _ := c.Stop(); len(again) != len(frames) {
		t.Errorf("second Stop: %d frames, first %d", len(again), len(frames))
	}
}
