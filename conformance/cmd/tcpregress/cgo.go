//go:build cgo

package main

import (
	// The cases register themselves with the suite.
	_ "tcpregress.dev/conformance/cases"
)

// cgoCommands are the commands that need the tester (libpcap, so cgo).
type cgoCommands struct {
	List listCmd `cmd:"" help:"List the cases."`
	Run  runCmd  `cmd:"" help:"Run the cases against a target."`
}
