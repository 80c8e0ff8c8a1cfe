package tcp

// Tests for the SYN-SENT state (RFC9293 §3.10.7.3).

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"
	"time"
)

func TestSynSentSanity(t *testing.T) {
	cfg := baseConfig()
	cfg.DisableSACK, cfg.DisableTimestamps, cfg.DisableWindowScale = false, false, false
	cfg.RecvBuffer = 1 << 20
	h := newHarness(t, cfg).open()
	h.Expect(StateSynSent)
	// All options offered; window unscaled in the SYN (RFC7323 §2.2).
	h.Out("S 0:0(0) win 65535 <mss 1000,sackOK,TS val 0 ecr 0,nop,wscale 5>")
	h.In("S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 500 ecr 0,nop,wscale 7>")
	h.Out(". 1:1(0) ack 1 win 32768 <TS val 0 ecr 500>")
	in := h.c.Info()
	if !in.SACK || !in.Timestamps || !in.WindowScale || in.SndWScale != 7 || in.RcvWScale != 5 {
		t.Fatalf("negotiation: %+v", in)
	}
	// Eff.snd.MSS = min(1460, 1000) - 12 bytes of timestamps (MUST-16).
	if in.SndMSS != 988 {
		t.Fatalf("SndMSS %d", in.SndMSS)
	}
	if in.ISS != testISS || in.IRS != testIRS || in.SndUna != testISS+1 || in.RcvNxt != testIRS+1 {
		t.Fatalf("sequence numbers: %+v", in)
	}
	if ev := h.c.Events(); ev&EventEstablished == 0 {
		t.Fatalf("events %v", ev)
	}
}

// TestSynSentArrival covers each branch of RFC9293 §3.10.7.3.
func TestSynSentArrival(t *testing.T) {
	type row struct {
		arrival
		err error
	}
	cases := []row{
		// First, check the ACK bit.
		{arrival{"ack=iss", ". 0:0(0) ack 0 win 100", "R 0:0(0)", StateSynSent}, nil},
		{arrival{"ack=beyond", ". 0:0(0) ack 2 win 100", "R 2:2(0)", StateSynSent}, nil},
		{arrival{"ack=bad/rst", "R. 0:0(0) ack 2 win 100", "", StateSynSent}, nil},
		// Second, check the RST bit.
		{arrival{"rst/ack=ok", "R. 0:0(0) ack 1 win 0", "", StateClosed}, syscall.ECONNREFUSED},
		{arrival{"rst/no-ack", "R 0:0(0) win 0", "", StateSynSent}, nil},
		// Fourth, check the SYN bit.
		{arrival{"syn-ack", "S. 0:0(0) ack 1 win 100", ". 1:1(0) ack 1", StateEstablished}, nil},
		{arrival{"syn/simultaneous", "S 0:0(0) win 100", "S. 0:0(0) ack 1", StateSynReceived}, nil},
		// Fifth, neither SYN nor RST.
		{arrival{"ack=ok/no-syn", ". 0:0(0) ack 1 win 100", "", StateSynSent}, nil},
		{arrival{"flags=none", "P 0:5(5) win 100", "", StateSynSent}, nil},
		{arrival{"fin", "F 0:0(0) win 100", "", StateSynSent}, nil},
	}
	runArrivals(t, "in=", cases, func(t *testing.T, _ row) *harness { return synSent(t) },
		func(t *testing.T, h *harness, tc row) {
			if !errors.Is(h.c.Err(), tc.err) {
				t.Fatalf("err = %v, want %v", h.c.Err(), tc.err)
			}
		})
}

func TestSynSentRetransmit(t *testing.T) {
	h := synSent(t)
	h.At(999 * time.Millisecond).None()
	// RFC6298 (2.1) initial RTO 1 s, then (5.5) doubling.
	for _, at := range []time.Duration{1, 3, 7, 15} {
		h.At(at * time.Second)
		h.Out("S 0:0(0)")
		h.None()
	}
	h.In("S. 0:0(0) ack 1 win 1000")
	h.Out(". 1:1(0) ack 1")
	// RFC6298 (5.7): the SYN timed out and RTO < 3 s, so RTO is 3 s once data
	// flows; and Karn's rule left no sample.
	if rto := h.c.Info().RTO; rto != 3*time.Second {
		t.Fatalf("RTO %v, want 3s", rto)
	}
	if h.c.Info().RTT != 0 {
		t.Fatalf("RTT sampled from a retransmitted SYN")
	}
}

