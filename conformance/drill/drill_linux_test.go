//go:build linux && cgo

package drill

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"tcpregress.dev/conformance/harness"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/netns"
)

// target builds the local target drill runs against (kernel or tcpstack)
// with jobs tester stacks.
func target(t *testing.T, stack string, jobs int) *suite.Env {
	t.Helper()
	netns.RequireRoot(t)
	netns.HandleSignals()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	env, cleanup, err := harness.Local(ctx, harness.Options{Stack: stack, Jobs: jobs, MTU: LinkMTU, AdvMSS: AdvMSS})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	return env
}

func runCases(t *testing.T, env *suite.Env, r *Runner, cases []suite.Case, jobs int) map[string]suite.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res := suite.Run(ctx, cases, *env, suite.Options{Jobs: jobs})
	r.Restore()
	out := map[string]suite.Result{}
	for _, x := range res {
		out[x.ID] = x
	}
	return out
}

var ownScripts = []string{"testdata/scripts/calls.pkt", "testdata/scripts/client.pkt", "testdata/scripts/server.pkt", "testdata/scripts/splice.pkt"}

// TestOwnScripts runs drill's own scripts against the local kernel and
// against tcpstack: every construct, PASS (or UNSUPPORTED with the reason
// where tcpstack lacks what a script sets).
func TestOwnScripts(t *testing.T) {
	want := map[string]map[string]suite.Verdict{
		"kernel": {"testdata/scripts/calls.pkt": suite.PASS, "testdata/scripts/client.pkt": suite.PASS, "testdata/scripts/server.pkt": suite.PASS,
			"testdata/scripts/splice.pkt": suite.PASS},
		// calls.pkt sets net.ipv4.tcp_timestamps=0, a sysctl of the kernel;
		// splice.pkt makes a pipe, which only the kernel backend has.
		"tcpstack": {"testdata/scripts/calls.pkt": suite.UNSUPPORTED, "testdata/scripts/client.pkt": suite.PASS, "testdata/scripts/server.pkt": suite.PASS,
			"testdata/scripts/splice.pkt": suite.UNSUPPORTED},
	}
	// Why each UNSUPPORTED is: the message names the line and the reason.
	why := map[string]string{
		"testdata/scripts/calls.pkt":  "tcp_timestamps",
		"testdata/scripts/splice.pkt": "splice.pkt:18: pipe: the target's agent cannot: agent: pipe: pipe: pipe and splice: not in this backend",
	}
	for _, stack := range []string{"kernel", "tcpstack"} {
		t.Run(stack, func(t *testing.T) {
			env := target(t, stack, 2)
			r := NewRunner(env)
			got := runCases(t, env, r, r.Cases(ownScripts), 2)
			for id, v := range want[stack] {
				g := got[id]
				if g.Verdict != v {
					t.Errorf("%s on %s: %s %s, want %s\n%s", id, stack, g.Verdict, g.Message, v, g.Trace)
				}
				if v == suite.UNSUPPORTED && !strings.Contains(g.Message, why[id]) {
					t.Errorf("%s on %s: UNSUPPORTED %q, want the reason %q", id, stack, g.Message, why[id])
				}
			}
		})
	}
}

// mutation is one change of one outbound line of a script.
type mutation struct {
	what string
	line int // 1-based
	src  string
}

var (
	outLine = regexp.MustCompile(`^(\s*)(\+[0-9.]+)(\s+>\s+)(\S+)(\s+\S+)(.*)$`)
	ackRE   = regexp.MustCompile(`ack ([0-9]+)`)
	mssRE   = regexp.MustCompile(`mss ([0-9]+)`)
	wsRE    = regexp.MustCompile(`wscale ([0-9]+)`)
)

