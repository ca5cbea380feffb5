package fulfillment

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
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

// jsonDiff lists the differences between two generic JSON values, one line per path.
func jsonDiff(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want object, got %s", path, short(got))}
		}
		keys := make([]string, 0, len(w)+len(g))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		var out []string
		for _, k := range keys {
			wv, inW := w[k]
			gv, inG := g[k]
			switch {
			case !inG:
				out = append(out, fmt.Sprintf("%s.%s: missing (want %s)", path, k, short(wv)))
			case !inW:
				out = append(out, fmt.Sprintf("%s.%s: unexpected %s", path, k, short(gv)))
			default:
				out = append(out, jsonDiff(path+"."+k, wv, gv)...)
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want array, got %s", path, short(got))}
		}
		if len(w) != len(g) {
			return []string{fmt.Sprintf("%s: want %d elements, got %d: %s", path, len(w), len(g), short(got))}
		}
		var out []string
		for i := range w {
			out = append(out, jsonDiff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{fmt.Sprintf("%s: want %s, got %s", path, short(want), short(got))}
		}
		return nil
	}
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 160 {
		return string(b[:157]) + "..."
	}
	return string(b)
}

// assertJSON fails unless got decodes to the same data as want (compared with reflect.DeepEqual), listing the
// differing paths.
func assertJSON(t testing.TB, want, got any) {
	t.Helper()
	if reflect.DeepEqual(want, got) {
		return
	}
	d := jsonDiff("$", want, got)
	if len(d) == 0 {
		d = []string{"values differ"}
	}
	t.Errorf("JSON differs:\n  %s", strings.Join(d, "\n  "))
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
