// Congestion control: slow start, congestion avoidance, fast retransmit and
// NewReno fast recovery.
//
// Read before editing: RFC5681 §3.1 (slow start and congestion avoidance,
// equations (2)–(4)), §3.2 (fast retransmit/fast recovery), §4.1 (restart
// after idle), §2 (definition of a duplicate ACK); RFC6582 §3.2 (NewReno:
// recover, partial and full ACKs); RFC6928 §2 (initial window); RFC9293
// MUST-19 (slow start, congestion avoidance and exponential backoff are
// required). SACK-based recovery lives in sack.go (RFC6675).

package tcp

import "time"

// dupThresh is DupThresh of RFC5681 §3.2 and RFC6675 §2.
const dupThresh = 3

// congestion is the sender's congestion state. Sizes are bytes.
type congestion struct {
	smss     int
	cwnd     int
	ssthresh int
	acked    int // bytes acked towards the next congestion-avoidance increase

	dupAcks    int
	inRecovery bool
	// recover is "recover" of RFC6582 §3.2 and RecoveryPoint of RFC6675: the
	// highest sequence number sent when recovery (or an RTO) began. It is the
	// exclusive end, SND.MAX at that time.
	recover Value

	lastSend time.Time // for restart after idle (RFC5681 §4.1)
}

// initialWindow is IW of RFC6928 §2: min(10*MSS, max(2*MSS, 14600)).
func initialWindow(smss int) int {
	return min(10*smss, max(2*smss, 14600))
}

func newCongestion(smss int, iss Value) congestion {
	return congestion{
		smss: smss,
		cwnd: initialWindow(smss),
		// RFC5681 §3.1: "The initial value of ssthresh SHOULD be set
		// arbitrarily high (e.g., to the size of the largest possible
		// advertised window)".
		ssthresh: 1 << 30,
		// RFC6582 §3.2 step 1: "the variable recover ... is initialized to the
		// initial send sequence number".
		recover: iss,
	}
}

// setSMSS updates the segment size once the handshake fixes it, keeping the
// initial window in step with it.
func (cc *congestion) setSMSS(smss int) {
	cc.smss = smss
	cc.cwnd = initialWindow(smss)
}

// onNewAck grows cwnd for acked bytes of new data outside loss recovery.
func (cc *congestion) onNewAck(acked int) {
	if cc.cwnd < cc.ssthresh {
		// RFC5681 (2): slow start, "cwnd += min (N, SMSS)".
		cc.cwnd += min(acked, cc.smss)
		return
	}
	// RFC5681 (3), the byte-counting variant the RFC recommends: increase by
	// SMSS once a full cwnd of bytes has been acknowledged.
	cc.acked += acked
	if cc.acked >= cc.cwnd {
		cc.acked -= cc.cwnd
		cc.cwnd += cc.smss
	}
}

// enterRecovery cuts the window on a loss detected by duplicate ACKs:
// RFC5681 (4) "ssthresh = max (FlightSize / 2, 2*SMSS)", recover = highest
// sequence sent (RFC6582 §3.2 step 2). NewReno then inflates cwnd by the three
// segments that left the network (RFC5681 §3.2 step 3); SACK recovery
// (RFC6675 §5 (4.2)) sets cwnd = ssthresh instead, so the caller chooses.
func (cc *congestion) enterRecovery(flight int, highData Value, inflate bool) {
	cc.ssthresh = max(flight/2, 2*cc.smss)
	cc.cwnd = cc.ssthresh
	if inflate {
		cc.cwnd += dupThresh * cc.smss
	}
	cc.recover = highData
	cc.inRecovery = true
	cc.acked = 0
}

// newRenoPartialAck deflates cwnd after a partial ACK of acked bytes
// (RFC6582 §3.2 step 5: "deflate the congestion window by the amount of new
// data acknowledged by the Cumulative Acknowledgment field. If the partial ACK
// acknowledges at least one SMSS of new data, then add back SMSS bytes").
func (cc *congestion) newRenoPartialAck(acked int) {
	cc.cwnd -= acked
	if acked >= cc.smss {
		cc.cwnd += cc.smss
	}
	cc.cwnd = max(cc.cwnd, cc.smss)
}

// exitRecovery ends recovery on a full ACK. RFC6582 §3.2 step 3 option (1):
// "Set cwnd to min (ssthresh, max(FlightSize, SMSS) + SMSS)".
func (cc *congestion) exitRecovery(flight int) {
	cc.cwnd = min(cc.ssthresh, max(flight, cc.smss)+cc.smss)
	cc.inRecovery = false
	cc.dupAcks = 0
}

// onTimeout reacts to a retransmission timeout: RFC5681 (4) for ssthresh
// ("ssthresh = max (FlightSize / 2, 2*SMSS)", only on the first timeout of a
// segment, as RFC5681 §3.1 notes for repeated timeouts), cwnd to the loss
// window of one segment, and recover = highest sequence sent (RFC6582 §3.2
// step 4, RFC6675 §5.1).
func (cc *congestion) onTimeout(flight int, highData Value, firstTimeout bool) {
	if firstTimeout {
		cc.ssthresh = max(flight/2, 2*cc.smss)
	}
	cc.cwnd = cc.smss
	cc.acked = 0
	cc.recover = highData
	cc.inRecovery = false
	cc.dupAcks = 0
}

// restartAfterIdle applies RFC5681 §4.1: "if a TCP has not sent data in an
// interval exceeding the retransmission timeout ... cwnd is reduced to the
// value of the restart window (RW) before transmission begins", RW = min(IW,
// cwnd).
func (cc *congestion) restartAfterIdle(now time.Time, rto time.Duration) {
	if !cc.lastSend.IsZero() && now.Sub(cc.lastSend) > rto {
		cc.cwnd = min(cc.cwnd, initialWindow(cc.smss))
	}
	cc.lastSend = now
}