// mutations returns, for every outbound line of src with a plain relative
// time, the changes packetdrill must catch: a flag, the ack, the window,
// an option, the time by three times the tolerance.
func mutations(src string, tolerance time.Duration) []mutation {
	lines := strings.Split(src, "\n")
	var out []mutation
	add := func(i int, what, line string) {
		m := append([]string(nil), lines...)
		m[i] = line
		out = append(out, mutation{what: what, line: i + 1, src: strings.Join(m, "\n")})
	}
	for i, l := range lines {
		m := outLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		ind, tm, arrow, flags, seq, rest := m[1], m[2], m[3], m[4], m[5], m[6]
		// A flag: PSH toggled (or FIN on a SYN).
		nf := strings.Replace(flags, "P", "", 1)
		if nf == flags {
			nf = "P" + flags
		}
		if strings.Contains(flags, "S") {
			nf = "F" + flags
		}
		add(i, "flag "+flags+"→"+nf, ind+tm+arrow+nf+seq+rest)
		if a := ackRE.FindStringSubmatch(rest); a != nil {
			add(i, "ack+1", ind+tm+arrow+flags+seq+strings.Replace(rest, a[0], fmt.Sprintf("ack %s1", a[1]), 1))
		}
		// The window: the line names one the target does not send.
		if strings.Contains(rest, " win ") {
			add(i, "win", ind+tm+arrow+flags+seq+regexp.MustCompile(`win [0-9]+`).ReplaceAllString(rest, "win 3"))
		} else if j := strings.Index(rest, "<"); j >= 0 {
			add(i, "win", ind+tm+arrow+flags+seq+rest[:j]+"win 3 "+rest[j:])
		} else {
			add(i, "win", ind+tm+arrow+flags+seq+rest+" win 3")
		}
		switch {
		case mssRE.MatchString(rest):
			add(i, "mss", ind+tm+arrow+flags+seq+mssRE.ReplaceAllString(rest, "mss 536"))
		case wsRE.MatchString(rest):
			add(i, "wscale", ind+tm+arrow+flags+seq+wsRE.ReplaceAllString(rest, "wscale 14"))
		case strings.Contains(rest, "<nop,nop,TS"):
			add(i, "option", ind+tm+arrow+flags+seq+strings.Replace(rest, "<nop,nop,TS", "<nop,eol,TS", 1))
		case !strings.Contains(rest, "<"):
			add(i, "option", ind+tm+arrow+flags+seq+rest+" <nop,nop,sackOK>")
		}
		d, err := time.ParseDuration(strings.TrimPrefix(tm, "+") + "s")
		if err == nil {
			add(i, "time+3×tolerance", ind+fmt.Sprintf("+%.3f", (d+3*tolerance).Seconds())+arrow+flags+seq+rest)
		}
	}
	return out
}

// TestMutations changes one outbound line of drill's passing scripts at a
// time, in every way mutations knows, and wants FAIL at that line every
// time: drill checks what it claims to.
func TestMutations(t *testing.T) {
	env := target(t, "kernel", 2)
	r := NewRunner(env)
	var cases []suite.Case
	want := map[string]mutation{}
	for _, path := range ownScripts {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range mutations(string(b), 50*time.Millisecond) {
			c := r.CaseSource(path, m.src)
			c.ID = fmt.Sprintf("%s#%d:%d:%s", path, i, m.line, m.what)
			cases = append(cases, c)
			want[c.ID] = m
		}
	}
	if len(cases) < 40 {
		t.Fatalf("%d mutations, want at least 40", len(cases))
	}
	got := runCases(t, env, r, cases, 2)
	caught := 0
	for id, m := range want {
		g := got[id]
		prefix := fmt.Sprintf("%s:%d:", strings.SplitN(id, "#", 2)[0], m.line)
		if g.Verdict != suite.FAIL || !strings.HasPrefix(g.Message, prefix) {
			t.Errorf("mutation %s: %s %q, want FAIL at %s", id, g.Verdict, g.Message, prefix)
			continue
		}
		caught++
	}
	t.Logf("%d of %d mutations FAIL at their line", caught, len(cases))
}

func TestFind(t *testing.T) {
	files, err := Find([]string{"testdata/scripts", filepath.Join("testdata", "packetdrill", "tcp", "close", "close-on-syn-sent.pkt")})
	if err != nil || len(files) != 5 || files[4] != "testdata/packetdrill/tcp/close/close-on-syn-sent.pkt" {
		t.Errorf("Find: %v, %v", files, err)
	}
	if _, err := Find([]string{"testdata/nothing"}); err == nil {
		t.Error("Find of a missing path: no error")
	}
}

// TestCloseInSynSent runs packetdrill's close-on-syn-sent.pkt against
// tcpstack: close() in SYN-SENT deletes the connection (RFC 9293 §3.10.4),
// so the SYN-ACK that comes after it is answered with a reset (§3.10.7.1),
// not the handshake's ACK. The tolerance is wide: the test is about the
// reset, not its time.
func TestCloseInSynSent(t *testing.T) {
	path := "testdata/packetdrill/tcp/close/close-on-syn-sent.pkt"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := target(t, "tcpstack", 1)
	r := NewRunner(env)
	c := r.CaseSource(path, "--tolerance_usecs=50000\n"+string(b))
	got := runCases(t, env, r, []suite.Case{c}, 1)
	if g := got[path]; g.Verdict != suite.PASS {
		t.Errorf("%s on tcpstack: %s %s, want PASS\n%s", path, g.Verdict, g.Message, g.Trace)
	}
}

// TestQdisc runs packetdrill's user-timeout-probe.pkt, whose command in
// the middle of the script makes the target's interface drop everything
// (tc qdisc add dev tun0 root pfifo limit 0): it passes only when the
// qdisc is applied at its time; the script after it passes only when the
// qdisc was deleted again.
func TestQdisc(t *testing.T) {
	probe := "testdata/packetdrill/tcp/user_timeout/user-timeout-probe.pkt"
	env := target(t, "kernel", 1)
	r := NewRunner(env)
	got := runCases(t, env, r, r.Cases([]string{probe, "testdata/scripts/server.pkt"}), 1)
	for id, g := range got {
		if g.Verdict != suite.PASS {
			t.Errorf("%s: %s %s, want PASS\n%s", id, g.Verdict, g.Message, g.Trace)
		}
	}
}