func TestSynSentTimeout(t *testing.T) {
	cfg := baseConfig()
	cfg.R2SYN = 10 * time.Second
	h := newHarness(t, cfg).open()
	h.Drain()
	h.At(9 * time.Second).Drain()
	// MUST-23: the SYN is retransmitted for at least R2SYN: the RTO backed
	// off to 8 s straddles 10 s, so one more goes at 15 s.
	h.At(15 * time.Second).Out("S 0:0(0)")
	h.Expect(StateSynSent)
	h.At(31 * time.Second).None().Expect(StateClosed)
	if !errors.Is(h.c.Err(), syscall.ETIMEDOUT) {
		t.Fatalf("err = %v", h.c.Err())
	}
}

func TestSynSentRTTSample(t *testing.T) {
	h := synSent(t)
	h.At(100 * time.Millisecond)
	h.In("S. 0:0(0) ack 1 win 1000")
	h.Out(". 1:1(0) ack 1")
	// RFC6298 (2.2): SRTT = R, RTTVAR = R/2, RTO = max(1 s, SRTT + 4 RTTVAR).
	in := h.c.Info()
	if in.RTT != 100*time.Millisecond || in.RTTVar != 50*time.Millisecond || in.RTO != time.Second {
		t.Fatalf("rtt %v rttvar %v rto %v", in.RTT, in.RTTVar, in.RTO)
	}
}

func TestSynSentSynAckWithData(t *testing.T) {
	h := synSent(t)
	// SYN-ACK carrying data and FIN: "continue processing at the sixth step".
	h.In("SF. 0:5(5) ack 1 win 1000")
	h.Out(". 1:1(0) ack 7")
	h.Expect(StateCloseWait)
	if got := h.ReadAll(); string(got) != string(payload(0, 5)) {
		t.Fatalf("read %v", got)
	}
}

func TestSynSentWriteQueued(t *testing.T) {
	h := synSent(t)
	h.Write([]byte("early")).None()
	h.In("S. 0:0(0) ack 1 win 1000 <mss 500>")
	h.OutData("P. 1:6(5) ack 1", []byte("early"))
}

func TestSynSentClose(t *testing.T) {
	h := synSent(t)
	// RFC9293 §3.10.4 SYN-SENT: "Delete the TCB".
	if err := h.c.Close(); err != nil {
		t.Fatal(err)
	}
	h.None().Expect(StateClosed)
	h.At(10 * time.Second).None()
}

// TestSynSentCloseThenArrival: after a close in SYN-SENT the TCB is gone
// (RFC9293 §3.10.4), so what arrives for it is answered as in CLOSED
// (§3.10.7.1): the SYN-ACK, or any segment with an ACK, with a reset from
// that ACK; a reset with nothing.
func TestSynSentCloseThenArrival(t *testing.T) {
	cases := []arrival{
		{"syn-ack", "S. 0:0(0) ack 1 win 100", "R 1:1(0)", StateClosed},
		{"ack+data", "P. 1:6(5) ack 1 win 100", "R 1:1(0)", StateClosed},
		{"rst", "R. 0:0(0) ack 1 win 0", "", StateClosed},
	}
	runArrivals(t, "in=", cases, func(t *testing.T, _ arrival) *harness {
		h := synSent(t)
		if err := h.c.Close(); err != nil {
			t.Fatal(err)
		}
		return h
	}, nil)
}

func TestSynSentAbort(t *testing.T) {
	h := synSent(t)
	h.c.Abort() // no RST in SYN-SENT (RFC9293 §3.10.5)
	h.None().Expect(StateClosed)
}

