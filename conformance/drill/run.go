package drill

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/probe"
	"tcpregress.dev/tcpstack/segline"
	"tcpregress.dev/tcpstack/tcp"
)

// exec is one run of a script.
type exec struct {
	t    *suite.T
	s    *Script
	ctx  context.Context
	p    *probe.Probe
	ag   *agent.Client
	file string // the script's base name, for messages

	tolUsecs int64
	tolPct   float64
	tsTick   int64 // --tcp_ts_tick_usecs; 0: TS val not checked

	start time.Time     // live time of script time 0
	prev  time.Duration // script time of the event before

	senv sysctlEnv // the target's sysctls and qdisc

	fds      map[int64]agent.FD
	nonblock map[int64]bool
	lastFD   int64 // the socket under test (for tcpi_*)

	// The connection: our port and ISN, the target's port and ISN.
	ourPort, targetPort uint16
	targetAddr          netip.Addr
	iss                 uint32
	irs                 uint32
	irsKnown            bool
	ourNxt              uint32 // the sequence number after the last we sent
	sentAny             bool
	tsOffset            int64 // live TSval - script TSval of the target
	tsKnown             bool
	tsDrift             int64     // drift when tsOffset was taken
	expectTime          time.Time // the live time the last outbound packet was seen

	pending *pendingCall
	// lastOut is the target's last segment, which an ICMP error quotes.
	lastOut *probe.Frame
	// drift is how much later than the script's times the events really
	// happened (nanoseconds; see live).
	drift atomic.Int64
	// slack is how long the system call before took (the agent's round
	// trip): the next outbound packet may come that much earlier or later
	// than its time. After an inbound packet it is how long sending it
	// took: the reply may come that much later.
	slack time.Duration
	// reached is the live time the script first reached the script time
	// of the event before (x.prev) since the last outbound packet. Events
	// at one script time take no time in packetdrill; over the wire a run
	// of them (+0 calls) takes their round trips, and a packet the first
	// made the target send may come before the last began.
	reached time.Time
	// lastCall is how long the last system call that returned at once
	// took: the agent's round trip, for a blocking call's packets.
	lastCall time.Duration
	// callCtx bounds the blocking calls; cleanup cancels it first so that
	// a call still blocked in the agent lets the connection go.
	callCtx    context.Context
	cancelCall context.CancelFunc
}

// pendingCall is a blocking system call under way.
type pendingCall struct {
	ev   *Event
	end  time.Duration // script time it must return at
	tol  time.Duration
	done chan error // the call's own check, nil when it matched
}

// fail ends the script with FAIL and packetdrill's kind of message.
func (x *exec) fail(ev *Event, format string, args ...any) {
	x.t.Fatalf("%s:%d: %s", x.file, ev.Line, fmt.Sprintf(format, args...))
}

// unsupported ends the script with UNSUPPORTED, the line and the reason.
func (x *exec) unsupported(ev *Event, format string, args ...any) {
	x.t.Unsupported("%s:%d: %s", x.file, ev.Line, fmt.Sprintf(format, args...))
}

// broken ends the script with ERROR: the bench failed.
func (x *exec) broken(ev *Event, format string, args ...any) {
	x.t.Brokenf("%s:%d: %s", x.file, ev.Line, fmt.Sprintf(format, args...))
}

