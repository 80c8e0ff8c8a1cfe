package agent_test

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"tcpregress.dev/conformance/agent"
)

// A backend whose sockets are Go objects keeps them in an FDTable.
func ExampleFDTable() {
	type sock struct{ name string }
	var socks agent.FDTable[*sock]
	fd := socks.Add(&sock{name: "listener"})
	s, _ := socks.Get(fd)
	fmt.Println(fd, s.name)
	socks.Remove(fd)
	_, err := socks.Get(fd)
	fmt.Println(errors.Is(err, syscall.EBADF))
	// Output:
	// 3 listener
	// true
}

// WaitReady makes a blocking call's wait out of a poll that takes a
// timeout in milliseconds; here nothing ever gets ready.
func ExampleWaitReady() {
	never := func(ms int) (bool, error) {
		time.Sleep(time.Duration(ms) * time.Millisecond)
		return false, nil
	}
	err := agent.WaitReady(context.Background(), agent.Deadline(20*time.Millisecond), syscall.ETIMEDOUT, never)
	fmt.Println(err)
	// Output:
	// connection timed out
}
