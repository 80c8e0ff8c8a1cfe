package drill

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Setting is one sysctl a script's backquoted command sets.
type Setting struct {
	Key, Value string
	// Shared marks a setting read from a script the command names (such
	// as packetdrill's common/defaults.sh): the settings many scripts
	// share, kept for the whole run.
	Shared bool
}

// Shell is what drill reads out of a backquoted command: the sysctls it
// sets, whether it flushes the TCP metrics, the lines it leaves out on
// purpose (notes) and the first line it cannot run (Unsupported, "" when
// every line was understood).
type Shell struct {
	Sysctls     []Setting
	Flush       bool
	Qdiscs      []Qdisc
	Notes       []string
	Unsupported string
	depth       int // of the script being read
}

// Qdisc is a "tc qdisc OP dev tun0 root [QDISC [ARGS...]]" line: packetdrill's
// tun device is, on the wire, the target's interface on the test link,
// where the local kernel target applies it (Op "add", "replace" or
// "delete"; Args from "root" on).
type Qdisc struct {
	Op   string
	Args []string
}

// String is the command as tc takes it, tun0 standing for the target's
// interface.
func (q Qdisc) String() string {
	return "tc qdisc " + q.Op + " dev tun0 " + strings.Join(q.Args, " ")
}

// tunQdisc is a line that sets or deletes the root qdisc of packetdrill's
// tun device.
var tunQdisc = regexp.MustCompile(`^tc qdisc (add|replace|del|delete) dev tun0 root(( [A-Za-z0-9_.]+)*)$`)

// tunOffload is packetdrill's way of turning its tun device's offloads
// off; drill's link has none.
var tunOffload = regexp.MustCompile(`^ethtool -K tun0( (tso|gso|gro) off)+$`)

// sysctlRestore is the restore script packetdrill's set_sysctls.py writes.
var sysctlRestore = regexp.MustCompile(`^/tmp/sysctl_restore_\$\{PPID\}\.sh$`)

// ReadShell reads a backquoted command of the script at dir: each line a
// sysctl, an "ip tcp_metrics flush", or a shell script it names (such as
// ../common/defaults.sh), read in turn (depth-limited). Anything else sets
// Unsupported.
func ReadShell(dir, cmd string) Shell {
	var sh Shell
	sh.read(dir, cmd, 0)
	return sh
}

func (sh *Shell) read(dir, cmd string, depth int) {
	var lines []string
	for _, raw := range strings.Split(cmd, "\n") {
		line := strings.TrimSpace(raw)
		if i := strings.Index(line, "#"); i >= 0 && !strings.HasPrefix(line, "#!") {
			line = strings.TrimSpace(line[:i])
		}
		if strings.HasPrefix(line, "#!") || strings.ContainsAny(line, `"'`) {
			lines = append(lines, line) // quoted values are kept whole
			continue
		}
		// "a ; b": commands in sequence, each on its own.
		lines = append(lines, strings.Split(line, ";")...)
	}
	for _, line := range lines {
		if sh.Unsupported != "" {
			return
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#!") {
			continue
		}
		for _, suffix := range []string{"> /dev/null 2>&1", ">/dev/null 2>&1", "2>/dev/null", "> /dev/null"} {
			line = strings.TrimSpace(strings.TrimSuffix(line, suffix))
		}
		w := strings.Fields(line)
		switch {
		case w[0] == "sysctl":
			sh.sysctl(w[1:], line)
		case strings.HasSuffix(w[0], "/set_sysctls.py") || w[0] == "set_sysctls.py":
			// packetdrill's helper: /proc/sys/net/ipv4/KEY=VALUE ...
			args := strings.TrimSpace(strings.TrimPrefix(line, w[0]))
			ms := assignRE.FindAllStringSubmatch(args, -1)
			if len(ms) == 0 || strings.TrimSpace(assignRE.ReplaceAllString(args, "")) != "" {
				sh.Unsupported = fmt.Sprintf("%q: want set_sysctls.py /proc/sys/PATH=VALUE ...", line)
				return
			}
			for _, m := range ms {
				if !strings.HasPrefix(m[1], "/proc/sys/") {
					sh.Unsupported = fmt.Sprintf("%q: want set_sysctls.py /proc/sys/PATH=VALUE ...", line)
					return
				}
				sh.Sysctls = append(sh.Sysctls, Setting{Key: strings.ReplaceAll(strings.TrimPrefix(m[1], "/proc/sys/"), "/", "."),
					Value: strings.Trim(m[2], `"'`), Shared: sh.depth > 0})
			}
		case line == "ip tcp_metrics flush all" || line == "ip tcp_metrics flush":
			sh.Flush = true
		case tunOffload.MatchString(line):
			sh.Notes = append(sh.Notes, fmt.Sprintf("%q ignored: drill's link has no segmentation offload either", line))
		case sysctlRestore.MatchString(line):
			sh.Notes = append(sh.Notes, fmt.Sprintf("%q ignored: set_sysctls.py's restore script; drill puts back the sysctls it set itself", line))
		case tunQdisc.MatchString(line) && strings.HasSuffix(line, "root pfifo"):
			// defaults.sh's: a plain queue, as the link has.
			sh.Notes = append(sh.Notes, fmt.Sprintf("%q ignored: packetdrill's tun device; drill's link has its own queue", line))
		case tunQdisc.MatchString(line):
			m := tunQdisc.FindStringSubmatch(line)
			op := m[1]
			if op == "del" {
				op = "delete"
			}
			args := append([]string{"root"}, strings.Fields(m[2])...)
			if op != "delete" && len(args) < 2 {
				sh.Unsupported = fmt.Sprintf("%q: want tc qdisc %s dev tun0 root QDISC [ARGS...]", line, m[1])
				return
			}
			sh.Qdiscs = append(sh.Qdiscs, Qdisc{Op: op, Args: args})
		case len(w) == 1 && (strings.HasSuffix(w[0], ".sh") || strings.Contains(w[0], "/")):
			if depth > 4 {
				sh.Unsupported = fmt.Sprintf("%q: shell scripts nested too deep", line)
				return
			}
			path := findScript(dir, w[0])
			b, err := os.ReadFile(path)
			if err != nil {
				sh.Unsupported = fmt.Sprintf("%q: %v", line, err)
				return
			}
			sh.depth = depth + 1
			sh.read(filepath.Dir(path), string(b), depth+1)
			sh.depth = depth
		default:
			sh.Unsupported = fmt.Sprintf("shell command %q: drill applies sysctl settings, ip tcp_metrics flush, tc qdisc on tun0's root and the scripts holding them, nothing else", line)
			return
		}
	}
}