func (r *Runner) run(t *suite.T, s *Script) {
	x := &exec{t: t, s: s, ctx: t.Context(), p: t.Probe(), file: s.Name,
		tolUsecs: DefaultToleranceUsecs, tolPct: DefaultTolerancePercent,
		fds: map[int64]agent.FD{}, nonblock: map[int64]bool{}, lastFD: -1}
	if x.p == nil {
		t.Brokenf("drill needs a probe (a target from the harness)")
	}
	for _, o := range s.Options {
		x.option(o)
	}
	p, events := plan(s)
	if p.unsupported != "" {
		t.Unsupported("%s", p.unsupported)
	}
	env := r.env
	if env == nil {
		env = &suite.Env{}
	}
	senv := sysctlEnv{sysctl: env.Sysctl, flush: env.FlushTCPMetrics, qdisc: env.Qdisc}
	x.senv = senv
	if t.Target().Kind == "tcpstack" {
		// Sysctls are the kernel's: tcpstack takes none. The shared
		// defaults are left out with a note; a script's own settings
		// are what it tests, so it cannot run.
		for _, st := range p.settings {
			if !st.Shared {
				t.Unsupported("%s: sets sysctl %s=%s, which tcpstack has no equivalent of", s.Name, st.Key, st.Value)
			}
		}
		t.Logf("note: the sysctls of the scripts the commands name (%d settings) are the kernel's; tcpstack keeps its own configuration", len(p.settings))
		p.settings, p.flush = nil, false
	}
	release, notes, err := r.acquire(senv, p)
	if errors.Is(err, errNoQdisc) {
		t.Unsupported("%s: the script sets the qdisc of packetdrill's tun0, the target's interface, which drill sets on the local kernel target only", s.Name)
	}
	var eq errQdisc
	if errors.As(err, &eq) {
		t.Unsupported("%s: the target's interface does not take the script's qdisc: %v", s.Name, err)
	}
	if errors.Is(err, errNoSysctl) {
		t.Unsupported("%s: the script sets sysctls (%s=%s, ...) and this target's cannot be set (a remote agent would need to allow it)", s.Name, p.settings[0].Key, p.settings[0].Value)
	}
	if err != nil && strings.Contains(err.Error(), "not permitted") {
		// The target refuses the setting (a network namespace may not pick
		// any congestion control, for one): the script cannot run as
		// written, which is not a failure of the bench.
		t.Unsupported("%s: the target refuses a sysctl the script sets: %v", s.Name, err)
	}
	if err != nil {
		t.Brokenf("%s: applying the script's sysctls: %v", s.Name, err)
	}
	defer release()
	for _, n := range append(p.notes, notes...) {
		t.Logf("note: %s", n)
	}

	x.ag = t.Agent()
	x.targetAddr = t.Target().Addr
	x.ourPort = t.Port()
	x.targetPort = t.Port() // for bind; a connecting target picks its own
	x.iss = rand.Uint32()
	x.callCtx, x.cancelCall = context.WithCancel(x.ctx)
	defer x.cleanup()

	x.start = time.Now()
	if tg := t.Target(); tg.Name == "local" && tg.Kind == "kernel" {
		// packetdrill starts a script jiffyOffset into a jiffy of the
		// kernel's (run.c, schedule_start_time_usecs), so that events at
		// whole milliseconds do not fall on a jiffy's edge, where the
		// kernel's timers (a delayed ACK, a retransmission, all counted
		// in jiffies) would move by one jiffy from run to run.
		x.start = nextJiffy().Add(jiffyOffset)
	}
	for _, ev := range events {
		x.event(ev)
	}
	x.finishPending()
}

// jiffyOffset is how far into a jiffy packetdrill starts a script
// (JIFFY_OFFSET_USECS in its run.c).
const jiffyOffset = 250 * time.Microsecond

// option takes a "--name=value" line.
func (x *exec) option(o Option) {
	ev := &Event{Line: o.Line}
	num := func() float64 {
		v, err := strconv.ParseFloat(o.Value, 64)
		if err != nil || v < 0 {
			x.unsupported(ev, "option --%s=%s: want a number", o.Name, o.Value)
		}
		return v
	}
	switch o.Name {
	case "tolerance_usecs":
		x.tolUsecs = int64(num())
	case "tolerance_percent":
		x.tolPct = num()
	case "tcp_ts_tick_usecs":
		x.tsTick = int64(num())
	case "ip_version":
		if o.Value != "ipv4" {
			x.unsupported(ev, "--ip_version=%s: the tester speaks IPv4 (ipv4 only)", o.Value)
		}
	case "local_ip", "remote_ip", "gateway_ip", "netmask_ip":
		a, err := netip.ParseAddr(o.Value)
		if err != nil || !a.Is4() {
			x.unsupported(ev, "--%s=%s: the tester speaks IPv4; script addresses map to the tester's and the target's", o.Name, o.Value)
		}
		x.t.Logf("note: --%s=%s: script addresses map to the tester's and the target's", o.Name, o.Value)
	case "mss", "strict_segments", "dry_run", "verbose", "non_fatal", "send_omit_free", "bind_port", "connect_port", "speed", "mtu", "init_scripts":
		x.t.Logf("note: --%s ignored: drill checks the segments the target sends as they come on the wire", o.Name)
	default:
		if strings.HasPrefix(o.Name, "wire_") {
			x.t.Logf("note: --%s ignored: drill is its own wire mode", o.Name)
			return
		}
		x.unsupported(ev, "option --%s: drill does not know it", o.Name)
	}
}

