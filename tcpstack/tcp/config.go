// Connection configuration and its defaults.
//
// Read before editing: RFC9293 §3.7.1 and MUST-14/15/16/67 (MSS), §3.8.3
// (R1/R2, MUST-20..23, SHLD-10/11), §3.8.4 (keep-alive, MUST-24..29),
// §3.8.6.3 (delayed ACK, MUST-40), §3.7.4 (Nagle, MUST-17), §3.3.2 (MSL);
// RFC6298 (2.1), (2.4), (2.5) (RTO bounds); RFC5961 §7 (ACK throttling).

package tcp

import (
	"time"

	"github.com/rs/zerolog"
)

// Config configures a connection. The zero value is usable: every zero field
// takes the default documented on it, and the boolean features are named so
// that false means the usual behaviour (enabled where an RFC recommends it,
// disabled where one requires it off by default).
type Config struct {
	// MSS is the maximum segment size we can receive, advertised in our SYN
	// (RFC9293 MUST-14, MUST-67), and also the cap on what we send (the
	// path's limit, EMTU_S, in MUST-16). Default 1460.
	MSS int
	// SendBuffer and RecvBuffer bound the bytes queued in each direction.
	// The receive window never exceeds RecvBuffer. Default 1 MiB each (as
	// gVisor's netstack; 256 KiB measured 15-28% slower in bulk transfers
	// with Linux over a veth, benchmarks/cmd/bulkbench). The memory follows
	// what is queued: an idle connection holds none of it.
	SendBuffer, RecvBuffer int

	// DisableSACK turns off RFC2018 SACK (offered and used by default).
	DisableSACK bool
	// DisableTimestamps turns off RFC7323 Timestamps, RTTM and PAWS.
	DisableTimestamps bool
	// DisableWindowScale turns off RFC7323 window scaling.
	DisableWindowScale bool
	// NoDelay disables the Nagle algorithm (RFC9293 §3.7.4: "there MUST be a
	// way for an application to disable the Nagle algorithm on an individual
	// connection", MUST-17).
	NoDelay bool
	// DisableDelayedACK acknowledges every segment at once.
	DisableDelayedACK bool
	// DelayedACKTimeout is how long an ACK may wait. RFC9293 MUST-40 requires
	// less than 0.5 s; larger values are clamped to 490 ms. Default 200 ms.
	DelayedACKTimeout time.Duration

	// MSL is the maximum segment lifetime; TIME-WAIT lasts 2×MSL
	// (RFC9293 MUST-13). Default 2 minutes (RFC9293 §4 "MSL").
	MSL time.Duration
	// InitialRTO, RTOMin and RTOMax bound the retransmission timeout.
	// Defaults 1 s (RFC6298 (2.1)), 1 s (RFC6298 (2.4)) and 60 s (RFC6298 (2.5)).
	InitialRTO, RTOMin, RTOMax time.Duration
	// R1 is the number of retransmissions of one segment after which the
	// engine reports EventNegativeAdvice for the IP layer (RFC9293 §3.8.3 (b)).
	// Default 3 (SHLD-10).
	R1 int
	// R2 is how long one segment may go unacknowledged through
	// retransmissions before the connection is closed with ETIMEDOUT
	// (RFC9293 §3.8.3 (c), MUST-20; settable by the application, MUST-21).
	// Default 100 s (SHLD-11). Negative means never ("infinity").
	R2 time.Duration
	// R2SYN is R2 for SYN and SYN-ACK retransmissions: they go on until one
	// has been sent R2SYN or more after the first SYN, so that the segment
	// is retransmitted "for at least 3 minutes" with the default (RFC9293
	// MUST-23); the attempt ends at the next expiry. Default 3 minutes.
	// Negative means never.
	R2SYN time.Duration

	// KeepAlive turns keep-alive probes on; they are off by default
	// (RFC9293 MUST-24, MUST-25).
	KeepAlive bool
	// KeepIdle is the idle time before the first probe (default 2 hours,
	// RFC9293 MUST-27, MUST-28), KeepIntvl the time between unanswered probes
	// (default 75 s) and KeepCnt the number of unanswered probes after which
	// the connection is closed with ETIMEDOUT (default 9).
	KeepIdle, KeepIntvl time.Duration
	KeepCnt             int

	// SWSOverride is the sender SWS override timeout of RFC9293 §3.8.6.2.1
	// ("in the range 0.1 - 1.0 seconds"). Default 200 ms.
	SWSOverride time.Duration
	// ChallengeACKLimit caps the challenge ACKs (RFC5961 §3.2, §4.2, §5.2)
	// sent per second (RFC5961 §7 ACK throttling). Default 1000; negative
	// means no limit.
	ChallengeACKLimit int

	// TSEpoch is when the Timestamps clock reads 0 (plus each 4-tuple's
	// offset); zero means the connection's start. Share one among all
	// connections so TSvals grow across incarnations of a 4-tuple.
	TSEpoch time.Time

	// ISN chooses initial sequence numbers (RFC6528). Nil means a KeyedISN
	// with a random key per connection, which is secure but loses RFC6528's
	// increasing ISNs across incarnations of a 4-tuple: a stack should share
	// one generator among its connections.
	ISN ISNGenerator
	// Logger receives state transitions at debug level and segments at trace
	// level. The zero value is silent.
	Logger zerolog.Logger

	// DisableRFC5961 replaces the RFC5961 mitigations (exact-match RST,
	// challenge ACKs for in-window RST and SYN, ACK range check) by the
	// original RFC793 behaviour described in RFC9293 §3.10.7.4. It exists to
	// build deliberately non-conforming targets for the conformance suite's
	// own tests; never set it otherwise.
	DisableRFC5961 bool
}

