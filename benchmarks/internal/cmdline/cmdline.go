// Package cmdline is what the benchmark commands' command lines share: the
// standard flag package, a usage text around the flags' defaults, exit
// code 0 after -h and 2 on a usage error, and the check for root.
package cmdline

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// ErrReported is Parse's error for a bad flag, which the flag set has
// already printed, with the usage.
var ErrReported = errors.New("cmdline: bad flag, already reported")

// Parse parses args with fs, whose usage (-h) is head, the flags' defaults,
// then tail. Its error is flag.ErrHelp after -h and ErrReported after a bad
// flag.
func Parse(fs *flag.FlagSet, args []string, head, tail string) error {
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), head)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), tail)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flag.ErrHelp
		}
		return ErrReported
	}
	return nil
}

// ExitCode is the exit code for an error from Parse: 0 after -h, 2 after a
// bad flag.
func ExitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// IsRoot reports whether the command runs as root, which the commands
// that build network namespaces need; when it does not, it tells stderr
// so, in the name of the command.
func IsRoot(name string, stderr io.Writer) bool {
	if os.Geteuid() == 0 {
		return true
	}
	fmt.Fprintf(stderr, "%s: needs root: it creates network namespaces and veth pairs and captures with libpcap (run it with sudo)\n", name)
	return false
}