// tolerance is packetdrill's: max(tolerance_usecs, tolerance_percent of
// the interval since the event before).
func (x *exec) tolerance(interval time.Duration) time.Duration {
	t := time.Duration(x.tolUsecs) * time.Microsecond
	if p := time.Duration(float64(interval) * x.tolPct / 100); p > t {
		t = p
	}
	return t
}

// when returns the script time of ev (and of the end of its range).
func (x *exec) when(ev *Event) (at, end time.Duration) {
	switch ev.TimeKind {
	case TimeAbsolute:
		at = ev.Time
	case TimeRelative:
		at = x.prev + ev.Time
	default:
		at = x.prev
	}
	end = at
	if ev.HasRange {
		if ev.EndKind == TimeRelative {
			end = x.prev + ev.End
		} else {
			end = ev.End
		}
	}
	return at, end
}

// live returns the live time of script time d: drill's own delays (a
// timer that wakes late on a loaded machine, the agent's round trip) move
// the script's clock with them, so that times relative to an event count
// from when it really happened, as in packetdrill where they take no time.
func (x *exec) live(d time.Duration) time.Time { return x.start.Add(d + time.Duration(x.drift.Load())) }

// scriptTime returns the script time of the live time t.
func (x *exec) scriptTime(t time.Time) time.Duration {
	return t.Sub(x.start) - time.Duration(x.drift.Load())
}

// happened records that the event of script time at happened at live time
// t: later events count from there.
func (x *exec) happened(at time.Duration, t time.Time) {
	if at != x.prev || x.reached.IsZero() {
		x.reached = t
	}
	x.prev = at
	x.drift.Store(int64(t.Sub(x.start) - at))
}

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 6, 64) }

func (x *exec) event(ev *Event) {
	at, end := x.when(ev)
	x.t.Logf("%s:%d: %s", x.file, ev.Line, ev.Text)
	if ev.Kind == KindPacket && !ev.Packet.Inbound {
		x.outbound(ev, at, end)
		return
	}
	if err := ctxSleep(x.ctx, x.live(at)); err != nil {
		x.broken(ev, "the script's time limit passed before its time %s", secs(at))
	}
	interval := at - x.prev
	x.happened(at, time.Now())
	x.slack = 0
	switch ev.Kind {
	case KindPacket:
		woke := time.Now()
		x.inbound(ev)
		// packetdrill counts the next event from when its packet went in
		// (run.c, adjust_relative_event_times): the target's reply may
		// come as late as sending it took.
		x.slack = time.Since(woke)
	case KindSyscall:
		x.syscall(ev, at, interval)
	case KindPython:
		x.python(ev)
	case KindCommand:
		sh := ReadShell(".", ev.Command)
		if sh.Unsupported != "" {
			x.unsupported(ev, "%s", sh.Unsupported)
		}
		if len(sh.Sysctls) > 0 || sh.Flush {
			x.unsupported(ev, "a command that changes sysctls after the script started: drill applies them before the first event only")
		}
		for _, n := range sh.Notes {
			x.t.Logf("note: %s", n)
		}
		// The qdiscs, at the event's time (acquire saw them: the script
		// runs alone and the root qdisc is deleted afterwards).
		for _, q := range sh.Qdiscs {
			if x.senv.qdisc == nil {
				x.unsupported(ev, "%s: drill sets the qdisc of the target's interface on the local kernel target only", q)
			}
			if err := applyQdisc(x.senv, q); err != nil {
				x.unsupported(ev, "the target's interface does not take the qdisc: %v", err)
			}
		}
	}
}

// cleanup resets the connection so that the next script starts clean, and
// closes the target's sockets.
func (x *exec) cleanup() {
	x.cancelCall()
	if x.sentAny && x.irsKnown && x.targetPort != 0 {
		seg := probe.Segment{SrcPort: x.ourPort, DstPort: x.targetPort, Seq: tcp.Value(x.ourNxt), Flags: tcp.FlagRST,
			IP: probe.IPFields{Dst: x.targetAddr}}
		x.p.Send(seg)
	}
	if x.ag != nil {
		x.ag.Disconnect() // closes every socket it made
	}
}