// Defaults used for zero Config fields.
const (
	DefaultMSS               = 1460
	DefaultBuffer            = 1 << 20
	DefaultDelayedACKTimeout = 200 * time.Millisecond
	DefaultMSL               = 2 * time.Minute
	DefaultInitialRTO        = time.Second
	DefaultRTOMin            = time.Second
	DefaultRTOMax            = 60 * time.Second
	DefaultR1                = 3
	DefaultR2                = 100 * time.Second
	DefaultR2SYN             = 3 * time.Minute
	DefaultKeepIdle          = 2 * time.Hour
	DefaultKeepIntvl         = 75 * time.Second
	DefaultKeepCnt           = 9
	DefaultSWSOverride       = 200 * time.Millisecond
	DefaultChallengeACKLimit = 1000
)

// minMSS is the smallest send MSS accepted from a peer; smaller advertised
// values are raised to it, as Linux does (TCP_MIN_MSS 88), so that a hostile
// MSS cannot make the engine send one-byte segments. A zero MSS option is
// treated as absent, as smoltcp and Linux do.
const minMSS = 88

// normalize returns cfg with defaults filled in and values clamped.
func (cfg Config) normalize() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if cfg.MSS <= 0 {
		cfg.MSS = DefaultMSS
	}
	cfg.MSS = min(max(cfg.MSS, minMSS), 65535)
	if cfg.SendBuffer <= 0 {
		cfg.SendBuffer = DefaultBuffer
	}
	if cfg.RecvBuffer <= 0 {
		cfg.RecvBuffer = DefaultBuffer
	}
	// The receive window is at most 2^30 (RFC7323 §2.3).
	cfg.RecvBuffer = min(cfg.RecvBuffer, 1<<30)
	cfg.SendBuffer = min(cfg.SendBuffer, 1<<30)
	def(&cfg.DelayedACKTimeout, DefaultDelayedACKTimeout)
	cfg.DelayedACKTimeout = min(cfg.DelayedACKTimeout, 490*time.Millisecond) // MUST-40
	def(&cfg.MSL, DefaultMSL)
	def(&cfg.InitialRTO, DefaultInitialRTO)
	def(&cfg.RTOMin, DefaultRTOMin)
	def(&cfg.RTOMax, DefaultRTOMax)
	cfg.RTOMax = max(cfg.RTOMax, cfg.RTOMin)
	if cfg.R1 <= 0 {
		cfg.R1 = DefaultR1
	}
	def(&cfg.R2, DefaultR2)
	def(&cfg.R2SYN, DefaultR2SYN)
	def(&cfg.KeepIdle, DefaultKeepIdle)
	def(&cfg.KeepIntvl, DefaultKeepIntvl)
	if cfg.KeepCnt <= 0 {
		cfg.KeepCnt = DefaultKeepCnt
	}
	def(&cfg.SWSOverride, DefaultSWSOverride)
	if cfg.ChallengeACKLimit == 0 {
		cfg.ChallengeACKLimit = DefaultChallengeACKLimit
	}
	return cfg
}

// windowScaleFor returns the shift needed to advertise a window of buf bytes
// in 16 bits (RFC7323 §2.2), at most 14.
func windowScaleFor(buf int) uint8 {
	var s uint8
	for s < maxWScale && buf>>s > 65535 {
		s++
	}
	return s
}
