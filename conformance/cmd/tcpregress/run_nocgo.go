//go:build !cgo

package main

import (
	"context"
	"errors"

	"github.com/rs/zerolog"

	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/tcp"
)

// Without cgo there is no tester: the harness captures with libpcap. run
// parses and checks its flags as in the cgo build, then fails with
// errNeedCgo (exit status 1, an operational failure like needing root).

// errNeedCgo is run's error in a build without cgo.
var errNeedCgo = errors.New("run needs the cgo build of tcpregress (its tester captures with libpcap); this one was built with CGO_ENABLED=0 and has list and agent only. " +
	"Build it with 'make build' (bin/tcpregress), or 'CGO_ENABLED=1 go build ./conformance/cmd/tcpregress' with gcc and libpcap's headers installed (Debian: apt-get install gcc libpcap-dev liblwip-dev)")

// runNote ends run's line in the command list and its help.
const runNote = " Not in this build: it needs cgo (make build)."

// stackOptions leaves the names unchecked: run fails with errNeedCgo.
func stackOptions([]string) (func(*tcp.Config), error) { return nil, nil }

func stackOptionsHelp() string { return "  (listed by the cgo build's run --help)\n" }

func checkTester() error { return errNeedCgo }

func (c *TargetFlags) openTarget(context.Context, int, zerolog.Logger) (*suite.Env, func(), error) {
	return nil, nil, errNeedCgo
}

func (c *TargetFlags) openTargetMTU(context.Context, int, int, int, zerolog.Logger) (*suite.Env, func(), error) {
	return nil, nil, errNeedCgo
}

// closeNamespaces has nothing to remove: there is no target.
func closeNamespaces() {}

func openLocal(context.Context, zerolog.Logger, string, int) (*suite.Env, func(), error) {
	return nil, nil, errNeedCgo
}

// localStacks are those of the cgo build: matrix fails with errNeedCgo.
func localStacks() []string { return []string{"kernel", "tcpstack", "gvisor", "lwip"} }
