// Command pcapcat prints capture files (pcap and pcapng) one line per
// packet, in tcpdump's -nn grammar for the protocols people grep for, and
// can count, filter, summarise, follow TCP streams, dump bytes, write JSON and
// write a filtered copy. Run "pcapcat --help" for the flags and examples.
package main

import (
	"io"
	"os"

	"tcpregress.dev/tools/cli"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// run is main without the process: tests call it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return cli.RunStdin("pcapcat", "Print capture files (pcap, pcapng) one line per packet, like tcpdump -nn -r, and more.",
		&pcapcatCmd{}, args, stdin, stdout, stderr)
}
