package drill

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestParseCorpus parses every script of the copied google/packetdrill
// corpus: the parser takes the language as the field writes it.
func TestParseCorpus(t *testing.T) {
	n := 0
	err := filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err != nil || filepath.Ext(p) != ".pkt" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if _, err := Parse(p, string(b)); err != nil {
			t.Errorf("%v", err)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 95 {
		t.Fatalf("parsed %d scripts, want the 95 of the corpus and ours", n)
	}
}

func TestParseEvents(t *testing.T) {
	src := "// a comment\n--tolerance_usecs=10000\n`../common/defaults.sh\nsysctl -q net.ipv4.tcp_ecn=1`\n" +
		"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3 /* inline */\n" +
		"+.1...0.200 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n" +
		"+0 > [ect0] S 0:0(0) <...>\n" +
		"+.004~+.008 < - 1:1001(1000) win 20000\n" +
		"* > F. 1:1(0) ack 1\n" +
		"+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n" +
		"+0 sendmsg(4, {msg_name(...)=...,\n    msg_iov(2)=[{..., 1}, {..., 2}], msg_flags=0}, MSG_MORE) = 3\n" +
		"+0 %{ assert tcpi_snd_cwnd == 10,\n tcpi_snd_cwnd }%\n" +
		"+0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)\n"
	s, err := Parse("x.pkt", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Options) != 1 || s.Options[0].Name != "tolerance_usecs" || s.Options[0].Value != "10000" || s.Options[0].Line != 2 {
		t.Errorf("options %+v", s.Options)
	}
	want := []struct {
		line int
		kind Kind
		tk   TimeKind
		t    time.Duration
	}{
		{3, KindCommand, TimeNone, 0}, {5, KindSyscall, TimeAbsolute, 0}, {6, KindSyscall, TimeRelative, 100 * time.Millisecond},
		{7, KindPacket, TimeRelative, 0}, {8, KindPacket, TimeRelative, 4 * time.Millisecond}, {9, KindPacket, TimeAny, 0},
		{10, KindSyscall, TimeRelative, 0}, {11, KindSyscall, TimeRelative, 0}, {13, KindPython, TimeRelative, 0},
		{15, KindSyscall, TimeRelative, 0},
	}
	if len(s.Events) != len(want) {
		t.Fatalf("%d events, want %d", len(s.Events), len(want))
	}
	for i, w := range want {
		e := s.Events[i]
		if e.Line != w.line || e.Kind != w.kind || e.TimeKind != w.tk || e.Time != w.t {
			t.Errorf("event %d: line %d kind %d time %d/%v, want %+v", i, e.Line, e.Kind, e.TimeKind, e.Time, w)
		}
	}
	ev := s.Events
	if ev[0].Command != "../common/defaults.sh\nsysctl -q net.ipv4.tcp_ecn=1" {
		t.Errorf("command %q", ev[0].Command)
	}
	if c := ev[2].Call; !ev[2].Blocking || ev[2].BlockEnd != 200*time.Millisecond || c.Result != -1 || c.Errno != "EINPROGRESS" || c.Note != "Operation now in progress" {
		t.Errorf("connect %+v %+v", ev[2], c)
	}
	if p := ev[3].Packet; p.Inbound || p.IP.ECN != "ect0" || !p.TCP.AnyOptions {
		t.Errorf("packet %+v", p)
	}
	if p := ev[4].Packet; !p.Inbound || p.TCP.Flags != 0 || p.TCP.Len != 1000 || !ev[4].HasRange || ev[4].End != 8*time.Millisecond || ev[4].EndKind != TimeRelative {
		t.Errorf("range packet %+v %+v", ev[4], p)
	}
	if got := ev[6].Call.Args[2].String(); got != "SO_LINGER" {
		t.Errorf("arg %q", got)
	}
	if got := ev[6].Call.Args[3].String(); got != "{onoff=1, linger=0}" {
		t.Errorf("struct arg %q", got)
	}
	if got := ev[7].Call.Args[1].String(); got != "{msg_name(...)=..., msg_iov(2)=[{..., 1}, {..., 2}], msg_flags=0}" {
		t.Errorf("sendmsg arg %q", got)
	}
	if ev[8].Python != "assert tcpi_snd_cwnd == 10,\n tcpi_snd_cwnd" {
		t.Errorf("python %q", ev[8].Python)
	}
	if c := ev[9].Call; c.Result != 2 || c.Note != "flags O_RDWR" {
		t.Errorf("fcntl %+v", c)
	}
	if n, ok := ev[1].Call.Args[1].Idents(); !ok || n[0] != "SOCK_STREAM" {
		t.Errorf("idents %v %v", n, ok)
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"+0 > S 0:0(0) <mss 1460", "x.pkt:1: syntax error: segline"},
		{"0 socket(..., SOCK_STREAM, IPPROTO_TCP)", "want = RESULT"},
		{"0 socket(..., SOCK_STREAM = 3", "missing ')'"},
		{"\n\n+0 `sysctl -q x=1", "x.pkt:3: syntax error: backquoted command without"},
		{"+0 %{ assert 1", "%{ without its closing }%"},
		{"+1", "a time without an event"},
		{"* write(3, ..., 1) = 1", "time * is for outbound packets only"},
		{"0 < udp (10)", "udp packets"},
		{"0 > [foo 1] S 0:0(0)", "IP field \"foo\""},
		{"0 write(3, ..., 1) = one", "result \"one\""},
		{"/* open", "comment /* without */"},
		{"0 bogus stuff", "want a packet"},
		{"0 > S 0:0(0)...1 x", "syntax error"},
	} {
		_, err := Parse("x.pkt", c.src)
		var se *SyntaxError
		if err == nil || !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want a SyntaxError containing %q", c.src, err, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S. 0:0(0) ack 1 <...>\n")
	f.Add("+.1...0.2 read(4, ..., 1) = -1 EAGAIN (x)\n%{ assert 1 }%\n`x`")
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Parse("f.pkt", src)
		if err == nil {
			for _, e := range s.Events {
				if e.Call != nil {
					for _, a := range e.Call.Args {
						_ = a.String()
					}
				}
			}
		}
	})
}

