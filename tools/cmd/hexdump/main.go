// Command hexdump prints bytes as hex dumps in the layouts of Wireshark,
// tshark, hexdump -C, xxd and tcpdump, and reads such dumps back. Run
// "hexdump --help" for the flags and examples.
package main

import (
	"io"
	"os"

	"tcpregress.dev/tools/cli"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// run is main without the process: tests call it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return cli.RunStdin("hexdump", "Print bytes as hex dumps, or read a dump back into bytes.",
		&hexdumpCmd{}, args, stdin, stdout, stderr)
}
