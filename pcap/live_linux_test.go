//go:build linux

package pcap

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"golang.org/x/sys/unix"

	"tcpregress.dev/pcap/internal/netnstest"
	"tcpregress.dev/pcap/testenv"
)

// etherExp is the IEEE local experimental EtherType; the kernel ignores it.
const etherExp = 0x88b5

// expFrame builds a 60..1514-byte frame from src to dst whose payload starts
// with tag and a sequence number.
func expFrame(dst, src net.HardwareAddr, tag byte, seq uint32, size int) []byte {
	size = max(60, min(size, 1514))
	f := make([]byte, size)
	copy(f[0:6], dst)
	copy(f[6:12], src)
	binary.BigEndian.PutUint16(f[12:], etherExp)
	f[14] = tag
	binary.BigEndian.PutUint32(f[15:], seq)
	for i := 19; i < size; i++ {
		f[i] = byte(i) ^ byte(seq)
	}
	return f
}

// openLive opens an immediate-mode handle on side i of the pair, filtered to
// the experimental EtherType so that nothing else the kernel sends matters.
func openLive(t testing.TB, p *netnstest.Pair, i int, configure func(h *Handle)) *Handle {
	t.Helper()
	var h *Handle
	var err error
	p.Do(t, i, func() {
		h, err = NewInactiveHandle(p.Veth[i])
		if err != nil {
			return
		}
		h.SetImmediateMode(true)
		h.SetBufferSize(1 << 20)
		if configure != nil {
			configure(h)
		}
		_, err = h.Activate()
	})
	if err != nil {
		t.Fatalf("opening %s: %v", p.Veth[i], err)
	}
	t.Cleanup(func() { h.Close() })
	if err := h.SetFilter(fmt.Sprintf("ether proto 0x%x", etherExp)); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestLiveInjectAndCapture(t *testing.T) {
	p := netnstest.NewPair(t)
	rx := openLive(t, p, 0, nil)
	tx := openLive(t, p, 1, nil)

	if rx.LinkType() != LinkTypeEthernet {
		t.Errorf("link type %v", rx.LinkType())
	}
	if rx.SelectableFD() < 0 {
		t.Errorf("no selectable fd on Linux")
	}
	before := time.Now()
	var sent [][]byte
	for i := range 50 {
		f := expFrame(p.MAC[0], p.MAC[1], 1, uint32(i), 60+i*29)
		n, err := tx.Inject(f)
		if err != nil || n != len(f) {
			t.Fatalf("Inject: %d, %v", n, err)
		}
		sent = append(sent, f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, want := range sent {
		data, ci, err := rx.ReadPacketContext(ctx)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if !bytes.Equal(data, want) || ci.CaptureLength != len(want) || ci.Length != len(want) {
			t.Fatalf("packet %d: got %d bytes (%+v), want %d", i, len(data), ci, len(want))
		}
		if ci.Timestamp.Before(before.Add(-time.Second)) || ci.Timestamp.After(time.Now().Add(time.Second)) {
			t.Errorf("packet %d time stamp %v is not between %v and now", i, ci.Timestamp, before)
		}
	}
	st, err := rx.Stats()
	if err != nil || st.Received < 50 {
		t.Errorf("Stats = %+v, %v; want at least 50 received", st, err)
	}
}

func TestLiveFilter(t *testing.T) {
	p := netnstest.NewPair(t)
	rx := openLive(t, p, 0, nil)
	tx := openLive(t, p, 1, nil)
	if err := rx.SetFilter(fmt.Sprintf("ether proto 0x%x and ether[14] == 7", etherExp)); err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		tag := byte(3)
		if i%4 == 0 {
			tag = 7
		}
		if err := tx.WritePacketData(expFrame(p.MAC[0], p.MAC[1], tag, uint32(i), 100)); err != nil {
			t.Fatal(err)
		}
	}
	// A final frame with tag 7 marks the end: everything before it that
	// passed the filter has arrived by then.
	tx.WritePacketData(expFrame(p.MAC[0], p.MAC[1], 7, 999, 100))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var seqs []uint32
	for {
		data, _, err := rx.ReadPacketContext(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if data[14] != 7 {
			t.Fatalf("the filter let a frame with tag %d through", data[14])
		}
		s := binary.BigEndian.Uint32(data[15:])
		if s == 999 {
			break
		}
		seqs = append(seqs, s)
	}
	if len(seqs) != 10 {
		t.Errorf("captured %d tagged frames, want 10: %v", len(seqs), seqs)
	}
}

// TestLiveImmediateMode: with immediate mode a frame arrives long before a
// 30-second packet buffer timeout would release it.
func TestLiveImmediateMode(t *testing.T) {
	p := netnstest.NewPair(t)
	rx := openLive(t, p, 0, func(h *Handle) { h.SetTimeout(30 * time.Second); h.SetImmediateMode(true) })
	tx := openLive(t, p, 1, nil)
	deliverOne(t, p, tx, rx, "immediate mode did not deliver before the buffer timeout")
}

// deliverOne injects a frame from tx on side 1 of p and fails the test with
// msg unless rx on side 0 reads a packet within 10 seconds.
func deliverOne(t *testing.T, p *netnstest.Pair, tx, rx *Handle, msg string) {
	t.Helper()
	tx.Inject(expFrame(p.MAC[0], p.MAC[1], 1, 1, 60))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := rx.ReadPacketContext(ctx); err != nil {
		t.Fatalf("%s: %v", msg, err)
	}
}

func TestLiveBatchAndLoop(t *testing.T) {
	p := netnstest.NewPair(t)
	rx := openLive(t, p, 0, nil)
	tx := openLive(t, p, 1, nil)
	const total = 300
	for i := range total {
		tx.Inject(expFrame(p.MAC[0], p.MAC[1], 1, uint32(i), 60+i%1400))
	}
	b := NewBatch(64, 64<<10)
	defer b.Free()
	next := uint32(0)
	rx.SetReadDeadline(time.Now().Add(20 * time.Second))
	for next < total-100 {
		n, err := rx.ReadBatch(b)
		if err != nil {
			t.Fatalf("ReadBatch after %d packets: %v", next, err)
		}
		for i := 0; i < n; i++ {
			data, ci := b.Packet(i)
			if s := binary.BigEndian.Uint32(data[15:]); s != next || ci.CaptureLength != len(data) {
				t.Fatalf("batch packet seq %d, want %d", s, next)
			}
			next++
		}
	}
	// The rest through Loop, stopped by count.
	err := rx.Loop(int(total-next), func(data []byte, ci gopacket.CaptureInfo) {
		if s := binary.BigEndian.Uint32(data[15:]); s != next {
			t.Errorf("Loop packet seq %d, want %d", s, next)
		}
		next++
	})
	if err != nil || next != total {
		t.Fatalf("Loop: %v, %d packets", err, next)
	}
	// BreakLoop from another goroutine stops a Loop waiting for traffic.
	done := make(chan error)
	go func() { done <- rx.Loop(0, func([]byte, gopacket.CaptureInfo) {}) }()
	time.Sleep(20 * time.Millisecond)
	rx.BreakLoop()
	awaitErr(t, done, ErrBreakLoop, "Loop after BreakLoop")
}

func TestLiveNonblockAndDeadline(t *testing.T) {
	p := netnstest.NewPair(t)
	rx := openLive(t, p, 0, nil)
	tx := openLive(t, p, 1, nil)

	rx.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	if _, _, err := rx.ReadPacketData(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	}
	// The expired deadline does not outlive its removal (the runtime
	// poller keeps its own copy on Linux).
	rx.SetReadDeadline(time.Time{})
	go func() {
		time.Sleep(50 * time.Millisecond)
		tx.Inject(expFrame(p.MAC[0], p.MAC[1], 7, 1, 60))
	}()
	if data, _, err := rx.ReadPacketData(); err != nil || data[14] != 7 {
		t.Fatalf("read after clearing an expired deadline: %v", err)
	}

	rx.SetNonblock(true)
	if !rx.Nonblock() {
		t.Fatal("Nonblock() = false after SetNonblock(true)")
	}
	if _, _, err := rx.ReadPacketData(); !errors.Is(err, ErrWouldBlock) {
		t.Fatalf("non-blocking read with nothing waiting: %v", err)
	}
	if n, err := rx.Dispatch(0, func([]byte, gopacket.CaptureInfo) {}); n != 0 || err != nil {
		t.Fatalf("non-blocking Dispatch with nothing waiting: %d, %v", n, err)
	}
	tx.Inject(expFrame(p.MAC[0], p.MAC[1], 1, 1, 60))
	// The selectable descriptor signals the frame.
	fds := []unix.PollFd{{Fd: int32(rx.SelectableFD()), Events: unix.POLLIN}}
	if _, err := unix.Poll(fds, 10000); err != nil || fds[0].Revents&unix.POLLIN == 0 {
		t.Fatalf("poll on SelectableFD: %v revents %x", err, fds[0].Revents)
	}
	n, err := rx.Dispatch(0, func([]byte, gopacket.CaptureInfo) {})
	if n != 1 || err != nil {
		t.Fatalf("Dispatch after poll: %d, %v", n, err)
	}
}

// TestLiveDirection: with DirectionIn a handle sees neither its own frames
// nor the host's other outgoing ones, and the kernel does not even hand it
// the latter (PACKET_IGNORE_OUTGOING), so they are neither copied into its
// ring nor counted as received; libpcap alone would copy them and skip them
// when reading.
func TestLiveDirection(t *testing.T) {
	p := netnstest.NewPair(t)
	a := openLive(t, p, 0, nil)
	other := openLive(t, p, 0, nil) // another socket on a's interface
	b := openLive(t, p, 1, nil)
	if err := a.SetDirection(DirectionIn); err != nil {
		t.Fatal(err)
	}
	a.Inject(expFrame(p.MAC[1], p.MAC[0], 2, 99, 60)) // a's own, outbound
	for i := range 5 {
		other.Inject(expFrame(p.MAC[1], p.MAC[0], 2, uint32(i), 60)) // outbound on a's interface
	}
	b.Inject(expFrame(p.MAC[0], p.MAC[1], 3, 9, 60)) // inbound
	a.SetReadDeadline(time.Now().Add(10 * time.Second))
	data, _, err := a.ReadPacketData()
	if err != nil {
		t.Fatal(err)
	}
	if data[14] != 3 {
		t.Fatalf("read an outbound frame (tag %d)", data[14])
	}
	st, err := a.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Received != 1 {
		t.Errorf("Stats().Received = %d, want 1: the kernel handed the handle the 5 outgoing frames", st.Received)
	}
	// Back to both directions: the outgoing frames arrive again.
	if err := a.SetDirection(DirectionInOut); err != nil {
		t.Fatal(err)
	}
	other.Inject(expFrame(p.MAC[1], p.MAC[0], 4, 10, 60))
	if data, _, err := a.ReadPacketData(); err != nil || data[14] != 4 {
		t.Fatalf("DirectionInOut: %v (want the outbound frame, tag 4)", err)
	}
	if err := a.SetDirection(Direction(42)); err == nil {
		t.Error("SetDirection(42) succeeded")
	}
}

// TestLiveCloseUnblocksRead closes a handle while another goroutine is
// blocked reading it, 1000 times: every read returns ErrClosed, none hangs.
func TestLiveCloseUnblocksRead(t *testing.T) {
	p := netnstest.NewPair(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var worst time.Duration
	for i := range 1000 {
		var h *Handle
		var err error
		p.Do(t, 0, func() {
			h, err = NewInactiveHandle(p.Veth[0])
			if err == nil {
				h.SetImmediateMode(true)
				h.SetBufferSize(64 << 10)
				_, err = h.Activate()
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		h.SetFilter(fmt.Sprintf("ether proto 0x%x", etherExp))
		res := make(chan error, 1)
		started := make(chan struct{})
		go func() {
			close(started)
			var err error
			switch i % 3 {
			case 0:
				_, _, err = h.ReadPacketData()
			case 1:
				_, err = h.ReadBatch(NewBatch(8, 4096))
			default:
				err = h.Loop(0, func([]byte, gopacket.CaptureInfo) {})
			}
			res <- err
		}()
		<-started
		if d := rng.IntN(3); d > 0 {
			time.Sleep(time.Duration(d) * time.Millisecond)
		}
		t0 := time.Now()
		if err := h.Close(); err != nil {
			t.Fatalf("iteration %d: Close: %v", i, err)
		}
		awaitErr(t, res, ErrClosed, fmt.Sprintf("iteration %d: the read blocked at Close", i))
		worst = max(worst, time.Since(t0))
	}
	t.Logf("slowest unblock after Close: %v", worst)
}

// TestLiveContextCancel cancels blocked reads 1000 times on one handle.
func TestLiveContextCancel(t *testing.T) {
	p := netnstest.NewPair(t)
	h := openLive(t, p, 0, nil)
	for i := range 1000 {
		ctx, cancel := context.WithCancel(context.Background())
		res := make(chan error, 1)
		go func() {
			_, _, err := h.ReadPacketContext(ctx)
			res <- err
		}()
		if i%2 == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
		awaitErr(t, res, context.Canceled, fmt.Sprintf("iteration %d: the read blocked at cancel", i))
	}
	// The handle still works afterwards.
	deliverOne(t, p, openLive(t, p, 1, nil), h, "read after 1000 cancellations")
}

// TestLiveConcurrentUse reads, injects, reads stats and closes from several
// goroutines at once (for the race detector).
func TestLiveConcurrentUse(t *testing.T) {
	p := netnstest.NewPair(t)
	rx := openLive(t, p, 0, nil)
	tx := openLive(t, p, 1, nil)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(3)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			tx.Inject(expFrame(p.MAC[0], p.MAC[1], 1, uint32(i), 200))
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			rx.Stats()
			rx.Filter()
			rx.SetReadDeadline(time.Now().Add(time.Second))
		}
	}()
	got := 0
	go func() {
		defer wg.Done()
		b := NewBatch(32, 64<<10)
		for {
			n, err := rx.ReadBatch(b)
			if err != nil {
				return
			}
			got += n
		}
	}()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	rx.Close()
	wg.Wait()
	if got == 0 {
		t.Error("captured nothing while injecting")
	}
}

func TestLiveReopen(t *testing.T) {
	p := netnstest.NewPair(t)
	tx := openLive(t, p, 1, nil)
	var rx *Handle
	p.Do(t, 0, func() {
		var err error
		if rx, err = OpenLive(p.Veth[0], 2000, false, 0); err != nil {
			t.Error(err)
		}
	})
	if rx == nil {
		t.FailNow()
	}
	defer rx.Close()
	if err := rx.SetFilter(fmt.Sprintf("ether proto 0x%x and ether[14] == 5", etherExp)); err != nil {
		t.Fatal(err)
	}
	rx.Close()
	// Reopen must enter the namespace again to find the device.
	var err error
	p.Do(t, 0, func() { err = rx.Reopen() })
	if err != nil {
		t.Fatalf("Reopen: %v", err)
	}
	if rx.Filter() == "" || rx.SnapLen() != 2000 {
		t.Errorf("after Reopen: filter %q snaplen %d", rx.Filter(), rx.SnapLen())
	}
	tx.Inject(expFrame(p.MAC[0], p.MAC[1], 9, 1, 60))
	tx.Inject(expFrame(p.MAC[0], p.MAC[1], 5, 2, 60))
	rx.SetReadDeadline(time.Now().Add(10 * time.Second))
	data, _, err := rx.ReadPacketData()
	if err != nil || data[14] != 5 {
		t.Fatalf("after Reopen: %v (tag %v)", err, data)
	}
}

func TestLiveHandleStates(t *testing.T) {
	p := netnstest.NewPair(t)
	var h *Handle
	var err error
	p.Do(t, 0, func() { h, err = NewInactiveHandle(p.Veth[0]) })
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, _, err := h.ReadPacketData(); !errors.Is(err, ErrNotActivated) {
		t.Errorf("read before Activate: %v", err)
	}
	if err := h.SetTimestampPrecision(Nanosecond); err != nil {
		t.Fatal(err)
	}
	types, err := h.TimestampTypes()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("time stamp types: %v", types)
	p.Do(t, 0, func() { _, err = h.Activate() })
	if err != nil {
		t.Fatal(err)
	}
	if h.Precision() != Nanosecond {
		t.Errorf("precision %v after asking for nanoseconds", h.Precision())
	}
	if err := h.SetSnapLen(100); !errors.Is(err, ErrActivated) {
		t.Errorf("setter after Activate: %v", err)
	}
	if _, err := h.Activate(); !errors.Is(err, ErrActivated) {
		t.Errorf("second Activate: %v", err)
	}
	lts, err := h.ListLinkTypes()
	if err != nil || len(lts) == 0 || lts[0].Type != LinkTypeEthernet {
		t.Errorf("ListLinkTypes = %v, %v", lts, err)
	}
	if err := h.SetLinkType(LinkTypeEthernet); err != nil {
		t.Errorf("SetLinkType(EN10MB): %v", err)
	}
	f, _ := os.CreateTemp(t.TempDir(), "*.pcap")
	f.Close()
	off, _ := OpenOffline("../testdata/ethernet.pcap")
	if off != nil {
		defer off.Close()
		if _, err := off.Inject([]byte{1, 2, 3}); !errors.Is(err, ErrNotSupported) {
			t.Errorf("Inject on a file: %v", err)
		}
	}
}

func TestNoSuchDevice(t *testing.T) {
	netnstest.RequireRoot(t)
	_, err := OpenLive("trnosuch0", 100, false, time.Second)
	var de *DeviceError
	if !errors.Is(err, ErrNoSuchDevice) || !errors.As(err, &de) {
		t.Fatalf("OpenLive of a missing device: %v", err)
	}
	if len(de.Available) == 0 || !strings.Contains(err.Error(), "lo") {
		t.Errorf("the error does not list the devices there are: %v", err)
	}
}

// TestPermissionDenied runs this test binary again without CAP_NET_RAW and
// CAP_NET_ADMIN (setpriv drops them from the bounding set) and checks that
// opening a device fails with ErrPermission and says what to do.
func TestPermissionDenied(t *testing.T) {
	if os.Getenv("TRPCAP_PERM_CHILD") == "1" {
		_, err := OpenLive("lo", 100, false, time.Second)
		fmt.Printf("RESULT is-permission=%v msg=%v\n", errors.Is(err, ErrPermission), err)
		return
	}
	netnstest.RequireRoot(t)
	setpriv := testenv.Program(t, "setpriv", "util-linux")
	cmd := exec.Command(setpriv, "--bounding-set=-net_raw,-net_admin", "--inh-caps=-net_raw,-net_admin",
		os.Args[0], "-test.run=^TestPermissionDenied$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TRPCAP_PERM_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	s := string(out)
	if !strings.Contains(s, "RESULT is-permission=true") {
		t.Fatalf("without CAP_NET_RAW the open did not fail with ErrPermission:\n%s", s)
	}
	if !strings.Contains(s, "CAP_NET_RAW") || !strings.Contains(s, "root") {
		t.Errorf("the permission error does not say how to fix it:\n%s", s)
	}
}

// ipAddr is the part of `ip -j addr` the device test compares.
type ipAddr struct {
	IfName    string   `json:"ifname"`
	Flags     []string `json:"flags"`
	Address   string   `json:"address"`
	LinkType  string   `json:"link_type"`
	AddrInfos []struct {
		Family    string `json:"family"`
		Local     string `json:"local"`
		PrefixLen int    `json:"prefixlen"`
		Broadcast string `json:"broadcast"`
	} `json:"addr_info"`
}

// TestFindAllDevs compares FindAllDevs and LookupNet with `ip -j addr` in a
// namespace the test made. libpcap lists devices from /sys, which only a
// process started by `ip netns exec` sees for the namespace, so the check
// runs in a child process.
func TestFindAllDevs(t *testing.T) {
	if os.Getenv("TRPCAP_DEVS_CHILD") == "1" {
		findAllDevsChild(t)
		return
	}
	p := netnstest.NewPair(t)
	// A second address and a point-to-point-free IPv4 alias on side 0.
	if out, err := exec.Command("ip", "-n", p.NS[0], "addr", "add", "198.19.7.9/16", "dev", p.Veth[0]).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	cmd := exec.Command("ip", "netns", "exec", p.NS[0], os.Args[0], "-test.run=^TestFindAllDevs$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "TRPCAP_DEVS_CHILD=1", "TRPCAP_DEV="+p.Veth[0], "TRPCAP_NET="+p.Net.String())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

func findAllDevsChild(t *testing.T) {
	out, err := exec.Command("ip", "-j", "addr", "show").Output()
	if err != nil {
		t.Fatal(err)
	}
	var want []ipAddr
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	devs, err := FindAllDevs()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Interface{}
	for _, d := range devs {
		byName[d.Name] = d
	}
	for _, w := range want {
		d, ok := byName[w.IfName]
		if !ok {
			t.Errorf("FindAllDevs lacks %s", w.IfName)
			continue
		}
		has := func(f string) bool {
			for _, x := range w.Flags {
				if x == f {
					return true
				}
			}
			return false
		}
		if d.Flags.Up() != has("UP") || d.Flags.Loopback() != has("LOOPBACK") {
			t.Errorf("%s: flags %v, ip says %v", w.IfName, d.Flags, w.Flags)
		}
		if has("LOWER_UP") && !d.Flags.Running() {
			t.Errorf("%s: not RUNNING though ip says LOWER_UP", w.IfName)
		}
		got := map[string]InterfaceAddress{}
		var link *InterfaceAddress
		for _, a := range d.Addresses {
			switch a.Addr.Family {
			case FamilyInet, FamilyInet6:
				got[a.Addr.IP.String()] = a
			case FamilyLink:
				a := a
				link = &a
			}
		}
		for _, ai := range w.AddrInfos {
			a, ok := got[ai.Local]
			if !ok {
				t.Errorf("%s: FindAllDevs lacks address %s", w.IfName, ai.Local)
				continue
			}
			ones, _ := net.IPMask(a.Netmask.IP).Size()
			if ones != ai.PrefixLen {
				t.Errorf("%s %s: netmask /%d, ip says /%d", w.IfName, ai.Local, ones, ai.PrefixLen)
			}
			if ai.Broadcast != "" && a.Broadcast.IP.String() != ai.Broadcast {
				t.Errorf("%s %s: broadcast %s, ip says %s", w.IfName, ai.Local, a.Broadcast.IP, ai.Broadcast)
			}
			if a.IPNet() == nil {
				t.Errorf("%s %s: IPNet() is nil", w.IfName, ai.Local)
			}
		}
		if w.LinkType == "ether" {
			if link == nil || link.Addr.HardwareAddr.String() != w.Address {
				t.Errorf("%s: link-layer address %v, ip says %s", w.IfName, link, w.Address)
			}
		}
	}
	dev := os.Getenv("TRPCAP_DEV")
	netw, mask, err := LookupNet(dev)
	if err != nil {
		t.Fatal(err)
	}
	_, wantNet, _ := net.ParseCIDR(os.Getenv("TRPCAP_NET"))
	if !netw.Equal(wantNet.IP) || !bytes.Equal(mask, wantNet.Mask) {
		t.Errorf("LookupNet(%s) = %v/%v, want %v", dev, netw, net.IPMask(mask), wantNet)
	}
	if _, _, err := LookupNet("trnosuch0"); !errors.Is(err, ErrNoSuchDevice) {
		t.Errorf("LookupNet of a missing device: %v", err)
	}
	if d, err := LookupDev(); err != nil || d != dev {
		t.Errorf("LookupDev = %q, %v; want %s", d, err, dev)
	}
	_ = io.EOF
}

// TestLiveWritePacketBatch sends more frames than one sendmmsg carries and
// checks that the peer captures every one, in order and intact.
func TestLiveWritePacketBatch(t *testing.T) {
	p := netnstest.NewPair(t)
	rx := openLive(t, p, 0, func(h *Handle) { h.SetBufferSize(16 << 20) })
	tx := openLive(t, p, 1, nil)
	const total = 2500
	var frames [][]byte
	for i := range total {
		frames = append(frames, expFrame(p.MAC[0], p.MAC[1], 2, uint32(i), 60+(i*37)%1455))
	}
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for i, want := range frames {
			data, _, err := rx.ReadPacketContext(ctx)
			if err != nil {
				done <- fmt.Errorf("frame %d: %v", i, err)
				return
			}
			if !bytes.Equal(data, want) {
				done <- fmt.Errorf("frame %d: got %d bytes (seq %d), want %d", i, len(data), binary.BigEndian.Uint32(data[15:]), len(want))
				return
			}
		}
		done <- nil
	}()
	n, err := tx.WritePacketBatch(frames)
	if n != total || err != nil {
		t.Fatalf("WritePacketBatch = %d, %v; want %d, nil", n, err, total)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A bad frame stops the batch there and says which it was.
	n, err = tx.WritePacketBatch([][]byte{frames[0], nil, frames[1]})
	if n != 1 || err == nil || !strings.Contains(err.Error(), "frame 1 is empty") {
		t.Errorf("batch with an empty frame = %d, %v; want 1 and an error naming frame 1", n, err)
	}
	tx.Close()
	if _, err := tx.WritePacketBatch(frames[:1]); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}

// TestLiveReadersDoNotHoldThreads: on Linux a blocked read waits in the
// runtime's network poller, so 64 readers blocked at once hold no OS thread
// each (a reader waiting in poll(2) would).
func TestLiveReadersDoNotHoldThreads(t *testing.T) {
	p := netnstest.NewPair(t)
	const n = 64
	var hs []*Handle
	for range n {
		h := openLive(t, p, 0, func(h *Handle) { h.SetBufferSize(64 << 10) })
		if h.np == nil {
			t.Fatal("a live handle waits in poll(2), not in the runtime's poller")
		}
		hs = append(hs, h)
	}
	before := osThreads(t)
	res := make(chan error, n)
	for _, h := range hs {
		go func() {
			_, _, err := h.ReadPacketData()
			res <- err
		}()
	}
	time.Sleep(200 * time.Millisecond)
	if during := osThreads(t); during > before+n/4 {
		t.Errorf("%d OS threads with %d blocked readers, %d before: the readers hold threads", during, n, before)
	}
	for _, h := range hs {
		h.Close()
	}
	for range n {
		awaitErr(t, res, ErrClosed, "a read blocked at Close")
	}

}

// awaitErr waits up to 10 s for the result of a blocked call (what) and
// fails unless it matches want.
func awaitErr(t *testing.T, res <-chan error, want error, what string) {
	t.Helper()
	select {
	case err := <-res:
		if !errors.Is(err, want) {
			t.Fatalf("%s: returned %v, want %v", what, err, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still blocked after 10 s", what)
	}
}

// osThreads returns the process's OS thread count.
func osThreads(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Threads:"); ok {
			var k int
			fmt.Sscan(strings.TrimSpace(v), &k)
			return k
		}
	}
	t.Fatal("no Threads line in /proc/self/status")
	return 0
}

// TestLiveWaitAfterLargeBatch: a reader that took a large batch leaves the
// runtime poller's set for a while (poller.busy); its next wait must still
// see a frame that arrives during the wait, and one already waiting.
func TestLiveWaitAfterLargeBatch(t *testing.T) {
	p := netnstest.NewPair(t)
	rx := openLive(t, p, 0, nil)
	tx := openLive(t, p, 1, nil)
	rx.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := NewBatch(64, 1<<20)
	defer b.Free()
	seq := uint32(0)
	for round := range 20 {
		var frames [][]byte
		for range 2 * busyBatch {
			seq++
			frames = append(frames, expFrame(p.MAC[0], p.MAC[1], 1, seq, 100))
		}
		if _, err := tx.WritePacketBatch(frames); err != nil {
			t.Fatal(err)
		}
		for got := 0; got < 2*busyBatch; {
			n, err := rx.ReadBatch(b)
			if err != nil {
				t.Fatalf("round %d: %v after %d frames", round, err, got)
			}
			got += n
		}
		seq++
		last := expFrame(p.MAC[0], p.MAC[1], 2, seq, 100)
		if round%2 == 0 {
			go func() {
				time.Sleep(5 * time.Millisecond)
				tx.Inject(last)
			}()
		} else {
			tx.Inject(last)
			time.Sleep(5 * time.Millisecond)
		}
		n, err := rx.ReadBatch(b)
		if err != nil || n != 1 || b.Data(0)[14] != 2 {
			t.Fatalf("round %d: the frame after a large batch: %d frames, %v", round, n, err)
		}
	}
}
