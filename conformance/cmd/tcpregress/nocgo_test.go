package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"tcpregress.dev/conformance/agent"
)

// cgoFree are the packages that must build without cgo: only those opening
// live captures (pcap, tcpstack/link/pcap, the harness, capturing tools)
// need it. scripts/lint.sh builds them with CGO_ENABLED=0 too.
var cgoFree = []string{
	"tcpregress.dev/tcpstack/tcp",
	"tcpregress.dev/tcpstack/probe",
	"tcpregress.dev/conformance/suite",
	"tcpregress.dev/conformance/cases",
	"tcpregress.dev/conformance/report",
	"tcpregress.dev/conformance/agent",
}

func goCmd(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), args...)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// TestNoCgoPackages: even where cgo is enabled, nothing outside the
// standard library that the cgo-free packages import uses cgo, and they
// build with CGO_ENABLED=0.
func TestNoCgoPackages(t *testing.T) {
	out, err := goCmd([]string{"CGO_ENABLED=1"}, append([]string{"list", "-deps",
		"-f", "{{if and (not .Standard) .CgoFiles}}{{.ImportPath}}{{end}}"}, cgoFree...)...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Errorf("packages using cgo among the dependencies of %s:\n%s", strings.Join(cgoFree, " "), s)
	}
	if out, err := goCmd([]string{"CGO_ENABLED=0"}, append([]string{"build"}, cgoFree...)...).CombinedOutput(); err != nil {
		t.Errorf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
}

// TestNoCgoNoForeignStacks: the cgo-free tcpregress (the agent people copy
// to a target) links no foreign stack: gVisor's netstack is in the cgo
// build only.
func TestNoCgoNoForeignStacks(t *testing.T) {
	out, err := goCmd([]string{"CGO_ENABLED=0"}, "list", "-deps", "tcpregress.dev/conformance/cmd/tcpregress").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "gvisor.dev/") || strings.HasPrefix(p, "tcpregress.dev/conformance/stacks/") {
			t.Errorf("the CGO_ENABLED=0 build of tcpregress imports %s", p)
		}
	}
}

// TestNoCgoBinary builds tcpregress with CGO_ENABLED=0 and runs it as a
// user would: list works and lists what the cgo build lists, run fails
// (status 1) saying it needs the cgo build and how to get it, and the agent
// serves the kernel's sockets.
func TestNoCgoBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "tcpregress")
	if out, err := goCmd([]string{"CGO_ENABLED=0"}, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	exe := func(args ...string) (int, string, string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("%q: %v", args, err)
		}
		return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
	}

	code, stdout, stderr := exe("list", "--json")
	if code != 0 {
		t.Fatalf("list --json: exit %d\n%s", code, stderr)
	}
	var cases []listEntry
	if err := json.Unmarshal([]byte(stdout), &cases); err != nil {
		t.Fatalf("list --json: %v\n%s", err, stdout)
	}
	ids := map[string]bool{}
	for _, c := range cases {
		ids[c.ID] = true
	}
	if len(cases) < 20 || !ids["handshake/three-way"] || !ids["handshake/syn-retries-three-minutes"] {
		t.Errorf("list --json: %d cases %v; want the suite's, handshake/three-way among them", len(cases), ids)
	}
	// The same cases as this build of the command (with cgo or without).
	var want bytes.Buffer
	if code := run([]string{"list", "--json"}, &want, &bytes.Buffer{}); code != 0 || stdout != want.String() {
		t.Errorf("list --json without cgo differs from this build's (exit %d):\n%s\nwant\n%s", code, stdout, &want)
	}
	code, stdout, stderr = exe("list", "--run", "^handshake/", "--level", "must")
	if code != 0 || !strings.HasPrefix(stdout, "ID") || !strings.Contains(stdout, "handshake/three-way") ||
		strings.Contains(stdout, "close/") || strings.Contains(stdout, " FEATURE ") || !strings.Contains(stderr, " cases") {
		t.Errorf("list --run ^handshake/ --level must: exit %d\n%s%s", code, stdout, stderr)
	}

	code, stdout, stderr = exe("run")
	for _, want := range []string{"tcpregress: run needs the cgo build", "libpcap", "CGO_ENABLED=0", "make build", "CGO_ENABLED=1 go build ./conformance/cmd/tcpregress", "libpcap-dev"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("run: stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != 1 || stdout != "" || strings.Count(stderr, "\n") != 1 {
		t.Errorf("run: exit %d, stdout %q, stderr %q; want 1, nothing, one line", code, stdout, stderr)
	}
	// Flags are still checked as usage errors first.
	if code, _, stderr = exe("run", "-j", "0"); code != 2 || !strings.Contains(stderr, "-j 0: want 1 or more") {
		t.Errorf("run -j 0: exit %d, %s", code, stderr)
	}
	if code, stdout, _ = exe("run", "--help"); code != 0 || !strings.Contains(stdout, "Not in this build: it needs cgo") {
		t.Errorf("run --help: exit %d\n%s", code, stdout)
	}
	if code, _, stderr = exe("agent", "--stack", "tcpstack", "--iface", "lo", "--ip", "198.18.0.9/24"); code != 1 ||
		!strings.Contains(stderr, "--stack tcpstack needs the cgo build") {
		t.Errorf("agent --stack tcpstack: exit %d, %s", code, stderr)
	}

	// The agent, kernel backend: answer a Hello, stop on SIGTERM.
	cmd := exec.Command(bin, "agent", "--listen", "127.0.0.1:0", "--log-level", "info", "--log-format", "json")
	logs, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(logs)
	var addr string
	for addr == "" && sc.Scan() {
		var line struct{ Message, Listen string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Message == "agent: serving" {
			addr = line.Listen
		}
	}
	if addr == "" {
		t.Fatal("the agent did not say where it serves")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := agent.Dial(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.Hello(ctx)
	if err != nil || h.Stack != "kernel" || h.OS != runtime.GOOS {
		t.Errorf("hello: %+v, %v", h, err)
	}
	c.Disconnect()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("agent after SIGTERM: %v", err)
	}
}
