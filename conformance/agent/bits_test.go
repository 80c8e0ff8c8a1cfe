package agent

import (
	"slices"
	"testing"
)

// The bit sets of the protocol read their names and print them back; an
// unknown name is a bad request that lists the names.
func TestBitNames(t *testing.T) {
	if e, err := ParsePollEvents([]string{"POLLRDHUP", "POLLIN"}); err != nil || e != PollIn|PollRdHup {
		t.Errorf("ParsePollEvents: %#x, %v", e, err)
	} else if got := e.Names(); !slices.Equal(got, []string{"POLLIN", "POLLRDHUP"}) {
		t.Errorf("Names: %v", got)
	}
	if e, err := ParseEpollEvents([]string{"EPOLLET", "EPOLLIN"}); err != nil || e != EpollIn|EpollET {
		t.Errorf("ParseEpollEvents: %#x, %v", e, err)
	} else if got := e.Names(); !slices.Equal(got, []string{"EPOLLIN", "EPOLLET"}) {
		t.Errorf("Names: %v", got)
	}
	if f, err := ParseSendFlags([]string{"MSG_EOR", "MSG_MORE"}); err != nil || f != MsgMore|MsgEOR {
		t.Errorf("ParseSendFlags: %#x, %v", f, err)
	}
	if f, err := ParseSpliceFlags([]string{"SPLICE_F_NONBLOCK", "SPLICE_F_MOVE"}); err != nil || f != SpliceMove|SpliceNonblock {
		t.Errorf("ParseSpliceFlags: %#x, %v", f, err)
	} else if got := f.Names(); !slices.Equal(got, []string{"SPLICE_F_MOVE", "SPLICE_F_NONBLOCK"}) {
		t.Errorf("Names: %v", got)
	}
	if got := PollEvents(0).Names(); got == nil || len(got) != 0 {
		t.Errorf("no events: %#v, want an empty list (JSON [])", got)
	}
	for _, tc := range []struct {
		parse func() error
		want  string
	}{
		{func() error { _, err := ParsePollEvents([]string{"POLLIN", "POLLBOGUS"}); return err },
			`poll event "POLLBOGUS": want POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP or POLLRDHUP: invalid argument`},
		{func() error { _, err := ParseEpollEvents([]string{"EPOLLWAKEUP"}); return err },
			`epoll event "EPOLLWAKEUP": want EPOLLIN, EPOLLPRI, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDHUP, EPOLLEXCLUSIVE, EPOLLONESHOT or EPOLLET: invalid argument`},
		{func() error { _, err := ParseSendFlags([]string{"MSG_OOB"}); return err },
			`send flag "MSG_OOB": want MSG_MORE, MSG_EOR or MSG_ZEROCOPY: invalid argument`},
		{func() error { _, err := ParseSpliceFlags([]string{"SPLICE_F_BOGUS"}); return err },
			`splice flag "SPLICE_F_BOGUS": want SPLICE_F_MOVE, SPLICE_F_NONBLOCK, SPLICE_F_MORE or SPLICE_F_GIFT: invalid argument`},
	} {
		if err := tc.parse(); err == nil || err.Error() != tc.want {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}
