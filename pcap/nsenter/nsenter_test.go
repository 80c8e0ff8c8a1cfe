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

	"tcpregress.dev/pcap/nsenter"
	"tcpregress.dev/pcap/testenv"
)

// TestDo makes a namespace with a veth pair in it, sees the interface only
// inside Do, and gets fn's error back; an unknown namespace is an error
// naming it.
func TestDo(t *testing.T) {
	testenv.RequireRoot(t)
	name := fmt.Sprintf("trnsenter-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
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
