// Command gen writes the committed seed corpora of the fuzz targets, testdata/fuzz/FuzzXxx/<name> in each
// package, in Go's corpus format, from the project's real fixtures: the recorded Dialogflow and Actions SDK
// requests (testdata/seed001, fulfillment/testdata), the conversation transcripts (testdata/conversations), the
// Actions Center reference samples (booking/actionscenter/testdata) and the merchant documents
// (testdata/inventory.json, the sample inventory). Run it from the module root:
//
//	go run ./testdata/fuzz/gen          # rewrite every corpus it owns
//	go run ./testdata/fuzz/gen -check   # exit 1 when a committed corpus differs from what the fixtures give
//
// It owns each directory it writes: files there that it does not generate are removed (or, with -check,
// reported). An input a fuzzer finds that should stay is added here as a named seed, not dropped in by hand.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// maxSeedBytes bounds one corpus file.
const maxSeedBytes = 8 << 10

// seed is one corpus file: its name and the fuzz function's arguments, in order ([]byte, string, uint8, bool).
type seed struct {
	name   string
	values []any
}

// corpus is the seeds of one fuzz target; dir is the package directory, target the Fuzz function.
type corpus struct {
	dir, target string
	seeds       []seed
}

func main() {
	check := flag.Bool("check", false, "compare the committed corpora with the generated ones instead of writing them")
	flag.Parse()
	corpora, err := build()
	if err == nil {
		err = apply(corpora, *check)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fuzz corpus:", err)
		os.Exit(1)
	}
}

// build makes every corpus from the fixtures.
func build() ([]corpus, error) {
	convs, err := loadConversations("testdata/conversations")
	if err != nil {
		return nil, err
	}
	var out []corpus
	for _, f := range []func([]conversation) ([]corpus, error){fulfillmentCorpora, intentsCorpora, actionsCenterCorpora,
		adminCorpora, inventoryCorpora} {
		c, err := f(convs)
		if err != nil {
			return nil, err
		}
		out = append(out, c...)
	}
	return out, nil
}

// encode renders values in the "go test fuzz v1" format.
func encode(values []any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, v := range values {
		switch v := v.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		case string:
			fmt.Fprintf(&b, "string(%q)\n", v)
		case uint8:
			fmt.Fprintf(&b, "byte(%q)\n", v)
		case bool:
			fmt.Fprintf(&b, "bool(%v)\n", v)
		default:
			return nil, fmt.Errorf("cannot encode a %T", v)
		}
	}
	return b.Bytes(), nil
}

// apply writes (or, with check, compares) each corpus directory.
func apply(corpora []corpus, check bool) error {
	var problems []string
	for _, c := range corpora {
		dir := filepath.Join(c.dir, "testdata", "fuzz", c.target)
		want := map[string][]byte{}
		for _, s := range c.seeds {
			data, err := encode(s.values)
			if err != nil {
				return fmt.Errorf("%s/%s: %w", dir, s.name, err)
			}
			if len(data) > maxSeedBytes {
				return fmt.Errorf("%s/%s: %d bytes, over %d", dir, s.name, len(data), maxSeedBytes)
			}
			if _, dup := want[s.name]; dup {
				return fmt.Errorf("%s: two seeds named %s", dir, s.name)
			}
			want[s.name] = data
		}
		p, err := syncDir(dir, want, check)
		if err != nil {
			return err
		}
		problems = append(problems, p...)
	}
	if len(problems) > 0 {
		return fmt.Errorf("committed corpora are not what the fixtures give (run go run ./testdata/fuzz/gen):\n  %s",
			strings.Join(problems, "\n  "))
	}
	return nil
}

// syncDir makes dir hold exactly want, or with check lists how it differs.
func syncDir(dir string, want map[string][]byte, check bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	var problems []string
	for _, e := range entries {
		if _, ok := want[e.Name()]; ok || e.IsDir() {
			continue
		}
		if check {
			problems = append(problems, filepath.Join(dir, e.Name())+": not generated")
		} else if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return nil, fmt.Errorf("remove stale seed: %w", err)
		}
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		path := filepath.Join(dir, n)
		if check {
			if have, err := os.ReadFile(path); err != nil || !bytes.Equal(have, want[n]) {
				problems = append(problems, path+": missing or different")
			}
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create corpus dir: %w", err)
		}
		if err := os.WriteFile(path, want[n], 0o644); err != nil {
			return nil, fmt.Errorf("write seed: %w", err)
		}
	}
	return problems, nil
}

// readCompact reads a JSON fixture and returns it compacted.
func readCompact(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fixture: %w", err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		return nil, fmt.Errorf("fixture %s: %w", path, err)
	}
	return b.Bytes(), nil
}

// readObject reads a JSON fixture as a generic object.
func readObject(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fixture: %w", err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("fixture %s: %w", path, err)
	}
	return v, nil
}

// readObjects reads JSON fixtures as generic objects, in order.
func readObjects(paths ...string) ([]map[string]any, error) {
	out := make([]map[string]any, 0, len(paths))
	for _, p := range paths {
		v, err := readObject(p)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// fileSeeds makes one []byte seed of each fixture file (compacted), named by its base name without .json.
func fileSeeds(paths ...string) ([]seed, error) {
	var out []seed
	for _, p := range paths {
		data, err := readCompact(p)
		if err != nil {
			return nil, err
		}
		out = append(out, seed{name: strings.TrimSuffix(filepath.Base(p), ".json"), values: []any{data}})
	}
	return out, nil
}

// mustJSON encodes v, which is built from decoded JSON and so always encodes.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// slug makes a corpus file name part: lower case letters, digits and dashes.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// uniq keeps the first seed of each name.
func uniq(seeds []seed) []seed {
	var out []seed
	for _, s := range seeds {
		if !slices.ContainsFunc(out, func(o seed) bool { return o.name == s.name }) {
			out = append(out, s)
		}
	}
	return out
}
