package tcp

import (
	"bytes"
	"strings"

	"github.com/rs/zerolog"
)

type logBuffer struct{ bytes.Buffer }

func (b *logBuffer) contains(s string) bool { return strings.Contains(b.String(), s) }

func newTestLogger(b *logBuffer) zerolog.Logger {
	return zerolog.New(b).Level(zerolog.DebugLevel)
}
