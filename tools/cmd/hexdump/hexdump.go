package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/rs/zerolog"

	"tcpregress.dev/pcap/hexdump"
	"tcpregress.dev/tools/cli"
)

// hexdumpCmd is the whole command line of hexdump.
type hexdumpCmd struct {
	cli.Globals

	Style     string `placeholder:"STYLE" help:"Layout: pane (Wireshark's bytes pane, the default), tshark (tshark -x), canonical (hexdump -C), xxd, or tcpdump (tcpdump -xx)."`
	Canonical bool   `short:"C" help:"Same as --style=canonical."`
	Verbose   bool   `short:"v" help:"Print every line: no '*' for repeated lines in the canonical style (hexdump -v)."`
	Skip      count  `short:"s" placeholder:"N" help:"Skip the first N bytes of the input (of each packet with --pcap); offsets stay absolute. N is decimal or 0x hex."`
	Length    count  `short:"n" placeholder:"N" help:"Dump at most N bytes (of each packet with --pcap). N is decimal or 0x hex."`
	ASCII     bool   `short:"X" name:"ascii" help:"tcpdump style with the character column (tcpdump -XX); selects --style=tcpdump if no style is given."`
	Pcap      bool   `help:"The input is a capture file (pcap or pcapng): dump each packet under a line with its number, time and length."`
	Reverse   bool   `short:"r" help:"Read a dump in any of the styles (detected) and write its bytes, like xxd -r."`

	Files []string `arg:"" optional:"" name:"file" help:"Files to read, one after another as one input; none or - reads standard input."`

	style hexdump.Style
}

func (c *hexdumpCmd) Help() string {
	return `Examples:
  hexdump packet.bin                 Wireshark's Packet Bytes pane
  hexdump -C file                    like hexdump -C ('*' for repeated lines)
  hexdump -C -v -s 0x100 -n 64 file  64 bytes from offset 0x100, every line
  hexdump --style=xxd file           like xxd
  hexdump -X file                    like tcpdump -XX
  hexdump --pcap -s 14 capture.pcap  each packet without its Ethernet header
  hexdump --style=xxd file | hexdump -r > copy     a round trip
  tcpdump -r capture.pcap -XX | hexdump -r         the packets' bytes

-s and -n take decimal numbers or hex with 0x (no suffixes such as k).

Exit status: 0 success, 1 failure (a file, a malformed dump), 2 bad usage.`
}

// Validate checks the flags that depend on each other.
func (c *hexdumpCmd) Validate() error {
	if c.Reverse {
		var bad []string
		for _, f := range []struct {
			set  bool
			name string
		}{{c.Pcap, "--pcap"}, {c.Skip.set, "-s"}, {c.Length.set, "-n"}, {c.Style != "", "--style"}, {c.Canonical, "-C"}, {c.Verbose, "-v"}, {c.ASCII, "-X"}} {
			if f.set {
				bad = append(bad, f.name)
			}
		}
		switch len(bad) {
		case 0:
		case 1:
			return fmt.Errorf("-r reads a dump back into bytes (its style is detected): %s does not apply", bad[0])
		default:
			return fmt.Errorf("-r reads a dump back into bytes (its style is detected): %s do not apply", strings.Join(bad, ", "))
		}
		return nil
	}
	name := c.Style
	switch {
	case c.Canonical && name != "" && name != "canonical":
		return fmt.Errorf("-C means --style=canonical, which conflicts with --style=%s", name)
	case c.Canonical:
		name = "canonical"
	case c.ASCII && name != "" && name != "tcpdump":
		return fmt.Errorf("-X adds the character column of tcpdump -XX: it needs --style=tcpdump, not --style=%s", name)
	case c.ASCII:
		name = "tcpdump"
	case name == "":
		name = "pane"
	}
	s, err := hexdump.ParseStyle(name)
	if err != nil {
		var names []string
		for _, s := range hexdump.Styles() {
			names = append(names, s.String())
		}
		return fmt.Errorf("--style=%s: unknown style; the styles are %s", name, strings.Join(names, ", "))
	}
	c.style = s
	return nil
}

// Run dumps (or reverses) the inputs to stdout.
func (c *hexdumpCmd) Run(ctx *kong.Context, stdin io.Reader, log zerolog.Logger) error {
	files := cli.Inputs(c.Files)
	return cli.WriteBuffered(ctx.Stdout, 64<<10, func(out *bufio.Writer) error {
		switch {
		case c.Reverse:
			return c.reverse(out, stdin, files, log)
		case c.Pcap:
			return c.dumpPcaps(out, stdin, files, log)
		default:
			return c.dump(out, stdin, files, log)
		}
	})
}

// options returns the dump options for bytes starting at offset.
func (c *hexdumpCmd) options(offset int64) hexdump.Options {
	return hexdump.Options{Style: c.style, Verbose: c.Verbose, ASCII: c.ASCII, Offset: offset}
}

