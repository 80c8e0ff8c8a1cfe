//go:build linux

// Package netns builds throwaway Linux network namespaces joined by a veth
// pair, for tests and the conformance harness: offloads off on both ends (so
// captured frames carry finished checksums), IPv6 off where asked, no route
// anywhere else. Everything is removed by Close, by t.Cleanup, after a signal
// (with [HandleSignals]), and namespaces left by a killed process are swept
// the next time a pair is made.
//
// A socket or capture handle opened by fn inside [Namespace.Do] stays in that
// namespace after Do returns.
package netns

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"tcpregress.dev/pcap/nsenter"
	"tcpregress.dev/pcap/testenv"
)

// Prefix starts the name of every namespace this package makes:
// "trns-PID-N-a".
const Prefix = "trns-"

// Namespace is a named network namespace (/run/netns/NAME).
type Namespace struct {
	Name string
}

// Do runs fn on an OS thread inside the namespace ([nsenter.Do]). fn must
// not start goroutines that expect to be in the namespace; what it opens
// stays there. If the thread cannot return to its namespace it is not
// reused (the runtime terminates it).
func (ns *Namespace) Do(fn func() error) error { return nsenter.Do(ns.Name, fn) }

// Command returns a command that runs inside the namespace
// (`ip netns exec NAME ...`), so it also sees the namespace's /sys.
func (ns *Namespace) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}

// Run runs a command inside the namespace and returns its combined output.
func (ns *Namespace) Run(name string, args ...string) (string, error) {
	out, err := ns.Command(name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("netns %s: %s %s: %w: %s", ns.Name, name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// Side is one end of a [Pair].
type Side struct {
	NS   *Namespace
	Veth string
	MAC  net.HardwareAddr
	// Addr is the kernel's address on the veth, or the zero Prefix when the
	// side has none (the side a userland stack uses).
	Addr netip.Prefix
}

// Pair is two namespaces joined by a veth pair.
type Pair struct {
	A, B  Side
	Net   netip.Prefix // the subnet of the link
	close sync.Once
	err   error
}

// Config shapes a Pair. The zero value gives a /24 in 198.18.0.0/15 with
// kernel addresses .1 (A) and .2 (B), IPv6 off on both sides.
type Config struct {
	// Net is the link's subnet; default a free-looking 198.18.N.0/24.
	Net netip.Prefix
	// NoAddrA leaves the kernel of side A without an IPv4 address, so that a
	// userland stack can use one there without the kernel answering for it.
	NoAddrA bool
	// KeepIPv6 leaves IPv6 on (it is off on both sides by default, so that
	// the kernel sends no router or neighbour solicitations on the link).
	KeepIPv6 bool
	// MTU of the veth ends; default 1500.
	MTU int
}

var (
	seq    atomic.Int32
	liveMu sync.Mutex
	live   = map[*Pair]bool{}
)

// NewPair creates the namespaces and the veth pair. Call Close to remove
// them. It needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN).
func NewPair(cfg Config) (p *Pair, err error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("netns: creating network namespaces needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, errors.New("netns: the ip command (iproute2) is not installed")
	}
	Sweep()
	n := seq.Add(1)
	id := fmt.Sprintf("%d-%d", os.Getpid(), n)
	if !cfg.Net.IsValid() {
		third := byte((os.Getpid()*7 + int(n)*13) % 250)
		cfg.Net = netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18, third, 0}), 24)
	}
	cfg.Net = cfg.Net.Masked()
	if cfg.MTU == 0 {
		cfg.MTU = 1500
	}
	short := fmt.Sprintf("%x%x", os.Getpid()%0xfffff, n)
	p = &Pair{
		A:   Side{NS: &Namespace{Prefix + id + "-a"}, Veth: "tra" + short},
		B:   Side{NS: &Namespace{Prefix + id + "-b"}, Veth: "trb" + short},
		Net: cfg.Net,
	}
	liveMu.Lock()
	live[p] = true
	liveMu.Unlock()
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	base := cfg.Net.Addr().As4()
	if !cfg.NoAddrA {
		a := base
		a[3] = 1
		p.A.Addr = netip.PrefixFrom(netip.AddrFrom4(a), cfg.Net.Bits())
	}
	b := base
	b[3] = 2
	p.B.Addr = netip.PrefixFrom(netip.AddrFrom4(b), cfg.Net.Bits())

	for _, s := range []*Side{&p.A, &p.B} {
		if err := ipcmd("netns", "add", s.NS.Name); err != nil {
			return nil, err
		}
	}
	if err := ipcmd("link", "add", p.A.Veth, "mtu", strconv.Itoa(cfg.MTU), "netns", p.A.NS.Name, "type", "veth",
		"peer", "name", p.B.Veth, "mtu", strconv.Itoa(cfg.MTU), "netns", p.B.NS.Name); err != nil {
		return nil, err
	}
	for _, s := range []*Side{&p.A, &p.B} {
		if !cfg.KeepIPv6 {
			for _, k := range []string{"all", "default", "lo"} {
				if _, err := s.NS.Run("sysctl", "-qw", "net.ipv6.conf."+k+".disable_ipv6=1"); err != nil {
					return nil, err
				}
			}
		}
		if s.Addr.IsValid() {
			if err := ipcmd("-n", s.NS.Name, "addr", "add", s.Addr.String(), "brd", "+", "dev", s.Veth); err != nil {
				return nil, err
			}
		}
		if err := ipcmd("-n", s.NS.Name, "link", "set", s.Veth, "up"); err != nil {
			return nil, err
		}
		if err := ipcmd("-n", s.NS.Name, "link", "set", "lo", "up"); err != nil {
			return nil, err
		}
		// Finished checksums and no super-segments in captures.
		if _, err := s.NS.Run("ethtool", "-K", s.Veth, "tx", "off", "tso", "off", "gso", "off", "gro", "off"); err != nil {
			return nil, fmt.Errorf("%w (is ethtool installed?)", err)
		}
		out, err := exec.Command("ip", "-n", s.NS.Name, "-o", "link", "show", s.Veth).Output()
		if err != nil {
			return nil, fmt.Errorf("netns: reading %s: %w", s.Veth, err)
		}
		i := strings.Index(string(out), "link/ether ")
		if i < 0 {
			return nil, fmt.Errorf("netns: %s has no Ethernet address", s.Veth)
		}
		mac, err := net.ParseMAC(strings.Fields(string(out[i+len("link/ether "):]))[0])
		if err != nil {
			return nil, fmt.Errorf("netns: parsing the MAC of %s: %w", s.Veth, err)
		}
		s.MAC = mac
	}
	return p, nil
}

