// Package drill runs packetdrill scripts, unchanged, against any target the
// conformance suite can reach: the tester's probe sends and checks the
// packets on the wire, the target's agent makes the system calls.
package drill