// ---- inbound packets ----

func ecnBits(name string) uint8 {
	switch name {
	case "ect0":
		return 2
	case "ect1":
		return 1
	case "ce", "ect01":
		return 3
	}
	return 0
}

func (x *exec) inbound(ev *Event) {
	pk := ev.Packet
	if pk.ICMP != nil {
		x.icmp(ev, pk.ICMP)
		return
	}
	ls := pk.TCP
	if ls.Seq.Form != segline.Exact {
		x.broken(ev, "an inbound packet needs START:END(LEN)")
	}
	flags := tcp.Flags(ls.Flags)
	seg := probe.Segment{SrcPort: x.ourPort, DstPort: x.targetPort, Flags: flags,
		Seq: tcp.Value(x.iss + uint32(ls.Seq.V)), Payload: make([]byte, ls.Len),
		Window: 65535, Urgent: uint16(ls.Urg.V), IP: probe.IPFields{Dst: x.targetAddr}}
	if ls.Ack.Form == segline.Exact {
		if !x.irsKnown {
			x.broken(ev, "ack %d: the target's ISN is not known yet (no SYN from it was seen)", ls.Ack.V)
		}
		seg.Ack = tcp.Value(x.irs + uint32(ls.Ack.V))
	}
	if ls.Win.Form == segline.Exact {
		seg.Window = uint16(ls.Win.V)
	}
	if pk.IP.TOS != nil {
		seg.IP.TOS = uint8(*pk.IP.TOS)
	}
	seg.IP.TOS = seg.IP.TOS&^3 | ecnBits(pk.IP.ECN)
	if pk.IP.TTL != nil {
		seg.IP.TTL = uint8(*pk.IP.TTL)
	}
	if ls.HasOptions {
		seg.Padding = probe.PadNone
		opts, err := x.inboundOptions(ls.Options)
		if err != nil {
			x.broken(ev, "%v", err)
		}
		seg.Options = opts
		if len(opts)%4 != 0 {
			seg.Padding = probe.PadZero
		}
	}
	if err := x.p.Send(seg); err != nil {
		x.broken(ev, "sending the packet: %v", err)
	}
	x.sentAny = true
	n := uint32(ls.Len)
	if flags&tcp.FlagSYN != 0 {
		n++
	}
	if flags&tcp.FlagFIN != 0 {
		n++
	}
	if nxt := uint32(seg.Seq) + n; int32(nxt-x.ourNxt) > 0 || x.ourNxt == 0 {
		x.ourNxt = nxt
	}
}

// inboundOptions builds the option octets: SACK blocks relative to the
// target's ISN, TS ecr shifted to the live TSval it echoes.
func (x *exec) inboundOptions(opts []segline.Option) ([]byte, error) {
	var b []byte
	for _, o := range opts {
		switch {
		case o.Raw:
			if o.Len.Form == segline.Absent {
				b = append(b, probe.RawOption(byte(o.Kind), o.Data...)...)
			} else {
				b = append(b, probe.BadLenOption(byte(o.Kind), byte(o.Len.V), o.Data...)...)
			}
		case o.Kind == header.TCPOptionMSS:
			b = append(b, probe.MSS(uint16(o.Value.V))...)
		case o.Kind == header.TCPOptionWScale:
			b = append(b, probe.WScale(uint8(o.Value.V))...)
		case o.Kind == header.TCPOptionSACKPermitted:
			b = append(b, probe.SACKPermitted()...)
		case o.Kind == header.TCPOptionTimestamps:
			ecr := uint32(o.TSEcr.V)
			if ecr != 0 && x.tsKnown {
				ecr = uint32(int64(ecr) + x.tsOffset)
			}
			b = append(b, probe.Timestamps(uint32(o.TSVal.V), ecr)...)
		case o.Kind == header.TCPOptionSACK:
			if !x.irsKnown {
				return nil, fmt.Errorf("sack blocks: the target's ISN is not known yet")
			}
			var blocks []tcp.SACKBlock
			for _, blk := range o.SACK {
				blocks = append(blocks, tcp.SACKBlock{Left: tcp.Value(x.irs + uint32(blk.Left.V)), Right: tcp.Value(x.irs + uint32(blk.Right.V))})
			}
			b = append(b, probe.SACK(blocks...)...)
		default: // nop, eol
			b = append(b, byte(o.Kind))
		}
	}
	return b, nil
}

