module tcpregress.dev/tools

go 1.26.0

require (
	github.com/alecthomas/kong v1.17.0
	github.com/gopacket/gopacket v1.7.7
	github.com/rs/zerolog v1.35.1
	tcpregress.dev/pcap v0.0.0-00010101000000-000000000000
	tcpregress.dev/tcpstack v0.0.0-00010101000000-000000000000
)

require (
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

// The workspace (go.work) supplies pcap and tcpstack; the replaces keep
// GOWORK=off builds and go mod tidy working.
replace tcpregress.dev/pcap => ../pcap

replace tcpregress.dev/tcpstack => ../tcpstack
