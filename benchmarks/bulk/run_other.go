//go:build !linux

package bulk

import (
	"context"
	"errors"
)

// Bench needs Linux (network namespaces, veth pairs, AF_PACKET).
type Bench struct{}

// New fails: the benchmark needs Linux.
func New(Options) (*Bench, error) {
	return nil, errors.New("bulk: needs Linux (network namespaces, veth pairs, AF_PACKET)")
}

func (*Bench) Meta() Meta                            { return Meta{} }
func (*Bench) Close() error                          { return nil }
func (*Bench) Run(context.Context) ([]Sample, error) { return nil, errors.New("bulk: needs Linux") }
