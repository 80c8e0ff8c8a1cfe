package pcap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/pcap/pcaptest"
	"tcpregress.dev/pcap/testenv"
)

type packet struct {
	data []byte
	ci   gopacket.CaptureInfo
}

// readAll reads h to the end with ReadPacketData.
func readAll(t testing.TB, h *Handle) ([]packet, error) {
	t.Helper()
	var out []packet
	for {
		data, ci, err := h.ReadPacketData()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, packet{data, ci})
	}
}

// readAllBatch reads h to the end with ReadBatch into b.
func readAllBatch(t testing.TB, h *Handle, b *Batch) ([]packet, error) {
	t.Helper()
	var out []packet
	for {
		n, err := h.ReadBatch(b)
		for i := 0; i < n; i++ {
			data, ci := b.Packet(i)
			out = append(out, packet{bytes.Clone(data), ci})
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if n == 0 {
			t.Fatalf("ReadBatch returned 0 packets and no error")
		}
	}
}

func samePackets(t *testing.T, what string, want, got []packet) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d packets, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(want[i].data, got[i].data) {
			t.Fatalf("%s: packet %d bytes differ", what, i+1)
		}
		if !want[i].ci.Timestamp.Equal(got[i].ci.Timestamp) || want[i].ci.Length != got[i].ci.Length || want[i].ci.CaptureLength != got[i].ci.CaptureLength {
			t.Fatalf("%s: packet %d capture info %+v, want %+v", what, i+1, got[i].ci, want[i].ci)
		}
	}
}

// TestReadMatchesTcpdump reads every capture of the corpus and testdata/
// through each read path and checks the packet count (or the failure) against
// tcpdump's, and that the paths agree byte for byte.
func TestReadMatchesTcpdump(t *testing.T) {
	files := captureFiles(t)
	if len(files) == 0 {
		t.Fatal("no capture files found")
	}
	for _, path := range files {
		t.Run("file="+filepath.Base(path), func(t *testing.T) {
			want, opened, failed, msg := tcpdumpCount(t, path)
			h, err := OpenOffline(path)
			if !opened {
				if err == nil {
					t.Fatalf("opened a file tcpdump rejects (%s)", strings.TrimSpace(msg))
				}
				if !errors.Is(err, ErrBadFile) && !errors.Is(err, ErrTruncated) {
					t.Fatalf("open error %v matches neither ErrBadFile nor ErrTruncated", err)
				}
				if !strings.Contains(err.Error(), path) {
					t.Errorf("open error %q does not name the file", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("open: %v (tcpdump read %d packets)", err, want)
			}
			defer h.Close()
			pkts, rerr := readAll(t, h)
			if len(pkts) != want {
				t.Errorf("read %d packets, tcpdump %d", len(pkts), want)
			}
			if failed != (rerr != nil) {
				t.Errorf("read error %v; tcpdump failed=%v (%s)", rerr, failed, strings.TrimSpace(msg))
			}

			// ReadBatch with a small batch exercises the pending-packet path.
			hb, err := OpenOffline(path)
			if err != nil {
				t.Fatal(err)
			}
			defer hb.Close()
			b := NewBatch(3, DefaultSnapLen)
			defer b.Free()
			bp, berr := readAllBatch(t, hb, b)
			samePackets(t, "ReadBatch", pkts, bp)
			if (berr != nil) != (rerr != nil) {
				t.Errorf("ReadBatch error %v, ReadPacketData error %v", berr, rerr)
			}

			// The same bytes streamed through a reader.
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			hr, err := OpenOfflineReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("OpenOfflineReader: %v", err)
			}
			defer hr.Close()
			rp, _ := readAll(t, hr)
			samePackets(t, "OpenOfflineReader", pkts, rp)
		})
	}
}

// writePcap writes a microsecond pcap file of Ethernet frames with
// pcaptest (gopacket's pure-Go writer), so that the reader under test meets
// a file it did not write.
func writePcap(t testing.TB, path string, frames [][]byte) {
	t.Helper()
	recs := make([]pcaptest.Record, len(frames))
	for i, f := range frames {
		recs[i] = pcaptest.Record{Data: f, Time: time.Unix(int64(1700000000+i), int64(i*1000+7)*1000)}
	}
	pcaptest.WritePcap(t, path, layers.LinkTypeEthernet, 65535, recs...)
}

// openFrames writes frames to a pcap file in a new temporary directory and
// opens it; the test's cleanup closes the handle.
func openFrames(t *testing.T, frames [][]byte) (h *Handle, path string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "f.pcap")
	writePcap(t, path, frames)
	h, err := OpenOffline(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h, path
}

func testFrames(n int) [][]byte {
	frames := make([][]byte, n)
	for i := range frames {
		f := make([]byte, 60+i*7%1400)
		copy(f, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5})
		for j := 14; j < len(f); j++ {
			f[j] = byte(i + j)
		}
		frames[i] = f
	}
	return frames
}

