package tcp

// Tests for RFC7323 Timestamps: RTTM, TS.Recent and PAWS; and window scaling.

import (
	"testing"
	"time"
)

// tsEstablished opens with timestamps; the peer's clock is at 100.
func tsEstablished(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, baseConfig())
	h.cfg.DisableTimestamps = false
	h.open()
	h.Out("S 0:0(0) win 65535 <mss 1000,TS val 0 ecr 0>")
	h.In("S. 0:0(0) ack 1 win 65535 <mss 1000,TS val 100 ecr 0>")
	h.Out(". 1:1(0) ack 1 <TS val 0 ecr 100>")
	return h
}

func TestTimestamps(t *testing.T) {
	h := tsEstablished(t)
	if in := h.c.Info(); !in.Timestamps || in.SndMSS != 988 {
		t.Fatalf("%+v", in)
	}
	h.At(50 * time.Millisecond)
	h.Write([]byte("ping"))
	// MUST send TSopt in every segment (RFC7323 §3.2); TSval in ms.
	h.Out("P. 1:5(4) ack 1 <TS val 50 ecr 100>")
	h.At(170 * time.Millisecond)
	h.In(". 1:1(0) ack 5 win 65535 <TS val 110 ecr 50>")
	// RTTM (RFC7323 §4.1): a 120 ms sample (170 - 50), folded into the
	// handshake's 0 ms: SRTT = 7/8·0 + 1/8·120 ms.
	if rtt := h.c.Info().RTT; rtt != 15*time.Millisecond {
		t.Fatalf("rtt %v", rtt)
	}
	h.In("P. 1:11(10) ack 5 win 65535 <TS val 120 ecr 50>")
	h.Out(". 5:5(0) ack 11 <TS val 170 ecr 120>")
}

func TestPAWS(t *testing.T) {
	type row struct {
		arrival
		readable int
	}
	cases := []row{
		// RFC7323 §5.3 R1: an old TSval is not acceptable: ACK and drop.
		{arrival{"tsval=old", "P. 1:11(10) ack 1 win 65535 <TS val 99 ecr 0>", ". 1:1(0) ack 1 <TS val 0 ecr 100>", StateEstablished}, 0},
		{arrival{"tsval=equal", "P. 1:11(10) ack 1 win 65535 <TS val 100 ecr 0>", ". 1:1(0) ack 11 <TS val 0 ecr 100>", StateEstablished}, 10},
		{arrival{"tsval=wrapped-newer", "P. 1:11(10) ack 1 win 65535 <TS val 2147483700 ecr 0>", ". 1:1(0) ack 11", StateEstablished}, 10},
		// "... and the RST bit is not set": an RST is not subject to PAWS.
		{arrival{"rst/tsval=old", "R 1:1(0) win 0 <TS val 1 ecr 0>", "", StateClosed}, 0},
		{arrival{"rst/no-ts", "R 1:1(0) win 0", "", StateClosed}, 0},
		// RFC7323 §3.2: a non-RST segment without TSopt is silently dropped.
		{arrival{"no-ts", "P. 1:11(10) ack 1 win 65535", "", StateEstablished}, 0},
	}
	runArrivals(t, "seg=", cases, func(t *testing.T, _ row) *harness { return tsEstablished(t) },
		func(t *testing.T, h *harness, tc row) { wantReadable(t, h, tc.readable) })
}

// TestPAWSOutdated: RFC7323 §5.5, TS.Recent older than 24 days is invalid.
func TestPAWSOutdated(t *testing.T) {
	h := tsEstablished(t)
	h.At(25 * 24 * time.Hour)
	h.In("P. 1:11(10) ack 1 win 65535 <TS val 5 ecr 0>")
	h.Out(". 1:1(0) ack 11 <TS val * ecr 5>")
}

// TestTSRecentUpdate: RFC7323 §4.3, TS.Recent follows only segments at or
// before Last.ACK.sent, so the echo times the earliest unacknowledged data.
func TestTSRecentUpdate(t *testing.T) {
	h := tsEstablished(t)
	h.In("P. 11:21(10) ack 1 win 65535 <TS val 200 ecr 0>") // out of order
	h.Out(". 1:1(0) ack 1 <TS val 0 ecr 100>")
	h.In("P. 1:11(10) ack 1 win 65535 <TS val 300 ecr 0>")
	h.Out(". 1:1(0) ack 21 <TS val 0 ecr 300>")
}

