package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/rs/zerolog"

	"tcpregress.dev/pcap/hexdump"
	"tcpregress.dev/tools/cli"
)

// pcapcatCmd is the whole command line of pcapcat.
type pcapcatCmd struct {
	cli.Globals

	Filter   string `short:"f" placeholder:"EXPR" help:"Print only the packets that match this filter (tcpdump's syntax, compiled by libpcap for each file's link type)."`
	Count    int    `short:"c" name:"limit" placeholder:"N" help:"Stop after N packets (that pass the filter)."`
	NoLookup bool   `short:"n" help:"Do not resolve names: accepted for tcpdump's sake, pcapcat never resolves addresses or ports."`
	Absolute bool   `short:"S" name:"absolute-tcp-sequence-numbers" help:"Print absolute TCP sequence and acknowledgement numbers instead of numbers relative to the start of each connection."`
	Link     bool   `short:"e" name:"link-header" help:"Print the link-level header: MAC addresses, ethertype, VLAN tags, SLL packet type, loopback family."`
	Time     int    `short:"t" type:"counter" help:"Time stamps: -t none, -tt seconds since the epoch, -ttt delta since the previous packet, -tttt date and time, -ttttt delta since the first packet. Default: local time of day."`
	Nano     bool   `help:"Print time stamps with nanoseconds (9 digits) instead of microseconds."`
	Number   bool   `short:"#" help:"Print the packet number (counted from 1 across all files, after the filter) at the start of each line."`
	Verbose  int    `short:"v" type:"counter" help:"More detail, as tcpdump -v (-vv) prints it: IPv4 and IPv6 header fields, TCP, UDP and ICMP checksums, ARP types; a packet may then take more than one line."`
	Layers   bool   `name:"layers" help:"Under each line, every layer gopacket decodes with all its fields, indented."`
	Hex      int    `short:"x" name:"hex-tcpdump" type:"counter" help:"Under each line, the packet's bytes in hex like tcpdump -x, without the link-level header; -xx with it."`
	HexASCII int    `short:"X" name:"hex-ascii" type:"counter" help:"Like -x with the characters too (tcpdump -X); -XX with the link-level header."`
	HexStyle string `name:"hex" placeholder:"STYLE" help:"Under each line, the whole frame as a hex dump in this style: pane (Wireshark), tshark, canonical (hexdump -C), xxd or tcpdump."`
	JSON     bool   `name:"json" help:"One JSON object per packet instead of a line (see the README for the schema)."`
	Write    string `short:"w" placeholder:"FILE" help:"Write the packets that pass the filter to a new pcap file instead of printing them."`
	CountAll bool   `name:"count" help:"Print only the number of packets that pass the filter, like tcpdump --count."`
	Stats    bool   `help:"Print only a summary at the end: packets, bytes, times, rates, link types, protocols, TCP and UDP conversations."`
	Follow   int    `placeholder:"N" help:"Print the payload of TCP conversation N (numbered from 1 in order of first appearance, as --stats lists them), both directions in order, without retransmissions."`
	FollowAs string `name:"follow-format" enum:"ascii,hex,raw" default:"ascii" help:"--follow output: ascii (text with direction headers), hex (hex dump per chunk) or raw (the bytes only)."`

	Files []string `arg:"" optional:"" name:"file" help:"Capture files (pcap or pcapng) to print one after another; - or none reads standard input."`

	hexStyle hexdump.Style
	hexSet   bool
}

func (c *pcapcatCmd) Help() string {
	return `pcapcat prints one line per packet in tcpdump's -nn grammar (Ethernet,
VLAN, LLC, Linux SLL and SLL2, BSD loopback, raw IP, Frame Relay and radiotap
links, ARP, IPv4, IPv6, TCP, UDP, ICMP, ICMPv6, STP, PIM, OSPF, GRE, IPsec,
BFD, PTP, ...), so output can be diffed and grepped like tcpdump's; other
protocols gopacket decodes get a short summary of their layers. With -v a
packet's text may take more lines, as tcpdump -v prints it.

Examples:
  pcapcat capture.pcap                     like tcpdump -nn -r capture.pcap
  pcapcat -f 'tcp port 80' -c 10 a.pcapng  the first 10 packets to or from port 80
  pcapcat -e -tttt -S capture.pcap         link headers, dates, absolute sequence numbers
  pcapcat -# -X capture.pcap               numbered, with hex and characters
  pcapcat --hex=pane capture.pcap          Wireshark's bytes pane under each packet
  pcapcat -v capture.pcap                  like tcpdump -v -nn -r: IP header fields, checksums
  pcapcat --layers capture.pcap            every layer and field gopacket decodes
  pcapcat --json capture.pcap | jq .       one JSON object per packet
  pcapcat --count -f icmp capture.pcap     like tcpdump --count
  pcapcat --stats capture.pcap             what capinfos and tshark -z conv,tcp tell
  pcapcat --follow 1 capture.pcap          the first TCP conversation's payload
  pcapcat -f 'host 10.0.0.1' -w out.pcap in.pcap   write a filtered copy
  tcpdump -w - -U | pcapcat -              read standard input

A damaged file prints its complete packets, then an error naming it. Like cat,
pcapcat goes on with the next file after an error and exits 1 at the end.

Exit status: 0 success, 1 a file could not be read (completely) or written,
2 bad usage (flags, filter expression).`
}

