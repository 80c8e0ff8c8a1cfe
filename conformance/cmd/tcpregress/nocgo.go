//go:build !cgo

package main

// cgoCommands is empty without cgo: list and run capture with libpcap.
type cgoCommands struct{}