func TestWindowScale(t *testing.T) {
	cfg := baseConfig()
	cfg.DisableWindowScale = false
	cfg.RecvBuffer = 1 << 20
	h := newHarness(t, cfg).open()
	h.Out("S 0:0(0) win 65535 <mss 1000,wscale 5>")
	h.In("S. 0:0(0) ack 1 win 1000 <mss 1000,wscale 7>")
	// The SYN-ACK's window is not scaled; ours now is (1 MiB >> 5).
	h.Out(". 1:1(0) ack 1 win 32768")
	if w := h.c.Info().SndWnd; w != 1000 {
		t.Fatalf("snd wnd %d", w)
	}
	h.In(". 1:1(0) ack 1 win 100")
	if w := h.c.Info().SndWnd; w != 12800 {
		t.Fatalf("snd wnd %d, want 100<<7", w)
	}
	// The receive window is in units of 32 bytes.
	h.In("P. 1:1001(1000) ack 1 win 100")
	h.Out(". 1:1(0) ack 1001 win 32736")
}

func TestWindowScaleNegotiation(t *testing.T) {
	cases := []struct {
		name, synack string
		snd, rcv     int
		ok           bool
		win          string
	}{
		{"peer=none", "<mss 1000>", 0, 0, false, "win 65535"},
		{"peer=0", "<mss 1000,wscale 0>", 0, 5, true, "win 32768"},
		// RFC7323 §2.3: a shift above 14 is taken as 14.
		{"peer=15", "<mss 1000,wscale 15>", 14, 5, true, "win 32768"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig()
			cfg.DisableWindowScale = false
			cfg.RecvBuffer = 1 << 20
			h := newHarness(t, cfg).open()
			h.Drain()
			h.In("S. 0:0(0) ack 1 win 1000 " + tc.synack)
			h.Out(". 1:1(0) ack 1 " + tc.win)
			in := h.c.Info()
			if in.WindowScale != tc.ok || in.SndWScale != tc.snd || in.RcvWScale != tc.rcv {
				t.Fatalf("%+v", in)
			}
		})
	}
}

func TestMSSNegotiation(t *testing.T) {
	cases := []struct {
		name, synack string
		mss          int
	}{
		{"none", "", 536}, // MUST-15
		{"zero", "<mss 0>", 536},
		{"tiny", "<mss 10>", minMSS},
		{"small", "<mss 600>", 600},
		{"large", "<mss 9000>", 1000}, // capped by ours (MUST-16)
	}
	for _, tc := range cases {
		t.Run("mss="+tc.name, func(t *testing.T) {
			h := newHarness(t, baseConfig()).open()
			h.Drain()
			h.In("S. 0:0(0) ack 1 win 65535 " + tc.synack)
			if got := h.c.Info().SndMSS; got != tc.mss {
				t.Fatalf("SndMSS %d, want %d", got, tc.mss)
			}
		})
	}
}

// TestTimeWaitReusable: an outgoing connection may take over a 4-tuple in
// TIME-WAIT (tcp_tw_reuse) only when timestamps were in use and a second has
// passed since TIME-WAIT began (RFC6191 §2).
func TestTimeWaitReusable(t *testing.T) {
	h := tsEstablished(t)
	if h.c.TimeWaitReusable(h.now) {
		t.Fatal("ESTABLISHED counts as reusable")
	}
	if err := h.c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	h.Out("F. 1:1(0) ack 1 <TS val 0 ecr 100>")
	h.In("F. 1:1(0) ack 2 win 65535 <TS val 101 ecr 0>")
	h.Out(". 2:2(0) ack 2 <TS val 0 ecr 101>")
	h.Expect(StateTimeWait)
	if h.c.TimeWaitReusable(h.now.Add(999 * time.Millisecond)) {
		t.Error("reusable 999 ms into TIME-WAIT")
	}
	if !h.c.TimeWaitReusable(h.now.Add(time.Second)) {
		t.Error("not reusable a second into TIME-WAIT with timestamps")
	}

	// Without timestamps, never: nothing tells the incarnations apart.
	h = timeWait(t)
	if h.c.TimeWaitReusable(h.now.Add(time.Minute)) {
		t.Error("reusable without timestamps")
	}
}

// TestTSEpochShared: with Config.TSEpoch, a connection opened later starts
// its Timestamps clock where the shared clock stands, not at zero.
func TestTSEpochShared(t *testing.T) {
	cfg := baseConfig()
	cfg.DisableTimestamps = false
	h := newHarness(t, cfg)
	h.cfg.TSEpoch = h.now.Add(-5 * time.Second)
	h.open()
	h.Out("S 0:0(0) win 65535 <mss 1000,TS val 5000 ecr 0>")
}