// icmpTypes are packetdrill's ICMP type names and their codes' names.
var icmpTypes = map[string]struct {
	typ   header.ICMPv4Type
	codes []string
}{
	"unreachable": {header.ICMPv4DstUnreachable, []string{"net_unreachable", "host_unreachable", "protocol_unreachable",
		"port_unreachable", "frag_needed", "source_route_failed", "net_unknown", "host_unknown", "source_host_isolated",
		"net_prohibited", "host_prohibited", "net_tos", "host_tos", "packet_filtered", "precedence_violation", "precedence_cutoff"}},
	"source_quench": {4, nil},
	"time_exceeded": {11, []string{"ttl_exceeded", "fragment_reassembly_time_exceeded"}},
}

// icmp sends an ICMP error about the target's last segment (or the one
// the line quotes: its sequence number relative to the target's ISN), as
// a router on the path would (RFC 792; frag_needed's next-hop MTU, RFC
// 1191 §4).
func (x *exec) icmp(ev *Event, ic *ICMP) {
	t, ok := icmpTypes[ic.Type]
	if !ok {
		x.unsupported(ev, "icmp type %q: drill sends unreachable, source_quench and time_exceeded", ic.Type)
	}
	code := -1
	for i, n := range t.codes {
		if n == ic.Code {
			code = i
		}
	}
	if ic.Code == "" && len(t.codes) == 0 {
		code = 0
	}
	if code < 0 {
		x.unsupported(ev, "icmp %s code %q: drill knows %s", ic.Type, ic.Code, strings.Join(t.codes, ", "))
	}
	if x.lastOut == nil {
		x.broken(ev, "an ICMP error quotes a segment of the target, and none came yet")
	}
	quote := append([]byte(nil), x.lastOut.Raw[:min(len(x.lastOut.Raw), x.lastOut.IP.HeaderLen+8)]...)
	if q := ic.Quote; q != nil && q.Seq.Form == segline.Exact && len(quote) >= x.lastOut.IP.HeaderLen+8 {
		binary.BigEndian.PutUint32(quote[x.lastOut.IP.HeaderLen+4:], x.irs+uint32(q.Seq.V))
	}
	var rest uint32
	if ic.MTU > 0 {
		rest = uint32(ic.MTU)
	}
	msg := header.ICMPv4Fields{Type: t.typ, Code: uint8(code), Rest: rest, Payload: quote}
	pkt := header.AppendIPv4(nil, &header.IPv4Fields{TTL: 64, Protocol: header.IPProtocolICMP,
		Src: x.p.Addr(), Dst: x.targetAddr, PayloadLen: msg.Len()})
	pkt = header.AppendICMPv4(pkt, &msg)
	if err := x.p.SendIPv4(pkt); err != nil {
		x.broken(ev, "sending the ICMP message: %v", err)
	}
}

// ---- outbound packets ----

// fromTarget matches the frames of the connection the target sends.
func (x *exec) fromTarget(f *probe.Frame) bool {
	if !f.IsTCP() || f.IP.Src != x.targetAddr || f.TCP.DstPort != x.ourPort {
		return false
	}
	return x.targetPort == 0 || f.TCP.SrcPort == x.targetPort || !x.irsKnown
}

