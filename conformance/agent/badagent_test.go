//go:build linux

package agent

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeAgent accepts one control connection and answers its first line
// with answer (nothing when nil), then holds the connection until the test
// ends. It is the agent gone wrong: another program on the port, a hung
// one, a broken one.
func fakeAgent(t *testing.T, answer func(net.Conn)) string {
	t.Helper()
	ln := must(net.Listen("tcp4", "127.0.0.1:0"))(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		bufio.NewReader(c).ReadBytes('\n')
		if answer != nil {
			answer(c)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		c.Read(make([]byte, 1)) // until the client hangs up
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// An agent that answers garbage or hangs: the tester says what was wrong,
// in time, and does not panic or hold on to endless lines.
func TestBadAgent(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(net.Conn)
		want   string
	}{
		{"garbage", func(c net.Conn) { c.Write([]byte("SSH-2.0-OpenSSH_9.2\r\n")) }, `bad response (is this an agent of this release?): invalid character 'S'`},
		{"a JSON array", func(c net.Conn) { c.Write([]byte("[1, 2]\n")) }, "bad response"},
		{"an endless line", func(c net.Conn) {
			chunk := bytes.Repeat([]byte("x"), 1<<20)
			for range 40 {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}, "a line longer than 33554432 bytes"},
		{"closes", func(c net.Conn) { c.Close() }, "the agent closed the control connection"},
		{"no proof", func(c net.Conn) {
			// An impostor: it takes any proof and has none of its own.
			c.Write([]byte(`{"id":1,"ok":true,"version":2,"auth":true,"nonce":"` + strings.Repeat("A", 43) + "=\"}\n"))
			bufio.NewReader(c).ReadBytes('\n')
			c.Write([]byte(`{"id":2,"ok":true,"version":2,"os":"linux"}` + "\n"))
		}, "its own does not match the secret"},
		{"hangs", nil, "no answer to the handshake in time"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeAgent(t, tc.answer)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			if tc.answer == nil {
				ctx, cancel = context.WithTimeout(context.Background(), time.Second)
			}
			defer cancel()
			start := time.Now()
			_, err := Dial(ctx, addr, []byte("a secret that is long enough"))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), addr) {
				t.Errorf("got %v, want an error naming %s and saying %q", err, addr, tc.want)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v", d)
			}
			if tc.answer == nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("a hung agent: %v, want context.DeadlineExceeded", err)
			}
		})
	}
}
