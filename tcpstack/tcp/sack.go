// Selective acknowledgment: the receiver's out-of-order ranges and the SACK
// blocks it reports, and the sender's scoreboard with RFC6675 loss recovery.
//
// Read before editing: RFC2018 §3 (SACK option), §4 (generating SACK blocks:
// the first block holds the most recent segment, then the most recently
// reported blocks), §8 (after a timeout, ignore prior SACK information);
// RFC6675 §2 (definitions: DupAck, IsLost), §4 (Update, IsLost, SetPipe,
// NextSeg), §5 (the algorithm: entering recovery (4.1)–(4.4) and rules (A)–(C)),
// §5.1 (retransmission timeouts); RFC9293 SHLD-31 (hold out-of-order segments).

package tcp

// maxRanges bounds the number of distinct ranges the receiver holds out of
// order and the sender keeps on its scoreboard; segments that would need more
// are dropped (receiver) or their SACK information forgotten (sender), which
// costs only extra retransmissions.
const maxRanges = 64

// insertRange merges r into the sorted, disjoint list rs and returns it. It
// reports false, leaving rs unchanged, when that would exceed maxRanges.
func insertRange(rs []seqRange, r seqRange) ([]seqRange, bool) {
	if r.size() == 0 {
		return rs, true
	}
	// Find the first range that ends at or after r.start.
	i := 0
	for i < len(rs) && rs[i].end.LessThan(r.start) {
		i++
	}
	// Merge every range that overlaps or touches r.
	j := i
	for j < len(rs) && rs[j].start.LessThanEq(r.end) {
		r.start = minSeq(r.start, rs[j].start)
		r.end = maxSeq(r.end, rs[j].end)
		j++
	}
	if i == j && len(rs) >= maxRanges {
		return rs, false
	}
	out := append(rs[:i:i], r)
	out = append(out, rs[j:]...)
	return out, true
}

// trimRanges drops everything below una from the sorted list rs.
func trimRanges(rs []seqRange, una Value) []seqRange {
	k := 0
	for k < len(rs) && rs[k].end.LessThanEq(una) {
		k++
	}
	rs = rs[k:]
	if len(rs) > 0 && rs[0].start.LessThan(una) {
		rs[0].start = una
	}
	return rs
}

// reassembly tracks the out-of-order data the receiver holds beyond RCV.NXT
// (the bytes themselves sit in the receive ring at their offsets).
type reassembly struct {
	ranges []seqRange // sorted, disjoint, all after RCV.NXT
	// recent holds one sequence number inside each recently received
	// segment, most recent first, to order SACK blocks (RFC2018 §4).
	recent []Value
}

// add records that r arrived. It reports false when r was not stored.
func (ra *reassembly) add(r seqRange) bool {
	rs, ok := insertRange(ra.ranges, r)
	if !ok {
		return false
	}
	ra.ranges = rs
	ra.recent = append(ra.recent, 0)
	copy(ra.recent[1:], ra.recent)
	ra.recent[0] = r.start
	if len(ra.recent) > 8 {
		ra.recent = ra.recent[:8]
	}
	return true
}

// advance returns the new RCV.NXT after the ranges that now touch rcvNxt are
// taken in order, and forgets them.
func (ra *reassembly) advance(rcvNxt Value) Value {
	for len(ra.ranges) > 0 && ra.ranges[0].start.LessThanEq(rcvNxt) {
		rcvNxt = maxSeq(rcvNxt, ra.ranges[0].end)
		ra.ranges = ra.ranges[1:]
	}
	if len(ra.ranges) == 0 {
		ra.ranges = nil
	}
	return rcvNxt
}

// empty reports whether nothing is held out of order.
func (ra *reassembly) empty() bool { return len(ra.ranges) == 0 }

// held returns the bytes held out of order.
func (ra *reassembly) held() int {
	n := 0
	for _, r := range ra.ranges {
		n += int(r.size())
	}
	return n
}

// blocks returns up to max SACK blocks, the one holding the most recently
// received segment first, then the others in order of recency, then any
// remaining ranges (RFC2018 §4).
func (ra *reassembly) blocks(dst []SACKBlock, max int) []SACKBlock {
	used := func(r seqRange) bool {
		for _, b := range dst {
			if b.Left == r.start {
				return true
			}
		}
		return false
	}
	keep := ra.recent[:0]
	for _, v := range ra.recent {
		for _, r := range ra.ranges {
			if r.contains(v) {
				keep = append(keep, v)
				if len(dst) < max && !used(r) {
					dst = append(dst, SACKBlock{r.start, r.end})
				}
				break
			}
		}
	}
	ra.recent = keep
	for i := len(ra.ranges) - 1; i >= 0 && len(dst) < max; i-- {
		if r := ra.ranges[i]; !used(r) {
			dst = append(dst, SACKBlock{r.start, r.end})
		}
	}
	return dst
}

// scoreboard is the sender's record of SACKed data above SND.UNA (RFC6675 §4).
type scoreboard struct {
	sacked  []seqRange // sorted, disjoint, above SND.UNA
	highRxt Value      // HighRxt of RFC6675 §2, exclusive end
}

