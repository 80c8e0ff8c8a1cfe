//go:build linux

package html_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	_ "tcpregress.dev/conformance/cases"
	"tcpregress.dev/conformance/harness"
	"tcpregress.dev/conformance/report"
	htmlreport "tcpregress.dev/conformance/report/html"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/pcap/testenv"
	"tcpregress.dev/tcpstack/netns"
)

var updateScreenshot = flag.Bool("update", false, "rewrite screenshot.png, the README's picture of a failing case's ladder diagram")

// browserCases are the cases of the browser test's run: fast passes, a
// SKIP, and two of Linux's expected failures: one where the target sent
// what it should not have (a RST in TIME-WAIT), one where the expected
// segment never came (a SYN-ACK to a source-routed SYN).
var browserCases = []string{
	"close/active-close-time-wait",
	"data/bad-checksum-dropped",
	"handshake/syn-closed-port-rst",
	"handshake/three-way",
	"options/app-source-route-precedence",
	"options/ip-source-route-return",
	"reset/time-wait-assassination",
}

// failing is the case whose diagram the test counts arrows in and
// photographs.
const failing = "reset/time-wait-assassination"

// chromium returns the path of Debian's chromium: missing, the test skips,
// or fails under CI.
func chromium(t *testing.T) string {
	t.Helper()
	return testenv.Program(t, "chromium", "chromium")
}

// tab is a page of headless Chromium for a test; its calls end the test
// on an error.
type tab struct {
	t     *testing.T
	ctx   context.Context // ends 60 s after the browser started
	close func()          // ends ctx now
}

// newTab starts the browser at path, headless, until the test ends.
func newTab(t *testing.T, ctx context.Context, browser string) *tab {
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.WindowSize(1280, 1000))...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil { // start it, with no deadline on it
		t.Fatal(err)
	}
	tctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	t.Cleanup(cancel)
	return &tab{t: t, ctx: tctx, close: cancel}
}

func (b *tab) must(err error) {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
}

// do runs actions in the tab.
func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.must(chromedp.Do(b.ctx, actions...))
}

// count evaluates js, whose value is a number, in the tab.
func (b *tab) count(js string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](js))
	b.must(err)
	return n
}