// UnusedAddr returns an address of the link's subnet that neither kernel
// owns (.3 and up), for a userland stack.
func (p *Pair) UnusedAddr(i int) netip.Prefix {
	a := p.Net.Addr().As4()
	a[3] = byte(3 + i)
	return netip.PrefixFrom(netip.AddrFrom4(a), p.Net.Bits())
}

// Close deletes both namespaces (and so the veth pair). It is safe to call
// more than once.
func (p *Pair) Close() error {
	p.close.Do(func() {
		var errs []error
		for _, s := range []*Side{&p.A, &p.B} {
			if _, err := os.Stat("/run/netns/" + s.NS.Name); err == nil {
				if err := ipcmd("netns", "del", s.NS.Name); err != nil {
					errs = append(errs, err)
				}
			}
		}
		liveMu.Lock()
		delete(live, p)
		liveMu.Unlock()
		p.err = errors.Join(errs...)
	})
	return p.err
}

// HandleSignals removes every live pair when the process gets SIGINT or
// SIGTERM, says so on stderr, then exits with status 130 or 143. Call the returned function
// to stop handling.
func HandleSignals() (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			CloseAll()
			fmt.Fprintf(os.Stderr, "%s: %v: stopped; the network namespaces it made are removed\n", filepath.Base(os.Args[0]), sig)
			code := 130
			if sig == syscall.SIGTERM {
				code = 143
			}
			os.Exit(code)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

// CloseAll removes every pair this process made that is still there.
func CloseAll() {
	liveMu.Lock()
	ps := make([]*Pair, 0, len(live))
	for p := range live {
		ps = append(ps, p)
	}
	liveMu.Unlock()
	for _, p := range ps {
		p.Close()
	}
}

// Sweep deletes namespaces made by this package in processes that no longer
// run (a test binary killed before its cleanup).
func Sweep() {
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, Prefix) {
			continue
		}
		pidStr, _, _ := strings.Cut(strings.TrimPrefix(name, Prefix), "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); err == nil || errors.Is(err, syscall.EPERM) {
			continue // still running
		}
		exec.Command("ip", "netns", "del", name).Run()
	}
}

func ipcmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("netns: ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// RequireRoot skips a test that needs root, except under CI (CI set), where
// it fails: a test that never runs in CI tests nothing ([testenv.RequireRoot]).
func RequireRoot(t testing.TB) { testenv.RequireRoot(t) }

// NewTestPair is NewPair for tests: it needs root (see RequireRoot) and is
// removed in t.Cleanup, also when the test fails.
func NewTestPair(t testing.TB, cfg Config) *Pair {
	t.Helper()
	RequireRoot(t)
	p, err := NewPair(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("removing namespaces: %v", err)
		}
	})
	return p
}
