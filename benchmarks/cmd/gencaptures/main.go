// Command gencaptures writes the capture files that tcpregress tests and
// benchmarks read.
//
//	gencaptures -out DIR          small test captures and their README.md (committed in testdata/)
//	gencaptures -bench -out DIR   large benchmark inputs bench-60.pcap and bench-1514.pcap (not committed)
//
// Output is deterministic: timestamps start at 2024-01-01T12:00:00Z, random
// choices come from fixed seeds, and the same build writes the same bytes on
// every machine. Frames are serialised with gopacket's layers, so lengths and
// checksums are correct unless a file is meant to be broken. main_test.go
// fails when testdata/ differs from what this command writes.
//
// From the repository root:
//
//	go run ./benchmarks/cmd/gencaptures -out testdata
//	go run ./benchmarks/cmd/gencaptures -bench -out /tmp/tcpregress-bench
package main

//go:generate go run . -out ../../../testdata

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"tcpregress.dev/benchmarks/internal/cmdline"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

const usage = `Usage: gencaptures -out DIR [-bench] [-q]

Writes deterministic capture files: by default the small test captures and
their README.md that are committed in testdata/, with -bench the large
benchmark inputs, which are not committed.

  go run ./benchmarks/cmd/gencaptures -out testdata
  go run ./benchmarks/cmd/gencaptures -bench -out /tmp/tcpregress-bench

Flags:
`

// run is the whole command; it returns the exit code: 0 success, 1 failure,
// 2 usage error.
func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("gencaptures", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "write the files into `DIR`, creating it if needed (required)")
	bench := fs.Bool("bench", false, "write the benchmark inputs instead of the test captures: bench-60.pcap (1,000,000 60-byte frames, 76 MB)\nand bench-1514.pcap (200,000 1514-byte frames, 306 MB)")
	quiet := fs.Bool("q", false, "do not list the files written")
	if err := cmdline.Parse(fs, args, usage, ""); err != nil {
		return cmdline.ExitCode(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gencaptures: unexpected argument %q: the output directory is given with -out DIR\n", fs.Arg(0))
		return 2
	}
	if *out == "" {
		fmt.Fprintln(stderr, "gencaptures: missing -out DIR: say where to write the files, e.g. -out testdata (see -h)")
		return 2
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "gencaptures: creating the output directory: %v\n", err)
		return 1
	}
	report := func(name string, packets int, size int64) {
		if !*quiet {
			fmt.Fprintf(stderr, "wrote %s (%d packets, %d bytes)\n", filepath.Join(*out, name), packets, size)
		}
	}
	var err error
	if *bench {
		err = writeBenchFiles(*out, report)
	} else {
		err = writeTestFiles(*out, report)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gencaptures: %v\n", err)
		return 1
	}
	return 0
}

// writeTestFiles writes every file of testFiles and the README into dir.
func writeTestFiles(dir string, report func(name string, packets int, size int64)) error {
	for _, tf := range testFiles {
		data, err := tf.build()
		if err != nil {
			return fmt.Errorf("building %s: %w", tf.name, err)
		}
		if err := writeFile(dir, tf.name, func(w io.Writer) error {
			_, err := w.Write(data)
			return err
		}); err != nil {
			return err
		}
		report(tf.name, tf.packets, int64(len(data)))
	}
	readme, err := testdataREADME()
	if err != nil {
		return fmt.Errorf("building README.md: %w", err)
	}
	if err := writeFile(dir, "README.md", func(w io.Writer) error {
		_, err := w.Write(readme)
		return err
	}); err != nil {
		return err
	}
	report("README.md", 0, int64(len(readme)))
	return nil
}

// writeFile writes name in dir through a temporary file that replaces it
// only once it is complete, so that a failed run never leaves a half-written
// capture behind.
func writeFile(dir, name string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(dir, name), err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(dir, name), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(dir, name), err)
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(dir, name), err)
	}
	return nil
}
