//go:build !cgo

package main

import (
	"errors"

	"github.com/rs/zerolog"

	"tcpregress.dev/conformance/agent"
)

// newStackBackend fails without cgo: the tcpstack's link (link/pcap) needs
// libpcap.
func newStackBackend(iface, ip string, log zerolog.Logger) (agent.Backend, func(), error) {
	return nil, nil, errors.New("agent: --stack tcpstack needs the cgo build of tcpregress (it opens --iface with libpcap); this one was built with CGO_ENABLED=0: " +
		"use --stack kernel, or build it with 'make build' or 'CGO_ENABLED=1 go build ./conformance/cmd/tcpregress' (gcc and libpcap's headers installed)")
}

// newForeignBackend fails without cgo: the foreign stacks are linked into
// the cgo build only (lwIP is C; gVisor would make the small agent large).
func newForeignBackend(stack, iface, ip string) (agent.Backend, func(), error) {
	return nil, nil, errors.New("agent: --stack " + stack + " needs the cgo build of tcpregress for Linux ('make build'); this one was built with CGO_ENABLED=0 and drives --stack kernel only")
}
