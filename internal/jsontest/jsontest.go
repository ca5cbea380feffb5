// Package jsontest compares JSON documents in tests: as data (object member order and number spelling do not
// matter), with one readable line per difference.
package jsontest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Diff lists the differences between two generic JSON values (as encoding/json decodes into any), one line per
// path, each path starting with path. It returns nil when they are equal.
func Diff(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want object, got %s", path, Short(got))}
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
				out = append(out, fmt.Sprintf("%s.%s: missing (want %s)", path, k, Short(wv)))
			case !inW:
				out = append(out, fmt.Sprintf("%s.%s: unexpected %s", path, k, Short(gv)))
			default:
				out = append(out, Diff(path+"."+k, wv, gv)...)
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want array, got %s", path, Short(got))}
		}
		if len(w) != len(g) {
			return []string{fmt.Sprintf("%s: want %d elements, got %d: %s", path, len(w), len(g), Short(got))}
		}
		var out []string
		for i := range w {
			out = append(out, Diff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{fmt.Sprintf("%s: want %s, got %s", path, Short(want), Short(got))}
		}
		return nil
	}
}

// Short is v as compact JSON, cut to 160 bytes for a message.
func Short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 160 {
		return string(b[:157]) + "..."
	}
	return string(b)
}

// Equal fails t when got (JSON text) differs as data from want (JSON text as []byte or json.RawMessage, or any
// value, which is encoded first), listing every difference.
func Equal(t testing.TB, want any, got []byte) {
	t.Helper()
	var g any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, got)
	}
	wb, ok := want.([]byte)
	if raw, isRaw := want.(json.RawMessage); isRaw {
		wb, ok = raw, true
	}
	if !ok {
		var err error
		if wb, err = json.Marshal(want); err != nil {
			t.Fatal(err)
		}
	}
	var w any
	if err := json.Unmarshal(wb, &w); err != nil {
		t.Fatal(err)
	}
	if d := Diff("$", w, g); len(d) > 0 {
		t.Errorf("JSON differs:\n  %s", strings.Join(d, "\n  "))
	}
}
