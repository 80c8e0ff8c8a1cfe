package header

import (
	"net/netip"
	"testing"
)

func TestParseARP(t *testing.T) {
	// A request from 198.18.0.3 (02:00:00:00:00:03) for 198.18.0.2, with
	// the Ethernet padding that follows it in a frame.
	b := unhex(t, `0001 0800 06 04 0001 020000000003 c6120003 000000000000 c6120002
		000000000000000000000000000000000000`)
	a, err := ParseARP(b)
	if err != nil {
		t.Fatal(err)
	}
	if a.HardwareType() != 1 || a.ProtocolType() != EtherTypeIPv4 || a.Op() != ARPRequest {
		t.Errorf("hrd %d pro %v op %v", a.HardwareType(), a.ProtocolType(), a.Op())
	}
	if a.SenderMAC() != (MAC{2, 0, 0, 0, 0, 3}) || a.SenderIP() != netip.MustParseAddr("198.18.0.3") {
		t.Errorf("sender %v %v", a.SenderMAC(), a.SenderIP())
	}
	if a.TargetMAC() != (MAC{}) || a.TargetIP() != netip.MustParseAddr("198.18.0.2") {
		t.Errorf("target %v %v", a.TargetMAC(), a.TargetIP())
	}
}

func TestParseARPErrors(t *testing.T) {
	good := AppendARP(nil, &ARPFields{Op: ARPReply, SenderIP: netip.MustParseAddr("10.0.0.1"), TargetIP: netip.MustParseAddr("10.0.0.2")})
	_, err := ParseARP(good[:27])
	wantErr(t, err, ErrTruncated, "28", "27")
	for i, v := range map[int]byte{1: 6, 2: 0x86, 4: 8, 5: 16} {
		b := append([]byte(nil), good...)
		b[i] = v
		_, err := ParseARP(b)
		wantErr(t, err, ErrUnsupported, "ARP")
	}
}

func TestARPEncode(t *testing.T) {
	f := ARPFields{
		Op:        ARPReply,
		SenderMAC: MAC{2, 0, 0, 0, 0, 1},
		SenderIP:  netip.MustParseAddr("192.0.2.1"),
		TargetMAC: MAC{2, 0, 0, 0, 0, 2},
		TargetIP:  netip.MustParseAddr("192.0.2.2"),
	}
	b := AppendARP(make([]byte, 14, 60), &f)
	a, err := ParseARP(b[14:])
	if err != nil {
		t.Fatal(err)
	}
	got := ARPFields{Op: a.Op(), SenderMAC: a.SenderMAC(), SenderIP: a.SenderIP(), TargetMAC: a.TargetMAC(), TargetIP: a.TargetIP()}
	if got != f {
		t.Errorf("round trip %+v, want %+v", got, f)
	}
	if ARPRequest.String() != "request" || ARPReply.String() != "reply" || ARPOp(9).String() != "op 9" {
		t.Error("ARPOp.String")
	}
}
