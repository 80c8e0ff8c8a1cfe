package tcp

// Tests for the LISTEN state (RFC9293 §3.10.7.2), SYN-RECEIVED reached by a
// passive open, and segments for connections in CLOSED (RFC9293 §3.10.7.1).

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"
	"time"
)

func TestListenArrival(t *testing.T) {
	cases := []arrival{
		{"rst", "R 0:0(0) win 0", "", StateListen},
		{"rst-ack", "R. 0:0(0) ack 77 win 0", "", StateListen},
		{"ack", ". 0:0(0) ack 77 win 100", "R 77:77(0)", StateListen},
		{"syn-ack", "S. 0:0(0) ack 77 win 100", "R 77:77(0)", StateListen},
		{"syn", "S 0:0(0) win 100", "S. 0:0(0) ack 1 win 65535 <mss 1000>", StateSynReceived},
		// Text on the SYN is not acknowledged (dropped, like Linux).
		{"syn+data", "S 0:10(10) win 100", "S. 0:0(0) ack 1", StateSynReceived},
		{"flags=none", "P 0:5(5) win 100", "", StateListen},
		{"fin", "F 0:0(0) win 100", "", StateListen},
	}
	for _, tc := range cases {
		t.Run("in="+tc.name, func(t *testing.T) {
			h := newHarness(t, baseConfig()).listen()
			seg := h.parse(tc.in, true)
			c, rst, ok := h.l.Input(testRemote.Addr(), seg, h.now)
			switch {
			case c != nil:
				h.c = c
				h.output()
			case ok:
				h.out = append(h.out, rst)
			}
			if tc.out != "" {
				got := h.Out(tc.out)
				if got.Flags&FlagRST != 0 && (got.SrcPort != testLocal.Port() || got.DstPort != testRemote.Port()) {
					t.Fatalf("reset ports %d>%d", got.SrcPort, got.DstPort)
				}
			}
			h.None().Expect(tc.state)
		})
	}
}

// TestListenSynOptions: the SYN-ACK carries only options the SYN offered
// (RFC7323 §2.2, §3.2; RFC2018 §2).
func TestListenSynOptions(t *testing.T) {
	cfg := baseConfig()
	cfg.DisableSACK, cfg.DisableTimestamps, cfg.DisableWindowScale = false, false, false
	cfg.RecvBuffer = 256 << 10
	cases := []struct{ name, syn, synack string }{
		{"none", "", "<mss 1000>"},
		{"mss", "<mss 500>", "<mss 1000>"},
		{"wscale", "<wscale 2>", "<mss 1000,wscale 3>"},
		{"sackOK", "<sackOK>", "<mss 1000,sackOK>"},
		{"TS", "<TS val 9 ecr 0>", "<mss 1000,TS val 0 ecr 9>"},
		{"all", "<mss 1460,sackOK,TS val 9 ecr 0,nop,wscale 7>", "<mss 1000,sackOK,TS val 0 ecr 9,wscale 3>"},
	}
	for _, tc := range cases {
		t.Run("syn="+tc.name, func(t *testing.T) {
			h := newHarness(t, cfg).listen()
			h.In("S 0:0(0) win 65535 " + tc.syn)
			h.Out("S. 0:0(0) ack 1 win 65535 " + tc.synack)
		})
	}
}

func TestListenDiscardsInvalidSource(t *testing.T) {
	l, _ := NewListener(baseConfig(), testLocal)
	for _, a := range []string{"224.1.2.3", "255.255.255.255", "0.0.0.0"} {
		h := newHarness(t, baseConfig())
		seg := h.parse("S 0:0(0) win 100", true)
		if c, _, ok := l.Input(netip.MustParseAddr(a), seg, testBase); c != nil || ok {
			t.Fatalf("SYN from %s accepted (MUST-63)", a)
		}
	}
	if _, err := NewListener(Config{}, netip.AddrPort{}); !errors.Is(err, ErrInvalidEndpoint) {
		t.Fatal(err)
	}
}

func TestPassiveOpen(t *testing.T) {
	h := newHarness(t, baseConfig())
	h.passiveEstablished(4000, "<mss 1460>")
	if !h.c.Passive() || h.c.Info().SndWnd != 4000 {
		t.Fatalf("%+v", h.c.Info())
	}
	if ev := h.c.Events(); ev&EventEstablished == 0 {
		t.Fatalf("events %v", ev)
	}
	if h.trans[0] != "SYN-RECEIVED→ESTABLISHED" {
		t.Fatalf("transitions %v", h.trans)
	}
	// The handshake data now flows.
	h.In("P. 1:101(100) ack 1 win 4000")
	h.Out(". 1:1(0) ack 101")
}

