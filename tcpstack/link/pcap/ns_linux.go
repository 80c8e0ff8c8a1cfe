//go:build linux

package pcap

import "tcpregress.dev/pcap/nsenter"

// inNamespace runs fn on a thread inside the named network namespace.
func inNamespace(name string, fn func() error) error { return nsenter.Do(name, fn) }