// reset forgets all SACK information. RFC2018 §8: "after a retransmit timeout
// the data sender SHOULD ... ignore prior SACK information in determining
// which data to retransmit".
func (sb *scoreboard) reset() { sb.sacked = nil }

// update records the blocks of an arriving ACK (RFC6675 §4 Update()). Blocks
// outside (SND.UNA, SND.MAX] are ignored as invalid or as D-SACKs (RFC2883,
// not used here). It reports whether any previously un-SACKed octet is now
// SACKed, which makes the ACK a DupAck in the sense of RFC6675 §2.
func (sb *scoreboard) update(blocks []SACKBlock, una, sndMax Value) bool {
	grew := false
	for _, b := range blocks {
		if !una.LessThan(b.Left) || !b.Left.LessThan(b.Right) || sndMax.LessThan(b.Right) {
			continue
		}
		before := sb.sackedBytes()
		rs, ok := insertRange(sb.sacked, seqRange{b.Left, b.Right})
		if !ok {
			continue
		}
		sb.sacked = rs
		if sb.sackedBytes() != before {
			grew = true
		}
	}
	return grew
}

// ackedUpTo drops what the cumulative ACK covers.
func (sb *scoreboard) ackedUpTo(una Value) {
	sb.sacked = trimRanges(sb.sacked, una)
	if len(sb.sacked) == 0 {
		sb.sacked = nil
	}
	if sb.highRxt.LessThan(una) {
		sb.highRxt = una
	}
}

func (sb *scoreboard) sackedBytes() int {
	n := 0
	for _, r := range sb.sacked {
		n += int(r.size())
	}
	return n
}

// lostEdge returns the sequence number below which every un-SACKed octet is
// lost by RFC6675 §4 IsLost(): "DupThresh discontiguous SACKed sequences have
// arrived above 'SeqNum' or more than (DupThresh - 1) * SMSS bytes with
// sequence numbers greater than 'SeqNum' have been SACKed". IsLost is monotone
// in SeqNum, so one edge describes it. With too little SACKed, the edge is
// una (nothing is lost).
func (sb *scoreboard) lostEdge(una Value, smss int) Value {
	above, count := 0, 0
	for i := len(sb.sacked) - 1; i >= 0; i-- {
		above += int(sb.sacked[i].size())
		count++
		if count >= dupThresh || above > (dupThresh-1)*smss {
			return sb.sacked[i].start
		}
	}
	return una
}

// isLost reports IsLost(seq).
func (sb *scoreboard) isLost(seq, una Value, smss int) bool {
	return seq.LessThan(sb.lostEdge(una, smss))
}

// highestSacked returns the end of the highest SACKed range.
func (sb *scoreboard) highestSacked() (Value, bool) {
	if len(sb.sacked) == 0 {
		return 0, false
	}
	return sb.sacked[len(sb.sacked)-1].end, true
}

// holes calls f for each un-SACKed range in [una, sndMax).
func (sb *scoreboard) holes(una, sndMax Value, f func(seqRange) bool) {
	at := una
	for _, r := range sb.sacked {
		if at.LessThan(r.start) && !f(seqRange{at, r.start}) {
			return
		}
		at = maxSeq(at, r.end)
	}
	if at.LessThan(sndMax) {
		f(seqRange{at, sndMax})
	}
}

// pipe is SetPipe() of RFC6675 §4 in bytes: an un-SACKed octet counts once if
// it is not lost (the original is in flight), and once more if it was
// retransmitted (below HighRxt).
func (sb *scoreboard) pipe(una, sndMax Value, smss int) int {
	edge := sb.lostEdge(una, smss)
	n := 0
	sb.holes(una, sndMax, func(h seqRange) bool {
		if h.end.GreaterThan(edge) {
			n += int(maxSeq(h.start, edge).Size(h.end))
		}
		if h.start.LessThan(sb.highRxt) {
			n += int(h.start.Size(minSeq(h.end, sb.highRxt)))
		}
		return true
	})
	return n
}

// nextRetransmit is rules (1) and (3) of RFC6675 §4 NextSeg(): the first
// un-SACKed octet at or above HighRxt and below the highest SACKed octet that
// is lost (rule 1), or, when lost is false, that need not be (rule 3). The
// range returned stays within the hole and at most smss long.
func (sb *scoreboard) nextRetransmit(una, sndMax Value, smss int, lostOnly bool) (seqRange, bool) {
	top, ok := sb.highestSacked()
	if !ok {
		return seqRange{}, false
	}
	edge := sb.lostEdge(una, smss)
	from := maxSeq(una, sb.highRxt)
	var out seqRange
	found := false
	sb.holes(una, sndMax, func(h seqRange) bool {
		s := maxSeq(h.start, from)
		if !s.LessThan(h.end) {
			return true
		}
		if !s.LessThan(top) {
			return false // rule (1.b)/(3): below the highest SACKed octet
		}
		if lostOnly && !s.LessThan(edge) {
			return false
		}
		out = seqRange{s, minSeq(h.end, s.Add(Size(smss)))}
		found = true
		return false
	})
	return out, found
}