// TestSynReceivedArrival covers RFC9293 §3.10.7.4 in SYN-RECEIVED.
func TestSynReceivedArrival(t *testing.T) {
	cases := []arrival{
		// RST returns a passive connection to LISTEN (MUST-11).
		{"rst", "R 1:1(0) win 0", "", StateListen},
		// RST in the window but not at RCV.NXT: challenge ACK (RFC5961 §3.2),
		// which in SYN-RECEIVED repeats the SYN-ACK.
		{"rst/in-window", "R 100:100(0) win 0", "S. 0:0(0) ack 1", StateSynReceived},
		// A SYN in the window returns it to LISTEN too.
		{"syn/in-window", "S 50:50(0) win 100", "", StateListen},
		// A repeated SYN fails the sequence check: our SYN-ACK was lost.
		{"syn/dup", "S 0:0(0) win 100", "S. 0:0(0) ack 1", StateSynReceived},
		// Unacceptable ACK: <SEQ=SEG.ACK><CTL=RST>.
		{"ack=iss", ". 1:1(0) ack 0 win 100", "R 0:0(0)", StateSynReceived},
		{"ack=beyond", ". 1:1(0) ack 5 win 100", "R 5:5(0)", StateSynReceived},
		{"ack=ok", ". 1:1(0) ack 1 win 100", "", StateEstablished},
		{"no-ack", "P 1:11(10) win 100", "", StateSynReceived},
		{"ack+fin", "F. 1:1(0) ack 1 win 100", ". 1:1(0) ack 2", StateCloseWait},
		{"seq=beyond-window", ". 70000:70000(0) ack 1 win 100", "S. 0:0(0) ack 1", StateSynReceived},
	}
	runArrivals(t, "in=", cases, func(t *testing.T, _ arrival) *harness { return synReceived(t) },
		func(t *testing.T, h *harness, tc arrival) {
			if tc.state == StateListen && h.c.Err() != nil {
				t.Fatalf("err %v: the user need not be informed", h.c.Err())
			}
		})
}

func TestSynReceivedRetransmit(t *testing.T) {
	cfg := baseConfig()
	cfg.R2SYN = 5 * time.Second
	h := newHarness(t, cfg).listen()
	h.In("S 0:0(0) win 1000")
	h.Out("S. 0:0(0) ack 1")
	h.At(time.Second)
	h.Out("S. 0:0(0) ack 1")
	h.At(3 * time.Second)
	h.Out("S. 0:0(0) ack 1")
	// The retransmission at 7 s is the first at or past R2SYN (MUST-23);
	// the attempt ends at the expiry after it.
	h.At(7 * time.Second)
	h.Out("S. 0:0(0) ack 1")
	h.At(15 * time.Second).None().Expect(StateClosed)
	if !errors.Is(h.c.Err(), syscall.ETIMEDOUT) {
		t.Fatalf("err %v", h.c.Err())
	}
}

func TestSynReceivedClose(t *testing.T) {
	h := synReceived(t)
	if err := h.c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	h.None().Expect(StateSynReceived)
	// "queue for processing after entering ESTABLISHED state".
	h.In(". 1:1(0) ack 1 win 1000")
	h.Out("F. 1:1(0) ack 1")
	h.Expect(StateFinWait1)
}

func TestSynReceivedAbort(t *testing.T) {
	h := newHarness(t, baseConfig()).listen()
	h.In("S 0:0(0) win 1000")
	h.Drain()
	h.c.Abort()
	h.Out("R 1:1(0)")
	h.Expect(StateClosed)
}

// TestClosedArrival: RFC9293 §3.10.7.1.
func TestClosedArrival(t *testing.T) {
	cases := []struct{ name, in, out string }{
		{"rst", "R 0:0(0) win 0", ""},
		{"ack", ". 10:10(0) ack 20 win 10", "R 20:20(0)"},
		{"data", "P 10:15(5) win 10", "R. 0:0(0) ack 15"},
		{"syn", "S 10:10(0) win 10", "R. 0:0(0) ack 11"},
		{"syn+fin+data", "SF 10:13(3) win 10", "R. 0:0(0) ack 15"},
	}
	for _, tc := range cases {
		t.Run("in="+tc.name, func(t *testing.T) {
			h := newHarness(t, baseConfig())
			seg := h.parse(tc.in, true)
			rst, ok := ResetFor(seg)
			if ok != (tc.out != "") {
				t.Fatalf("reply %v", ok)
			}
			if ok {
				if rst.Flags&FlagACK == 0 {
					if rst.Seq != seg.Ack {
						t.Fatalf("seq %d want %d", rst.Seq, seg.Ack)
					}
				} else if rst.Seq != 0 || rst.Ack != seg.End() {
					t.Fatalf("rst %v", rst.String())
				}
				if rst.SrcPort != seg.DstPort || rst.DstPort != seg.SrcPort {
					t.Fatal("ports not swapped")
				}
			}
		})
	}
	// A Conn that reached CLOSED answers like a closed port.
	h := newHarness(t, baseConfig())
	h.established(1000, "")
	h.c.Abort()
	h.Out("R 1:1(0)")
	h.In(". 1:1(0) ack 1 win 100")
	h.Out("R 1:1(0)")
}
