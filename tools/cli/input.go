package cli

import (
	"bufio"
	"fmt"
	"io"
)

// Stdin is the input file name that stands for standard input.
const Stdin = "-"

// Inputs returns the input files a command was given, in order, or [Stdin]
// alone when it was given none: the convention of cat, hexdump and tcpdump's
// readers that every tool here follows.
func Inputs(files []string) []string {
	if len(files) == 0 {
		return []string{Stdin}
	}
	return files
}

// InputLabel returns how messages name an input file: its name, or
// "standard input" for [Stdin].
func InputLabel(name string) string {
	if name == Stdin {
		return "standard input"
	}
	return name
}

// WriteBuffered calls write with a buffer of size bytes over w (a command's
// standard output: one write system call per buffer, not per line) and then
// flushes it. It returns write's error, or else the flush's as "writing the
// output: ...". The buffer is flushed also after an error, so that what was
// written before it is not lost.
func WriteBuffered(w io.Writer, size int, write func(out *bufio.Writer) error) error {
	out := bufio.NewWriterSize(w, size)
	err := write(out)
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("writing the output: %w", ferr)
	}
	return err
}
