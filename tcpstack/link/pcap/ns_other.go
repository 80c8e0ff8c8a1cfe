//go:build !linux

package pcap

import "fmt"

// inNamespace fails: network namespaces are Linux's.
func inNamespace(name string, fn func() error) error {
	return fmt.Errorf("link/pcap: Options.Namespace %q: network namespaces exist only on Linux", name)
}
