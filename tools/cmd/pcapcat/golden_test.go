package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tcpregress.dev/pcap"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden from pcapcat's output")

// TestGolden keeps pcapcat's output for the shared captures in
// testdata/golden: every capture in the default format, and ethernet.pcap
// in every mode. Run "go test -run TestGolden -update" after an intended
// change and review the diff.
func TestGolden(t *testing.T) {
	type run struct {
		name string
		args []string
	}
	var runs []run
	ents, err := os.ReadDir(testdataDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() || strings.HasSuffix(e.Name(), ".md") {
			continue
		}
		runs = append(runs, run{e.Name(), []string{filepath.Join(testdataDir, e.Name())}})
	}
	// One capture of tcpdump's corpus for each protocol printer beyond
	// TCP, UDP and ICMP, in the default format and with -e.
	for _, g := range corpusGolden {
		path := filepath.Join(corpusDir, g.name)
		runs = append(runs, run{"tcpdump/" + g.name, []string{path}})
		if g.e {
			runs = append(runs, run{"tcpdump/" + g.name + ".e", []string{"-e", path}})
		}
	}
	for _, m := range []struct {
		name string
		args []string
	}{
		{"e-number", []string{"-e", "-#"}},
		{"absolute-date", []string{"-S", "-tttt"}},
		{"layers", []string{"--layers"}},
		{"verbose", []string{"-v"}},
		{"vv", []string{"-vv"}},
		{"hex-ascii", []string{"-XX"}},
		{"hex-pane", []string{"--hex=pane"}},
		{"json", []string{"--json"}},
		{"stats", []string{"--stats"}},
		{"follow", []string{"--follow", "1"}},
		{"follow-hex", []string{"--follow", "3", "--follow-format=hex"}},
		{"count", []string{"--count", "-f", "ip6"}},
	} {
		runs = append(runs, run{"ethernet.pcap." + m.name, append(m.args, ethernetPcap)})
	}
	// The hand-made frames (frames_test.go), which reach the protocol
	// printers no capture of the corpus reaches (MPLS, Geneve, syslog,
	// SIP, BOOTP, TFTP, ...), in the default format and with -e.
	var recs []record
	for _, f := range extraFrames() {
		recs = append(recs, record{f, len(f)})
	}
	frames := writeCapture(t, "frames.pcap", pcap.LinkTypeEthernet, recs)
	runs = append(runs, run{"frames.pcap", []string{frames}}, run{"frames.pcap.e", []string{"-e", frames}}, run{"frames.pcap.v", []string{"-v", frames}})
	// Captures of the corpus with -v (tcpdump -v's header fields,
	// checksums, and the lines under a packet).
	for _, name := range corpusGoldenV {
		runs = append(runs, run{"tcpdump/" + name + ".v", []string{"-v", filepath.Join(corpusDir, name)}})
	}
	for _, r := range runs {
		t.Run("golden="+r.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, nil, r.args...)
			checkNoBug(t, out, errOut)
			shown := strings.ReplaceAll(strings.Join(r.args, " "), frames, "frames.pcap")
			got := fmt.Sprintf("$ pcapcat %s\n--- exit %d\n--- stdout\n%s--- stderr\n%s", shown, code, out, errOut)
			path := filepath.Join("testdata", "golden", r.name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run with -update if the change is intended):\n%s", path, lineDiff(string(want), got))
			}
		})
	}
}

