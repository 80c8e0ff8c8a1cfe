// Command tcpdial is netcat for raw userland TCP connections: it connects (or
// listens, with -l) through tcpstack, the project's userland TCP/IP stack,
// sending and receiving Ethernet frames on an interface through libpcap, and
// copies standard input to the connection and the connection to standard
// output. Run "tcpdial --help" for the flags, and see README.md for the
// manual.
package main

import (
	"io"
	"os"

	"tcpregress.dev/tools/cli"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// run is main without the process: tests call it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return cli.RunStdin("tcpdial", "Connect or listen through the userland TCP/IP stack, netcat-style.",
		&tcpdialCmd{}, args, stdin, stdout, stderr)
}
