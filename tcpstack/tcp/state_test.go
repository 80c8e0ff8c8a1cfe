package tcp

import "testing"

func TestStateNames(t *testing.T) {
	want := map[State]string{
		StateClosed: "CLOSED", StateListen: "LISTEN", StateSynSent: "SYN-SENT",
		StateSynReceived: "SYN-RECEIVED", StateEstablished: "ESTABLISHED",
		StateFinWait1: "FIN-WAIT-1", StateFinWait2: "FIN-WAIT-2", StateCloseWait: "CLOSE-WAIT",
		StateClosing: "CLOSING", StateLastAck: "LAST-ACK", StateTimeWait: "TIME-WAIT",
	}
	for s, name := range want {
		t.Run("state="+name, func(t *testing.T) {
			if s.String() != name {
				t.Errorf("got %q", s.String())
			}
		})
	}
	if State(42).String() != "State(42)" {
		t.Error(State(42).String())
	}
}

func TestLegalTransition(t *testing.T) {
	cases := []struct {
		from, to State
		ok       bool
	}{
		{StateSynSent, StateEstablished, true},
		{StateSynSent, StateSynReceived, true}, // simultaneous open
		{StateSynReceived, StateListen, true},  // RST, passive
		{StateEstablished, StateClosed, true},  // RST
		{StateFinWait1, StateClosing, true},
		{StateEstablished, StateTimeWait, false},
		{StateTimeWait, StateEstablished, false},
		{StateCloseWait, StateFinWait1, false},
	}
	for _, tc := range cases {
		t.Run("from="+tc.from.String()+"/to="+tc.to.String(), func(t *testing.T) {
			if got := LegalTransition(tc.from, tc.to); got != tc.ok {
				t.Errorf("got %v", got)
			}
		})
	}
}

// TestTransitionLog checks the funnel logs state=FROM→TO at debug level.
func TestTransitionLog(t *testing.T) {
	var buf logBuffer
	cfg := baseConfig()
	cfg.Logger = newTestLogger(&buf)
	h := newHarness(t, cfg)
	h.established(65535, "<mss 1000>")
	if !buf.contains(`"state":"SYN-SENT→ESTABLISHED"`) || !buf.contains(`"state":"CLOSED→SYN-SENT"`) {
		t.Fatalf("log lacks transitions:\n%s", buf.String())
	}
	// Silent by default.
	h2 := newHarness(t, baseConfig())
	h2.established(65535, "<mss 1000>")
}
