package suite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// selfCases are fake cases touching neither probe nor agent.
func selfCases(block chan struct{}) []Case {
	return []Case{
		{ID: "self/pass", Area: "self", Level: MUST, Requirements: []string{"RFC9293 MUST-1"}, Run: func(t *T) {
			t.Logf("sent nothing, all fine")
		}},
		{ID: "self/fail", Area: "self", Level: MUST, Run: func(t *T) {
			t.Fatalf("no SYN-ACK after %d tries", 3)
			panic("not reached")
		}},
		{ID: "self/broken", Area: "self", Level: SHOULD, Run: func(t *T) {
			t.Brokenf("bench broke")
			panic("not reached")
		}},
		{ID: "self/errorf-goes-on", Area: "self", Level: MUST, Run: func(t *T) {
			t.Errorf("first %s", "finding")
			if !t.Failed() {
				t.Brokenf("Failed after Errorf is false")
			}
			t.Logf("still running after Errorf")
			t.Errorf("second finding")
		}},
		{ID: "self/errorf-then-fatalf", Area: "self", Level: MUST, Run: func(t *T) {
			t.Errorf("first finding")
			t.Fatalf("last finding")
			panic("not reached")
		}},
		{ID: "self/errorf-then-broken", Area: "self", Level: MUST, Run: func(t *T) {
			t.Errorf("first finding")
			t.Brokenf("the agent went away")
		}},
		{ID: "self/errorf-then-skip", Area: "self", Level: MUST, Run: func(t *T) {
			t.Errorf("first finding")
			t.Skipf("no more to see")
		}},
		{ID: "self/errorf-from-goroutine", Area: "self", Level: MUST, Run: func(t *T) {
			done := make(chan struct{})
			go func() {
				defer close(done)
				t.Errorf("found by a helper goroutine")
			}()
			<-done
		}},
		{ID: "self/errorf-then-timeout", Area: "self", Level: MAY, Timeout: 50 * time.Millisecond, Run: func(t *T) {
			t.Errorf("first finding")
			<-t.Context().Done()
			time.Sleep(20 * time.Millisecond) // past the release of the case
			t.Errorf("a finding after the case ended")
		}},
		{ID: "self/panic", Area: "self", Level: MUST, Run: func(t *T) {
			var m map[string]int
			m["x"] = 1
		}},
		{ID: "self/timeout", Area: "self", Level: MAY, Timeout: 50 * time.Millisecond, Run: func(t *T) {
			<-t.Context().Done()
		}},
		{ID: "self/hang", Area: "self", Level: MAY, Timeout: 50 * time.Millisecond, Run: func(t *T) {
			<-block // ignores its context
		}},
		{ID: "self/late-verdict", Area: "self", Level: MAY, Timeout: 50 * time.Millisecond, Run: func(t *T) {
			<-t.Context().Done()
			t.Fatalf("nothing came (because the probe was closed)")
		}},
		{ID: "self/unsupported", Area: "self", Level: FEATURE, Run: func(t *T) {
			t.Unsupported("no %s", "TCP_USER_TIMEOUT")
		}},
		{ID: "self/skip", Area: "self", Level: MAY, Run: func(t *T) {
			t.Skipf("not today")
		}},
		{ID: "self/goexit-from-helper", Area: "self", Level: MAY, Run: func(t *T) {
			t.Logf("port %d then %d", t.Port(), t.Port())
			if t.Probe() != nil || t.Agent() != nil {
				t.Brokenf("want a nil probe and agent")
			}
		}},
	}
}

