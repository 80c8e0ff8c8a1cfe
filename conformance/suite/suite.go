// Package suite holds what a conformance case is and sees — [Case], [Level],
// [T], the registry ([Register], [Cases]) — and [Run], which executes cases
// against a target and returns their [Result]s.
//
// Cases register themselves from init functions in package cases. Each case
// runs in its own goroutine. As with testing.T, [T.Errorf] records a
// failure and the case goes on, while the methods of [T] that end a case
// (Fatalf, Brokenf, Unsupported, Skipf) stop that goroutine with
// runtime.Goexit, so they must be called from the case's goroutine.
package suite

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"time"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/tcpstack/probe"
)

// Level is how strongly the RFC asks for what a case checks.
type Level string

// Levels.
const (
	MUST    Level = "MUST"
	SHOULD  Level = "SHOULD"
	MAY     Level = "MAY"
	FEATURE Level = "FEATURE"
)

// Case is one conformance test.
type Case struct {
	ID           string // stable, e.g. "handshake/syn-closed-port-rst"
	Title        string
	Area         string // "handshake", "options", "data", ...
	Level        Level
	Requirements []string      // "RFC9293 MUST-8", "RFC5961 §3.2", ...
	Timeout      time.Duration // 0: the run's default
	// Slow marks a case that takes minutes, because what it checks is a
	// default timer of the target that cannot be shortened (R2 for a SYN,
	// RFC9293 MUST-23): about how long it runs. Run reports a slow case
	// SKIP ([SlowMessage]) unless Options.Slow asks for slow cases. A slow
	// case sets a Timeout of at least Slow.
	Slow time.Duration
	Run  func(t *T)
}

// SlowMessage is the message of a slow case that Run skipped because the
// run did not ask for slow cases (tcpregress run --slow).
func SlowMessage(c Case) string {
	return fmt.Sprintf("slow case (about %v): run with --slow", c.Slow.Round(time.Second))
}

// Verdict is the outcome of a case.
type Verdict string

// Verdicts.
const (
	PASS        Verdict = "PASS"
	FAIL        Verdict = "FAIL"
	UNSUPPORTED Verdict = "UNSUPPORTED"
	SKIP        Verdict = "SKIP"
	ERROR       Verdict = "ERROR"
)

// Verdicts lists the verdicts in report order.
var Verdicts = []Verdict{PASS, FAIL, UNSUPPORTED, SKIP, ERROR}

// Target describes the stack under test.
type Target struct {
	Name, Kind, OS, Kernel string
	// StackVersion is the version of a userland target stack, as its
	// agent's hello reports it ("gvisor.dev/gvisor v0.0.0-...").
	StackVersion string
	Addr         netip.Addr // the target's IPv4 address on the test link
	Sysctls      map[string]string
	// StackOptions are the option toggles (tcpregress run --stack-option)
	// of a tcpstack target, such as "no-sack".
	StackOptions []string
}

// Result is what running a case gave.
type Result struct {
	ID, Title    string
	Level        Level
	Area         string
	Requirements []string
	Verdict      Verdict
	// Expected reports that the verdict is the one expected: PASS,
	// UNSUPPORTED or SKIP without an expectation, or the verdict of the
	// case's line in the expectations file.
	Expected bool
	Duration time.Duration
	Message  string
	Trace    string // T.Logf lines, then the probe's frames in tcpdump grammar
	Pcap     string // path of the capture written for a FAIL or an ERROR
	// Exchange is what the case did on the wire and through the agent, in
	// time; nil for a case that did not run (SKIP before it started).
	Exchange *Exchange
}

// Exchange is what one case did, in time: every frame its probe sent and
// received, every wait for a frame (what was expected, and whether it
// came), every call it made through the agent, and the failures and
// verdict it gave. A report draws its ladder diagram from it.
type Exchange struct {
	// Start is when the case began: the origin of its times.
	Start time.Time
	// Tester and Target are the probe's and the target's addresses
	// (invalid when the run had no probe or no target address).
	Tester, Target netip.Addr
	Frames         []probe.Frame
	Expectations   []probe.Expectation
	Calls          []agent.Call
	// Events are the failures (T.Errorf) and the verdict call that ended
	// the case (Fatalf, Brokenf, Unsupported, Skipf), in order.
	Events []Event
}

// Event is a failure or verdict a case gave, and when.
type Event struct {
	Time    time.Time
	Verdict Verdict
	Message string
}

// Failed reports whether r is a failure nobody expected: FAIL or ERROR
// without a matching expectation. A run with one exits with status 1.
func (r Result) Failed() bool {
	return (r.Verdict == FAIL || r.Verdict == ERROR) && !r.Expected
}

// UnexpectedPass reports whether r passed although a non-PASS verdict was
// expected.
func (r Result) UnexpectedPass() bool { return r.Verdict == PASS && !r.Expected }

// AnyFailed reports whether one of results is [Result.Failed].
func AnyFailed(results []Result) bool {
	for i := range results {
		if results[i].Failed() {
			return true
		}
	}
	return false
}

