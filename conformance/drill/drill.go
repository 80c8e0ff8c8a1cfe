package drill

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"tcpregress.dev/conformance/suite"
)

// Defaults of packetdrill's timing options.
const (
	DefaultToleranceUsecs   = 4000
	DefaultTolerancePercent = 12.5
)

// The local test link drill asks the harness for: packetdrill's tun
// device takes packets of any size, and its scripts send them
// ("< P. 1:10001(10000)"), while they expect the target to advertise
// "mss 1460".
const (
	LinkMTU = 65535
	AdvMSS  = 1460
)

// Find returns the .pkt files of paths: files as given, folders walked
// recursively, sorted.
func Find(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("drill: %w", err)
		}
		if !fi.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(q, ".pkt") {
				found = append(found, q)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("drill: %w", err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("drill: %s holds no .pkt file", p)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// Runner makes suite cases of scripts. The cases of one Runner share the
// target's sysctls: the settings of packetdrill's defaults (the common
// ones every script asks for) are applied once and stay; a script that
// sets others runs alone, and its settings are put back afterwards.
type Runner struct {
	env     *suite.Env
	mu      sync.RWMutex
	applied map[string]string // key → value in force for shared scripts
	base    map[string]string // key → value before the run changed it
}

// NewRunner returns a Runner for the target of env: its Sysctl and
// FlushTCPMetrics apply the scripts' commands (when nil, as for a remote
// target, scripts that need them are UNSUPPORTED).
func NewRunner(env *suite.Env) *Runner {
	return &Runner{env: env, applied: map[string]string{}, base: map[string]string{}}
}

// Cases reads the scripts at files and returns one case each, ID the
// path as given. A script that does not parse still gets a case, whose
// verdict is ERROR with the syntax error.
func (r *Runner) Cases(files []string) []suite.Case {
	var out []suite.Case
	for _, f := range files {
		out = append(out, r.Case(f))
	}
	return out
}

// Case returns the case that runs the script at path.
func (r *Runner) Case(path string) suite.Case {
	c := suite.Case{ID: path, Title: "packetdrill script " + filepath.Base(path), Area: "drill", Level: suite.FEATURE,
		Timeout: 60 * time.Second}
	b, err := os.ReadFile(path)
	if err != nil {
		c.Run = func(t *suite.T) { t.Brokenf("%v", err) }
		return c
	}
	return r.CaseSource(path, string(b))
}

// CaseSource returns the case that runs the script src as if read from
// path (which names the case and anchors the commands' relative paths).
func (r *Runner) CaseSource(path, src string) suite.Case {
	c := suite.Case{ID: path, Title: "packetdrill script " + filepath.Base(path), Area: "drill", Level: suite.FEATURE,
		Timeout: 60 * time.Second}
	s, err := Parse(path, src)
	if err != nil {
		c.Run = func(t *suite.T) { t.Brokenf("%v", err) }
		return c
	}
	if d := s.Duration(); d > 30*time.Second {
		c.Timeout = d + 30*time.Second
	}
	c.Run = func(t *suite.T) { r.run(t, s) }
	return c
}

// Duration is the script time of its last event (relative times added up).
func (s *Script) Duration() time.Duration {
	var now time.Duration
	for _, e := range s.Events {
		switch e.TimeKind {
		case TimeAbsolute:
			now = e.Time
		case TimeRelative:
			now += e.Time
		}
		if e.Blocking && e.BlockEnd > now {
			now = e.BlockEnd
		}
	}
	return now
}

// sysctlPlan is what a script asks of the target's sysctls.
type sysctlPlan struct {
	settings []Setting
	flush    bool
	notes    []string
	// qdiscs are the tc qdisc commands before the first event; tc is
	// set when the script changes the qdisc anywhere (then it runs
	// alone, and the root qdisc is deleted afterwards).
	qdiscs []Qdisc
	tc     bool
	// unsupported: the line and the reason, when a command cannot run.
	unsupported string
}

// plan reads the script's backquoted commands.
func plan(s *Script) (sysctlPlan, []*Event) {
	var p sysctlPlan
	var rest []*Event
	dir := filepath.Dir(s.Name)
	for _, e := range s.Events {
		if e.Kind != KindCommand {
			rest = append(rest, e)
			continue
		}
		sh := ReadShell(dir, e.Command)
		if sh.Unsupported != "" && p.unsupported == "" {
			p.unsupported = fmt.Sprintf("%s:%d: %s", s.Name, e.Line, sh.Unsupported)
		}
		p.tc = p.tc || len(sh.Qdiscs) > 0
		if e.TimeKind == TimeNone || len(rest) == 0 {
			p.settings = append(p.settings, sh.Sysctls...)
			p.flush = p.flush || sh.Flush
			p.qdiscs = append(p.qdiscs, sh.Qdiscs...)
			p.notes = append(p.notes, sh.Notes...)
			continue
		}
		// A command in the middle of a script runs at its time: drill
		// applies sysctls only before the first event.
		if p.unsupported == "" && (len(sh.Sysctls) > 0 || sh.Flush) {
			p.unsupported = fmt.Sprintf("%s:%d: a command that changes sysctls after the script started: drill applies them before the first event only", s.Name, e.Line)
		}
		rest = append(rest, e)
	}
	return p, rest
}

// acquire applies the plan's settings to the target and returns the
// function that releases them. The shared settings (those of a script a
// command names, packetdrill's defaults) are set once and kept; a script
// whose own settings differ from those in force runs alone, and its
// values are put back when it is done. So does a script that changes the
// qdisc of the target's interface: the plan's commands are applied, and
// the root qdisc is deleted afterwards (the link's own again).
func (r *Runner) acquire(env sysctlEnv, p sysctlPlan) (release func(), notes []string, err error) {
	if len(p.settings) == 0 && !p.flush && !p.tc {
		return func() {}, nil, nil
	}
	if p.tc && env.qdisc == nil {
		return nil, nil, errNoQdisc
	}
	if len(p.settings) > 0 && env.sysctl == nil {
		return nil, nil, errNoSysctl
	}
	if p.flush && env.flush == nil {
		notes = append(notes, "ip tcp_metrics flush: not on this target, left out")
	}
	agrees := func(shared bool) bool {
		if p.tc && !shared {
			return false
		}
		for _, s := range p.settings {
			if shared && !s.Shared {
				continue
			}
			if cur, ok := r.applied[s.Key]; !ok || !sameSysctl(cur, s.Value) {
				return false
			}
		}
		return true
	}
	set := func(s Setting, changed map[string]string) error {
		if cur, ok := r.applied[s.Key]; ok && sameSysctl(cur, s.Value) {
			return nil
		}
		old, err := env.sysctl(s.Key, s.Value)
		if err != nil {
			if strings.Contains(err.Error(), "No such file") || strings.Contains(err.Error(), "cannot stat") {
				notes = append(notes, fmt.Sprintf("sysctl %s: not on this kernel, left out", s.Key))
				return nil
			}
			if s.Shared && strings.Contains(err.Error(), "not permitted") {
				notes = append(notes, fmt.Sprintf("sysctl %s=%s: not settable in the target's namespace, left out", s.Key, s.Value))
				return nil
			}
			return err
		}
		if _, ok := r.base[s.Key]; !ok {
			r.base[s.Key] = old
		}
		if changed != nil {
			if _, ok := changed[s.Key]; !ok {
				changed[s.Key] = r.applied[s.Key] // "" when it was not shared
			}
		}
		r.applied[s.Key] = s.Value
		return nil
	}
	for {
		r.mu.RLock()
		if agrees(false) {
			if p.flush && env.flush != nil {
				env.flush()
			}
			return r.mu.RUnlock, notes, nil
		}
		r.mu.RUnlock()
		r.mu.Lock()
		if !agrees(true) {
			for _, s := range p.settings {
				if s.Shared {
					if err := set(s, nil); err != nil {
						r.mu.Unlock()
						return nil, notes, err
					}
				}
			}
		}
		if agrees(false) {
			r.mu.Unlock()
			continue // share them
		}
		// Settings of its own: alone, and put back afterwards.
		changed := map[string]string{}
		for _, s := range p.settings {
			if !s.Shared {
				if err := set(s, changed); err != nil {
					r.restore(env, changed)
					r.mu.Unlock()
					return nil, notes, err
				}
			}
		}
		if p.flush && env.flush != nil {
			env.flush()
		}
		put := func() {
			if p.tc {
				env.qdisc("delete", []string{"root"}) // an error: none to delete
			}
			r.restore(env, changed)
		}
		for _, q := range p.qdiscs {
			if err := applyQdisc(env, q); err != nil {
				put()
				r.mu.Unlock()
				return nil, notes, err
			}
		}
		return func() {
			put()
			r.mu.Unlock()
		}, notes, nil
	}
}

// restore puts back the values in changed ("" for a key the shared state
// did not hold: its value before the run).
func (r *Runner) restore(env sysctlEnv, changed map[string]string) {
	for k, v := range changed {
		if v == "" {
			v = r.base[k]
			delete(r.applied, k)
		} else {
			r.applied[k] = v
		}
		env.sysctl(k, v)
	}
}

// Restore puts back every sysctl the run changed.
func (r *Runner) Restore() {
	env := r.env
	if env == nil || env.Sysctl == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, v := range r.base {
		env.Sysctl(k, v)
	}
	r.applied = map[string]string{}
	r.base = map[string]string{}
}

// sameSysctl compares sysctl values as the kernel prints them (tabs and
// spaces alike, hex and decimal alike).
func sameSysctl(a, b string) bool {
	fa, fb := strings.Fields(a), strings.Fields(b)
	if len(fa) != len(fb) {
		return false
	}
	for i := range fa {
		if fa[i] == fb[i] {
			continue
		}
		x, err1 := strconv.ParseInt(fa[i], 0, 64)
		y, err2 := strconv.ParseInt(fb[i], 0, 64)
		if err1 != nil || err2 != nil || x != y {
			return false
		}
	}
	return true
}

var (
	errNoSysctl = errors.New("the target's sysctls cannot be set from here")
	errNoQdisc  = errors.New("the qdisc of the target's interface cannot be set from here")
)

// errQdisc is a qdisc the target would not take (not in its kernel, say).
type errQdisc struct{ err error }

func (e errQdisc) Error() string { return e.err.Error() }

// applyQdisc runs q on the target's interface. Deleting is as packetdrill's
// scripts do it, "2>/dev/null": an interface with no qdisc of its own is
// what they want.
func applyQdisc(env sysctlEnv, q Qdisc) error {
	err := env.qdisc(q.Op, q.Args)
	if err != nil && q.Op != "delete" {
		return errQdisc{fmt.Errorf("%s: %w", q, err)}
	}
	return nil
}

type sysctlEnv struct {
	sysctl func(key, value string) (string, error)
	flush  func() error
	// qdisc runs "tc qdisc OP dev IFACE ARGS..." on the target's
	// interface (suite.Env.Qdisc).
	qdisc func(op string, args []string) error
}

// ctxSleep waits until t or until ctx ends. The last stretch is a
// fineSleep: packetdrill sends a packet within microseconds of its time
// (it spins for the last of it), and the Go runtime's timers wake up to a
// millisecond late, which would stretch the script's intervals (an RTT
// sample, a timer's start) by as much.
func ctxSleep(ctx context.Context, t time.Time) error {
	if d := time.Until(t) - fineSleepSpan; d > 0 {
		tm := time.NewTimer(d)
		defer tm.Stop()
		select {
		case <-tm.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if d := time.Until(t); d > 0 {
		fineSleep(d)
	}
	return ctx.Err()
}

// fineSleepSpan is how much of a wait ctxSleep leaves to fineSleep: more
// than the Go runtime's timers may wake late.
const fineSleepSpan = 2 * time.Millisecond
