// Connection states and the one funnel every transition goes through.
//
// Read before editing: RFC9293 §3.3.2 (the states and Figure 5, the state
// diagram), RFC9293 §3.10.7 (which events move between them), RFC9293 MUST-11
// (SYN-RECEIVED remembers whether it came from LISTEN).

package tcp

import "strconv"

// State is a connection state of RFC9293 §3.3.2.
type State uint8

// The states, named as in RFC9293 §3.3.2.
const (
	StateClosed State = iota
	StateListen
	StateSynSent
	StateSynReceived
	StateEstablished
	StateFinWait1
	StateFinWait2
	StateCloseWait
	StateClosing
	StateLastAck
	StateTimeWait
)

var stateNames = [...]string{
	StateClosed:      "CLOSED",
	StateListen:      "LISTEN",
	StateSynSent:     "SYN-SENT",
	StateSynReceived: "SYN-RECEIVED",
	StateEstablished: "ESTABLISHED",
	StateFinWait1:    "FIN-WAIT-1",
	StateFinWait2:    "FIN-WAIT-2",
	StateCloseWait:   "CLOSE-WAIT",
	StateClosing:     "CLOSING",
	StateLastAck:     "LAST-ACK",
	StateTimeWait:    "TIME-WAIT",
}

// String returns the RFC9293 name of s, such as "SYN-SENT".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// synchronized reports whether s is one of the states after the handshake
// where both sequence spaces are known (RFC9293 §3.5.2 calls these the
// synchronized states).
func (s State) synchronized() bool { return s >= StateEstablished }

// legalTransitions lists, per state, the states RFC9293 Figure 5 and §3.10
// allow next. Every state may also go to CLOSED (ABORT, RST, user timeout).
// SYN-RECEIVED may return to LISTEN (RFC9293 §3.10.7.4, passive open only).
var legalTransitions = [...][]State{
	StateClosed:      {StateSynSent, StateListen},
	StateListen:      {StateSynReceived, StateSynSent},
	StateSynSent:     {StateSynReceived, StateEstablished},
	StateSynReceived: {StateEstablished, StateFinWait1, StateListen, StateCloseWait},
	StateEstablished: {StateFinWait1, StateCloseWait},
	StateFinWait1:    {StateFinWait2, StateClosing, StateTimeWait},
	StateFinWait2:    {StateTimeWait},
	StateCloseWait:   {StateLastAck},
	StateClosing:     {StateTimeWait},
	StateLastAck:     {},
	StateTimeWait:    {},
}

// LegalTransition reports whether RFC9293 allows a connection to move from
// one state to the other (Figure 5, plus the transitions to CLOSED that ABORT,
// RST and timeouts cause from any state).
func LegalTransition(from, to State) bool {
	if to == StateClosed {
		return true
	}
	if int(from) >= len(legalTransitions) {
		return false
	}
	for _, s := range legalTransitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// setState is the one place the state changes. It logs the transition at
// debug level as state=FROM→TO, and runs the test hook.
func (c *Conn) setState(to State) {
	from := c.state
	if from == to {
		return
	}
	c.state = to
	if e := c.log.Debug(); e.Enabled() {
		e.Str("state", from.String()+"→"+to.String()).Str("from", from.String()).Str("to", to.String()).Msg("tcp state")
	}
	if c.onState != nil {
		c.onState(from, to)
	}
	switch to {
	case StateEstablished:
		c.events |= EventEstablished
	case StateClosed, StateListen:
		c.events |= EventClosed
	}
}
