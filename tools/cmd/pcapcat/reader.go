package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/rs/zerolog"

	"tcpregress.dev/pcap"
	"tcpregress.dev/tools/cli"
)

// input is one open capture.
type input struct {
	h       *pcap.Handle
	label   string // the file name, or "standard input"
	lt      pcap.LinkType
	snaplen int
}

// sink consumes the packets that pass the filter.
type sink interface {
	// begin is called when a capture is opened, before its packets.
	begin(in *input) error
	// packet handles packet num (1-based across the inputs). data is valid
	// only during the call.
	packet(in *input, num int, ci gopacket.CaptureInfo, data []byte) error
	// end is called once after the last input, also after errors.
	end() error
}

// errStop ends the reading early (-c reached).
var errStop = errors.New("stop")

// reader reads the inputs in order and hands their packets to the sinks.
type reader struct {
	cmd    *pcapcatCmd
	out    *bufio.Writer
	stderr io.Writer
	stdin  io.Reader
	log    zerolog.Logger

	sinks      []sink
	batch      *pcap.Batch
	batchBytes int
	num        int // packets that passed the filter so far
}

func (r *reader) run(files []string) error {
	if err := r.setup(); err != nil {
		return err
	}
	var (
		failed  int
		lastErr error
	)
	for _, name := range files {
		err := r.readFile(name)
		if errors.Is(err, errStop) {
			break
		}
		var ue *cli.UsageError
		if errors.As(err, &ue) {
			return err
		}
		if err != nil {
			if isWriteError(err) {
				return err
			}
			failed++
			lastErr = err
			if len(files) > 1 {
				// Like cat: say so now and go on with the next file.
				if ferr := r.out.Flush(); ferr != nil {
					return ferr
				}
				fmt.Fprintf(r.stderr, "pcapcat: %v\n", err)
			}
		}
	}
	var endErr error
	for _, s := range r.sinks {
		if err := s.end(); err != nil && endErr == nil {
			endErr = err
		}
	}
	if r.batch != nil {
		r.batch.Free()
	}
	switch {
	case endErr != nil:
		return endErr
	case failed == 0:
		return nil
	case len(files) == 1:
		return lastErr
	default:
		return fmt.Errorf("%d of %d inputs could not be read completely (see above)", failed, len(files))
	}
}

// writeError marks a failure to write the output, which ends the run.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

func isWriteError(err error) bool {
	var we *writeError
	return errors.As(err, &we)
}

// setup builds the sinks the flags ask for.
func (r *reader) setup() error {
	c := r.cmd
	if c.Write != "" {
		r.sinks = append(r.sinks, &dumpSink{path: c.Write, out: r.out, log: r.log})
	}
	switch {
	case c.JSON:
		r.sinks = append(r.sinks, newJSONSink(r.out, c))
	case c.Follow > 0:
		r.sinks = append(r.sinks, newFollowSink(r.out, c.Follow, c.FollowAs, r.stderr))
	case c.Stats:
		r.sinks = append(r.sinks, newStatsSink(r.out))
	}
	if c.CountAll {
		r.sinks = append(r.sinks, &countSink{out: r.out})
	}
	if len(r.sinks) == 0 {
		r.sinks = append(r.sinks, newLineSink(r.out, c, r.stderr, r.log))
	}
	return nil
}

// readFile reads one capture through the filter into the sinks.
func (r *reader) readFile(name string) error {
	lbl := cli.InputLabel(name)
	var (
		h   *pcap.Handle
		err error
	)
	if name == cli.Stdin {
		h, err = pcap.OpenOfflineReader(r.stdin)
	} else {
		h, err = pcap.OpenOffline(name)
	}
	if err != nil {
		return fileError(lbl, err)
	}
	defer h.Close()
	in := &input{h: h, label: lbl, lt: h.LinkType(), snaplen: h.SnapLen()}
	r.log.Debug().Str("file", lbl).Str("linktype", in.lt.String()).Int("snaplen", h.SnapLen()).Msg("opened capture")

	var bpf *pcap.BPF
	if r.cmd.Filter != "" {
		bpf, err = pcap.CompileBPF(in.lt, h.SnapLen(), r.cmd.Filter, true, 0)
		if err != nil {
			return &cli.UsageError{Err: fmt.Errorf("-f %q for %s (link type %s): %w", r.cmd.Filter, lbl, in.lt, err)}
		}
		defer bpf.Free()
	}
	for _, s := range r.sinks {
		if err := s.begin(in); err != nil {
			return err
		}
	}
	if r.batch == nil || r.batchBytes < h.SnapLen() {
		if r.batch != nil {
			r.batch.Free()
		}
		r.batchBytes = max(1<<20, h.SnapLen())
		r.batch = pcap.NewBatch(1024, r.batchBytes)
	}
	b := r.batch
	start := r.num
	for {
		n, rerr := h.ReadBatch(b)
		for i := 0; i < n; i++ {
			data, ci := b.Packet(i)
			if bpf != nil && !bpf.Matches(ci, data) {
				continue
			}
			r.num++
			for _, s := range r.sinks {
				if err := s.packet(in, r.num, ci, data); err != nil {
					return &writeError{err}
				}
			}
			if r.cmd.Count > 0 && r.num >= r.cmd.Count {
				r.log.Debug().Str("file", lbl).Int("packets", r.num-start).Msg("packet count reached")
				return errStop
			}
		}
		if errors.Is(rerr, io.EOF) {
			r.log.Debug().Str("file", lbl).Int("packets", r.num-start).Msg("end of capture")
			return nil
		}
		if rerr != nil {
			return fileError(lbl, rerr)
		}
	}
}

// fileError makes sure an error about an input names it: pcap's errors
// usually do already.
func fileError(lbl string, err error) error {
	if strings.Contains(err.Error(), lbl) {
		return err
	}
	return fmt.Errorf("%s: %w", lbl, err)
}
