//go:build !linux

package bulk

import (
	"context"
	"errors"
	"io"
	"time"
)

// Options configure a [Bench]; see the Linux documentation.
type Options struct {
	Duration       time.Duration
	Limit          int64
	Rounds         int
	Kinds          []Kind
	CPUProfileDir  string
	GVisorDispatch string
	Progress       io.Writer
	OnSample       func(Sample) error
}

// Bench needs Linux (network namespaces, veth pairs, AF_PACKET).
type Bench struct{}

// New fails: the benchmark needs Linux.
func New(Options) (*Bench, error) {
	return nil, errors.New("bulk: needs Linux (network namespaces, veth pairs, AF_PACKET)")
}

func (*Bench) Meta() Meta                            { return Meta{} }
func (*Bench) Close() error                          { return nil }
func (*Bench) Run(context.Context) ([]Sample, error) { return nil, errors.New("bulk: needs Linux") }
