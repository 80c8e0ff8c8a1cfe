package tcpdump

import (
	"strconv"
	"time"
)

// TimeFormat is how a [Printer] prints time stamps: tcpdump's default, or
// what its -t flag given once to five times selects. TimeFormat(n) is the
// format of -t given n times.
type TimeFormat int

// The time stamp formats.
const (
	// TimeOfDay is tcpdump's default: "12:00:00.000001", local time.
	TimeOfDay TimeFormat = iota
	// TimeNone prints no time stamp (-t).
	TimeNone
	// TimeEpoch prints seconds since the epoch: "1704110400.000001" (-tt).
	TimeEpoch
	// TimeDelta prints the time since the previous packet:
	// " 00:00:00.000180" (-ttt). Unlike tcpdump's, whose deltas wrap at 24
	// hours, the hours keep counting; a packet earlier than the previous
	// one gets a minus sign.
	TimeDelta
	// TimeDate prints the date and the time of day: "2024-01-01
	// 12:00:00.000001", local time (-tttt).
	TimeDate
	// TimeSinceFirst prints the time since the first packet:
	// " 00:00:00.000330" (-ttttt).
	TimeSinceFirst
)

// stamper formats time stamps like tcpdump. The local date and time of day
// are computed once per second of capture time, so a run of packets within a
// second costs only the fraction.
type stamper struct {
	cachedSec int64
	cached    []byte // "12:00:00" or "2024-01-01 12:00:00" for cachedSec
	haveCache bool

	ref    time.Time // previous (-ttt) or first (-ttttt) time stamp
	haveRf bool
}

// append appends the time stamp in format f and the space after it
// (nothing for TimeNone). loc is the time zone of the time of day.
func (s *stamper) append(b []byte, t time.Time, f TimeFormat, nano bool, loc *time.Location) []byte {
	switch f {
	case TimeNone:
		return b
	case TimeEpoch:
		b = strconv.AppendInt(b, t.Unix(), 10)
		b = appendFrac(b, t.Nanosecond(), nano)
	case TimeDelta, TimeSinceFirst:
		if !s.haveRf {
			s.ref, s.haveRf = t, true
		}
		var d time.Duration
		if nano {
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
		b = appendFrac(b, int(d%time.Second), nano)
		if f == TimeDelta {
			s.ref = t
		}
	default: // TimeOfDay, TimeDate
		sec := t.Unix()
		if !s.haveCache || sec != s.cachedSec {
			lt := t.In(loc)
			s.cached = s.cached[:0]
			if f == TimeDate {
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
		b = appendFrac(b, t.Nanosecond(), nano)
	}
	return append(b, ' ')
}

// appendFrac appends ".uuuuuu" or, with nano, ".nnnnnnnnn".
func appendFrac(b []byte, ns int, nano bool) []byte {
	if nano {
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
