package tcpstack_test

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/netip"

	"tcpregress.dev/tcpstack"
	"tcpregress.dev/tcpstack/link/pipe"
)

// Two stacks joined by an in-memory link: one listens and echoes, the other
// dials, writes, half-closes and reads the echo back. Over link/pcap the
// same code runs on a live interface.
func Example() {
	la, lb := pipe.New(net.HardwareAddr{2, 0, 0, 0, 0, 1}, net.HardwareAddr{2, 0, 0, 0, 0, 2}, pipe.Faults{})
	client, err := tcpstack.New(tcpstack.Config{Link: la, Addr: netip.MustParsePrefix("198.18.0.1/24")})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	server, err := tcpstack.New(tcpstack.Config{Link: lb, Addr: netip.MustParsePrefix("198.18.0.2/24")})
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()

	ln, err := server.Listen("tcp", ":7")
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c) // echo until the client's FIN
	}()

	c, err := client.Dial("tcp", "198.18.0.2:7")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "hello over tcpstack")
	c.(*tcpstack.Conn).CloseWrite()
	echo, err := io.ReadAll(c)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s -> %s: %s\n", c.LocalAddr().(*net.TCPAddr).IP, c.RemoteAddr(), echo)
	// Output: 198.18.0.1 -> 198.18.0.2:7: hello over tcpstack
}
