package header

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
)

func TestParseEthernet(t *testing.T) {
	dst := MAC{0x02, 0, 0, 0, 0, 0x01}
	src := MAC{0x02, 0, 0, 0, 0, 0x02}
	cases := []struct {
		name     string
		frame    string
		hl       int
		typ      EtherType
		vlan     VLANTag
		tagged   bool
		id       uint16
		priority uint8
		dei      bool
	}{
		{name: "untagged", frame: "020000000001 020000000002 0800 4500", hl: 14, typ: EtherTypeIPv4},
		{name: "arp", frame: "020000000001 020000000002 0806", hl: 14, typ: EtherTypeARP},
		{name: "802.1Q", frame: "020000000001 020000000002 8100 a07b 86dd 60", hl: 18, typ: EtherTypeIPv6,
			vlan: 0xa07b, tagged: true, id: 0x07b, priority: 5},
		{name: "802.1Q-dei", frame: "020000000001 020000000002 8100 1001 0800", hl: 18, typ: EtherTypeIPv4,
			vlan: 0x1001, tagged: true, id: 1, dei: true},
		{name: "QinQ", frame: "020000000001 020000000002 88a8 0064 8100 00c8 0800 45", hl: 22, typ: EtherTypeIPv4,
			vlan: 0x0064, tagged: true, id: 100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := unhex(t, tc.frame)
			e, err := ParseEthernet(b)
			if err != nil {
				t.Fatal(err)
			}
			if e.Dst() != dst || e.Src() != src {
				t.Errorf("dst %v src %v", e.Dst(), e.Src())
			}
			if e.HeaderLen() != tc.hl || e.EtherType() != tc.typ {
				t.Errorf("header %d type %v, want %d %v", e.HeaderLen(), e.EtherType(), tc.hl, tc.typ)
			}
			v, ok := e.VLAN()
			if ok != tc.tagged || v != tc.vlan {
				t.Errorf("VLAN() = %#x %v, want %#x %v", v, ok, tc.vlan, tc.tagged)
			}
			if v.ID() != tc.id || v.Priority() != tc.priority || v.DEI() != tc.dei {
				t.Errorf("tag %#x: id %d priority %d dei %v", v, v.ID(), v.Priority(), v.DEI())
			}
			if !bytes.Equal(e.Payload(), b[tc.hl:]) {
				t.Errorf("payload % x", e.Payload())
			}
		})
	}
}

func TestParseEthernetErrors(t *testing.T) {
	for name, frame := range map[string]string{
		"13 bytes":       "020000000001 020000000002 08",
		"tag cut":        "020000000001 020000000002 8100 0001",
		"inner tag cut":  "020000000001 020000000002 88a8 0001 8100 0002",
		"tag, no type":   "020000000001 020000000002 8100 0001 08",
		"empty":          "",
		"only addresses": "020000000001 020000000002",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseEthernet(unhex(t, frame))
			wantErr(t, err, ErrTruncated, "Ethernet")
		})
	}
}

func TestEthernetEncode(t *testing.T) {
	for _, f := range []EthernetFields{
		{Dst: BroadcastMAC, Src: MAC{2, 0, 0, 0, 0, 9}, Type: EtherTypeARP},
		{Dst: MAC{1, 2, 3, 4, 5, 6}, Src: MAC{6, 5, 4, 3, 2, 1}, Type: EtherTypeIPv6, VLAN: 0xe00a, HasVLAN: true},
	} {
		b := AppendEthernet([]byte{0xee}, &f)
		if len(b) != 1+f.HeaderLen() || b[0] != 0xee {
			t.Fatalf("appended % x", b)
		}
		e, err := ParseEthernet(b[1:])
		if err != nil {
			t.Fatal(err)
		}
		v, tagged := e.VLAN()
		got := EthernetFields{Dst: e.Dst(), Src: e.Src(), Type: e.EtherType(), VLAN: v, HasVLAN: tagged}
		if got != f {
			t.Errorf("round trip %+v, want %+v", got, f)
		}
	}
	e := Ethernet(make([]byte, 14))
	e.Encode(&EthernetFields{Type: EtherTypeIPv4})
	e.SetDst(BroadcastMAC)
	e.SetSrc(MAC{2, 0, 0, 0, 0, 1})
	if e.Dst() != BroadcastMAC || e.Src() != (MAC{2, 0, 0, 0, 0, 1}) || e.EtherType() != EtherTypeIPv4 {
		t.Errorf("after setters: % x", []byte(e))
	}
}

func TestPadEthernet(t *testing.T) {
	if f := PadEthernet(make([]byte, 42)); len(f) != 60 {
		t.Errorf("42 bytes padded to %d", len(f))
	}
	long := make([]byte, 61)
	if f := PadEthernet(long); len(f) != 61 {
		t.Errorf("61 bytes became %d", len(f))
	}
}

func TestMAC(t *testing.T) {
	m := MAC{0x02, 0xab, 0, 0x10, 0xff, 0x01}
	if s, want := m.String(), net.HardwareAddr(m[:]).String(); s != want {
		t.Errorf("String() = %q, want %q", s, want)
	}
	if hw := m.HardwareAddr(); !bytes.Equal(hw, m[:]) || MAC(hw) != m {
		t.Errorf("HardwareAddr() = %v", hw)
	}
	cases := []struct {
		m                    MAC
		broadcast, multicast bool
	}{
		{BroadcastMAC, true, true},
		{MAC{0x01, 0x00, 0x5e, 0, 0, 1}, false, true},
		{MAC{0x33, 0x33, 0, 0, 0, 1}, false, true},
		{m, false, false},
		{MAC{}, false, false},
	}
	for _, tc := range cases {
		if tc.m.IsBroadcast() != tc.broadcast || tc.m.IsMulticast() != tc.multicast {
			t.Errorf("%v: broadcast %v multicast %v", tc.m, tc.m.IsBroadcast(), tc.m.IsMulticast())
		}
	}
}

func TestMulticastMAC(t *testing.T) {
	for group, want := range map[string]string{
		"224.0.0.1":       "01:00:5e:00:00:01",
		"239.129.2.3":     "01:00:5e:01:02:03", // the 24th bit is dropped (RFC 1112 §6.4)
		"224.255.255.255": "01:00:5e:7f:ff:ff",
	} {
		if got := IPv4MulticastMAC(netip.MustParseAddr(group)).String(); got != want {
			t.Errorf("IPv4MulticastMAC(%s) = %s, want %s", group, got, want)
		}
	}
	for group, want := range map[string]string{
		"ff02::1":           "33:33:00:00:00:01",
		"ff02::1:ff00:1234": "33:33:ff:00:12:34",
		"ff05::1:3":         "33:33:00:01:00:03",
	} {
		if got := IPv6MulticastMAC(netip.MustParseAddr(group)).String(); got != want {
			t.Errorf("IPv6MulticastMAC(%s) = %s, want %s", group, got, want)
		}
	}
}

func TestEtherTypeString(t *testing.T) {
	for typ, want := range map[EtherType]string{
		EtherTypeIPv4: "IPv4", EtherTypeARP: "ARP", EtherTypeVLAN: "802.1Q",
		EtherTypeQinQ: "802.1ad", EtherTypeIPv6: "IPv6", 0x88cc: "0x88cc",
	} {
		if got := typ.String(); got != want {
			t.Errorf("%#04x: %q, want %q", uint16(typ), got, want)
		}
	}
}
