package tcp

// Tests for SYN cookies (RFC4987 §3.6): the SYN-ACK a listener sends
// without keeping state, and the connection rebuilt from the returning ACK.

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
)

func cookieConfig() Config {
	cfg := baseConfig()
	cfg.MSS = 1460
	cfg.RecvBuffer = 256 << 10
	cfg.DisableSACK, cfg.DisableTimestamps, cfg.DisableWindowScale = false, false, false
	cfg.ISN = nil // a KeyedISN: per-4-tuple timestamp offsets
	return cfg
}

func cookieSYN(o Options) Segment {
	return Segment{SrcPort: testRemote.Port(), DstPort: testLocal.Port(), Seq: testIRS, Flags: FlagSYN, Window: 64240, Options: o}
}

// cookieACK is the peer's ACK of synack, with data.
func cookieACK(synack Segment, data []byte) Segment {
	ack := Segment{SrcPort: testRemote.Port(), DstPort: testLocal.Port(), Seq: testIRS.Add(1), Ack: synack.Seq.Add(1),
		Flags: FlagACK | FlagPSH, Window: 502, Payload: data}
	if synack.Options.HasTimestamps {
		ack.Options.HasTimestamps, ack.Options.TSVal, ack.Options.TSEcr = true, 1001, synack.Options.TSVal
	}
	return ack
}

func newCookieListener(t *testing.T, cfg Config) *Listener {
	t.Helper()
	l, err := NewListener(cfg, testLocal)
	if err != nil {
		t.Fatal(err)
	}
	l.SetSYNCookies(NewSYNCookies([]byte("a test key")))
	return l
}

func TestCookieHandshake(t *testing.T) {
	l := newCookieListener(t, cookieConfig())
	now := testBase
	syn := cookieSYN(Options{HasMSS: true, MSS: 1450, HasWScale: true, WScale: 7, SACKPermitted: true, HasTimestamps: true, TSVal: 1000})
	synack, ok := l.CookieReply(testRemote.Addr(), syn, now)
	if !ok {
		t.Fatal("no cookie SYN-ACK for an acceptable SYN")
	}
	o := synack.Options
	if synack.Flags != FlagSYN|FlagACK || synack.Ack != testIRS.Add(1) || synack.SrcPort != testLocal.Port() || synack.DstPort != testRemote.Port() {
		t.Fatalf("SYN-ACK %+v", synack)
	}
	if !o.HasMSS || o.MSS != 1460 || !o.HasWScale || o.WScale != 3 || !o.SACKPermitted || !o.HasTimestamps || o.TSEcr != 1000 {
		t.Fatalf("SYN-ACK options %+v: want mss 1460, wscale 3, sackOK, TS ecr 1000", o)
	}
	if bits := o.TSVal & tsCookieMask; bits != 7|tsSACKBit {
		t.Fatalf("TSval low bits %#x, want wscale 7 and SACK (%#x)", bits, 7|tsSACKBit)
	}
	if ts := l.tsNow(netip.AddrPortFrom(testRemote.Addr(), testRemote.Port()), now); int32(o.TSVal-ts) > 0 || ts-o.TSVal >= 64 {
		t.Fatalf("TSval %d is not within 64 ms before the clock %d", o.TSVal, ts)
	}

	now = now.Add(30 * time.Millisecond)
	c, ok := l.CookieInput(testRemote.Addr(), cookieACK(synack, []byte("hello")), now)
	if !ok {
		t.Fatal("the ACK of a cookie was not accepted")
	}
	if c.State() != StateEstablished || c.Events()&EventEstablished == 0 {
		t.Fatalf("state %v, want ESTABLISHED and EventEstablished", c.State())
	}
	// MSS 1450 rounds down to the table's 1440; timestamps take 12.
	if !c.wsOK || c.sndWScale != 7 || c.rcvWScale != 3 || !c.sackOK || !c.tsOK || c.sndMSS != 1440-12 {
		t.Fatalf("rebuilt options: ws %v %d/%d sack %v ts %v mss %d", c.wsOK, c.sndWScale, c.rcvWScale, c.sackOK, c.tsOK, c.sndMSS)
	}
	if c.sndWnd != 502<<7 {
		t.Fatalf("send window %d, want 502<<7", c.sndWnd)
	}
	buf := make([]byte, 16)
	n, _ := c.Read(buf)
	if !bytes.Equal(buf[:n], []byte("hello")) {
		t.Fatalf("read %q, want the ACK's data", buf[:n])
	}
	var out []Segment
	c.Output(now, func(s Segment) { out = append(out, s) })
	if len(out) != 1 || out[0].Flags != FlagACK || out[0].Ack != testIRS.Add(6) || out[0].Seq != synack.Seq.Add(1) {
		t.Fatalf("after the data: %+v, want one ACK of 5 bytes", out)
	}
	if out[0].Options.TSEcr != 1001 || int32(out[0].Options.TSVal-synack.Options.TSVal) < 0 {
		t.Fatalf("timestamps %+v after a SYN-ACK's TSval %d", out[0].Options, synack.Options.TSVal)
	}
	if _, err := c.Write([]byte("reply")); err != nil {
		t.Fatal(err)
	}
}