// TestSimultaneousOpen is RFC9293 §3.5 Figure 8 (MUST-10).
func TestSimultaneousOpen(t *testing.T) {
	h := newHarness(t, baseConfig()).open()
	h.Out("S 0:0(0) win 65535 <mss 1000>")
	h.In("S 0:0(0) win 2000 <mss 1000>")
	h.Out("S. 0:0(0) ack 1 win 65535 <mss 1000>")
	h.Expect(StateSynReceived)
	// Figure 8 line 6: the peer's SYN-ACK, whose SYN repeats the one
	// received (SEG.SEQ = IRS), acknowledges ours and completes the
	// handshake by itself; no bare ACK follows from a peer that is
	// established already.
	h.In("S. 0:0(0) ack 1 win 2000 <mss 1000>")
	h.None().Expect(StateEstablished)
	if h.c.Passive() {
		t.Fatal("passive")
	}
	// Data flows both ways.
	h.In("P. 1:5(4) ack 1 win 2000")
	h.Out(". 1:1(0) ack 5")
	if got := string(h.ReadAll()); len(got) != 4 {
		t.Fatalf("read %q", got)
	}
	h.Write([]byte("ok"))
	h.Out("P. 1:3(2) ack 5")
	// A SYN-ACK that does not acknowledge exactly our SYN, or whose SYN is
	// not the one received, is still refused by the sequence check.
	for _, line := range []string{"S. 0:0(0) ack 2 win 2000", "S. 5:5(0) ack 1 win 2000"} {
		h3 := newHarness(t, baseConfig()).open()
		h3.Drain()
		h3.In("S 0:0(0) win 2000 <mss 1000>")
		h3.Drain()
		h3.In(line)
		h3.Expect(StateSynReceived)
	}
	// RST in SYN-RECEIVED of an active open means refused (RFC9293
	// §3.10.7.4).
	h2 := newHarness(t, baseConfig()).open()
	h2.Drain()
	h2.In("S 0:0(0) win 2000")
	h2.Drain()
	h2.In("R 1:1(0) win 0")
	h2.None().Expect(StateClosed)
	if !errors.Is(h2.c.Err(), syscall.ECONNREFUSED) {
		t.Fatalf("err %v", h2.c.Err())
	}
}

func TestOpenInvalid(t *testing.T) {
	local := netip.MustParseAddrPort("10.0.0.1:1000")
	for _, r := range []string{"224.0.0.1:80", "255.255.255.255:80", "0.0.0.0:80", "10.0.0.2:0", "[ff02::1]:80"} {
		t.Run("remote="+r, func(t *testing.T) {
			if _, err := Open(Config{}, local, netip.MustParseAddrPort(r), testBase); !errors.Is(err, ErrInvalidEndpoint) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	if _, err := Open(Config{}, netip.AddrPort{}, netip.MustParseAddrPort("10.0.0.2:80"), testBase); !errors.Is(err, ErrInvalidEndpoint) {
		t.Fatalf("err = %v", err)
	}
}

// TestSynSentUserTimeout: a user timeout (TCP_USER_TIMEOUT) bounds the
// connection attempt too (RFC9293 MUST-22, MUST-23's "the
// application can ... give up on the open attempt sooner"): with 2 s, an
// unanswered SYN is given up at 2 s with ETIMEDOUT, not at R2SYN, and not at
// the next backed-off retransmission (3 s) either.
func TestSynSentUserTimeout(t *testing.T) {
	for _, when := range []string{"before the first SYN", "in SYN-SENT"} {
		t.Run(when, func(t *testing.T) {
			h := newHarness(t, baseConfig())
			if when == "before the first SYN" {
				c, err := Open(h.cfg, testLocal, testRemote, h.now)
				if err != nil {
					t.Fatal(err)
				}
				h.c = c
				h.hook(c)
				c.SetUserTimeout(2 * time.Second)
				h.output()
				h.Out("S 0:0(0)")
			} else {
				h.open().Out("S 0:0(0)")
				h.At(500 * time.Millisecond)
				h.c.SetUserTimeout(2 * time.Second)
			}
			h.At(time.Second).Out("S 0:0(0)") // first retransmission, RTO 1 s
			h.At(1999 * time.Millisecond).None().Expect(StateSynSent)
			if d, ok := h.c.NextDeadline(); !ok || d.Sub(testBase) != 2*time.Second {
				t.Fatalf("next deadline %v, want the user timeout's expiry at 2s", d.Sub(testBase))
			}
			h.At(2 * time.Second).None().Expect(StateClosed)
			if !errors.Is(h.c.Err(), syscall.ETIMEDOUT) {
				t.Fatalf("err = %v", h.c.Err())
			}
		})
	}
	// Zero returns the attempt to R2SYN.
	cfg := baseConfig()
	cfg.R2SYN = 10 * time.Second
	h := newHarness(t, cfg).open()
	h.c.SetUserTimeout(2 * time.Second)
	h.c.SetUserTimeout(0)
	h.Drain()
	h.At(9 * time.Second).Drain()
	h.Expect(StateSynSent)
}
