package tcp

import (
	"fmt"
	"testing"
)

func TestSeqCompare(t *testing.T) {
	cases := []struct {
		a, b           Value
		less, lessOrEq bool
	}{
		{1, 2, true, true},
		{2, 1, false, false},
		{5, 5, false, true},
		{0xFFFF_FFFF, 0, true, true}, // across the wrap
		{0, 0xFFFF_FFFF, false, false},
		{0xFFFF_FF00, 0x0000_0100, true, true},
		{0x7FFF_FFFF, 0x8000_0000, true, true},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("a=%d/b=%d", tc.a, tc.b), func(t *testing.T) {
			if got := tc.a.LessThan(tc.b); got != tc.less {
				t.Errorf("LessThan = %v", got)
			}
			if got := tc.a.LessThanEq(tc.b); got != tc.lessOrEq {
				t.Errorf("LessThanEq = %v", got)
			}
			if got := tc.b.GreaterThan(tc.a); got != tc.less {
				t.Errorf("GreaterThan = %v", got)
			}
			if got := tc.b.GreaterThanEq(tc.a); got != tc.lessOrEq {
				t.Errorf("GreaterThanEq = %v", got)
			}
		})
	}
}

func TestSeqWindow(t *testing.T) {
	first := Value(0xFFFF_FFF0)
	cases := []struct {
		v    Value
		size Size
		in   bool
	}{
		{first, 1, true},
		{first, 0, false},
		{first + 0x1F, 0x20, true}, // wraps to 0x0F
		{first + 0x20, 0x20, false},
		{first - 1, 0x20, false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("v=%d/size=%d", tc.v, tc.size), func(t *testing.T) {
			if got := tc.v.InWindow(first, tc.size); got != tc.in {
				t.Errorf("InWindow = %v", got)
			}
			if got := tc.v.InRange(first, first.Add(tc.size)); got != tc.in {
				t.Errorf("InRange = %v", got)
			}
		})
	}
	if got := first.Add(0x20).Sub(0x20); got != first {
		t.Errorf("Add/Sub = %d", got)
	}
	if got := first.Size(first.Add(100)); got != 100 {
		t.Errorf("Size = %d", got)
	}
	if maxSeq(0xFFFF_FFFF, 1) != 1 || minSeq(0xFFFF_FFFF, 1) != 0xFFFF_FFFF {
		t.Error("maxSeq/minSeq across the wrap")
	}
}
