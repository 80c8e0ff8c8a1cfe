//go:build linux

package cases

import (
	"context"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"tcpregress.dev/conformance/harness"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/netns"
	"tcpregress.dev/tcpstack/tcp"
)

// Known answers: the suite measures what it claims. Turning a feature off
// on the target must turn exactly the cases that depend on it from PASS to
// UNSUPPORTED and leave every other verdict alone; a target with RFC5961
// deliberately broken must FAIL the cases that check it. The expected sets
// are declared here by hand, not derived from the cases, so that a case
// that stops depending on its feature, or starts depending on another one,
// shows up as a difference.

// Cases whose verdict turns PASS → UNSUPPORTED when a feature is off.
var (
	// RFC2018 SACK (net.ipv4.tcp_sack=0, tcp.Config.DisableSACK).
	// timestamps/window-scale-of-target sees the out-of-order data it sends
	// taken through a SACK block, so it needs SACK too.
	needSACK = []string{
		"data/sack-blocks-reported",
		"handshake/synack-sack-permitted",
		"retransmission/sack-recovery",
		"timestamps/window-scale-of-target",
	}
	// RFC7323 timestamps (net.ipv4.tcp_timestamps=0, DisableTimestamps).
	// timestamps/not-sent-unless-negotiated does not offer timestamps in
	// the first place, so it keeps its verdict.
	needTimestamps = []string{
		"handshake/synack-timestamps",
		"options/unaligned-timestamps",
		"timestamps/on-every-segment",
		"timestamps/paws-old-tsval-dropped",
		"timestamps/tsecr-echoes",
	}
	// RFC7323 window scaling (net.ipv4.tcp_window_scaling=0,
	// DisableWindowScale).
	needWindowScale = []string{
		"handshake/synack-window-scale",
		"timestamps/window-scale-applied-by-target",
		"timestamps/window-scale-of-target",
	}
	// Cases that FAIL on a target with the RFC5961 mitigations off
	// (tcp.Config.DisableRFC5961: RFC793 behaviour) and PASS with them on.
	// The other cases citing RFC5961 check behaviour RFC793 already had
	// (a RST at RCV.NXT resets, a RST outside the window or without ACK in
	// SYN-SENT is dropped, an ACK of unsent data is dropped): they PASS on
	// both targets, which TestKnownAnswersRFC5961Off asserts too.
	failRFC5961Off = []string{
		"reset/ack-too-old-dropped",
		"reset/rst-in-window-challenge-ack",
		"reset/syn-in-established-challenge-ack",
	}
)

// slowCases are the cases that wait on timers (retransmission backoff,
// keep-alive, user timeouts, a 3 s silence): left out of the known-answer
// runs to keep them short. None depends on SACK, timestamps or window
// scaling.
var slowCases = regexp.MustCompile(`^(keepalive/.*|retransmission/(rto-backoff|syn-user-timeout|user-timeout-give-up)|handshake/(syn|synack)-retransmit-backoff|data/zero-window-indefinite|options/ip-source-route-return)$`)

// knownAnswerCases is what the feature runs execute: every case but the
// slow ones.
func knownAnswerCases(t *testing.T) []suite.Case {
	all, err := suite.Select(suite.Cases(), "", "all")
	if err != nil {
		t.Fatal(err)
	}
	var cs []suite.Case
	for _, c := range all {
		if !slowCases.MatchString(c.ID) {
			cs = append(cs, c)
		}
	}
	return cs
}

// TestKnownAnswerSets checks the hand-written sets against the registry:
// every ID exists and cites the feature's RFC, and no
// slow case (left out of the runs) is in a set.
func TestKnownAnswerSets(t *testing.T) {
	byID := map[string]suite.Case{}
	for _, c := range suite.Cases() {
		byID[c.ID] = c
	}
	check := func(name, rfc string, ids []string) {
		for _, id := range ids {
			c, ok := byID[id]
			if !ok {
				t.Errorf("%s: no case %s", name, id)
				continue
			}
			if slowCases.MatchString(id) {
				t.Errorf("%s: %s is among the slow cases the runs leave out", name, id)
			}
			if !slices.ContainsFunc(c.Requirements, func(r string) bool { return strings.HasPrefix(r, rfc) }) {
				t.Errorf("%s: %s cites no %s requirement (%v)", name, id, rfc, c.Requirements)
			}
		}
	}
	check("sack", "RFC2018", needSACK)
	check("timestamps", "RFC7323", needTimestamps)
	check("window-scale", "RFC7323", needWindowScale)
	check("rfc5961", "RFC5961", failRFC5961Off)
}

// runner runs cases against one local target, two at a time.
type runner struct {
	t     *testing.T
	ctx   context.Context
	env   *suite.Env
	calls int
}

