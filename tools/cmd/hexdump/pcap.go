package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"tcpregress.dev/pcap"
	"tcpregress.dev/pcap/hexdump"
	"tcpregress.dev/tools/cli"
)

// dumpPcaps dumps every packet of the capture files, numbered across files.
func (c *hexdumpCmd) dumpPcaps(out io.Writer, stdin io.Reader, names []string, log zerolog.Logger) error {
	num := 0
	for _, name := range names {
		var (
			h   *pcap.Handle
			err error
		)
		if name == cli.Stdin {
			h, err = pcap.OpenOfflineReader(stdin)
		} else {
			h, err = pcap.OpenOffline(name)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", cli.InputLabel(name), err)
		}
		err = c.dumpPackets(out, h, &num)
		h.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", cli.InputLabel(name), err)
		}
		log.Debug().Str("file", cli.InputLabel(name)).Int("packets", num).Msg("dumped capture")
	}
	return nil
}

// dumpPackets dumps the packets of one handle, each under a line like
//
//	Packet 1: 2024-01-01T00:00:00.000001Z, 60 bytes (60 on wire)
//
// followed by the dump and a blank line (TShark's dump ends with one).
func (c *hexdumpCmd) dumpPackets(out io.Writer, h *pcap.Handle, num *int) error {
	var line []byte
	for {
		data, ci, err := h.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		*num++
		line = append(line[:0], "Packet "...)
		line = strconv.AppendInt(line, int64(*num), 10)
		line = append(line, ": "...)
		line = appendTime(line, ci.Timestamp)
		line = append(line, ", "...)
		line = strconv.AppendInt(line, int64(ci.CaptureLength), 10)
		if ci.CaptureLength == 1 {
			line = append(line, " byte ("...)
		} else {
			line = append(line, " bytes ("...)
		}
		line = strconv.AppendInt(line, int64(ci.Length), 10)
		line = append(line, " on wire)\n"...)
		if _, err := out.Write(line); err != nil {
			return err
		}
		start := min(c.Skip.n, int64(len(data)))
		data = data[start:]
		if c.Length.set {
			data = data[:min(c.Length.n, int64(len(data)))]
		}
		if err := hexdump.Dump(out, data, c.options(start)); err != nil {
			return err
		}
		if c.style != hexdump.TShark || len(data) == 0 {
			if _, err := io.WriteString(out, "\n"); err != nil {
				return err
			}
		}
	}
}

// appendTime appends t in UTC as RFC 3339 with microseconds, or nanoseconds
// when the time stamp has them.
func appendTime(b []byte, t time.Time) []byte {
	layout := "2006-01-02T15:04:05.000000Z07:00"
	if t.Nanosecond()%1000 != 0 {
		layout = "2006-01-02T15:04:05.000000000Z07:00"
	}
	return t.UTC().AppendFormat(b, layout)
}
