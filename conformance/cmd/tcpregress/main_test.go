//go:build cgo

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"tcpregress.dev/tcpstack/netns"
)

func runTest(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestUsage(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"--bogus"}, 2, "tcpregress: unknown flag --bogus"},
		{[]string{"run", "--level", "often"}, 2, "tcpregress: --level must be one of"},
		{[]string{"run", "-j", "0"}, 2, "tcpregress: run: -j 0: want 1 or more"},
		{[]string{"run", "--agent", "h:1"}, 2, "tcpregress: run: --agent, --iface, --src-ip, --gateway and --secret-file are for a remote --target"},
		{[]string{"run", "--target", "not-an-ip"}, 2, "tcpregress: run: --target \"not-an-ip\""},
		{[]string{"run", "--target", "192.0.2.1", "--agent", "h:1", "--iface", "x", "--src-ip", "192.0.2.9"}, 2, "tcpregress: run: --src-ip"},
		{[]string{"run", "--sysctl", "novalue"}, 2, "tcpregress: run: --sysctl \"novalue\""},
		{[]string{"run", "--stack-option", "no-sack"}, 2, "tcpregress: run: --stack-option applies to the local --stack tcpstack target"},
		{[]string{"run", "--stack", "tcpstack", "--stack-option", "no-sack,bogus"}, 2, "tcpregress: run: --stack-option \"bogus\": want one of"},
		{[]string{"run", "--run", "("}, 2, "tcpregress: --run \"(\""},
		{[]string{"run", "--run", "^no-such-case$"}, 2, "tcpregress: no case matches"},
		{[]string{"list", "--run", "("}, 2, "tcpregress: --run \"(\""},
		{[]string{"matrix"}, 2, "tcpregress: missing flags: --out"},
		{[]string{"matrix", "--out", "x", "--stacks", "kernel,bogus"}, 2, "tcpregress: matrix: --stacks: \"bogus\": want some of kernel, tcpstack"},
		{[]string{"matrix", "--out", "x", "--stacks", "kernel", "--stacks", "kernel"}, 2, "tcpregress: matrix: --stacks: \"kernel\" twice"},
		{[]string{"matrix", "--out", "x", "-j", "0"}, 2, "tcpregress: matrix: -j 0: want 1 or more"},
		{[]string{"agent", "--allow-peer", "10.0.0.1"}, 2, "tcpregress: agent: --allow-peer \"10.0.0.1\": want an IPv4 prefix"},
		{[]string{"agent", "--test-addr", "::1"}, 2, "tcpregress: agent: --test-addr \"::1\": want an IPv4 address"},
		{[]string{"agent", "--max-conns", "0"}, 2, "tcpregress: agent: --max-conns 0: want 1 or more"},
		{[]string{"agent", "--max-line", "100"}, 2, "tcpregress: agent: --max-line 100: want at least 4096"},
		{[]string{"agent", "--idle-timeout", "0s"}, 2, "tcpregress: agent: --idle-timeout 0s: want a positive duration"},
		// Off loopback without a secret: refused before it serves.
		{[]string{"agent", "--listen", "0.0.0.0:0"}, 1, "tcpregress: agent: refusing to listen on "},
		{[]string{"agent", "--secret-file", "/nonexistent/secret"}, 1, "tcpregress: agent: secret: open /nonexistent/secret"},
	} {
		code, _, stderr := runTest(tt.args...)
		if code != tt.code || !strings.HasPrefix(stderr, tt.stderr) {
			t.Errorf("%q: exit %d, stderr %q; want %d, %q…", tt.args, code, stderr, tt.code, tt.stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runTest("-V")
	if code != 0 || !strings.HasPrefix(stdout, "tcpregress ") {
		t.Errorf("-V: exit %d, %q", code, stdout)
	}
}

func TestList(t *testing.T) {
	code, stdout, stderr := runTest("list", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var cases []listEntry
	if err := json.Unmarshal([]byte(stdout), &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases listed")
	}
	for _, c := range cases {
		if c.ID == "" || c.Level == "" || c.Area == "" {
			t.Errorf("incomplete case %+v", c)
		}
	}
	// The slow case is marked in the JSON and the table, and run's help
	// offers --slow.
	slow := map[string]bool{}
	for _, c := range cases {
		if c.Slow {
			slow[c.ID] = true
		}
	}
	if !slow["handshake/syn-retries-three-minutes"] || slow["handshake/syn-retransmit-backoff"] {
		t.Errorf("list --json: slow cases %v; want handshake/syn-retries-three-minutes among them, not handshake/syn-retransmit-backoff", slow)
	}
	if !strings.Contains(stdout, `"slow": false`) {
		t.Errorf("list --json: a fast case lacks \"slow\": false")
	}
	code, stdout, stderr = runTest("list", "--run", "^handshake/syn-retr")
	if code != 0 || !strings.Contains(stdout, "[slow, about 3m20s: run --slow]") || !strings.Contains(stderr, "1 slow") {
		t.Errorf("list: exit %d, the slow case is not marked:\n%s%s", code, stdout, stderr)
	}
	if code, stdout, _ = runTest("run", "--help"); code != 0 || !strings.Contains(stdout, "--slow") {
		t.Errorf("run --help: exit %d, no --slow:\n%s", code, stdout)
	}
	code, stdout, _ = runTest("list", "--level", "must")
	if code != 0 || !strings.HasPrefix(stdout, "ID") || strings.Contains(stdout, " FEATURE ") {
		t.Errorf("list --level must: exit %d\n%s", code, stdout)
	}
}

// TestRunLocal runs one fast case against the local kernel target and
// checks the exit status and the report files.
func TestRunLocal(t *testing.T) {
	netns.RequireRoot(t)
	code, stdout, _ := runTest("list")
	if code != 0 || !strings.Contains(stdout, "handshake/three-way") {
		t.Fatalf("tcpregress list does not offer handshake/three-way (exit %d):\n%s", code, stdout)
	}
	dir := t.TempDir()
	code, stdout, stderr := runTest("run", "--run", "^handshake/three-way$", "--tap",
		"--json", filepath.Join(dir, "r", "report.json"), "--junit", filepath.Join(dir, "junit.xml"), "--pcap-dir", filepath.Join(dir, "pcap"),
		"--html", filepath.Join(dir, "html", "index.html"))
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.HasPrefix(stdout, "TAP version 13\n1..1\nok 1 - handshake/three-way") {
		t.Errorf("TAP:\n%s", stdout)
	}
	if !strings.Contains(stderr, "1 passed, 0 failed") {
		t.Errorf("console report:\n%s", stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "r", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Target  struct{ Kind string }
		Summary map[string]int
	}
	if err := json.Unmarshal(b, &rep); err != nil || rep.Target.Kind != "kernel" || rep.Summary["PASS"] != 1 {
		t.Errorf("report.json: %v %+v", err, rep)
	}
	if _, err := os.Stat(filepath.Join(dir, "junit.xml")); err != nil {
		t.Error(err)
	}
	// The page (report/html's tests load it in a browser): the one case
	// and its diagram, with the handshake's arrows.
	page, err := os.ReadFile(filepath.Join(dir, "html", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if n, arrows := strings.Count(string(page), `<details class="case"`), strings.Count(string(page), `<g class="seg `); n != 1 || arrows < 3 {
		t.Errorf("index.html: %d case rows, %d arrows; want 1 row and the handshake's 3 arrows or more", n, arrows)
	}
}

// TestRunStackOption: --stack-option no-sack turns the SACK case
// UNSUPPORTED on the tcpstack target (an expected non-PASS: exit 0).
func TestRunStackOption(t *testing.T) {
	netns.RequireRoot(t)
	dir := t.TempDir()
	code, stdout, stderr := runTest("run", "--stack", "tcpstack", "--stack-option", "no-sack,no-delayed-ack",
		"--run", "^handshake/synack-sack-permitted$", "--json", filepath.Join(dir, "report.json"))
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Target struct {
			Kind         string
			StackOptions []string `json:"stack_options"`
		}
		Summary map[string]int
	}
	if err := json.Unmarshal(b, &rep); err != nil || rep.Target.Kind != "tcpstack" || rep.Summary["UNSUPPORTED"] != 1 ||
		!slices.Equal(rep.Target.StackOptions, []string{"no-sack", "no-delayed-ack"}) {
		t.Errorf("report.json: %v %+v", err, rep)
	}
}

// TestRunInterrupted: SIGINT during a run stops it, removes the namespaces
// and still writes the reports asked for, with the cases that did not run
// SKIP ("run cancelled") and the one cut short ERROR; the exit status is
// 130. It runs the built command, as a user would, and interrupts it once
// its first case is done.
func TestRunInterrupted(t *testing.T) {
	netns.RequireRoot(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "tcpregress")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// handshake/three-way is quick; the keep-alive cases that follow wait
	// seconds each.
	cmd := exec.Command(bin, "run", "--run", `^(handshake/three-way|keepalive/.*)$`, "--tap",
		"--json", filepath.Join(dir, "report.json"), "--junit", filepath.Join(dir, "junit.xml"))
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "[1/") {
			break
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stderr)
	log.Write(rest)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v, want status 130\nstderr:\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "interrupted by interrupt") {
		t.Errorf("stderr does not say the run was interrupted:\n%s", log.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatalf("no partial JSON report: %v\nstderr:\n%s", err, log.String())
	}
	var rep struct {
		Results []struct{ ID, Verdict, Message string }
		Summary map[string]int
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) < 3 || rep.Results[0].ID != "handshake/three-way" || rep.Results[0].Verdict != "PASS" {
		t.Fatalf("results %+v", rep.Results)
	}
	for _, r := range rep.Results[1:] {
		if (r.Verdict != "SKIP" && r.Verdict != "ERROR") || r.Message != "run cancelled" {
			t.Errorf("%s: %s %q after the interrupt, want SKIP (or ERROR for the case cut short) \"run cancelled\"", r.ID, r.Verdict, r.Message)
		}
	}
	if rep.Summary["SKIP"] == 0 || rep.Summary["ERROR"] > 1 {
		t.Errorf("summary %v: want the cases not started SKIP, at most the one running ERROR", rep.Summary)
	}
	if _, err := os.Stat(filepath.Join(dir, "junit.xml")); err != nil {
		t.Errorf("no partial JUnit report: %v", err)
	}
	if !strings.HasPrefix(stdout.String(), "TAP version 13\n1..") || !strings.Contains(stdout.String(), "# SKIP SKIP: run cancelled") {
		t.Errorf("TAP:\n%s", stdout.String())
	}
	if left, _ := filepath.Glob("/run/netns/" + netns.Prefix + strconv.Itoa(cmd.Process.Pid) + "-*"); len(left) > 0 {
		t.Errorf("namespaces left behind: %v", left)
	}
}

// A malformed --expect file stops the run before anything starts, with the
// file and the line in the message.
func TestBadExpect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "expect.txt")
	os.WriteFile(path, []byte("handshake/three-way PASS\nhandshake/three-way WORKS fine\n"), 0o644)
	code, stdout, stderr := runTest("run", "--expect", path)
	if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "tcpregress: expectations "+path+": line 2: verdict \"WORKS\"") {
		t.Errorf("run --expect with a bad verdict: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// A remote run reads the agent's secret first: a missing or short one is
// an error naming the file, before any link is opened.
func TestRunSecretFile(t *testing.T) {
	netns.RequireRoot(t)
	short := filepath.Join(t.TempDir(), "short")
	os.WriteFile(short, []byte("tiny\n"), 0o600)
	for _, tc := range []struct{ file, want string }{
		{"/nonexistent/agent.secret", "tcpregress: secret: open /nonexistent/agent.secret"},
		{short, "tcpregress: secret from --secret-file " + short + ": 4 bytes; want at least 16"},
	} {
		code, _, stderr := runTest("run", "--target", "192.0.2.1", "--agent", "127.0.0.1:1", "--iface", "lo",
			"--src-ip", "192.0.2.9/24", "--secret-file", tc.file)
		if code != 1 || !strings.HasPrefix(stderr, tc.want) {
			t.Errorf("--secret-file %s: exit %d, stderr %q; want 1, %q…", tc.file, code, stderr, tc.want)
		}
	}
}