func TestRunVerdicts(t *testing.T) {
	graceAfterTimeout = 50 * time.Millisecond
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	exp, err := ParseExpectations(strings.NewReader("# known\nself/broken ERROR bench\nself/pass FAIL wrong on purpose\n"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	started, done := 0, 0
	res := Run(context.Background(), selfCases(block), Env{Target: Target{Name: "fake"}}, Options{
		Jobs: 3, Timeout: time.Second, Expect: exp,
		OnStart: func(Case) { mu.Lock(); started++; mu.Unlock() },
		OnDone:  func(Result) { mu.Lock(); done++; mu.Unlock() },
	})
	want := map[string]struct {
		v        Verdict
		expected bool
		msg      string
	}{
		"self/pass":   {PASS, false, "unexpected pass"},
		"self/fail":   {FAIL, false, "no SYN-ACK after 3 tries"},
		"self/broken": {ERROR, true, "bench broke"},
		// Errorf records a failure and the case goes on; the verdict is
		// FAIL whatever ends the case afterwards.
		"self/errorf-goes-on":        {FAIL, false, "first finding; second finding"},
		"self/errorf-then-fatalf":    {FAIL, false, "first finding; last finding"},
		"self/errorf-then-broken":    {FAIL, false, "first finding; then ERROR: the agent went away"},
		"self/errorf-then-skip":      {FAIL, false, "first finding; then SKIP: no more to see"},
		"self/errorf-from-goroutine": {FAIL, false, "found by a helper goroutine"},
		"self/errorf-then-timeout":   {FAIL, false, "first finding; then ERROR: timed out after 50ms"},
		"self/panic":                 {ERROR, false, "panic: assignment to entry in nil map"},
		"self/timeout":               {ERROR, false, "timed out after 50ms"},
		"self/hang":                  {ERROR, false, "timed out after 50ms"},
		"self/late-verdict":          {ERROR, false, "timed out after 50ms"},
		"self/unsupported":           {UNSUPPORTED, true, "no TCP_USER_TIMEOUT"},
		"self/skip":                  {SKIP, true, "not today"},
		"self/goexit-from-helper":    {PASS, true, ""},
	}
	if len(res) != len(want) || started != len(want) || done != len(want) {
		t.Fatalf("%d results, %d started, %d done; want %d", len(res), started, done, len(want))
	}
	for _, r := range res {
		w := want[r.ID]
		if r.Verdict != w.v || r.Expected != w.expected || !strings.HasPrefix(r.Message, w.msg) ||
			strings.HasPrefix(r.ID, "self/errorf") && r.Message != w.msg {
			t.Errorf("%s: %s expected=%v %q; want %s expected=%v %q…", r.ID, r.Verdict, r.Expected, r.Message, w.v, w.expected, w.msg)
		}
	}
	byID := map[string]Result{}
	for _, r := range res {
		byID[r.ID] = r
	}
	if tr := byID["self/panic"].Trace; !strings.Contains(tr, "goroutine") || !strings.Contains(tr, "suite_test.go") {
		t.Errorf("panic trace lacks the stack:\n%s", tr)
	}
	if tr := byID["self/pass"].Trace; !strings.Contains(tr, "sent nothing, all fine") {
		t.Errorf("trace %q lacks the Logf line", tr)
	}
	if tr := byID["self/errorf-goes-on"].Trace; !strings.Contains(tr, "still running after Errorf") || !strings.Contains(tr, "FAIL: second finding") {
		t.Errorf("Errorf stopped the case, or its failures are not in the trace:\n%s", tr)
	}
	if tr := byID["self/errorf-then-timeout"].Trace; !strings.Contains(tr, "failure after the case ended (not counted): a finding after the case ended") {
		t.Errorf("a failure after the case ended is not logged as not counted:\n%s", tr)
	}
	// The Exchange has the failures and the ending verdict, timed, in order.
	wantEvents := map[string]string{
		"self/pass":                "",
		"self/errorf-then-fatalf":  "FAIL first finding|FAIL last finding",
		"self/errorf-then-timeout": "FAIL first finding|ERROR timed out after 50ms",
		"self/panic":               "ERROR panic: assignment to entry in nil map",
		"self/late-verdict":        "ERROR timed out after 50ms",
		"self/skip":                "SKIP not today",
	}
	for id, want := range wantEvents {
		ex := byID[id].Exchange
		if ex == nil {
			t.Errorf("%s: no Exchange", id)
			continue
		}
		var got []string
		last := ex.Start
		for _, e := range ex.Events {
			got = append(got, string(e.Verdict)+" "+e.Message)
			if e.Time.Before(last) {
				t.Errorf("%s: event %q at %v, before the one before it or the case's start", id, e.Message, e.Time)
			}
			last = e.Time
		}
		if g := strings.Join(got, "|"); g != want {
			t.Errorf("%s: events %q, want %q", id, g, want)
		}
		if len(ex.Frames) != 0 || len(ex.Calls) != 0 || ex.Tester.IsValid() {
			t.Errorf("%s: frames or calls without a probe or an agent: %+v", id, ex)
		}
	}
	if !byID["self/pass"].UnexpectedPass() || !AnyFailed(res) || byID["self/broken"].Failed() {
		t.Errorf("UnexpectedPass/AnyFailed/Failed disagree with the verdicts")
	}
}

func TestPortsUnique(t *testing.T) {
	var mu sync.Mutex
	seen := map[uint16]string{}
	var cs []Case
	for i := range 20 {
		cs = append(cs, Case{ID: "p/" + string(rune('a'+i)), Level: MUST, Run: func(t *T) {
			for range 3 {
				p := t.Port()
				mu.Lock()
				if other, dup := seen[p]; dup {
					mu.Unlock()
					t.Fatalf("port %d also given to %s", p, other)
				}
				seen[p] = t.c.ID
				mu.Unlock()
			}
		}})
	}
	for _, r := range Run(context.Background(), cs, Env{}, Options{Jobs: 4, PortFirst: 30000, PortLast: 30059}) {
		if r.Verdict != PASS {
			t.Errorf("%s: %s %s", r.ID, r.Verdict, r.Message)
		}
	}
	if len(seen) != 60 {
		t.Errorf("%d ports; want 60", len(seen))
	}
	// One more port than the range holds: the case ends with ERROR.
	seen = map[uint16]string{}
	r := Run(context.Background(), cs[:1], Env{}, Options{PortFirst: 30000, PortLast: 30001})
	if r[0].Verdict != ERROR || !strings.Contains(r[0].Message, "port range") {
		t.Errorf("exhausted range: %s %q", r[0].Verdict, r[0].Message)
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := Run(ctx, selfCases(nil)[:2], Env{}, Options{})
	for _, r := range res {
		if r.Verdict != SKIP || r.Message != "run cancelled" {
			t.Errorf("%s: %s %q", r.ID, r.Verdict, r.Message)
		}
	}
}

// TestRunSlow: a slow case is SKIP with the slow message, without
// running, unless the run asks for slow cases; its expectation (about the
// verdict it gives when it runs) does not make the skip unexpected.
func TestRunSlow(t *testing.T) {
	var mu sync.Mutex
	ran := map[string]bool{}
	body := func(t *T) {
		mu.Lock()
		ran[t.c.ID] = true
		mu.Unlock()
		if t.c.ID == "slow/fails" {
			t.Fatalf("gave up after 127 s")
		}
	}
	cs := []Case{
		{ID: "fast/pass", Level: MUST, Requirements: []string{"RFC9293 MUST-19"}, Run: body},
		{ID: "slow/fails", Level: MUST, Requirements: []string{"RFC9293 MUST-23"}, Slow: 200 * time.Second, Timeout: time.Hour, Run: body},
		{ID: "slow/passes", Level: MUST, Requirements: []string{"RFC9293 MUST-23"}, Slow: 90 * time.Second, Timeout: time.Hour, Run: body},
	}
	exp, err := ParseExpectations(strings.NewReader("slow/fails FAIL gives up at 127 s\n"))
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		v        Verdict
		expected bool
		msg      string
	}
	for _, tt := range []struct {
		slow bool
		want map[string]want
	}{
		{false, map[string]want{
			"fast/pass":   {PASS, true, ""},
			"slow/fails":  {SKIP, true, "slow case (about 3m20s): run with --slow"},
			"slow/passes": {SKIP, true, "slow case (about 1m30s): run with --slow"},
		}},
		{true, map[string]want{
			"fast/pass":   {PASS, true, ""},
			"slow/fails":  {FAIL, true, "gave up after 127 s"},
			"slow/passes": {PASS, true, ""},
		}},
	} {
		ran = map[string]bool{}
		res := Run(context.Background(), cs, Env{}, Options{Jobs: 2, Expect: exp, Slow: tt.slow})
		for _, r := range res {
			w := tt.want[r.ID]
			if r.Verdict != w.v || r.Expected != w.expected || r.Message != w.msg {
				t.Errorf("slow=%v: %s: %s expected=%v %q; want %s expected=%v %q", tt.slow, r.ID, r.Verdict, r.Expected, r.Message, w.v, w.expected, w.msg)
			}
			if ran[r.ID] != (r.Verdict != SKIP) {
				t.Errorf("slow=%v: %s: ran=%v with verdict %s", tt.slow, r.ID, ran[r.ID], r.Verdict)
			}
			if r.Failed() {
				t.Errorf("slow=%v: %s counts as an unexpected failure", tt.slow, r.ID)
			}
		}
	}
}

func TestRegister(t *testing.T) {
	registry.Lock()
	saved := registry.cases
	registry.cases = map[string]Case{}
	registry.Unlock()
	t.Cleanup(func() { registry.Lock(); registry.cases = saved; registry.Unlock() })

	Register(Case{ID: "b/x", Level: MUST, Run: func(*T) {}})
	Register(Case{ID: "a/y", Level: MAY, Run: func(*T) {}})
	Register(Case{ID: "c/slow", Level: MUST, Slow: time.Minute, Timeout: 2 * time.Minute, Run: func(*T) {}})
	if cs := Cases(); len(cs) != 3 || cs[0].ID != "a/y" || cs[2].Slow != time.Minute {
		t.Errorf("Cases() = %v; want a/y, b/x, c/slow", cs)
	}
	for _, c := range []Case{
		{ID: "b/x", Level: MUST, Run: func(*T) {}},
		{ID: "c/z", Level: "OFTEN", Run: func(*T) {}},
		{ID: "", Level: MUST, Run: func(*T) {}},
		{ID: "d/slow-no-timeout", Level: MUST, Slow: time.Minute, Run: func(*T) {}},
		{ID: "d/slow-short-timeout", Level: MUST, Slow: time.Minute, Timeout: 30 * time.Second, Run: func(*T) {}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q, %q) did not panic", c.ID, c.Level)
				}
			}()
			Register(c)
		}()
	}
}

