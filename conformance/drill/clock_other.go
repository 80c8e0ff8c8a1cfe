//go:build !linux

package drill

import "time"

// nextJiffy returns now: the kernels whose jiffies drill aligns its start
// with are Linux's (see clock_linux.go).
func nextJiffy() time.Time { return time.Now() }

// fineSleep sleeps for d.
func fineSleep(d time.Duration) { time.Sleep(d) }
