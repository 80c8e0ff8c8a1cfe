package main

import (
	"strconv"
	"time"
)

// Time stamp formats, as tcpdump's -t flags count them.
const (
	timeOfDay   = 0 // 12:00:00.000001, local time
	timeNone    = 1 // -t
	timeEpoch   = 2 // -tt: 1704110400.000001
	timeDelta   = 3 // -ttt: " 00:00:00.000180" since the previous packet
	timeDate    = 4 // -tttt: 2024-01-01 12:00:00.000001, local time
	timeSinceT0 = 5 // -ttttt: " 00:00:00.000330" since the first packet
)

// stamper formats time stamps like tcpdump. The local date and time of day
// are computed once per second of capture time, so a run of packets within a
// second costs only the fraction.
type stamper struct {
	format int
	nano   bool
	loc    *time.Location

	cachedSec int64
	cached    []byte // "12:00:00" or "2024-01-01 12:00:00" for cachedSec
	haveCache bool

	ref    time.Time // previous (-ttt) or first (-ttttt) time stamp
	haveRf bool
}

func newStamper(format int, nano bool) *stamper {
	return &stamper{format: format, nano: nano, loc: time.Local, cached: make([]byte, 0, 32)}
}

// append appends the time stamp and the space after it (nothing for -t).
func (s *stamper) append(b []byte, t time.Time) []byte {
	switch s.format {
	case timeNone:
		return b
	case timeEpoch:
		b = strconv.AppendInt(b, t.Unix(), 10)
		b = s.appendFrac(b, t.Nanosecond())
	case timeDelta, timeSinceT0:
		if !s.haveRf {
			s.ref, s.haveRf = t, true
		}
		var d time.Duration
		if s.nano {
			d = t.Sub(s.ref)
		} else {
			// tcpdump subtracts microsecond time values.
			d = t.Truncate(time.Microsecond).Sub(s.ref.Truncate(time.Microsecond))
		}
		if d < 0 {
			b = append(b, '-')
			d = -d
		} else {
			b = append(b, ' ')
		}
		b = appendClock(b, int64(d/time.Second))
		b = s.appendFrac(b, int(d%time.Second))
		if s.format == timeDelta {
			s.ref = t
		}
	default: // timeOfDay, timeDate
		sec := t.Unix()
		if !s.haveCache || sec != s.cachedSec {
			lt := t.In(s.loc)
			s.cached = s.cached[:0]
			if s.format == timeDate {
				s.cached = lt.AppendFormat(s.cached, "2006-01-02 ")
			}
			s.cached = append2(s.cached, lt.Hour())
			s.cached = append(s.cached, ':')
			s.cached = append2(s.cached, lt.Minute())
			s.cached = append(s.cached, ':')
			s.cached = append2(s.cached, lt.Second())
			s.cachedSec, s.haveCache = sec, true
		}
		b = append(b, s.cached...)
		b = s.appendFrac(b, t.Nanosecond())
	}
	return append(b, ' ')
}

// appendFrac appends ".uuuuuu" or, with --nano, ".nnnnnnnnn".
func (s *stamper) appendFrac(b []byte, ns int) []byte {
	if s.nano {
		return appendPadded(append(b, '.'), uint64(ns), 9)
	}
	return appendPadded(append(b, '.'), uint64(ns/1000), 6)
}

// appendClock appends HH:MM:SS for a duration in seconds. Unlike tcpdump,
// whose deltas wrap at 24 hours, the hours keep counting.
func appendClock(b []byte, sec int64) []byte {
	h := sec / 3600
	if h < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, h, 10)
	b = append(b, ':')
	b = append2(b, int(sec/60%60))
	b = append(b, ':')
	return append2(b, int(sec%60))
}

// append2 appends n (0-99) as two digits.
func append2(b []byte, n int) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

// appendPadded appends n in decimal with leading zeros to width digits.
func appendPadded(b []byte, n uint64, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for n > 0 || i > len(buf)-width {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, buf[i:]...)
}
