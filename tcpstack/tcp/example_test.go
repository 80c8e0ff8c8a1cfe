package tcp_test

import (
	"fmt"
	"net/netip"
	"time"

	"tcpregress.dev/tcpstack/tcp"
)

// Two engines connected back to back: the output of one is the input of the
// other, with time passed in explicitly.
func Example() {
	now := time.Unix(0, 0)
	a := netip.MustParseAddrPort("192.0.2.1:40000")
	b := netip.MustParseAddrPort("192.0.2.2:80")
	cfg := tcp.Config{ISN: tcp.NewKeyedISN([]byte("example key"))}

	client, _ := tcp.Open(cfg, a, b, now)
	listener, _ := tcp.NewListener(cfg, b)
	var server *tcp.Conn

	// deliver runs both engines until neither has anything to send.
	deliver := func() {
		for moved := true; moved; {
			moved = false
			client.Output(now, func(s tcp.Segment) {
				moved = true
				fmt.Println("client →", s.Flags, len(s.Payload))
				if server == nil {
					server, _, _ = listener.Input(a.Addr(), s, now)
					return
				}
				server.Input(s, now)
			})
			if server != nil {
				server.Output(now, func(s tcp.Segment) {
					moved = true
					fmt.Println("server →", s.Flags, len(s.Payload))
					client.Input(s, now)
				})
			}
		}
	}
	deliver()
	client.Write([]byte("hello"))
	client.CloseWrite()
	deliver()

	buf := make([]byte, 16)
	n, _ := server.Read(buf)
	fmt.Printf("server read %q; states %v and %v\n", buf[:n], client.State(), server.State())
	// Output:
	// client → S 0
	// server → S. 0
	// client → . 0
	// client → FP. 5
	// server → . 0
	// server read "hello"; states FIN-WAIT-2 and CLOSE-WAIT
}

// A listener whose queue is full answers a SYN with a SYN cookie and keeps
// nothing; the client's ACK brings the connection back.
func ExampleListener_CookieReply() {
	now := time.Unix(1_700_000_000, 0)
	a := netip.MustParseAddrPort("192.0.2.1:40000")
	b := netip.MustParseAddrPort("192.0.2.2:80")
	cfg := tcp.Config{ISN: tcp.NewKeyedISN([]byte("example key"))}
	client, _ := tcp.Open(cfg, a, b, now)
	listener, _ := tcp.NewListener(cfg, b)
	listener.SetSYNCookies(tcp.NewSYNCookies([]byte("the stack's secret")))

	var server *tcp.Conn
	client.Output(now, func(syn tcp.Segment) {
		synack, ok := listener.CookieReply(a.Addr(), syn, now)
		fmt.Println("SYN-ACK with a cookie:", ok, synack.Flags)
		client.Input(synack, now)
	})
	now = now.Add(time.Millisecond)
	client.Output(now, func(ack tcp.Segment) {
		server, _ = listener.CookieInput(a.Addr(), ack, now)
	})
	i := server.Info()
	fmt.Println("server:", server.State(), "MSS", i.SndMSS, "SACK", i.SACK, "window scale", i.WindowScale)
	// Output:
	// SYN-ACK with a cookie: true S.
	// server: ESTABLISHED MSS 1448 SACK true window scale true
}
