package header

import "testing"

func TestTCPOptionFieldsSACKRoom(t *testing.T) {
	blocks := []TCPSACKBlock{{1, 2}, {3, 4}, {5, 6}, {7, 8}}
	for _, c := range []struct {
		f    TCPOptionFields
		want int
	}{
		{TCPOptionFields{}, 4},                    // 4 + 32: 36 bytes
		{TCPOptionFields{HasWScale: true}, 4},     // 4 + 4 + 32: 40
		{TCPOptionFields{HasTimestamps: true}, 3}, // 12 + 4 + 24: 40
		{TCPOptionFields{SACKPermitted: true}, 4}, // 4 + 4 + 32: 40
		{TCPOptionFields{HasMSS: true, HasTimestamps: true, HasWScale: true}, 2},
		{TCPOptionFields{HasMSS: true, SACKPermitted: true, HasTimestamps: true, HasWScale: true}, 2}, // 20 + 4 + 16: 40
		{TCPOptionFields{HasTimestamps: true, SACK: blocks}, 3},
	} {
		if got := c.f.SACKRoom(); got != c.want {
			t.Errorf("%+v: SACKRoom() = %d, want %d", c.f, got, c.want)
		}
		// It is the number of blocks AppendTCPOptions lays out.
		f := c.f
		f.SACK = blocks
		b := AppendTCPOptions(nil, &f)
		n := 0
		for it := TCPOptions(b).Iter(); it.Next(); {
			if s, ok := it.Option().SACK(); ok {
				n = s.Len()
			}
		}
		if n != c.want {
			t.Errorf("%+v: AppendTCPOptions laid out %d blocks, SACKRoom() = %d", c.f, n, c.want)
		}
	}
}
