package harness

import (
	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/tcpstack"
)

// stackBackend is the agent backend over our userland stack, for
// --stack tcpstack.
func stackBackend(s *tcpstack.Stack) (agent.Backend, error) {
	return agent.StackBackend(s), nil
}