func TestSelect(t *testing.T) {
	cs := []Case{{ID: "a/1", Level: MUST}, {ID: "a/2", Level: SHOULD}, {ID: "b/1", Level: MAY}, {ID: "b/2", Level: FEATURE}}
	for _, tt := range []struct {
		run, level string
		want       int
	}{{"", "all", 4}, {"", "must", 1}, {"", "should", 2}, {"", "may", 3}, {"^b/", "", 2}, {"^b/", "should", 0}} {
		got, err := Select(cs, tt.run, tt.level)
		if err != nil || len(got) != tt.want {
			t.Errorf("Select(%q, %q) = %d cases, %v; want %d", tt.run, tt.level, len(got), err, tt.want)
		}
	}
	if _, err := Select(cs, "(", ""); err == nil {
		t.Error("bad regexp accepted")
	}
	if _, err := Select(cs, "", "often"); err == nil {
		t.Error("bad level accepted")
	}
}

func TestExpectations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.txt")
	os.WriteFile(path, []byte("a/1 fail   kernel bug 123 # note\n\n# c\nzz/9 SKIP\n"), 0o644)
	exp, err := LoadExpectations(path)
	if err != nil {
		t.Fatal(err)
	}
	if x := exp["a/1"]; x.Verdict != FAIL || x.Reason != "kernel bug 123" {
		t.Errorf("a/1: %+v", x)
	}
	if u := exp.Unknown([]Case{{ID: "a/1"}}); len(u) != 1 || u[0] != "zz/9" {
		t.Errorf("Unknown = %v", u)
	}
	for _, tc := range []struct{ bad, want string }{
		{"a/1\n", "line 1: \"a/1\": want CASE-ID VERDICT [reason]"},
		{"# c\na/1 MAYBE\n", "line 2: verdict \"MAYBE\": want PASS, FAIL"},
		{"a/1 PASS\na/1 FAIL\n", "line 2: case a/1 listed twice"},
		{"a/1 PASS\n" + strings.Repeat("\x00\xd4\xc3", 40000), "line 2: longer than 65536 bytes: is this an expectations file"},
	} {
		if _, err := ParseExpectations(strings.NewReader(tc.bad)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.20q: %v, want an error saying %q", tc.bad, err, tc.want)
		}
	}
	if _, err := LoadExpectations(t.TempDir()); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a directory: %v", err)
	}
}