func (x *exec) outbound(ev *Event, at, end time.Duration) {
	pk := ev.Packet
	if pk.ICMP != nil {
		x.unsupported(ev, "outbound ICMP packets: drill checks TCP segments only")
	}
	interval := at - x.prev
	tol := x.tolerance(interval)
	if ev.HasRange {
		tol = x.tolerance(end - x.prev)
	}
	tol += x.slack
	x.slack = 0
	// Wait a little past the tolerance, so that a late packet is reported
	// with its time rather than as missing (the verdict is the same).
	deadline := x.live(end + tol + lateGrace)
	if ev.TimeKind == TimeAny {
		deadline = time.Now().Add(30 * time.Second)
		if d, ok := x.ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
	}
	ctx, cancel := context.WithDeadline(x.ctx, deadline)
	f, err := x.p.ExpectContext(ctx, probe.Func("a segment from the target", x.fromTarget))
	cancel()
	if err != nil {
		if x.ctx.Err() != nil {
			x.broken(ev, "the script's time limit passed waiting for the packet")
		}
		x.fail(ev, "error handling packet: timed out waiting for packet: expected outbound packet at %s sec (tolerance %s sec), none came by %s sec\nscript packet: %s %s",
			secs(at), secs(tol), secs(end+tol+lateGrace), secs(at), pk.TCP.String())
	}
	frames := []probe.Frame{f}
	ls := pk.TCP
	// A TSO burst: packetdrill's tun device hands it over as one packet,
	// our link as the segments it was cut into. Take the segments that
	// follow it in sequence until the script's length is reached.
	if ls.Seq.Form == segline.Exact && len(f.TCP.Payload) > 0 && len(f.TCP.Payload) < ls.Len {
		total := len(f.TCP.Payload)
		next := f.TCP.Seq.Add(tcp.Size(len(f.TCP.Payload)))
		for total < ls.Len {
			ctx, cancel := context.WithDeadline(x.ctx, deadline)
			g, err := x.p.ExpectContext(ctx, probe.Func("the next segment of the burst", x.fromTarget))
			cancel()
			if err != nil {
				break
			}
			frames = append(frames, g)
			if g.TCP.Seq != next || len(g.TCP.Payload) == 0 || g.TCP.Flags&tcp.FlagSYN != 0 {
				break
			}
			total += len(g.TCP.Payload)
			next = next.Add(tcp.Size(len(g.TCP.Payload)))
		}
	}
	liveAt := x.scriptTime(f.Time)
	x.lastOut = &frames[len(frames)-1]
	x.check(ev, ls, pk.IP, frames)
	if ev.TimeKind != TimeAny {
		if !x.onTime(at, end, tol, f.Time) {
			x.fail(ev, "error handling packet: timing error: expected outbound packet at %s sec but happened at %s sec; tolerance %s sec\nscript packet: %s %s\nactual packet: %s %s",
				secs(at), secs(liveAt), secs(tol), secs(at), ls.String(), secs(liveAt), x.actualLine(frames))
		}
	}
	x.happened(at, f.Time)
	x.reached = f.Time
}

// onTime reports whether an outbound packet seen at live time t came in
// the window of script times at..end with tolerance tol (packetdrill's
// verify_time), widened before by the run of events that led to it.
func (x *exec) onTime(at, end, tol time.Duration, t time.Time) bool {
	got := x.scriptTime(t)
	return got >= at-tol-x.chain() && got <= end+tol
}

// chain returns how long before the event before its script time was
// first reached (see reached): an outbound packet may come that much
// earlier than its time.
func (x *exec) chain() time.Duration {
	if x.reached.IsZero() {
		return 0
	}
	return max(0, x.live(x.prev).Sub(x.reached))
}

// lateGrace is how long past its tolerance drill waits for an outbound
// packet before it reports it missing.
const lateGrace = 100 * time.Millisecond

// burstFlags are the flags of a burst taken as one packet: those of its
// first segment, with PSH and FIN those of its last, as a TSO
// super-packet's segmentation places them.
func burstFlags(frames []probe.Frame) tcp.Flags {
	const tail = tcp.FlagPSH | tcp.FlagFIN
	first, last := frames[0].TCP.Flags, frames[len(frames)-1].TCP.Flags
	return first&^tail | last&tail
}

