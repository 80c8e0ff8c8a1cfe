//go:build linux

package main

import "tcpregress.dev/tcpstack/netns"

// bulkHandleSignals removes every namespace pair on SIGINT and SIGTERM.
func bulkHandleSignals() (stop func()) { return netns.HandleSignals() }
