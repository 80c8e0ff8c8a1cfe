module tcpregress.dev/benchmarks

go 1.26

require (
	github.com/gopacket/gopacket v1.7.7
	gvisor.dev/gvisor v0.0.0-20260905035102-160fafc42237
)

require (
	golang.org/x/net v0.55.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
)