// actualLine prints what came as a script line (numbers relative).
func (x *exec) actualLine(frames []probe.Frame) string {
	f := frames[0]
	s := &f.TCP
	irs := x.irs
	if !x.irsKnown && s.Flags&tcp.FlagSYN != 0 {
		irs = uint32(s.Seq)
	}
	n, fl := 0, burstFlags(frames)
	for _, g := range frames {
		n += len(g.TCP.Payload)
	}
	ls := segline.Segment{Flags: header.TCPFlags(fl), Seq: segline.N(int64(uint32(s.Seq) - irs)), Len: n,
		Win: segline.N(int64(s.Window))}
	if s.Flags&tcp.FlagACK != 0 {
		ls.Ack = segline.N(int64(uint32(s.Ack) - x.iss))
	}
	if s.Flags&tcp.FlagURG != 0 {
		ls.Urg = segline.N(int64(s.Urgent))
	}
	it := header.TCPOptions(f.TCPOptions()).Iter()
	for it.Next() {
		o := it.Option()
		ls.Options = append(ls.Options, x.lineOption(byte(o.Kind), o.Data))
	}
	ls.HasOptions = len(ls.Options) > 0
	prefix := ""
	if e := f.IP.TOS & 3; e != 0 {
		prefix = "[" + []string{"", "ect1", "ect0", "ce"}[e] + "] "
	}
	return prefix + ls.String()
}

// lineOption prints an option of the target as the script would: SACK
// edges relative to our ISN, TS val relative to the target's first.
func (x *exec) lineOption(kind byte, data []byte) segline.Option {
	o := probe.OptionLine(kind, data, tcp.Value(x.iss))
	if o.Kind == header.TCPOptionTimestamps && !o.Raw && x.tsKnown {
		o.TSVal = segline.N(int64(uint32(o.TSVal.V - x.tsOffset)))
	}
	return o
}

// check compares the live segment (frames: one, or a burst) with the
// script's, field by field as packetdrill does.
func (x *exec) check(ev *Event, ls segline.Segment, ip IPInfo, frames []probe.Frame) {
	f := frames[0]
	s := &f.TCP
	flags := s.Flags
	n := 0
	for _, g := range frames {
		n += len(g.TCP.Payload)
	}
	flags = burstFlags(frames)
	at, _ := x.when(ev)
	mismatch := func(format string, args ...any) {
		x.fail(ev, "error handling packet: %s\nscript packet: %s %s\nactual packet: %s %s", fmt.Sprintf(format, args...),
			secs(at), ls.String(), secs(x.scriptTime(f.Time)), x.actualLine(frames))
	}
	if s.Flags&tcp.FlagSYN != 0 && !x.irsKnown {
		x.irs, x.irsKnown = uint32(s.Seq), true
		x.targetPort = s.SrcPort
	}
	if x.targetPort == 0 {
		x.targetPort = s.SrcPort
	}
	want := tcp.Flags(ls.Flags)
	if flags != want {
		mismatch("live packet field tcp_flags: expected: %s vs actual: %s", header.TCPFlags(want).PacketdrillString(), header.TCPFlags(flags).PacketdrillString())
	}
	if ls.Seq.Form == segline.Exact {
		if got := uint32(s.Seq) - x.irs; got != uint32(ls.Seq.V) {
			mismatch("live packet field tcp_seq: expected: %d vs actual: %d", uint32(ls.Seq.V), got)
		}
		if n != ls.Len {
			mismatch("live packet payload: expected %d bytes vs actual %d bytes", ls.Len, n)
		}
	}
	if ls.Ack.Form == segline.Exact {
		if got := uint32(s.Ack) - x.iss; got != uint32(ls.Ack.V) {
			mismatch("live packet field tcp_ack: expected: %d vs actual: %d", uint32(ls.Ack.V), got)
		}
	}
	if ls.Win.Form == segline.Exact && uint32(s.Window) != uint32(ls.Win.V) {
		mismatch("live packet field tcp_window: expected: %d vs actual: %d", ls.Win.V, s.Window)
	}
	if ls.Urg.Form == segline.Exact && uint32(s.Urgent) != uint32(ls.Urg.V) {
		mismatch("live packet field tcp_urg_ptr: expected: %d vs actual: %d", ls.Urg.V, s.Urgent)
	}
	if ip.ECN != "" {
		if got := f.IP.TOS & 3; got != ecnBits(ip.ECN) {
			mismatch("live packet field ip_ecn: expected: %d vs actual: %d", ecnBits(ip.ECN), got)
		}
	}
	if ip.TOS != nil && int(f.IP.TOS) != *ip.TOS {
		mismatch("live packet field ip_tos: expected: %#x vs actual: %#x", *ip.TOS, f.IP.TOS)
	}
	if ip.TTL != nil && int(f.IP.TTL) != *ip.TTL {
		mismatch("live packet field ip_ttl: expected: %d vs actual: %d", *ip.TTL, f.IP.TTL)
	}
	if ls.HasOptions {
		if msg := x.checkOptions(ls.Options, f.TCPOptions()); msg != "" {
			mismatch("%s", msg)
		}
	}
}