// corpusGolden are the captures of tcpdump's corpus whose output TestGolden
// keeps: one or more for each protocol printer.
var corpusGolden = []struct {
	name string
	e    bool // with -e too: pcapcat prints the link header as tcpdump does
}{
	{"pim-packet-assortment.pcap", true},         // PIM
	{"EIGRP_subnet_down.pcap", true},             // EIGRP
	{"ospf-gmpls.pcap", true},                    // OSPFv2
	{"OSPFv3_multipoint_adjacencies.pcap", true}, // Frame Relay, OSPFv3
	{"erspan-type-i-2.pcap", true},               // GRE
	{"bcm-li.pcap", true},                        // Broadcom LI
	{"bfd-raw-auth-sha1.pcap", true},             // BFD
	{"ptp.pcap", true},                           // PTP over UDP
	{"ptp_management.pcap", true},                // PTP over Ethernet
	{"ptp_v2_1.pcap", true},                      // PTP 2.1
	{"status_code-1.pcap", false},                // radiotap, 802.11 authentication
	{"reason_code-13.pcap", false},               // radiotap, 802.11 deauthentication
	{"802.1w_rapid_STP.pcap", true},              // LLC, RSTP
	{"MSTP_Intra-Region_BPDUs.pcap", true},       // MSTP
	{"UDLD.pcap", true},                          // SNAP, UDLD
	{"rpvstp-trunk-native-vid5.pcap", false},     // PVST+, DTP
	{"mptcp-v1.pcap", true},                      // multipath TCP options
	{"espudp1.pcap", true},                       // ESP in UDP
	{"dns_tcp.pcap", true},                       // DNS over TCP
	{"LINKTYPE_IPV6.pcap", true},                 // DNS over UDP
	{"dhcpv6-ia-na.pcap", true},                  // DHCPv6
	{"ntp-time.pcap", true},                      // NTP
	{"RADIUS-port1700.pcap", true},               // RADIUS
	{"ripv2-invalid-length.pcap", true},          // RIP
	{"lldp_asan.pcap", true},                     // LLDP
	{"loopback.pcap", true},                      // Ethernet loopback
	{"msnlb.pcap", true},                         // MS NLB heartbeats
	{"mtrace.pcap", true},                        // IGMP mtrace
	{"gso-ipv4-vxlan-ipv4.pcap", true},           // VXLAN
	{"chdlc-slarp.pcap", true},                   // Cisco HDLC, SLARP
	{"ppp_error_hexdump.pcap", true},             // PPP in HDLC framing, escapes
	{"LLDP_and_CDP.pcap", false},                 // CDP
	{"AoE_Linux.pcap", true},                     // ATA over Ethernet
	{"aoe-oobr-1.pcap", true},                    // ATA over Ethernet, damaged
	{"HSRP_coup.pcap", true},                     // HSRP
	{"ISIS_external_lsp.pcap", true},             // IS-IS in LLC: LSP, CSNP, LAN hellos
	{"ISIS_p2p_adjacency.pcap", true},            // IS-IS in Cisco HDLC: p2p hellos, PSNP
	{"babel.pcap", false},                        // Babel
	{"babel_auth.pcap", true},                    // Babel with a trailer (HMAC)
	{"sflow-print-v6.pcap", true},                // sFlow, IPv6 agent
	{"sflow_expanded.pcap", true},                // sFlow, IPv4 agent
	{"ldp-common-session.pcap", true},            // LDP over UDP and TCP
	{"ldp-infinite-loop.pcap", true},             // LDP, too short to print
	{"rpki-rtr-oobr.pcap", true},                 // RPKI-RTR
	{"ipx.pcap", true},                           // IPX in LLC: SAP, RIP, NetBIOS
	{"ipx-invalid-length.pcap", true},            // IPX, damaged
	{"forces1.pcap", false},
	{"dccp_partial_csum_v4_simple.pcap", true},
	{"ipv6_mobility_1.pcap", true},           // IPv6 mobility header
	{"ipv6-mobility-header-oobr.pcap", true}, // IPv6 mobility header, damaged // SCTP to ForCES ports
}

// corpusGoldenV are the captures of tcpdump's corpus whose -v output
// TestGolden keeps.
var corpusGoldenV = []string{
	"print-flags.pcap",                 // IPv4, TCP checksums (some incorrect), RST
	"dns_tcp.pcap",                     // DNS over TCP
	"LINKTYPE_IPV6.pcap",               // IPv6, UDP checksum
	"ipoib.pcap",                       // ICMP
	"mptcp-v1.pcap",                    // TCP checksums offloaded (incorrect)
	"icmp-rfc8335-missing-bytes.pcap",  // truncated IPv4, bad header checksum
	"icmpv6.pcap",                      // IPv6 extension headers, ICMPv6
	"AoE_Linux.pcap",                   // ATA over Ethernet's commands
	"HSRP_coup.pcap",                   // HSRP's times, priority and authentication
	"dccp_partial_csum_v4_simple.pcap", // DCCP's checksum coverage
	"ipv6_mobility_1.pcap",             // mobility options
	"mobility_opt_asan_3.pcap",         // mobility cookies, cut short
	"UDLD.pcap",                        // UDLD's TLVs
	"802.1w_rapid_STP.pcap",            // RSTP's timers, root and port role
	"rpvstp-trunk-native-vid5.pcap",    // PVST+, DTP's TLVs
}

// lineDiff shows the first lines that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n- %s\n+ %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}