// TestCookieWithoutTimestamps: without timestamps a cookie cannot carry the
// window scale or SACK-permitted, so the SYN-ACK does not offer them.
func TestCookieWithoutTimestamps(t *testing.T) {
	l := newCookieListener(t, cookieConfig())
	syn := cookieSYN(Options{HasMSS: true, MSS: 1300, HasWScale: true, WScale: 7, SACKPermitted: true})
	synack, ok := l.CookieReply(testRemote.Addr(), syn, testBase)
	if !ok {
		t.Fatal("no SYN-ACK")
	}
	if o := synack.Options; !o.HasMSS || o.HasWScale || o.SACKPermitted || o.HasTimestamps {
		t.Fatalf("SYN-ACK options %+v: want the MSS only", o)
	}
	c, ok := l.CookieInput(testRemote.Addr(), cookieACK(synack, nil), testBase.Add(time.Millisecond))
	if !ok {
		t.Fatal("ACK not accepted")
	}
	if c.wsOK || c.sackOK || c.tsOK || c.sndMSS != 1300 || c.rcvWScale != 0 || c.sndWnd != 502 {
		t.Fatalf("rebuilt: ws %v sack %v ts %v mss %d rcvWScale %d wnd %d", c.wsOK, c.sackOK, c.tsOK, c.sndMSS, c.rcvWScale, c.sndWnd)
	}
}

func TestCookieMSSTable(t *testing.T) {
	l := newCookieListener(t, cookieConfig())
	for _, tc := range []struct {
		has       bool
		mss, want uint16
	}{{false, 0, 536}, {true, 0, 536}, {true, 100, 536}, {true, 1219, 536}, {true, 1220, 1220}, {true, 1460, 1460}, {true, 9000, 8960}} {
		synack, _ := l.CookieReply(testRemote.Addr(), cookieSYN(Options{HasMSS: tc.has, MSS: tc.mss}), testBase)
		c, ok := l.CookieInput(testRemote.Addr(), cookieACK(synack, nil), testBase)
		if !ok {
			t.Fatalf("mss %d: not accepted", tc.mss)
		}
		if want := min(int(tc.want), 1460); c.sndMSS != want {
			t.Errorf("peer MSS %d (option %v): send MSS %d, want %d", tc.mss, tc.has, c.sndMSS, want)
		}
	}
}

func TestCookieRejected(t *testing.T) {
	l := newCookieListener(t, cookieConfig())
	syn := cookieSYN(Options{HasMSS: true, MSS: 1460, HasTimestamps: true, TSVal: 1000})
	synack, _ := l.CookieReply(testRemote.Addr(), syn, testBase)
	good := cookieACK(synack, nil)
	cases := []struct {
		name   string
		remote netip.Addr
		seg    func(Segment) Segment
		at     time.Duration
	}{
		{"expired", testRemote.Addr(), func(s Segment) Segment { return s }, 2*cookiePeriod + time.Second},
		{"ack-changed", testRemote.Addr(), func(s Segment) Segment { s.Ack ^= 1 << 5; return s }, 0},
		{"mss-bits-changed", testRemote.Addr(), func(s Segment) Segment { s.Ack ^= 1 << 28; return s }, 0},
		{"seq-changed", testRemote.Addr(), func(s Segment) Segment { s.Seq++; return s }, 0},
		{"other-port", testRemote.Addr(), func(s Segment) Segment { s.SrcPort++; return s }, 0},
		{"other-address", netip.MustParseAddr("192.0.2.99"), func(s Segment) Segment { return s }, 0},
		{"echo-from-future", testRemote.Addr(), func(s Segment) Segment { s.Options.TSEcr += 10_000; return s }, 0},
		{"syn", testRemote.Addr(), func(s Segment) Segment { s.Flags |= FlagSYN; return s }, 0},
		{"rst", testRemote.Addr(), func(s Segment) Segment { s.Flags |= FlagRST; return s }, 0},
		{"no-ack", testRemote.Addr(), func(s Segment) Segment { s.Flags = FlagPSH; return s }, 0},
	}
	for _, tc := range cases {
		if c, ok := l.CookieInput(tc.remote, tc.seg(good), testBase.Add(tc.at)); ok || c != nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	// A cookie lives from one to two periods.
	if _, ok := l.CookieInput(testRemote.Addr(), good, testBase.Add(cookiePeriod)); !ok {
		t.Error("a cookie one period old was refused")
	}
	// Another stack's secret makes other cookies.
	other := newCookieListener(t, cookieConfig())
	other.SetSYNCookies(NewSYNCookies([]byte("another key")))
	if _, ok := other.CookieInput(testRemote.Addr(), good, testBase); ok {
		t.Error("a cookie was accepted under another key")
	}
	// Only acceptable SYNs get a cookie.
	for _, f := range []Flags{FlagSYN | FlagACK, FlagSYN | FlagRST, FlagACK} {
		s := syn
		s.Flags = f
		if _, ok := l.CookieReply(testRemote.Addr(), s, testBase); ok {
			t.Errorf("a cookie for flags %v", f)
		}
	}
	if _, ok := l.CookieReply(netip.MustParseAddr("224.0.0.1"), syn, testBase); ok {
		t.Error("a cookie for a multicast source (MUST-63)")
	}
}
