package tcpstack

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStackDoesNotLinkGopacket keeps gopacket out of the stack and its
// engine. gopacket's layers package holds tables of 65,536 entries with
// pointers (EthernetTypeMetadata, PPPTypeMetadata: 5 MB) that the garbage
// collector scans on every cycle: linked into the stack through the
// tcpdump printer, they cost 17 % more instructions on a bulk transfer
// over link/pipe (callgrind, 16 MiB). Tests may import gopacket. link/pcap
// is not checked: the pcap binding's LinkType is gopacket's, so a program
// on a live interface links the tables anyway (a cost for the performance
// work to remove).
func TestStackDoesNotLinkGopacket(t *testing.T) {
	for _, pkg := range []string{".", "./tcp", "./header", "./link/pipe", "./link/faults"} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "github.com/gopacket/") {
				t.Errorf("%s depends on %s; the stack must not link gopacket (see this test's comment)", pkg, dep)
			}
		}
	}
}
