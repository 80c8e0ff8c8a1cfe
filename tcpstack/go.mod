module tcpregress.dev/tcpstack

go 1.26.0

require (
	github.com/gopacket/gopacket v1.7.7
	github.com/rs/zerolog v1.35.1
	go.uber.org/goleak v1.3.0
)

require (
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	golang.org/x/sys v0.50.0
	tcpregress.dev/pcap v0.0.0-00010101000000-000000000000
)

replace tcpregress.dev/pcap => ../pcap