// checkOptions compares the options kind by kind, NOP and EOL included;
// it returns what differs, or "".
func (x *exec) checkOptions(want []segline.Option, raw []byte) string {
	var got []header.TCPOption
	it := header.TCPOptions(raw).Iter()
	for it.Next() {
		got = append(got, it.Option())
	}
	if it.Err() != nil {
		return fmt.Sprintf("live packet options malformed: %v", it.Err())
	}
	// Trailing EOL padding is not an option the script writes.
	for len(got) > len(want) && got[len(got)-1].Kind == header.TCPOptionEOL {
		got = got[:len(got)-1]
	}
	if len(got) != len(want) {
		return fmt.Sprintf("live packet options: expected %d options vs actual %d", len(want), len(got))
	}
	for i, w := range want {
		g := got[i]
		if g.Kind != w.Kind {
			return fmt.Sprintf("live packet option %d: expected kind %s vs actual kind %s", i+1, w.Kind, g.Kind)
		}
		d := g.Data
		switch {
		case w.Raw:
			if w.Data != nil && string(w.Data) != string(d) {
				return fmt.Sprintf("live packet option %d (kind %d): expected data %x vs actual %x", i+1, w.Kind, w.Data, d)
			}
		case w.Kind == header.TCPOptionMSS:
			if len(d) != 2 || !w.Value.Matches(uint32(binary.BigEndian.Uint16(d))) {
				return fmt.Sprintf("live packet option mss: expected: %s vs actual: %s", w.Value, x.lineOption(byte(g.Kind), d))
			}
		case w.Kind == header.TCPOptionWScale:
			if len(d) != 1 || !w.Value.Matches(uint32(d[0])) {
				return fmt.Sprintf("live packet option wscale: expected: %s vs actual: %s", w.Value, x.lineOption(byte(g.Kind), d))
			}
		case w.Kind == header.TCPOptionTimestamps:
			if len(d) != 8 {
				return "live packet option TS: wrong length"
			}
			val, ecr := binary.BigEndian.Uint32(d), binary.BigEndian.Uint32(d[4:])
			if w.TSVal.Form == segline.Exact {
				if !x.tsKnown {
					x.tsOffset, x.tsKnown, x.tsDrift = int64(val)-w.TSVal.V, true, x.drift.Load()
				} else if x.tsTick > 0 {
					// packetdrill checks TS val only with --tcp_ts_tick_usecs:
					// the script's val, shifted (and moved by drill's own
					// delays since, in ticks), within the tolerance in ticks.
					moved := (x.drift.Load() - x.tsDrift) / 1000 / x.tsTick
					exp := int64(uint32(w.TSVal.V + x.tsOffset + moved))
					slack := (x.tolUsecs + x.tsTick - 1) / x.tsTick
					if diff := int64(int32(uint32(val) - uint32(exp))); diff < -slack || diff > slack {
						return fmt.Sprintf("live packet field tcp_timestamp_val: expected: %d (%d) vs actual: %d (%d)", w.TSVal.V, exp, int64(val)-x.tsOffset, val)
					}
				}
			}
			if w.TSEcr.Form == segline.Exact && ecr != uint32(w.TSEcr.V) {
				return fmt.Sprintf("live packet field tcp_timestamp_ecr: expected: %d vs actual: %d", w.TSEcr.V, ecr)
			}
		case w.Kind == header.TCPOptionSACK:
			if len(d) != 8*len(w.SACK) {
				return fmt.Sprintf("live packet option sack: expected %d blocks vs actual %s", len(w.SACK), x.lineOption(byte(g.Kind), d))
			}
			for j, blk := range w.SACK {
				l, r := binary.BigEndian.Uint32(d[8*j:])-x.iss, binary.BigEndian.Uint32(d[8*j+4:])-x.iss
				if !blk.Left.Matches(l) || !blk.Right.Matches(r) {
					return fmt.Sprintf("live packet option sack: expected: %s vs actual: %s", w, x.lineOption(byte(g.Kind), d))
				}
			}
		}
	}
	return ""
}
