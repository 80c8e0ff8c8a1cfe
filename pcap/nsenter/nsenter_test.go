//go:build linux

package nsenter_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tcpregress.dev/pcap/nsenter"
	"tcpregress.dev/pcap/testenv"
)

// TestDo makes a namespace with a veth pair in it, sees the interface only
// inside Do, and gets fn's error back; an unknown namespace is an error
// naming it.
func TestDo(t *testing.T) {
	name := testNS(t, "trnsenter")
	if out, err := exec.Command("ip", "-n", name, "link", "add", "trnsenter0", "type", "veth", "peer", "name", "trnsenter1").CombinedOutput(); err != nil {
		t.Fatalf("ip link add: %v: %s", err, out)
	}
	has := func() bool {
		_, err := net.InterfaceByName("trnsenter0")
		return err == nil
	}
	var inside bool
	sentinel := errors.New("fn's error")
	err := nsenter.Do(name, func() error {
		inside = has()
		return sentinel
	})
	if err != sentinel || !inside {
		t.Errorf("Do: err %v, interface seen inside %v", err, inside)
	}
	if has() {
		t.Error("the namespace's interface is seen outside Do")
	}
	// fn that never returns (t.Fatal on its goroutine): Do must not wait
	// for it forever.
	errc := make(chan error, 1)
	go func() { errc <- nsenter.Do(name, func() error { runtime.Goexit(); return nil }) }()
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "did not return") {
			t.Errorf("fn calling runtime.Goexit: %v, want an error that it did not return", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Do still waits for a fn that called runtime.Goexit")
	}
	err = nsenter.Do(name+"-missing", func() error { t.Error("fn ran"); return nil })
	if err == nil || !strings.Contains(err.Error(), "opening namespace "+name+"-missing") {
		t.Errorf("unknown namespace: %v", err)
	}
}

// TestDoLeaveFails: when the thread cannot return to its own namespace, Do
// returns both that error and fn's. fn drops CAP_SYS_ADMIN from its own
// thread's effective set (capabilities are per thread), so setns back is
// refused; the thread is terminated, not reused.
func TestDoLeaveFails(t *testing.T) {
	name := testNS(t, "trnsleave")
	sentinel := errors.New("fn's error")
	err := nsenter.Do(name, func() error {
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			return fmt.Errorf("capget: %w", err)
		}
		data[unix.CAP_SYS_ADMIN/32].Effective &^= 1 << (unix.CAP_SYS_ADMIN % 32)
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			return fmt.Errorf("capset: %w", err)
		}
		return sentinel
	})
	if !errors.Is(err, sentinel) || !errors.Is(err, unix.EPERM) || !strings.Contains(err.Error(), "leaving namespace "+name) {
		t.Errorf("Do with a thread that cannot leave: %v, want fn's error joined with the failure to leave (EPERM)", err)
	}
}

// testNS adds a network namespace named prefix-PID, deleted in t.Cleanup.
func testNS(t *testing.T, prefix string) string {
	t.Helper()
	testenv.RequireRoot(t)
	name := fmt.Sprintf("%s-%d", prefix, os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	return name
}
