//go:build linux

package drill

import (
	"time"

	"golang.org/x/sys/unix"
)

// nextJiffy returns the next edge of the local kernel's jiffies. Linux
// ticks at the multiples of its tick length (TICK_NSEC, 1/HZ) on
// CLOCK_MONOTONIC (kernel/time/tick-common.c aligns the first tick so),
// and the resolution of CLOCK_MONOTONIC_COARSE, which advances at each
// tick, is that length.
func nextJiffy() time.Time {
	var res, mono unix.Timespec
	if unix.ClockGetres(unix.CLOCK_MONOTONIC_COARSE, &res) != nil || res.Nano() <= 0 {
		return time.Now()
	}
	now := time.Now()
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono) != nil {
		return now
	}
	tick := res.Nano()
	return now.Add(time.Duration(tick - mono.Nano()%tick))
}

// fineSleep sleeps for d with nanosleep(2), which a high-resolution timer
// ends within tens of microseconds; the Go runtime's timers wake up to a
// millisecond late (its poller waits in whole milliseconds).
func fineSleep(d time.Duration) {
	ts := unix.NsecToTimespec(d.Nanoseconds())
	for unix.Nanosleep(&ts, &ts) == unix.EINTR {
	}
}