func TestTruncatedFile(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full.pcap")
	frames := testFrames(5)
	writePcap(t, full, frames)
	raw, _ := os.ReadFile(full)
	// Offset of the fourth record, then cut in the middle of its data.
	off := 24
	for _, f := range frames[:3] {
		off += 16 + len(f)
	}
	cut := filepath.Join(dir, "cut.pcap")
	os.WriteFile(cut, raw[:off+16+10], 0o644)

	h, err := OpenOffline(cut)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	pkts, err := readAll(t, h)
	if len(pkts) != 3 {
		t.Fatalf("read %d packets before the cut, want 3", len(pkts))
	}
	var te *TruncatedError
	if !errors.Is(err, ErrTruncated) || !errors.As(err, &te) {
		t.Fatalf("error %v is not a *TruncatedError", err)
	}
	if te.Offset != int64(off) || te.Packets != 3 {
		t.Errorf("TruncatedError offset %d packets %d, want %d and 3", te.Offset, te.Packets, off)
	}
	if !strings.Contains(err.Error(), cut) {
		t.Errorf("error %q does not name the file", err)
	}
	// The error is sticky: the next read says the same.
	if _, _, err2 := h.ReadPacketData(); !errors.Is(err2, ErrTruncated) {
		t.Errorf("second read after truncation: %v", err2)
	}
	if _, err := tcpdumpCountMust(t, cut); err == nil {
		t.Errorf("tcpdump read the cut file without error")
	}
}

