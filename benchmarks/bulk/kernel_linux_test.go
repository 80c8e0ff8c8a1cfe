//go:build linux

package bulk

import (
	"strings"
	"testing"
)

// iperf3Output is the shape of iperf3 3.12's server output (-s -J) at the
// end of a test, intervals left out, with the given "error" members after
// the summary as iperf3 appends them.
func iperf3Output(errs ...string) string {
	out := `{"start": {}, "intervals": [], "end": {"sum_received": {"start": 0, "end": 0.600038, "seconds": 0.600038, "bytes": 967049110, "sender": false}}`
	for _, e := range errs {
		out += `, "error": "` + e + `"`
	}
	return out + "}"
}

func TestIperf3Summary(t *testing.T) {
	for _, tc := range []struct {
		name        string
		out         string
		interrupted bool
		err         string // "" when the summary is read
	}{
		{"clean", iperf3Output(), false, ""},
		{"interrupted", iperf3Output("the client has terminated"), true, ""},
		// The member seen to fail runs: TCP_INFO read after the data
		// socket was closed, written after the summary.
		{"interrupted then getsockopt", iperf3Output("the client has terminated", "getsockopt - Bad file descriptor"), true, ""},
		{"getsockopt", iperf3Output("getsockopt - Bad file descriptor"), false, ""},
		{"client terminated, not interrupted", iperf3Output("the client has terminated"), false, "iperf3 -s: the client has terminated"},
		{"other error hidden by a later getsockopt", iperf3Output("unable to receive results", "getsockopt - Bad file descriptor"), true, "iperf3 -s: unable to receive results"},
		{"no summary", `{"end": {}, "error": "unable to accept connection"}`, false, "iperf3 -s: unable to accept connection"},
		{"empty summary", `{"end": {"sum_received": {"bytes": 0, "seconds": 0}}}`, false, "reported 0 bytes"},
		{"not JSON", "iperf3: error - unable to start listener", false, "iperf3 -s output"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := iperf3Summary([]byte(tc.out), nil, tc.interrupted)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("error %v, want the summary", err)
			case tc.err == "" && (r.bytes != 967049110 || r.seconds != 0.600038):
				t.Fatalf("read %+v, want 967049110 bytes in 0.600038 s", r)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("error %v, want one with %q", err, tc.err)
			}
		})
	}
}

// TestIperf3SummaryStderr: when the server printed no JSON, the error has
// what it said on its standard error, which says why.
func TestIperf3SummaryStderr(t *testing.T) {
	const why = "iperf3: error - unable to start listener for connections: Address already in use"
	_, err := iperf3Summary(nil, []byte(why+"\n"), false)
	if err == nil || !strings.Contains(err.Error(), why) {
		t.Errorf("error %v, want one with the server's stderr %q", err, why)
	}
}