// Validate checks the flags that depend on each other.
func (c *pcapcatCmd) Validate() error {
	if c.Count < 0 {
		return fmt.Errorf("-c %d: want a positive number of packets", c.Count)
	}
	if c.Follow < 0 {
		return fmt.Errorf("--follow=%d: conversations are numbered from 1", c.Follow)
	}
	if c.Time > 5 {
		return fmt.Errorf("-%s: at most five t's (-ttttt, delta since the first packet)", strings.Repeat("t", c.Time))
	}
	if c.Hex > 2 || c.HexASCII > 2 {
		return errors.New("-x and -X may be given at most twice (-xx, -XX)")
	}
	if c.Hex > 0 && c.HexASCII > 0 {
		return errors.New("-x and -X conflict: -X already prints the hex, with characters")
	}
	if c.HexStyle != "" {
		if c.Hex > 0 || c.HexASCII > 0 {
			return errors.New("--hex conflicts with -x and -X: choose one byte view")
		}
		s, err := hexdump.ParseStyle(c.HexStyle)
		if err != nil {
			var names []string
			for _, s := range hexdump.Styles() {
				names = append(names, s.String())
			}
			return fmt.Errorf("--hex=%s: unknown style; the styles are %s", c.HexStyle, strings.Join(names, ", "))
		}
		c.hexStyle, c.hexSet = s, true
	}
	// Modes that replace the per-packet lines.
	var modes []string
	if c.JSON {
		modes = append(modes, "--json")
	}
	if c.CountAll {
		modes = append(modes, "--count")
	}
	if c.Stats {
		modes = append(modes, "--stats")
	}
	if c.Follow > 0 {
		modes = append(modes, "--follow")
	}
	if c.Write != "" {
		modes = append(modes, "-w")
	}
	if c.Verbose > 3 {
		return fmt.Errorf("-%s: at most three v's (-vvv)", strings.Repeat("v", c.Verbose))
	}
	perPacket := c.Verbose > 0 || c.Layers || c.Hex > 0 || c.HexASCII > 0 || c.hexSet
	if c.JSON && perPacket {
		return errors.New("--json already carries every field: -v, --layers, -x, -X and --hex do not apply")
	}
	if c.Follow > 0 && len(modes) > 1 {
		return fmt.Errorf("--follow prints one conversation: it cannot be combined with %s", strings.Join(without(modes, "--follow"), ", "))
	}
	if c.JSON && len(modes) > 1 {
		return fmt.Errorf("--json prints the packets: it cannot be combined with %s", strings.Join(without(modes, "--json"), ", "))
	}
	if len(modes) > 0 && !c.JSON && perPacket {
		return fmt.Errorf("-v, --layers, -x, -X and --hex add to the packet lines, which %s does not print", modes[0])
	}
	if c.Write == "-" && (c.CountAll || c.Stats) {
		return errors.New("-w - writes the capture to standard output: --count and --stats would mix text into it")
	}
	if c.Write != "" {
		for _, f := range c.Files {
			if f == c.Write {
				return fmt.Errorf("-w %s would overwrite an input file", c.Write)
			}
		}
	}
	return nil
}

func without(list []string, drop string) []string {
	var out []string
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

// Run prints the inputs.
func (c *pcapcatCmd) Run(ctx *kong.Context, stdin io.Reader, log zerolog.Logger) error {
	return cli.WriteBuffered(ctx.Stdout, 256<<10, func(out *bufio.Writer) error {
		r := &reader{cmd: c, out: out, stderr: ctx.Stderr, stdin: stdin, log: log}
		return r.run(cli.Inputs(c.Files))
	})
}
