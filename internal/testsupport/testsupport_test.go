package testsupport

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	start := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	c := NewClock(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now = %v, want %v", got, start)
	}
	if got := c.Advance(90 * time.Second); !got.Equal(start.Add(90 * time.Second)) {
		t.Errorf("Advance returned %v", got)
	}
	if got := c.Now(); !got.Equal(start.Add(90 * time.Second)) {
		t.Errorf("Now after Advance = %v", got)
	}
	c.Set(start.Add(-time.Hour))
	if got := c.Now(); !got.Equal(start.Add(-time.Hour)) {
		t.Errorf("Now after Set = %v", got)
	}

	// Concurrent use (meaningful under -race).
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				c.Advance(time.Second)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	if got, want := c.Now(), start.Add(-time.Hour+800*time.Second); !got.Equal(want) {
		t.Errorf("after concurrent advances Now = %v, want %v", got, want)
	}
}

func TestOffsetClock(t *testing.T) {
	var c OffsetClock
	if d := time.Since(c.Now()); d < 0 || d > time.Minute {
		t.Errorf("the zero OffsetClock is %v away from the real time", d)
	}
	c.Advance(time.Hour)
	if d := time.Until(c.Now()); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("after Advance(1h) the clock is %v ahead", d)
	}
}

func TestLogBuffer(t *testing.T) {
	var b LogBuffer
	log := slog.New(slog.NewJSONHandler(&b, nil))
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() { log.Info("request", "n", i) })
	}
	wg.Wait()
	lines := b.Lines(t)
	if len(lines) != 10 {
		t.Fatalf("%d lines, want 10:\n%s", len(lines), b.String())
	}
	seen := map[float64]bool{}
	for _, l := range lines {
		if l["msg"] != "request" {
			t.Errorf("line %v: msg = %v", l, l["msg"])
		}
		seen[l["n"].(float64)] = true
	}
	if len(seen) != 10 {
		t.Errorf("lines mixed up: %v", lines)
	}
	b.Reset()
	if b.String() != "" || len(b.Lines(t)) != 0 {
		t.Errorf("after Reset: %q", b.String())
	}
}

func TestParseJSONLines(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []map[string]any
		wantErr bool
	}{
		{name: "empty", in: "", want: nil},
		{name: "blank lines", in: "\n  \n", want: nil},
		{name: "two lines", in: `{"a":1}` + "\n" + `{"b":"x"}` + "\n", want: []map[string]any{{"a": 1.0}, {"b": "x"}}},
		{name: "no final newline", in: `{"a":true}`, want: []map[string]any{{"a": true}}},
		{name: "not JSON", in: `{"a":1}` + "\nplain text\n", want: []map[string]any{{"a": 1.0}}, wantErr: true},
		{name: "not an object", in: "[1]\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseJSONLines(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// recorder is a testing.TB whose Fatal and Skip only record how the test would have stopped.
type recorder struct {
	testing.TB
	failed, skipped bool
	msg             string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skip(args ...any) {
	r.skipped, r.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}

// run calls f with a recorder in its own goroutine, as the testing package runs a test, so that Goexit stops
// only f.
func run(t *testing.T, f func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func TestRequire(t *testing.T) {
	tests := []struct {
		ci          string
		ok          bool
		wantFailed  bool
		wantSkipped bool
	}{
		{ci: "true", ok: true},
		{ci: "", ok: true},
		{ci: "true", ok: false, wantFailed: true},
		{ci: "", ok: false, wantSkipped: true},
		{ci: "false", ok: false, wantSkipped: true},
		{ci: "1", ok: false, wantSkipped: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("CI=%q,ok=%v", tt.ci, tt.ok), func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := run(t, func(tb testing.TB) { Require(tb, tt.ok, "redis-server on PATH") })
			if r.failed != tt.wantFailed || r.skipped != tt.wantSkipped {
				t.Errorf("failed=%v skipped=%v (%q), want failed=%v skipped=%v", r.failed, r.skipped, r.msg, tt.wantFailed, tt.wantSkipped)
			}
			if (r.failed || r.skipped) && r.msg == "" {
				t.Error("no message")
			}
			if r.failed && r.msg != "needs redis-server on PATH (required when CI=true)" {
				t.Errorf("message %q", r.msg)
			}
		})
	}
}

func TestFindChromium(t *testing.T) {
	onPath := func(names ...string) func(string) (string, error) {
		return func(name string) (string, error) {
			for _, n := range names {
				if n == name {
					return "/usr/bin/" + name, nil
				}
			}
			return "", fs.ErrNotExist
		}
	}
	tests := []struct {
		name    string
		env     string
		path    []string
		want    string
		wantErr bool
	}{
		{name: "chromium first", path: []string{"google-chrome", "chromium"}, want: "/usr/bin/chromium"},
		{name: "chromium-browser", path: []string{"chromium-browser", "google-chrome"}, want: "/usr/bin/chromium-browser"},
		{name: "google-chrome", path: []string{"google-chrome"}, want: "/usr/bin/google-chrome"},
		{name: "none", path: nil, wantErr: true},
		{name: "CHROME_PATH wins", env: "my-chrome", path: []string{"chromium", "my-chrome"}, want: "/usr/bin/my-chrome"},
		{name: "CHROME_PATH missing", env: "my-chrome", path: []string{"chromium"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findChromium(tt.env, onPath(tt.path...))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("findChromium = %q, %v; want %q (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}

	// The real lookup honours CHROME_PATH with an executable file.
	exe := filepath.Join(t.TempDir(), "chrome")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CHROME_PATH", exe)
	if got, err := FindChromium(); err != nil || got != exe {
		t.Errorf("FindChromium with CHROME_PATH = %q, %v; want %q", got, err, exe)
	}
	t.Setenv("CHROME_PATH", filepath.Join(t.TempDir(), "absent"))
	if _, err := FindChromium(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("FindChromium with a missing CHROME_PATH: %v, want a not-exist error", err)
	}
}
