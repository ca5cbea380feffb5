package testsupport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// LogBuffer collects what concurrent goroutines write (a slog handler's output, typically). The zero value is
// ready to use; it must not be copied after first use.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p. It never fails.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Reset forgets everything written so far.
func (b *LogBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// Lines decodes what was written so far as JSON lines, one object a line (blank lines are skipped). It fails
// tb when a line is not a JSON object.
func (b *LogBuffer) Lines(tb testing.TB) []map[string]any {
	tb.Helper()
	lines, err := ParseJSONLines(b.String())
	if err != nil {
		tb.Fatal(err)
	}
	return lines
}

// ParseJSONLines decodes s as JSON lines, one object a line; blank lines are skipped. Numbers decode as
// float64, as with [json.Unmarshal] into an any.
func ParseJSONLines(s string) ([]map[string]any, error) {
	var out []map[string]any
	for i, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			return out, fmt.Errorf("log line %d is not a JSON object: %w: %s", i+1, err, l)
		}
		out = append(out, m)
	}
	return out, nil
}