// TestBrowser runs a few cases against the local kernel, writes their page
// and opens it in headless Chromium: it loads with no console error, has
// one row per case, the filters change what is shown, and each failing
// case's diagram is open with one arrow per segment of its pcap.
func TestBrowser(t *testing.T) {
	netns.RequireRoot(t)
	browser := chromium(t)

	// A real run: the kernel in a namespace, Linux's expectations.
	ctx := context.Background()
	env, cleanup, err := harness.Local(ctx, harness.Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	exp, err := suite.LoadExpectations("../../expect/linux.txt")
	if err != nil {
		t.Fatal(err)
	}
	var cases []suite.Case
	for _, c := range suite.Cases() {
		for _, id := range browserCases {
			if c.ID == id {
				cases = append(cases, c)
			}
		}
	}
	if len(cases) != len(browserCases) {
		t.Fatalf("%d of the %d cases are registered", len(cases), len(browserCases))
	}
	dir := t.TempDir()
	started := time.Now()
	results := suite.Run(ctx, cases, *env, suite.Options{Jobs: 2, PcapDir: filepath.Join(dir, "pcap"), Expect: exp})
	cleanup()
	rep := &report.Report{Target: env.Target, Started: started, Duration: time.Since(started), Results: results}
	byID := map[string]suite.Result{}
	for _, r := range results {
		byID[r.ID] = r
	}
	if r := byID[failing]; r.Verdict != suite.FAIL || r.Pcap == "" {
		t.Fatalf("%s: %s (%s), pcap %q; want Linux's expected FAIL and its pcap", failing, r.Verdict, r.Message, r.Pcap)
	}
	page := filepath.Join(dir, "index.html")
	var buf bytes.Buffer
	if err := htmlreport.Write(&buf, rep, htmlreport.Options{Dir: dir, Expect: exp}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("page: %d bytes for %d cases", buf.Len(), len(results))
	for _, banned := range []string{"http://", "<script src", "<link rel=\"stylesheet\"", "@import"} {
		if i := strings.Index(buf.String(), banned); i >= 0 && !strings.HasPrefix(buf.String()[i:], "http://www.w3.org/2000/svg") {
			t.Errorf("the page is not self-contained: %q at %d", banned, i)
		}
	}

	// The browser.
	tb := newTab(t, ctx, browser)
	cctx, stopConsole := context.WithCancel(tb.ctx)
	var mu sync.Mutex
	var console []string
	const marker = "error: the test's own error"
	messages := chromedp.Console(cctx)
	consoleDone, sawMarker := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(consoleDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			mu.Lock()
			console = append(console, m.String())
			mu.Unlock()
			if m.String() == marker {
				close(sawMarker)
			}
		}
	}()
	tb.do(chromedp.Navigate("file://"+page), chromedp.WaitReady(chromedp.CSS("#shown")))

	// One row per case, every one shown at first.
	visible := `document.querySelectorAll("details.case:not([hidden])").length`
	if n := tb.count(`document.querySelectorAll("details.case").length`); n != len(results) {
		t.Errorf("%d case rows, want %d", n, len(results))
	}
	if n := tb.count(visible); n != len(results) {
		t.Errorf("%d rows shown at first, want all %d", n, len(results))
	}
	// The verdict filter: unticking PASS hides the passes.
	sum := rep.Summary()
	tb.do(chromedp.Click(chromedp.CSS(`#filters input[value="PASS"]`)))
	if n, want := tb.count(visible), len(results)-sum[suite.PASS]; n != want || sum[suite.PASS] == 0 {
		t.Errorf("PASS unticked: %d rows shown, want %d (%d passed)", n, want, sum[suite.PASS])
	}
	tb.do(chromedp.Click(chromedp.CSS(`#filters input[value="PASS"]`)))
	// The area and level filters.
	choose := func(sel, value string) {
		t.Helper()
		tb.do(chromedp.SetValue(chromedp.CSS(sel), value))
		tb.count(fmt.Sprintf(`document.querySelector(%q).dispatchEvent(new Event("change")), 0`, sel))
	}
	want := func(keep func(suite.Result) bool) int {
		n := 0
		for _, r := range results {
			if keep(r) {
				n++
			}
		}
		return n
	}
	choose("#f-area", "options")
	if n, w := tb.count(visible), want(func(r suite.Result) bool { return r.Area == "options" }); n != w {
		t.Errorf("area options: %d rows shown, want %d", n, w)
	}
	if n := tb.count(`document.querySelectorAll("section.area:not([hidden])").length`); n != 1 {
		t.Errorf("area options: %d area sections shown, want 1", n)
	}
	choose("#f-area", "")
	choose("#f-level", "SHOULD")
	if n, w := tb.count(visible), want(func(r suite.Result) bool { return r.Level == suite.SHOULD }); n != w || w == 0 {
		t.Errorf("level SHOULD: %d rows shown, want %d", n, w)
	}
	choose("#f-level", "")

	// The failing case's diagram: open, one arrow per segment of its pcap.
	sel := "#case-" + strings.ReplaceAll(failing, "/", "-")
	if n := tb.count(fmt.Sprintf(`document.querySelector(%q).open ? 1 : 0`, sel)); n != 1 {
		t.Errorf("%s: its diagram is not open", failing)
	}
	segs := pcapRecords(t, byID[failing].Pcap)
	if n := tb.count(fmt.Sprintf(`document.querySelectorAll(%q).length`, sel+" svg.ladder g.seg")); n != segs || segs == 0 {
		t.Errorf("%s: %d arrows, want one per captured segment: %d", failing, n, segs)
	}
	if n := tb.count(fmt.Sprintf(`document.querySelector(%q).textContent.includes(%q) ? 1 : 0`, sel+" .reason", exp[failing].Reason)); n != 1 {
		t.Errorf("%s: the reason of its expectation is not shown", failing)
	}
	if n := tb.count(fmt.Sprintf(`document.querySelectorAll(%q).length`, sel+" svg.ladder rect.divergence")); n != 1 {
		t.Errorf("%s: %d highlighted divergences, want 1", failing, n)
	}
	// The other failure: the SYN-ACK that never came is a dashed arrow.
	other := "#case-options-ip-source-route-return"
	if n := tb.count(fmt.Sprintf(`document.querySelectorAll(%q).length`, other+" svg.ladder g.miss")); n < 1 {
		t.Errorf("options/ip-source-route-return: no arrow for the segment that never came")
	}
	if n, w := tb.count(fmt.Sprintf(`document.querySelectorAll(%q).length`, other+" svg.ladder g.seg")), pcapRecords(t, byID["options/ip-source-route-return"].Pcap); n != w {
		t.Errorf("options/ip-source-route-return: %d arrows, want %d", n, w)
	}
	// A passing case's diagram is a click away.
	pass := "#case-handshake-three-way"
	shows := fmt.Sprintf(`document.querySelector(%q).checkVisibility() ? 1 : 0`, pass+" svg.ladder")
	if tb.count(shows) != 0 {
		t.Errorf("a passing case's diagram shows before a click")
	}
	tb.do(chromedp.Click(chromedp.CSS(pass + " > summary")))
	if tb.count(shows) != 1 {
		t.Errorf("a passing case's diagram does not show after a click")
	}

	if *updateScreenshot {
		// The filter bar sticks to the top of the window: out of the picture.
		tb.count(`document.getElementById("filters").style.position = "static", 0`)
		png, err := chromedp.Run(tb.ctx, chromedp.Screenshot(chromedp.CSS(sel+" svg.ladder")))
		tb.must(err)
		tb.must(os.WriteFile("screenshot.png", png, 0o644))
		t.Logf("screenshot.png: %d bytes", len(png))
	}

	// The console listener hears errors: one made on purpose, after
	// everything else, is all it has.
	tb.count(`console.error("the test's own error"), 0`)
	select {
	case <-sawMarker:
	case <-tb.ctx.Done():
		t.Error("the console listener did not hear the test's own console.error")
	}
	stopConsole()
	<-consoleDone
	mu.Lock()
	defer mu.Unlock()
	if len(console) != 1 || console[0] != marker {
		t.Errorf("console messages: %q; want only the test's own error", console)
	}
}

// pcapRecords counts the records of a classic pcap file.
func pcapRecords(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 {
		t.Fatalf("%s: %d bytes, no pcap header", path, len(b))
	}
	bo := binary.ByteOrder(binary.LittleEndian)
	if binary.BigEndian.Uint32(b) == 0xa1b2c3d4 {
		bo = binary.BigEndian
	}
	n := 0
	for off := 24; off+16 <= len(b); n++ {
		off += 16 + int(bo.Uint32(b[off+8:]))
	}
	return n
}
