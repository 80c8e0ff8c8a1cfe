package header

// SACKRoom returns how many SACK blocks (0 to 4) AppendTCPOptions lays out
// after the other options of f: those that fit in the 40 bytes of option
// space with the NOP NOP, kind and length octets before them (RFC 2018 §3).
// f.SACK does not count. A sender uses it to choose the blocks to report.
func (f *TCPOptionFields) SACKRoom() int { return f.sackRoom() }