// assignRE is KEY=VALUE; values may be quoted and hold spaces:
// k="4096 540000 15728640".
var assignRE = regexp.MustCompile(`([A-Za-z0-9_./-]+)=("[^"]*"|'[^']*'|\S+)`)

var arith = regexp.MustCompile(`\$\(\(([0-9*+ -]+)\)\)`)

// sysctl reads "sysctl [-q] [-e] [-w] k=v [k=v...]".
func (sh *Shell) sysctl(args []string, line string) {
	joined := arith.ReplaceAllStringFunc(strings.Join(args, " "), func(m string) string {
		v, ok := evalArith(arith.FindStringSubmatch(m)[1])
		if !ok {
			return m
		}
		return strconv.FormatInt(v, 10)
	})
	re := assignRE
	rest := joined
	for _, f := range strings.Fields(joined) {
		if f == "-q" || f == "-e" || f == "-w" || f == "-qw" {
			rest = strings.Replace(rest, f, "", 1)
		} else {
			break
		}
	}
	ms := re.FindAllStringSubmatch(rest, -1)
	if len(ms) == 0 || strings.TrimSpace(re.ReplaceAllString(rest, "")) != "" {
		sh.Unsupported = fmt.Sprintf("%q: want sysctl [-q] [-e] [-w] key=value ...", line)
		return
	}
	for _, m := range ms {
		v := strings.Trim(m[2], `"'`)
		if strings.Contains(v, "$") {
			sh.Unsupported = fmt.Sprintf("%q: a value drill cannot expand", line)
			return
		}
		sh.Sysctls = append(sh.Sysctls, Setting{Key: strings.ReplaceAll(m[1], "/", "."), Value: v, Shared: sh.depth > 0})
	}
}

// evalArith evaluates a shell arithmetic of integers, + - and *.
func evalArith(s string) (int64, bool) {
	var sum int64
	for _, term := range strings.FieldsFunc(strings.ReplaceAll(s, "-", "+-"), func(r rune) bool { return r == '+' }) {
		prod := int64(1)
		for _, f := range strings.Split(term, "*") {
			f = strings.TrimSpace(f)
			v, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				return 0, false
			}
			prod *= v
		}
		sum += prod
	}
	return sum, true
}

// findScript resolves a script a command names: relative to the script's
// folder, or else the nearest folder above it that holds the same path
// without its leading "../" ("../common/defaults.sh" of tcp/blocking/x.pkt
// is common/defaults.sh beside tcp/, as in google/packetdrill's
// gtests/net, whose scripts name it from one or two levels down).
func findScript(dir, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tail := name
	for strings.HasPrefix(tail, "../") {
		tail = tail[3:]
	}
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, tail)); err == nil {
			return filepath.Join(d, tail)
		}
		up := filepath.Dir(d)
		if up == d || len(up) >= len(d) && d != "." {
			break
		}
		if d == "." {
			up = ".."
			if abs, err := filepath.Abs(d); err != nil || abs == "/" {
				break
			}
		}
		d = up
		if strings.Count(d, "..") > 8 {
			break
		}
	}
	return path
}
