// Package expect holds the expected verdicts of the local targets, one
// file per stack (linux.txt for the kernel, gvisor.txt, lwip.txt), built
// into tcpregress so that "tcpregress matrix" applies them wherever it runs.
// The files' format is suite.ParseExpectations's; each line gives the cause
// of a known deviation.
package expect

import (
	"embed"
	"fmt"
	"io/fs"

	"tcpregress.dev/conformance/suite"
)

//go:embed *.txt
var files embed.FS

// fileOf names the expectation file of each local stack that has one.
var fileOf = map[string]string{"kernel": "linux.txt", "gvisor": "gvisor.txt", "lwip": "lwip.txt"}

// File returns the name of the expectation file of the local target stack
// (kernel, tcpstack, gvisor, lwip), "" when it has none (tcpstack passes
// every case).
func File(stack string) string {
	name := fileOf[stack]
	if _, err := fs.Stat(files, name); name == "" || err != nil {
		return ""
	}
	return name
}

// For returns the expectations of the local target stack: none for a
// stack without a file.
func For(stack string) (suite.Expectations, error) {
	name := File(stack)
	if name == "" {
		return suite.Expectations{}, nil
	}
	f, err := files.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	exp, err := suite.ParseExpectations(f)
	if err != nil {
		return nil, fmt.Errorf("expectations %s: %w", name, err)
	}
	return exp, nil
}
