//go:build !cgo

package main

import (
	"errors"

	"github.com/rs/zerolog"

	"tcpregress.dev/conformance/agent"
)

func newStackBackend(iface, ip string, log zerolog.Logger) (agent.Backend, func(), error) {
	return nil, nil, errors.New("agent: built without cgo: --stack tcpstack needs a cgo build")
}
