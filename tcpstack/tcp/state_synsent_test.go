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
	cases := []struct {
		name  string
		in    string
		out   string // "" means nothing
		state State
		err   error
	}{
		// First, check the ACK bit.
		{"ack=iss", ". 0:0(0) ack 0 win 100", "R 0:0(0)", StateSynSent, nil},
		{"ack=beyond", ". 0:0(0) ack 2 win 100", "R 2:2(0)", StateSynSent, nil},
		{"ack=bad/rst", "R. 0:0(0) ack 2 win 100", "", StateSynSent, nil},
		// Second, check the RST bit.
		{"rst/ack=ok", "R. 0:0(0) ack 1 win 0", "", StateClosed, syscall.ECONNREFUSED},
		{"rst/no-ack", "R 0:0(0) win 0", "", StateSynSent, nil},
		// Fourth, check the SYN bit.
		{"syn-ack", "S. 0:0(0) ack 1 win 100", ". 1:1(0) ack 1", StateEstablished, nil},
		{"syn/simultaneous", "S 0:0(0) win 100", "S. 0:0(0) ack 1", StateSynReceived, nil},
		// Fifth, neither SYN nor RST.
		{"ack=ok/no-syn", ". 0:0(0) ack 1 win 100", "", StateSynSent, nil},
		{"flags=none", "P 0:5(5) win 100", "", StateSynSent, nil},
		{"fin", "F 0:0(0) win 100", "", StateSynSent, nil},
	}
	for _, tc := range cases {
		t.Run("in="+tc.name, func(t *testing.T) {
			h := newHarness(t, baseConfig()).open()
			h.Out("S 0:0(0)")
			h.In(tc.in)
			if tc.out != "" {
				h.Out(tc.out)
			}
			h.None().Expect(tc.state)
			if !errors.Is(h.c.Err(), tc.err) && !(tc.err == nil && h.c.Err() == nil) {
				t.Fatalf("err = %v, want %v", h.c.Err(), tc.err)
			}
		})
	}
}

func TestSynSentRetransmit(t *testing.T) {
	h := newHarness(t, baseConfig()).open()
	h.Out("S 0:0(0)")
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
	h.At(20 * time.Second).None().Expect(StateClosed)
	if !errors.Is(h.c.Err(), syscall.ETIMEDOUT) {
		t.Fatalf("err = %v", h.c.Err())
	}
}

func TestSynSentRTTSample(t *testing.T) {
	h := newHarness(t, baseConfig()).open()
	h.Out("S 0:0(0)")
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
	h := newHarness(t, baseConfig()).open()
	h.Out("S 0:0(0)")
	// SYN-ACK carrying data and FIN: "continue processing at the sixth step".
	h.In("SF. 0:5(5) ack 1 win 1000")
	h.Out(". 1:1(0) ack 7")
	h.Expect(StateCloseWait)
	if got := h.ReadAll(); string(got) != string(payload(0, 5)) {
		t.Fatalf("read %v", got)
	}
}

func TestSynSentWriteQueued(t *testing.T) {
	h := newHarness(t, baseConfig()).open()
	h.Out("S 0:0(0)")
	h.Write([]byte("early")).None()
	h.In("S. 0:0(0) ack 1 win 1000 <mss 500>")
	h.OutData("P. 1:6(5) ack 1", []byte("early"))
}

func TestSynSentClose(t *testing.T) {
	h := newHarness(t, baseConfig()).open()
	h.Out("S 0:0(0)")
	// RFC9293 §3.10.4 SYN-SENT: "Delete the TCB".
	if err := h.c.Close(); err != nil {
		t.Fatal(err)
	}
	h.None().Expect(StateClosed)
	h.At(10 * time.Second).None()
}

func TestSynSentAbort(t *testing.T) {
	h := newHarness(t, baseConfig()).open()
	h.Out("S 0:0(0)")
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
	h.In("S. 0:0(0) ack 1 win 2000 <mss 1000>")
	// The SYN-ACK is a duplicate of the peer's SYN as far as sequence space
	// goes: it fails the sequence check and is answered with our SYN-ACK;
	// the ACK that follows completes the handshake.
	h.Out("S. 0:0(0) ack 1")
	h.In(". 1:1(0) ack 1 win 2000")
	h.None().Expect(StateEstablished)
	if h.c.Passive() {
		t.Fatal("passive")
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
