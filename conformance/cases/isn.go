package cases

import (
	"fmt"

	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/probe"
	"tcpregress.dev/tcpstack/tcp"
)

// ISN selection (RFC9293 §3.4.1, RFC6528): statistical evidence only.

func init() {
	register(suite.Case{ID: "isn/unpredictable", Title: "initial sequence numbers differ across connections with no constant step (statistical)",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-8 (statistical)", "RFC9293 SHLD-1", "RFC6528 §3"}}, isnUnpredictable)
}

// isnUnpredictable: RFC9293 MUST-8 (statistical), RFC6528. Eight SYN-ACKs: no ISN
// repeats and the steps between them are not constant.
func isnUnpredictable(t *T) {
	s := newSession(t)
	s.listen(s.port)
	var isns []tcp.Value
	for i := 0; i < 8; i++ {
		c, err := s.probe.NewConn(s.targetAt(s.port), probe.ConnConfig{}) // from a port of its own
		if err != nil {
			s.Brokenf("probe: %v", err)
		}
		s.send(c, "S 0:0(0) <mss 1460>")
		f := s.expect(c, "S. 0:0(0) ack 1")
		isns = append(isns, f.TCP.Seq)
		s.send(c, "R 1:1(0)")
	}
	seen := map[tcp.Value]bool{}
	steps := map[uint32]bool{}
	for i, v := range isns {
		if seen[v] {
			s.Fatalf("ISN %d repeated: %v", uint32(v), isns)
		}
		seen[v] = true
		if i > 0 {
			steps[uint32(v)-uint32(isns[i-1])] = true
		}
	}
	if len(steps) < 3 {
		s.Fatalf("ISNs %v advance in a predictable step", isns)
	}
	s.Logf("ISNs: %s", fmt.Sprint(isns))
}
