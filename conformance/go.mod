module tcpregress.dev/conformance

go 1.26.0

require (
	github.com/alecthomas/kong v1.17.0
	github.com/chromedp/chromedp v0.23.1
	github.com/rs/zerolog v1.35.1
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.50.0
	gvisor.dev/gvisor v0.0.0-20260905035102-160fafc42237
	tcpregress.dev/pcap v0.0.0-00010101000000-000000000000
	tcpregress.dev/tcpstack v0.0.0-00010101000000-000000000000
)

require (
	github.com/chromedp/cdproto v0.160.1 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/google/btree v1.1.2 // indirect
	golang.org/x/exp v0.0.0-20250711185948-6ae5c78190dc // indirect
	golang.org/x/time v0.15.0 // indirect
)

require (
	github.com/gopacket/gopacket v1.7.7
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	tcpregress.dev/tools v0.0.0-00010101000000-000000000000
)

// The workspace (go.work) supplies the sibling modules; the replaces keep
// GOWORK=off builds and go mod tidy working.
replace tcpregress.dev/pcap => ../pcap

replace tcpregress.dev/tcpstack => ../tcpstack

replace tcpregress.dev/tools => ../tools
