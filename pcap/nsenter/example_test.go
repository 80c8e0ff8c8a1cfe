//go:build linux

package nsenter_test

import (
	"fmt"
	"net"

	"tcpregress.dev/pcap/nsenter"
)

// A listener opened inside namespace "ns1" (made with `ip netns add ns1`)
// accepts connections there, though Accept is called from any goroutine.
func ExampleDo() {
	var ln net.Listener
	err := nsenter.Do("ns1", func() error {
		var err error
		ln, err = net.Listen("tcp", "127.0.0.1:8080")
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	fmt.Println("listening in ns1 on", ln.Addr())
}
