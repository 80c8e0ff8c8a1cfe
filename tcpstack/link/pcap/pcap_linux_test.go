//go:build linux

package pcap_test

import (
	"strings"
	"testing"

	"tcpregress.dev/tcpstack/link/pcap"
	"tcpregress.dev/tcpstack/netns"
)

// TestOpenInNamespace: Options.Namespace opens an interface that exists
// only in that namespace; an interface missing there is an error that
// names the interface and the namespace.
func TestOpenInNamespace(t *testing.T) {
	p := netns.NewTestPair(t, netns.Config{NoAddrA: true})
	us := p.UnusedAddr(0).Addr()
	l, err := pcap.Open(p.A.Veth, us, pcap.Options{Namespace: p.A.NS.Name})
	if err != nil {
		t.Fatalf("Open %s in namespace %s: %v", p.A.Veth, p.A.NS.Name, err)
	}
	l.Close()
	if _, err := pcap.Open(p.A.Veth, us, pcap.Options{}); err == nil {
		t.Errorf("Open %s outside its namespace succeeded", p.A.Veth)
	}
	_, err = pcap.Open("trmissing0", us, pcap.Options{Namespace: p.A.NS.Name})
	if err == nil || !strings.Contains(err.Error(), "trmissing0") || !strings.Contains(err.Error(), "namespace "+p.A.NS.Name) {
		t.Errorf("Open of a missing interface in namespace %s: %v, want an error naming both", p.A.NS.Name, err)
	}
}
