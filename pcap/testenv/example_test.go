package testenv_test

import (
	"os/exec"
	"testing"

	"tcpregress.dev/pcap/testenv"
)

// A test that compares with tcpdump finds it through Program: without
// tcpdump it is skipped with "tcpdump is not installed (apt-get install
// tcpdump, or make deps)", and under CI=true it fails instead.
func ExampleProgram() {
	var t *testing.T // the test's own
	tcpdump := testenv.Program(t, "tcpdump", "tcpdump")
	out, err := exec.Command(tcpdump, "-nn", "-r", "capture.pcap").Output()
	_, _ = out, err
}
