package fulfillment

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const seedDir = "../testdata/seed001"

// readFile returns a fixture's bytes: a seed file by name, or one of testdata/ when the name has a directory.
func readFile(t testing.TB, name string) []byte {
	t.Helper()
	path := filepath.Join(seedDir, name)
	if strings.Contains(name, "/") {
		path = name
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// generic decodes JSON into generic values.
func generic(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return v
}

// dig follows object keys and array indexes through generic JSON.
func dig(t testing.TB, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("dig %v: not an object at %q", path, k)
			}
			v, ok = m[k]
			if !ok {
				t.Fatalf("dig %v: no member %q", path, k)
			}
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("dig %v: no element %d", path, k)
			}
			v = a[k]
		}
	}
	return v
}

// assertJSON fails unless got, generic JSON (as encoding/json decodes into any), is the same data as want.
func assertJSON(t testing.TB, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("JSON differs (-want +got):\n%s", d)
	}
}

// parse returns a Conv for a request fixture in the given envelope.
func parse(t testing.TB, env Envelope, body []byte) *Conv {
	t.Helper()
	var c *Conv
	var err error
	if env == EnvelopeActionsSDK {
		c, err = ParseActionsSDK(body)
	} else {
		c, err = ParseDialogflow(body)
	}
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return c
}

// respond returns c's encoded response as generic JSON.
func respond(t testing.TB, c *Conv) map[string]any {
	t.Helper()
	b, err := c.Response()
	if err != nil {
		t.Fatalf("Response: %v", err)
	}
	m, _ := generic(t, b).(map[string]any)
	return m
}
