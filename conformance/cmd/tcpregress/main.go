// Command tcpregress is the TCP conformance suite's command line:
//
//	tcpregress list [--json]                 the cases, their levels and requirements
//	tcpregress run [--target local|HOST] ... run the cases against a target
//	tcpregress matrix --out DIR ...          run the cases against every local stack
//	tcpregress drill [--target ...] PATH...  run packetdrill scripts against a target
//	tcpregress agent ...                     serve the agent protocol on a target host
//
// run needs cgo (the tester captures with libpcap). A build without cgo
// (CGO_ENABLED=0, as make agents cross-compiles it for target hosts) has
// list and the agent's kernel backend; its run says it needs the cgo build.
//
// Exit codes: 0 when nothing failed unexpectedly, 1 otherwise or on an
// operational failure, 2 on a usage error.
package main

import (
	"io"
	"os"

	"github.com/alecthomas/kong"

	// The cases register themselves with the suite.
	_ "tcpregress.dev/conformance/cases"
	"tcpregress.dev/tools/cli"
)

// tcpregressCmd is the command line.
type tcpregressCmd struct {
	cli.Globals

	List listCmd `cmd:"" help:"List the cases."`
	Run  runCmd  `cmd:"" help:"Run the cases against a target.${run_note}"`
	// Matrix is in matrix.go.
	Matrix matrixCmd `cmd:"" help:"Run the cases against each local stack and write the matrix of verdicts.${run_note}"`
	// Drill is in drill_cmd.go.
	Drill drillCmd `cmd:"" help:"Run packetdrill scripts against a target.${run_note}"`
	// Agent is in agent_cmd.go.
	Agent agentCmd `cmd:"" help:"Serve the agent protocol on a target host: make socket calls for a tester."`
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	return cli.Run("tcpregress", "Check, requirement by requirement, whether a TCP stack follows the RFCs.",
		&tcpregressCmd{}, args, stdout, stderr, kong.Vars{"run_note": runNote})
}
