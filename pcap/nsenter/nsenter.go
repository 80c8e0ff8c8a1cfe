//go:build linux

// Package nsenter runs Go code inside a named Linux network namespace
// (/run/netns/NAME, as `ip netns add` makes): on an OS thread that enters the
// namespace for the call, as the nsenter command does for a program. A
// socket or a live capture handle opened there belongs to that namespace for
// its whole life, so this is how a program opens a capture on an interface
// that lives in another namespace. The pcap module's own live tests and
// tcpstack/netns (the namespace pairs of the stack's tests, the tools and the
// conformance harness) both enter namespaces through it.
package nsenter

import (
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// Do runs fn on an OS thread inside the named network namespace and
// returns fn's error, or an error saying why the namespace could not be
// entered or left (joined with fn's error, which is not lost, when leaving
// fails). fn must not start goroutines that expect to be in the
// namespace; what it opens stays there. If the thread cannot return to its
// own namespace it is not reused (the runtime terminates it). fn runs on
// a goroutine of its own: if it ends that goroutine instead of returning
// (runtime.Goexit, as t.Fatal calls), Do returns an error saying so.
func Do(name string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("nsenter: opening the current namespace: %w", err)
			return
		}
		defer unix.Close(orig)
		target, err := unix.Open("/run/netns/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("nsenter: opening namespace %s: %w", name, err)
			return
		}
		defer unix.Close(target)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("nsenter: entering namespace %s: %w", name, err)
			return
		}
		returned := false
		defer func() {
			if !returned {
				// fn ended its goroutine (runtime.Goexit, which t.FailNow
				// calls) or panicked: the thread, still in the namespace
				// and locked, dies with the goroutine; the caller must not
				// wait forever.
				errc <- fmt.Errorf("nsenter: the function run in namespace %s did not return (runtime.Goexit, as t.Fatal calls, or a panic)", name)
			}
		}()
		ferr := fn()
		returned = true
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("nsenter: leaving namespace %s failed, terminating the OS thread: %w", name, err))
			return // the thread stays locked and dies with the goroutine
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}
