package harness

import (
	"context"
	"strings"
	"testing"

	"tcpregress.dev/tcpstack/netns"
	"tcpregress.dev/tcpstack/tcp"
)

func TestStackOptions(t *testing.T) {
	set, err := StackOptions([]string{"no-sack", "no-timestamps", "no-wscale", "no-delayed-ack", "no-nagle"})
	if err != nil {
		t.Fatal(err)
	}
	var c tcp.Config
	set(&c)
	if !c.DisableSACK || !c.DisableTimestamps || !c.DisableWindowScale || !c.DisableDelayedACK || !c.NoDelay || c.DisableRFC5961 {
		t.Errorf("config %+v", c)
	}
	if set, err := StackOptions(nil); set != nil || err != nil {
		t.Errorf("no names: %v, %v", set != nil, err)
	}
	if _, err := StackOptions([]string{"no-sack", "sack"}); err == nil || !strings.Contains(err.Error(), `"sack"`) {
		t.Errorf("unknown name: %v", err)
	}
	for _, n := range StackOptionNames() {
		if !strings.Contains(StackOptionsHelp(), n) {
			t.Errorf("help lacks %s", n)
		}
	}
}

// TestStackTCPKernel: StackTCP configures the tcpstack target only.
func TestStackTCPKernel(t *testing.T) {
	netns.RequireRoot(t)
	opts := Options{StackTCP: func(c *tcp.Config) { c.DisableSACK = true }}
	if _, _, err := Local(context.Background(), opts); err == nil {
		t.Error("StackTCP with the kernel target accepted")
	}
	opts.Target, opts.Agent, opts.Iface = "192.0.2.1", "x:1", "lo"
	if _, _, err := Remote(context.Background(), opts); err == nil {
		t.Error("StackTCP with a remote target accepted")
	}
}