// dump prints the files as one input, like hexdump and xxd do.
func (c *hexdumpCmd) dump(out io.Writer, stdin io.Reader, names []string, log zerolog.Logger) error {
	in, closeAll, err := openAll(names, stdin)
	if err != nil {
		return err
	}
	defer closeAll()
	skipped, err := skip(in, c.Skip.n)
	if err != nil {
		return err
	}
	log.Debug().Str("style", c.style.String()).Int64("skipped", skipped).Strs("files", names).Msg("dumping")
	o := c.options(skipped)
	// The size, when known, lets the Pane and TShark styles choose the
	// offset width for the whole dump.
	o.Size = totalSize(in) // what is left after the skip, or -1
	var r io.Reader = &multiReader{inputs: in}
	if c.Length.set {
		r = io.LimitReader(r, c.Length.n)
		o.Size = min(o.Size, c.Length.n)
	}
	o.Size = max(o.Size, 0) // 0: unknown (standard input), 4 digits until 0xffff
	w := hexdump.NewWriterOptions(out, o)
	if _, err := io.Copy(w, r); err != nil {
		return err
	}
	return w.Close()
}

// reverse reads each file as a dump and writes its bytes.
func (c *hexdumpCmd) reverse(out io.Writer, stdin io.Reader, names []string, log zerolog.Logger) error {
	for _, name := range names {
		in, label, err := open(name, stdin)
		if err != nil {
			return err
		}
		r := hexdump.NewReader(in)
		_, err = io.Copy(out, r)
		if f, ok := in.(*os.File); ok && name != "-" {
			f.Close()
		}
		var se *hexdump.SyntaxError
		switch {
		case errors.As(err, &se):
			return fmt.Errorf("%s:%d: %s", label, se.Line, se.Msg)
		case err != nil:
			return err
		}
		log.Debug().Str("file", label).Str("style", r.Style().String()).Msg("read a dump")
	}
	return nil
}

// input is one opened input.
type input struct {
	r     io.Reader
	label string // the file name, or "standard input"
	size  int64  // of a regular file, -1 otherwise
}

// open opens one input: a file or, for "-", stdin.
func open(name string, stdin io.Reader) (io.Reader, string, error) {
	if name == cli.Stdin {
		return stdin, cli.InputLabel(name), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, name, err // *PathError: "open NAME: reason"
	}
	return f, name, nil
}

// openAll opens every input before anything is printed, so a missing file
// fails the command without a partial dump.
func openAll(names []string, stdin io.Reader) ([]input, func(), error) {
	var ins []input
	closeAll := func() {
		for i, in := range ins {
			if f, ok := in.r.(*os.File); ok && names[i] != "-" {
				f.Close()
			}
		}
	}
	for _, name := range names {
		r, label, err := open(name, stdin)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		in := input{r: r, label: label, size: -1}
		if f, ok := r.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
				in.size = st.Size()
			} else if err == nil && st.IsDir() {
				ins = append(ins, in)
				closeAll()
				return nil, nil, fmt.Errorf("%s: is a directory", name)
			}
		}
		ins = append(ins, in)
	}
	return ins, closeAll, nil
}

// totalSize returns the total size of the inputs (after a skip, what is
// left of them), or -1 if one is not a regular file.
func totalSize(ins []input) int64 {
	var n int64
	for _, in := range ins {
		if in.size < 0 {
			return -1
		}
		n += in.size
	}
	return n
}

// skip drops the first n bytes of the inputs, seeking in regular files, and
// returns how many were skipped (fewer at the end of the input).
func skip(ins []input, n int64) (int64, error) {
	var done int64
	for i := range ins {
		if done == n {
			break
		}
		in := &ins[i]
		want := n - done
		if f, ok := in.r.(*os.File); ok && in.size >= 0 {
			k := min(want, in.size)
			if _, err := f.Seek(k, io.SeekCurrent); err != nil {
				return done, fmt.Errorf("%s: %w", in.label, err)
			}
			in.size -= k
			done += k
			continue
		}
		k, err := io.CopyN(io.Discard, in.r, want)
		done += k
		if err != nil && err != io.EOF {
			return done, fmt.Errorf("%s: %w", in.label, err)
		}
	}
	return done, nil
}

// multiReader reads the inputs one after another and names the input in
// read errors.
type multiReader struct {
	inputs []input
}

func (m *multiReader) Read(p []byte) (int, error) {
	for len(m.inputs) > 0 {
		in := m.inputs[0]
		n, err := in.r.Read(p)
		if err == io.EOF {
			m.inputs = m.inputs[1:]
			if n > 0 {
				return n, nil
			}
			continue
		}
		if err != nil {
			return n, fmt.Errorf("reading %s: %w", in.label, err)
		}
		return n, nil
	}
	return 0, io.EOF
}

// count is a byte count flag: decimal or 0x hex.
type count struct {
	n   int64
	set bool
}

// UnmarshalText implements encoding.TextUnmarshaler, which kong uses.
func (c *count) UnmarshalText(b []byte) error {
	s := string(b)
	base, digits := 10, s
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		base, digits = 16, s[2:]
	}
	v, err := strconv.ParseInt(digits, base, 64)
	if err != nil || v < 0 || digits == "" || digits[0] == '+' || digits[0] == '-' {
		return fmt.Errorf("bad byte count %q: want a decimal number or 0x and hex digits", s)
	}
	c.n, c.set = v, true
	return nil
}