func tcpdumpCountMust(t *testing.T, path string) (int, error) {
	n, _, failed, msg := tcpdumpCount(t, path)
	if failed {
		return n, errors.New(msg)
	}
	return n, nil
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pcap")
	if _, err := OpenOffline(missing); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
	garbage := filepath.Join(dir, "garbage.pcap")
	os.WriteFile(garbage, []byte("this is not a capture file, it is just some text\n"), 0o644)
	if _, err := OpenOffline(garbage); !errors.Is(err, ErrBadFile) || !strings.Contains(err.Error(), garbage) {
		t.Errorf("garbage file: %v", err)
	}
	if _, err := OpenOfflineReader(strings.NewReader("garbage garbage garbage garbage")); !errors.Is(err, ErrBadFile) {
		t.Errorf("garbage reader: %v", err)
	}
	empty := filepath.Join(dir, "empty.pcap")
	os.WriteFile(empty, nil, 0o644)
	if _, err := OpenOffline(empty); !errors.Is(err, ErrTruncated) {
		t.Errorf("zero-byte file: %v", err)
	}
	if _, err := OpenOfflineReader(bytes.NewReader(nil)); !errors.Is(err, ErrTruncated) {
		t.Errorf("zero-byte reader: %v", err)
	}
	if _, err := OpenOffline(dir); err == nil {
		t.Errorf("opening a directory succeeded")
	}
	// A reader that fails mid-stream surfaces its own error.
	good := filepath.Join(dir, "good.pcap")
	writePcap(t, good, testFrames(4))
	raw, _ := os.ReadFile(good)
	boom := errors.New("disk on fire")
	h, err := OpenOfflineReader(io.MultiReader(bytes.NewReader(raw[:100]), errReader{boom}))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := readAll(t, h); !errors.Is(err, boom) {
		t.Errorf("reader error: got %v, want it to wrap %v", err, boom)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestClosedHandle(t *testing.T) {
	h, _ := openFrames(t, testFrames(3))
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	if _, _, err := h.ReadPacketData(); !errors.Is(err, ErrClosed) {
		t.Errorf("read after Close: %v", err)
	}
	if _, err := h.ReadBatch(NewBatch(0, 0)); !errors.Is(err, ErrClosed) {
		t.Errorf("ReadBatch after Close: %v", err)
	}
	if err := h.SetFilter("tcp"); !errors.Is(err, ErrClosed) {
		t.Errorf("SetFilter after Close: %v", err)
	}
	if _, err := h.Stats(); !errors.Is(err, ErrClosed) {
		t.Errorf("Stats after Close: %v", err)
	}
	if _, err := OpenDump(h, filepath.Join(t.TempDir(), "x.pcap")); !errors.Is(err, ErrClosed) {
		t.Errorf("OpenDump after Close: %v", err)
	}
	if h.LinkType() != LinkTypeEthernet {
		t.Errorf("LinkType after Close = %v, want the one it had", h.LinkType())
	}
}

func TestReopenOffline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.pcap")
	writePcap(t, path, testFrames(6))
	raw, _ := os.ReadFile(path)

	opens := map[string]func() (*Handle, error){
		"path":   func() (*Handle, error) { return OpenOffline(path) },
		"reader": func() (*Handle, error) { return OpenOfflineReader(bytes.NewReader(raw)) },
		"file": func() (*Handle, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			t.Cleanup(func() { f.Close() })
			return OpenOfflineFile(f)
		},
	}
	for name, open := range opens {
		t.Run("source="+name, func(t *testing.T) {
			h, err := open()
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Reopen(); err == nil {
				t.Fatal("Reopen of an open handle succeeded")
			}
			first, err := readAll(t, h)
			if err != nil || len(first) != 6 {
				t.Fatalf("first pass: %d packets, %v", len(first), err)
			}
			h.Close()
			if err := h.Reopen(); err != nil {
				t.Fatalf("Reopen: %v", err)
			}
			defer h.Close()
			second, err := readAll(t, h)
			if err != nil {
				t.Fatal(err)
			}
			samePackets(t, "after Reopen", first, second)
		})
	}
	t.Run("source=stream", func(t *testing.T) {
		h, err := OpenOfflineReader(io.MultiReader(bytes.NewReader(raw)))
		if err != nil {
			t.Fatal(err)
		}
		h.Close()
		if err := h.Reopen(); !errors.Is(err, ErrNotSupported) {
			t.Errorf("Reopen of a stream: %v", err)
		}
	})
}

// TestNanosecondRoundTrip writes nanosecond time stamps with the dumper and
// reads them back unchanged; a microsecond file keeps microseconds.
func TestNanosecondRoundTrip(t *testing.T) {
	for _, prec := range []Precision{Nanosecond, Microsecond} {
		t.Run("precision="+prec.String(), func(t *testing.T) {
			dead, err := OpenDeadWithPrecision(LinkTypeEthernet, 65535, prec)
			if err != nil {
				t.Fatal(err)
			}
			defer dead.Close()
			path := filepath.Join(t.TempDir(), "ts.pcap")
			d, err := OpenDump(dead, path)
			if err != nil {
				t.Fatal(err)
			}
			ts := time.Date(2024, 1, 1, 12, 0, 0, 123456789, time.UTC)
			frame := testFrames(1)[0]
			if err := d.Write(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(frame), Length: len(frame) + 100}, frame); err != nil {
				t.Fatal(err)
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			h, err := OpenOffline(path)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			if h.Precision() != prec {
				t.Errorf("file read with %v precision, written with %v", h.Precision(), prec)
			}
			data, ci, err := h.ReadPacketData()
			if err != nil {
				t.Fatal(err)
			}
			want := ts
			if prec == Microsecond {
				want = ts.Truncate(time.Microsecond)
			}
			if !ci.Timestamp.Equal(want) || ci.Length != len(frame)+100 || !bytes.Equal(data, frame) {
				t.Errorf("read back %v len %d, want %v len %d", ci.Timestamp, ci.Length, want, len(frame)+100)
			}
		})
	}
}

// TestDumpRoundTrip copies a capture through the dumper (to a file, by
// appending, and to an io.Writer) and checks the copies are byte-identical.
func TestDumpRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.pcap")
	writePcap(t, src, testFrames(40))
	orig, _ := os.ReadFile(src)

	h, err := OpenOffline(src)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	pkts, err := readAll(t, h)
	if err != nil {
		t.Fatal(err)
	}

	// Whole file.
	out := filepath.Join(dir, "out.pcap")
	d, err := OpenDump(h, out)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		if err := d.Write(p.ci, p.data); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := d.Tell(); err != nil || n != int64(len(orig)) {
		t.Errorf("Tell = %d, %v; want %d", n, err, len(orig))
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	if err := d.Write(pkts[0].ci, pkts[0].data); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v", err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, orig) {
		t.Fatalf("dumped file differs from the original (%d vs %d bytes)", len(got), len(orig))
	}

	// Half, then append the rest.
	app := filepath.Join(dir, "append.pcap")
	d, _ = OpenDump(h, app)
	for _, p := range pkts[:17] {
		d.Write(p.ci, p.data)
	}
	d.Close()
	d, err = OpenDumpAppend(h, app)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts[17:] {
		d.Write(p.ci, p.data)
	}
	d.Close()
	if got, _ := os.ReadFile(app); !bytes.Equal(got, orig) {
		t.Fatalf("appended file differs from the original")
	}

	// Appending to a file of another link type fails clearly.
	raw, _ := OpenDead(LinkTypeRaw, 65535)
	defer raw.Close()
	if _, err := OpenDumpAppend(raw, app); err == nil {
		t.Errorf("appending RAW packets to an Ethernet file succeeded")
	}

	// To a writer, with Flush making the bytes visible.
	var buf bytes.Buffer
	d, err = NewDumpWriter(h, &buf)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pkts {
		d.Write(p.ci, p.data)
		if i == 9 {
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
			n, _ := d.Tell()
			if int64(buf.Len()) != n {
				t.Fatalf("after Flush the writer has %d bytes, Tell says %d", buf.Len(), n)
			}
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), orig) {
		t.Fatalf("writer dump differs from the original")
	}

	// A failing writer reports its error.
	boom := errors.New("writer broke")
	d, err = NewDumpWriter(h, failWriter{boom})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		d.Write(p.ci, p.data)
	}
	if err := d.Close(); !errors.Is(err, boom) {
		t.Errorf("Close with a failing writer: %v", err)
	}

	// An unwritable path names itself.
	if _, err := OpenDump(h, filepath.Join(dir, "no", "such", "dir.pcap")); err == nil || !strings.Contains(err.Error(), "dir.pcap") {
		t.Errorf("dump to a missing directory: %v", err)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestLoopAndDispatch(t *testing.T) {
	h, _ := openFrames(t, testFrames(10))
	n := 0
	if err := h.Loop(4, func([]byte, gopacket.CaptureInfo) { n++ }); err != nil || n != 4 {
		t.Fatalf("Loop(4): %d packets, %v", n, err)
	}
	// BreakLoop from inside the callback stops after the current packet.
	n = 0
	err := h.Loop(0, func([]byte, gopacket.CaptureInfo) {
		n++
		if n == 2 {
			h.BreakLoop()
		}
	})
	if !errors.Is(err, ErrBreakLoop) || n != 2 {
		t.Fatalf("Loop with BreakLoop: %d packets, %v", n, err)
	}
	got, err := h.Dispatch(0, func([]byte, gopacket.CaptureInfo) {})
	if err != nil || got != 4 {
		t.Fatalf("Dispatch(0) = %d, %v; want the 4 left", got, err)
	}
	got, err = h.Dispatch(0, func([]byte, gopacket.CaptureInfo) {})
	if err != nil || got != 0 {
		t.Fatalf("Dispatch at EOF = %d, %v", got, err)
	}
	if err := h.Loop(0, func([]byte, gopacket.CaptureInfo) {}); err != nil {
		t.Fatalf("Loop at EOF: %v", err)
	}
}

// TestBatchOverflow reads packets of many sizes through batches much smaller
// than the file, so that packets that do not fit wait for the next batch.
func TestBatchOverflow(t *testing.T) {
	h, path := openFrames(t, testFrames(300))
	want, err := readAll(t, h)
	h.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []struct{ pkts, bytes int }{{64, 4096}, {1, 1500}, {1000, 10000}, {7, 1 << 20}} {
		t.Run(fmt.Sprintf("packets=%d/bytes=%d", size.pkts, size.bytes), func(t *testing.T) {
			h, err := OpenOffline(path)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			b := NewBatch(size.pkts, size.bytes)
			defer b.Free()
			got, err := readAllBatch(t, h, b)
			if err != nil {
				t.Fatal(err)
			}
			samePackets(t, "ReadBatch", want, got)
		})
	}
	// A packet bigger than the whole batch buffer is cut to it, like a
	// snapshot length.
	h, _ = OpenOffline(path)
	defer h.Close()
	b := NewBatch(4, 100)
	defer b.Free()
	var got []packet
	for {
		n, err := h.ReadBatch(b)
		if err == io.EOF {
			break
		}
		for i := 0; i < n; i++ {
			d, ci := b.Packet(i)
			got = append(got, packet{bytes.Clone(d), ci})
		}
	}
	if len(got) != len(want) {
		t.Fatalf("tiny batch: %d packets, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].ci.Length != want[i].ci.Length || !bytes.Equal(got[i].data, want[i].data[:min(100, len(want[i].data))]) {
			t.Fatalf("tiny batch: packet %d is not the first bytes of the original", i)
		}
	}
}

func TestReadPacketDataInto(t *testing.T) {
	frames := testFrames(3)
	h, _ := openFrames(t, frames)
	buf := make([]byte, 2000)
	ci, err := h.ReadPacketDataInto(buf)
	if err != nil || !bytes.Equal(buf[:ci.CaptureLength], frames[0]) {
		t.Fatalf("ReadPacketDataInto: %v", err)
	}
	small := make([]byte, 10)
	ci, err = h.ReadPacketDataInto(small)
	if !errors.Is(err, io.ErrShortBuffer) || ci.CaptureLength != len(frames[1]) || !bytes.Equal(small, frames[1][:10]) {
		t.Fatalf("short buffer: %+v %v", ci, err)
	}
	// Zero-copy read of the third.
	data, _, err := h.ZeroCopyReadPacketData()
	if err != nil || !bytes.Equal(data, frames[2]) {
		t.Fatalf("ZeroCopyReadPacketData: %v", err)
	}
}

// TestFilters checks SetFilter on a file and CompileBPF's matcher against
// tcpdump's own filtering of the same files, and bad expressions.
func TestFilters(t *testing.T) {
	exprs := []string{"tcp", "udp", "ip6", "arp", "tcp port 22", "icmp or icmp6", "vlan", "greater 200"}
	var files []string
	for _, f := range captureFiles(t) {
		h, err := OpenOffline(f)
		if err != nil {
			continue
		}
		if h.LinkType() == LinkTypeEthernet {
			files = append(files, f)
		}
		h.Close()
	}
	if len(files) > 25 {
		files = files[:25]
	}
	for _, path := range files {
		for _, expr := range exprs {
			t.Run("file="+filepath.Base(path)+"/filter="+expr, func(t *testing.T) {
				want, opened, _, _ := tcpdumpCount(t, path, expr)
				if !opened {
					t.Skip("tcpdump cannot read it")
				}
				h, err := OpenOffline(path)
				if err != nil {
					t.Fatal(err)
				}
				defer h.Close()
				all, _ := readAll(t, h)
				bpf, err := CompileBPF(h.LinkType(), h.SnapLen(), expr, true, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer bpf.Free()
				matched := 0
				for _, p := range all {
					if bpf.Matches(p.ci, p.data) {
						matched++
					}
				}
				if matched != want {
					t.Errorf("BPF.Matches passed %d packets, tcpdump %d", matched, want)
				}
				h.Close()
				if err := h.Reopen(); err != nil {
					t.Fatal(err)
				}
				if err := h.SetFilter(expr); err != nil {
					t.Fatal(err)
				}
				if h.Filter() != expr {
					t.Errorf("Filter() = %q", h.Filter())
				}
				got, _ := readAll(t, h)
				if len(got) != want {
					t.Errorf("SetFilter passed %d packets, tcpdump %d", len(got), want)
				}
			})
		}
	}
}

func TestFilterErrorsAndInstructions(t *testing.T) {
	_, err := CompileBPF(LinkTypeEthernet, 65535, "tcp and and port", true, 0)
	var fe *FilterError
	if !errors.Is(err, ErrBadFilter) || !errors.As(err, &fe) || fe.Expr != "tcp and and port" || fe.Msg == "" {
		t.Fatalf("bad filter: %v", err)
	}
	h, _ := openFrames(t, testFrames(2))
	if err := h.SetFilter("port 22"); err != nil {
		t.Fatal(err)
	}
	if err := h.SetFilter("nonsense here"); !errors.Is(err, ErrBadFilter) || !strings.Contains(err.Error(), "nonsense here") {
		t.Fatalf("SetFilter bad expression: %v", err)
	}
	if h.Filter() != "port 22" {
		t.Errorf("a rejected filter replaced the one in force: %q", h.Filter())
	}

	// Instructions agree with tcpdump -dd.
	bin := testenv.Program(t, "tcpdump", "tcpdump")
	for _, expr := range []string{"tcp", "udp port 53", "host 198.18.0.1 and not arp"} {
		bpf, err := CompileBPF(LinkTypeEthernet, 262144, expr, true, 0)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, in := range bpf.Instructions() {
			lines = append(lines, in.String()+",")
		}
		out, err := exec.Command(bin, "-y", "EN10MB", "-dd", expr).Output()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(lines, "\n"), strings.TrimSpace(string(out)); got != want {
			t.Errorf("filter %q:\n%s\ntcpdump -dd:\n%s", expr, got, want)
		}
	}
}

func TestLinkTypeNames(t *testing.T) {
	if LinkTypeEthernet.String() != "EN10MB" || LinkTypeEthernet.Description() == "" {
		t.Errorf("Ethernet: %q %q", LinkTypeEthernet.String(), LinkTypeEthernet.Description())
	}
	if lt, err := LinkTypeByName("raw"); err != nil || lt != LinkTypeRaw {
		t.Errorf("LinkTypeByName(raw) = %v, %v", lt, err)
	}
	if lt, err := LinkTypeByName("DLT_LINUX_SLL"); err != nil || lt != LinkTypeLinuxSLL {
		t.Errorf("LinkTypeByName(DLT_LINUX_SLL) = %v, %v", lt, err)
	}
	if _, err := LinkTypeByName("bogus"); err == nil {
		t.Error("LinkTypeByName(bogus) succeeded")
	}
	if s := LinkType(65000).String(); s != "LinkType(65000)" {
		t.Errorf("unknown link type prints %q", s)
	}
}

// TestGopacketSource decodes a capture through gopacket's PacketSource, with
// the handle as the data source and its link type as the decoder.
func TestGopacketSource(t *testing.T) {
	path := filepath.Join(corpusDir, "ssh.pcap")
	h, err := OpenOffline(path)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var _ gopacket.ZeroCopyPacketDataSource = h
	src := gopacket.NewPacketSource(h, h.LinkType())
	tcp := 0
	for p := range src.Packets() {
		if p.Layer(layers.LayerTypeTCP) != nil {
			tcp++
		}
	}
	want, _, _, _ := tcpdumpCount(t, path, "tcp")
	if tcp != want {
		t.Errorf("gopacket decoded %d TCP packets, tcpdump counts %d", tcp, want)
	}
}

// TestReadAllocs: the reads meant for hot loops allocate nothing per packet.
func TestReadAllocs(t *testing.T) {
	h, _ := openFrames(t, testFrames(3000))
	if n := testing.AllocsPerRun(1000, func() { h.ZeroCopyReadPacketData() }); n != 0 {
		t.Errorf("ZeroCopyReadPacketData: %v allocations per packet, want 0", n)
	}
	buf := make([]byte, 2048)
	if n := testing.AllocsPerRun(1000, func() { h.ReadPacketDataInto(buf) }); n != 0 {
		t.Errorf("ReadPacketDataInto: %v allocations per packet, want 0", n)
	}
}
