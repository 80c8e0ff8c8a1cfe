package header

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// unhex decodes hex with spaces and newlines ignored.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantErr checks that err wraps kind and mentions every one of words.
func wantErr(t testing.TB, err, kind error, words ...string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want %v", err, kind)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("err %q does not mention %q", err, w)
		}
	}
}
