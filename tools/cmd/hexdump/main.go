// Command hexdump prints bytes as hex dumps in the layouts of Wireshark,
// tshark, hexdump -C, xxd and tcpdump, and reads such dumps back. Run
// "hexdump --help" for the flags and examples.
package main

import (
	"io"
	"os"

	"github.com/alecthomas/kong"

	"tcpregress.dev/tools/cli"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: tests call it.
func run(args []string, stdout, stderr io.Writer) int {
	return runStdin(args, os.Stdin, stdout, stderr)
}

// runStdin is run with standard input given.
func runStdin(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return cli.Run("hexdump", "Print bytes as hex dumps, or read a dump back into bytes.",
		&hexdumpCmd{}, args, stdout, stderr, kong.BindTo(stdin, (*io.Reader)(nil)))
}