// TestReadShellQdisc reads packetdrill's tc lines for tun0: a plain pfifo
// (defaults.sh's) is left out, other root qdiscs are kept for the target's
// interface, ";" separates commands, and any other tc line is unsupported.
func TestReadShellQdisc(t *testing.T) {
	sh := ReadShell(".", "tc qdisc delete dev tun0 root 2>/dev/null ; tc qdisc add dev tun0 root pfifo limit 0")
	want := []Qdisc{{Op: "delete", Args: []string{"root"}}, {Op: "add", Args: []string{"root", "pfifo", "limit", "0"}}}
	if sh.Unsupported != "" || !reflect.DeepEqual(sh.Qdiscs, want) {
		t.Errorf("got %+v, want qdiscs %+v", sh, want)
	}
	if got := sh.Qdiscs[1].String(); got != "tc qdisc add dev tun0 root pfifo limit 0" {
		t.Errorf("String: %q", got)
	}
	sh = ReadShell(".", "tc qdisc add dev tun0 root pfifo\ntc qdisc replace dev tun0 root fq\nsysctl -q net/ipv4/tcp_pacing_ss_ratio=200\ntc qdisc del dev tun0 root")
	want = []Qdisc{{Op: "replace", Args: []string{"root", "fq"}}, {Op: "delete", Args: []string{"root"}}}
	if sh.Unsupported != "" || !reflect.DeepEqual(sh.Qdiscs, want) || len(sh.Notes) != 1 || len(sh.Sysctls) != 1 {
		t.Errorf("got %+v, want qdiscs %+v, one note, one sysctl", sh, want)
	}
	// Quoted values keep their ";".
	sh = ReadShell(".", `sysctl -q net.ipv4.tcp_rmem="4096 ; 8192"`)
	if sh.Unsupported != "" || len(sh.Sysctls) != 1 || sh.Sysctls[0].Value != "4096 ; 8192" {
		t.Errorf("a quoted ; split the command: %+v", sh)
	}
	for _, line := range []string{
		"tc qdisc add dev tun0 root",                   // no qdisc
		"tc qdisc add dev tun0 parent 1: fq",           // not root
		"tc qdisc add dev eth0 root fq",                // not tun0
		"tc filter add dev tun0 root",                  // not a qdisc
		"tc qdisc show dev tun0",                       // not a change
		"tc qdisc add dev tun0 root fq ; ethtool -k x", // the second is unknown
	} {
		if sh := ReadShell(".", line); sh.Unsupported == "" {
			t.Errorf("%q: supported, want unsupported", line)
		}
	}
}

// TestPlanQdisc: a qdisc before the first event is applied with the
// sysctls; one in the middle is left to its event, but the script still
// runs alone, and a target without Qdisc cannot run it.
func TestPlanQdisc(t *testing.T) {
	src := "`tc qdisc replace dev tun0 root fq`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n" +
		"+0 `tc qdisc delete dev tun0 root 2>/dev/null ; tc qdisc add dev tun0 root pfifo limit 0`\n+0 close(3) = 0\n"
	s, err := Parse("x.pkt", src)
	if err != nil {
		t.Fatal(err)
	}
	p, rest := plan(s)
	if !p.tc || len(p.qdiscs) != 1 || p.qdiscs[0].String() != "tc qdisc replace dev tun0 root fq" || p.unsupported != "" || len(rest) != 3 {
		t.Fatalf("plan %+v, %d events", p, len(rest))
	}
	r := NewRunner(nil)
	if _, _, err := r.acquire(sysctlEnv{}, p); !errors.Is(err, errNoQdisc) {
		t.Errorf("acquire without Qdisc: %v, want errNoQdisc", err)
	}
}