func newRunner(t *testing.T, opts harness.Options) *runner {
	t.Helper()
	ctx := context.Background()
	opts.Jobs = 2
	env, cleanup, err := harness.Local(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	return &runner{t: t, ctx: ctx, env: env}
}

// run returns the verdicts by case ID; an ERROR (the bench broke) fails
// the test.
func (r *runner) run(label string, cs []suite.Case) map[string]suite.Result {
	r.t.Helper()
	// A second run on the same target takes other ports: the first run's
	// connections may linger in TIME-WAIT.
	first := uint16(20000 + 5000*r.calls)
	r.calls++
	results := suite.Run(r.ctx, cs, *r.env, suite.Options{Jobs: 2, Timeout: 30 * time.Second, PortFirst: first, PortLast: first + 4999})
	out := map[string]suite.Result{}
	for _, res := range results {
		out[res.ID] = res
		if res.Verdict == suite.ERROR {
			r.t.Errorf("%s: %s: ERROR: %s\n%s", label, res.ID, res.Message, res.Trace)
		}
	}
	return out
}

// changed lists the IDs whose verdict differs between a and b.
func changed(a, b map[string]suite.Result) []string {
	var ids []string
	for id, ra := range a {
		if rb, ok := b[id]; ok && rb.Verdict != ra.Verdict {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func casesByID(cs []suite.Case, ids []string) []suite.Case {
	var out []suite.Case
	for _, c := range cs {
		if slices.Contains(ids, c.ID) {
			out = append(out, c)
		}
	}
	return out
}

// featureOff is one known answer: a target with a feature off and the
// cases that must turn UNSUPPORTED on it.
type featureOff struct {
	name string
	opts harness.Options
	want []string
}

// checkFeaturesOff runs the cases against base and against each feature-off
// target and compares the verdict changes with the declared sets. A change
// outside the set counts only if it repeats when the case runs again on
// both targets (a timing-sensitive case may flip once).
func checkFeaturesOff(t *testing.T, base harness.Options, features []featureOff) {
	cs := knownAnswerCases(t)
	start := time.Now()
	b := newRunner(t, base)
	baseline := b.run("baseline", cs)
	for _, f := range features {
		t.Run(f.name, func(t *testing.T) {
			o := newRunner(t, f.opts)
			got := o.run(f.name, cs)
			diff := changed(baseline, got)
			var stray []string
			for _, id := range diff {
				if !slices.Contains(f.want, id) {
					stray = append(stray, id)
				}
			}
			if len(stray) > 0 {
				// Again, both sides, before calling it a finding.
				again := casesByID(cs, stray)
				b2, o2 := b.run("baseline again", again), o.run(f.name+" again", again)
				var kept []string
				for _, id := range stray {
					if b2[id].Verdict != o2[id].Verdict {
						kept = append(kept, id)
						t.Errorf("%s changed with %s: %s → %s (again %s → %s): %s\n%s", id, f.name,
							baseline[id].Verdict, got[id].Verdict, b2[id].Verdict, o2[id].Verdict, got[id].Message, got[id].Trace)
					} else {
						t.Logf("%s flipped once (%s → %s), not again (%s both times)", id, baseline[id].Verdict, got[id].Verdict, b2[id].Verdict)
					}
				}
				diff = slices.DeleteFunc(diff, func(id string) bool { return slices.Contains(stray, id) && !slices.Contains(kept, id) })
			}
			t.Logf("verdicts changed by %s: %v", f.name, diff)
			for _, id := range f.want {
				if baseline[id].Verdict != suite.PASS || got[id].Verdict != suite.UNSUPPORTED {
					t.Errorf("%s: %s → %s with %s, want PASS → UNSUPPORTED: %s\n%s", id, baseline[id].Verdict, got[id].Verdict, f.name, got[id].Message, got[id].Trace)
				}
			}
		})
	}
	t.Logf("%d cases, %d targets, %v", len(cs), len(features)+1, time.Since(start).Round(time.Millisecond))
}

// TestKnownAnswersLinux: the kernel target with net.ipv4.tcp_sack=0,
// tcp_timestamps=0 and tcp_window_scaling=0 in its namespace.
func TestKnownAnswersLinux(t *testing.T) {
	netns.RequireRoot(t)
	if testing.Short() {
		t.Skip("runs the suite against the kernel four times")
	}
	sysctl := func(kv string) harness.Options { return harness.Options{Sysctls: []string{kv}} }
	checkFeaturesOff(t, harness.Options{}, []featureOff{
		{"tcp_sack=0", sysctl("net.ipv4.tcp_sack=0"), needSACK},
		{"tcp_timestamps=0", sysctl("net.ipv4.tcp_timestamps=0"), needTimestamps},
		{"tcp_window_scaling=0", sysctl("net.ipv4.tcp_window_scaling=0"), needWindowScale},
	})
}

// TestKnownAnswersTCPStack: the tcpstack target with DisableSACK,
// DisableTimestamps and DisableWindowScale, set as tcpregress run
// --stack-option does.
func TestKnownAnswersTCPStack(t *testing.T) {
	netns.RequireRoot(t)
	if testing.Short() {
		t.Skip("runs the suite against tcpstack four times")
	}
	stack := func(opt string) harness.Options {
		set, err := harness.StackOptions([]string{opt})
		if err != nil {
			t.Fatal(err)
		}
		return harness.Options{Stack: "tcpstack", StackTCP: set}
	}
	checkFeaturesOff(t, harness.Options{Stack: "tcpstack"}, []featureOff{
		{"no-sack", stack("no-sack"), needSACK},
		{"no-timestamps", stack("no-timestamps"), needTimestamps},
		{"no-wscale", stack("no-wscale"), needWindowScale},
	})
}

// TestKnownAnswersRFC5961Off: a deliberately broken target, tcpstack with
// tcp.Config.DisableRFC5961, FAILs the challenge-ACK cases and passes the
// other RFC5961 cases; the same stack with the mitigations PASSes them all.
func TestKnownAnswersRFC5961Off(t *testing.T) {
	netns.RequireRoot(t)
	if testing.Short() {
		t.Skip("runs cases against tcpstack")
	}
	var cs []suite.Case
	for _, c := range suite.Cases() {
		if slices.ContainsFunc(c.Requirements, func(r string) bool { return strings.Contains(r, "RFC5961") }) {
			cs = append(cs, c)
		}
	}
	if len(cs) < len(failRFC5961Off) {
		t.Fatalf("%d cases cite RFC5961", len(cs))
	}
	good := newRunner(t, harness.Options{Stack: "tcpstack"}).run("tcpstack", cs)
	broken := newRunner(t, harness.Options{Stack: "tcpstack", StackTCP: func(c *tcp.Config) { c.DisableRFC5961 = true }}).run("tcpstack without RFC5961", cs)
	var failed []string
	for _, c := range cs {
		g, b := good[c.ID], broken[c.ID]
		if g.Verdict != suite.PASS {
			t.Errorf("%s: %s on tcpstack, want PASS: %s\n%s", c.ID, g.Verdict, g.Message, g.Trace)
		}
		want := suite.PASS
		if slices.Contains(failRFC5961Off, c.ID) {
			want = suite.FAIL
		}
		if b.Verdict == suite.FAIL {
			failed = append(failed, c.ID)
		}
		if b.Verdict != want {
			t.Errorf("%s: %s on tcpstack without RFC5961, want %s: %s\n%s", c.ID, b.Verdict, want, b.Message, b.Trace)
		}
	}
	t.Logf("%d cases cite RFC5961; FAIL without the mitigations: %v", len(cs), failed)
}

// TestKnownAnswersSourceChecks: the two Linux deviations that a setting of
// the target's namespace decides (see expect/linux.txt). With the defaults
// of a new namespace Linux answers a SYN from the subnet's broadcast address
// (rp_filter=0) and drops a source-routed SYN-ACK (accept_source_route=0);
// with rp_filter=1 and accept_source_route=1 the same cases PASS, so their
// verdicts come from the target, not from the bench.
func TestKnownAnswersSourceChecks(t *testing.T) {
	netns.RequireRoot(t)
	if testing.Short() {
		t.Skip("runs cases against the kernel twice")
	}
	ids := []string{"handshake/syn-from-broadcast-ignored", "handshake/syn-from-multicast-ignored",
		"options/app-source-route-precedence", "options/app-source-route-syn"}
	cs := casesByID(suite.Cases(), ids)
	if len(cs) != len(ids) {
		t.Fatalf("%d of the cases %v are registered", len(cs), ids)
	}
	for _, tc := range []struct {
		name    string
		sysctls []string
		want    []suite.Verdict // in the order of ids
	}{
		{"defaults", nil, []suite.Verdict{suite.FAIL, suite.PASS, suite.SKIP, suite.PASS}},
		{"rp_filter=1 accept_source_route=1", []string{"net.ipv4.conf.all.rp_filter=1", "net.ipv4.conf.all.accept_source_route=1"},
			[]suite.Verdict{suite.PASS, suite.PASS, suite.PASS, suite.PASS}},
	} {
		got := newRunner(t, harness.Options{Sysctls: tc.sysctls}).run(tc.name, cs)
		for i, id := range ids {
			if r := got[id]; r.Verdict != tc.want[i] {
				t.Errorf("%s: %s: %s, want %s: %s\n%s", tc.name, id, r.Verdict, tc.want[i], r.Message, r.Trace)
			}
		}
	}
}
