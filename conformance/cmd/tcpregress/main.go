// Command tcpregress is the TCP conformance suite's command line:
//
//	tcpregress list [--json]                 the cases, their levels and requirements
//	tcpregress run [--target local|HOST] ... run the cases against a target
//	tcpregress agent ...                     serve the agent protocol on a target host
//
// list and run need cgo (the tester captures with libpcap); a build without
// cgo holds the agent alone, for cross-compiled target hosts.
//
// Exit codes: 0 when nothing failed unexpectedly, 1 otherwise or on an
// operational failure, 2 on a usage error.
package main

import (
	"io"
	"os"

	"tcpregress.dev/tools/cli"
)

// tcpregressCmd is the command line. cgoCommands holds list and run (empty
// without cgo).
type tcpregressCmd struct {
	cli.Globals
	cgoCommands

	// Agent is in agent_cmd.go.
	Agent agentCmd `cmd:"" help:"Serve the agent protocol on a target host: make socket calls for a tester."`
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	return cli.Run("tcpregress", "Check, requirement by requirement, whether a TCP stack follows the RFCs.",
		&tcpregressCmd{}, args, stdout, stderr)
}
