package expect

import (
	"testing"

	"tcpregress.dev/conformance/suite"
	// The cases register themselves, for Unknown.
	_ "tcpregress.dev/conformance/cases"
)

// TestFiles: every built-in file parses and names only cases that exist.
func TestFiles(t *testing.T) {
	for stack := range fileOf {
		if File(stack) == "" {
			continue
		}
		exp, err := For(stack)
		if err != nil {
			t.Fatalf("%s: %v", stack, err)
		}
		if len(exp) == 0 {
			t.Errorf("%s: %s lists nothing", stack, File(stack))
		}
		if u := exp.Unknown(suite.Cases()); len(u) > 0 {
			t.Errorf("%s: %s names unknown cases %v", stack, File(stack), u)
		}
	}
	if File("tcpstack") != "" {
		t.Errorf("tcpstack has an expectation file")
	}
}
