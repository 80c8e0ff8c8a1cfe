package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestInputs(t *testing.T) {
	if got := Inputs(nil); !slices.Equal(got, []string{"-"}) {
		t.Errorf("Inputs(nil) = %q, want [-]", got)
	}
	if got := Inputs([]string{"a", "-", "b"}); !slices.Equal(got, []string{"a", "-", "b"}) {
		t.Errorf("Inputs(a - b) = %q", got)
	}
	if got := InputLabel("-"); got != "standard input" {
		t.Errorf("InputLabel(-) = %q", got)
	}
	if got := InputLabel("x.pcap"); got != "x.pcap" {
		t.Errorf("InputLabel(x.pcap) = %q", got)
	}
}

// TestWriteBufferedErrors writes to a file opened read-only, so that the
// flush fails as a write to a closed or full output does.
func TestWriteBufferedErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ro, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	err = WriteBuffered(ro, 64, func(out *bufio.Writer) error {
		_, err := out.WriteString("hello\n")
		return err
	})
	if err == nil || !strings.HasPrefix(err.Error(), "writing the output: ") || !strings.Contains(err.Error(), "bad file descriptor") {
		t.Errorf("flush into a read-only file: %v, want writing the output: ... bad file descriptor", err)
	}
	// write's own error wins over the flush's.
	mine := errors.New("input 2 is not a capture")
	if err := WriteBuffered(ro, 64, func(out *bufio.Writer) error {
		out.WriteString("partial\n")
		return mine
	}); err != mine {
		t.Errorf("got %v, want write's error", err)
	}
}

// What was written before an error is flushed.
func ExampleWriteBuffered() {
	err := WriteBuffered(os.Stdout, 64<<10, func(out *bufio.Writer) error {
		for _, name := range Inputs(nil) {
			fmt.Fprintf(out, "reading %s\n", InputLabel(name))
		}
		return errors.New("standard input: not a capture")
	})
	fmt.Println(err)
	// Output:
	// reading standard input
	// standard input: not a capture
}
