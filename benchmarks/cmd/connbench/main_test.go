package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-h"}, 0, "Usage: connbench"},
		{[]string{"-rounds", "0"}, 2, "-rounds 0: at least 1"},
		{[]string{"-run", "rate,bulk"}, 2, `unknown benchmark "bulk"`},
		{[]string{"-clients", "1,x"}, 2, `-clients: "x" is not a number`},
		{[]string{"-closer", "both"}, 2, `-closer: "both" is neither server nor client`},
		{[]string{"-conns", "100000"}, 2, "-conns 100000: from 1 to 28000"},
		{[]string{"-idle", "0s"}, 2, "-idle 0s: must be positive"},
		{[]string{"-nosuchflag"}, 2, "flag provided but not defined"},
		{[]string{"extra"}, 2, `unexpected argument "extra"`},
	} {
		var out, errb bytes.Buffer
		if code := run(tt.args, &out, &errb); code != tt.code || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("connbench %v: exit %d, stderr %q; want exit %d and %q", tt.args, code, errb.String(), tt.code, tt.want)
		}
	}
}