var registry = struct {
	sync.Mutex
	cases map[string]Case
}{cases: map[string]Case{}}

// Register adds c to the registry. It is meant for init functions and
// panics on a case without ID or Run, or whose ID is taken.
func Register(c Case) {
	if c.ID == "" || c.Run == nil {
		panic(fmt.Sprintf("suite: Register: case %q needs an ID and a Run function", c.ID))
	}
	switch c.Level {
	case MUST, SHOULD, MAY, FEATURE:
	default:
		panic(fmt.Sprintf("suite: Register: case %q has level %q; want MUST, SHOULD, MAY or FEATURE", c.ID, c.Level))
	}
	if c.Slow < 0 || c.Slow > 0 && c.Timeout < c.Slow {
		panic(fmt.Sprintf("suite: Register: slow case %q (about %v) needs a Timeout of at least that, not %v", c.ID, c.Slow, c.Timeout))
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.cases[c.ID]; dup {
		panic(fmt.Sprintf("suite: Register: duplicate case ID %q", c.ID))
	}
	registry.cases[c.ID] = c
}

// Cases returns the registered cases sorted by ID.
func Cases() []Case {
	registry.Lock()
	defer registry.Unlock()
	cs := make([]Case, 0, len(registry.cases))
	for _, c := range registry.cases {
		cs = append(cs, c)
	}
	SortCases(cs)
	return cs
}

// SortCases sorts cs by ID.
func SortCases(cs []Case) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].ID < cs[j].ID })
}

// Env is what a run needs from the harness. Every field may be nil or zero
// for cases that do not use it (the suite's own tests use none).
type Env struct {
	// NewProbe returns a probe on a tester stack that takes the segments
	// for ports only (probe.Config.Ports), and release, which the suite
	// calls once when the case is over, after closing the probe. A stack
	// holds one probe at a time (tcpstack has one raw handler), so a harness
	// running cases in parallel keeps a pool of stacks and NewProbe may
	// wait for one. Nil: cases get a nil probe.
	NewProbe func(ports []uint16) (p *probe.Probe, release func())
	// DialAgent opens a control connection to the target's agent; each
	// case that calls T.Agent gets its own. Nil: cases get a nil client.
	DialAgent func(ctx context.Context) (*agent.Client, error)
	// CaptureLink, when set, starts a capture of the frames the target
	// sends on the test link, whatever their destination, that match a
	// BPF filter (pcap-filter(7)). It lets a case show that the target
	// sent nothing to an address the probe cannot receive at, such as a
	// broadcast or multicast source. Nil when the harness does not hold
	// the target's link (a remote target): cases then SKIP.
	CaptureLink func(filter string) (LinkCapture, error)
	// Target is the stack under test.
	Target Target
	// Sysctl, when set, sets a sysctl of the target's kernel (key in dotted
	// form) and returns the value it had: the local kernel target's
	// namespace. Nil when the harness cannot (tcpstack, a remote target).
	Sysctl func(key, value string) (old string, err error)
	// FlushTCPMetrics, when set, runs "ip tcp_metrics flush all" on the
	// target's kernel (the local kernel target only).
	FlushTCPMetrics func() error
	// Qdisc, when set, runs "tc qdisc OP dev IFACE ARGS..." on the
	// target's interface on the test link, in its namespace (the local
	// kernel target only): OP is add, replace or delete, ARGS from
	// "root" on.
	Qdisc func(op string, args []string) error
}

// LinkCapture is a running capture of the test link (Env.CaptureLink).
type LinkCapture interface {
	// Stop ends the capture and returns the frames it saw, in order. It
	// may be called more than once; later calls return the same.
	Stop() ([]LinkFrame, error)
}

// LinkFrame is one Ethernet frame a LinkCapture saw.
type LinkFrame struct {
	Time time.Time
	Data []byte
}

// Options shape a run.
type Options struct {
	// Jobs is how many cases run at once; default 1.
	Jobs int
	// Timeout bounds a case whose Case.Timeout is zero; default 30 s.
	Timeout time.Duration
	// PcapDir, when set, receives CASE-ID.pcap (slashes become "_") for
	// every FAIL and ERROR.
	PcapDir string
	// Expect holds the expected non-PASS verdicts.
	Expect Expectations
	// Slow runs the slow cases (Case.Slow) too; without it they are SKIP
	// with SlowMessage, and Expected whatever their expectation says (it
	// is about their verdict when they run).
	Slow bool
	// Ports is the range T.Port hands ports out of; default 20000-39999
	// (below the 40000 and up the probe picks by itself).
	PortFirst, PortLast uint16
	// OnStart and OnDone are called as cases start and end, from the
	// case's worker goroutine (OnDone after the result is complete).
	OnStart func(c Case)
	OnDone  func(r Result)
}

// DefaultTimeout bounds a case when neither the case nor the run sets a
// timeout.
const DefaultTimeout = 30 * time.Second
