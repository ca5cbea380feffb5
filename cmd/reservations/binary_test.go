package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/reservations/reservations/internal/testsupport"
)

const testVersion = "v9.9.9-test"

// binary is the reservations binary built once for the subprocess tests.
var binary struct {
	once sync.Once
	path string
	err  error
}

func buildBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "reservations-bin-")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "reservations")
		// go test puts its own GOROOT/bin first on PATH.
		cmd := exec.Command("go", "build", "-ldflags", "-X main.version="+testVersion, "-o", binary.path, ".")
		if out, err := cmd.CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.path != "" {
		_ = os.RemoveAll(filepath.Dir(binary.path))
	}
	os.Exit(code)
}

// cleanEnv is a minimal environment without any RESERVATIONS_ setting of the machine running the tests.
func cleanEnv(kv ...string) []string {
	e := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for i := 0; i+1 < len(kv); i += 2 {
		e = append(e, kv[i]+"="+kv[i+1])
	}
	return e
}

func TestBinaryStartupErrors(t *testing.T) {
	bin := buildBinary(t)
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unparsable port", []string{"serve", "--dev"}, []string{"PORT", "http"}, `reservations serve: invalid --port / PORT: "http" is not a port number (0-65535) (from env PORT)`},
		{"unknown store scheme", []string{"serve", "--dev", "--store", "sqlite:x.db"}, nil,
			`reservations serve: invalid --store / RESERVATIONS_STORE: unknown store scheme "sqlite" (want bolt:, redis://, rediss://, redis-cluster://, rediss-cluster://, redis-sentinel:// or rediss-sentinel://) (from flag --store)`},
		{"unreadable key file", []string{"worker"}, []string{"GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/key.json"},
			"reservations worker: invalid --google-application-credentials / GOOGLE_APPLICATION_CREDENTIALS: key file /nonexistent/key.json does not exist (from env GOOGLE_APPLICATION_CREDENTIALS)"},
		{"malformed user:password", []string{"serve"}, []string{"RESERVATIONS_WEBHOOK_BASIC_AUTH", "dialogflow-s3cret"},
			"reservations serve: invalid --webhook-basic-auth / RESERVATIONS_WEBHOOK_BASIC_AUTH: missing ':' between user and password (from env RESERVATIONS_WEBHOOK_BASIC_AUTH)"},
		{"no webhook credentials", []string{"serve"}, nil, "reservations serve: no webhook credentials: set --webhook-basic-auth / RESERVATIONS_WEBHOOK_BASIC_AUTH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			cmd.Env = cleanEnv(tt.env...)
			cmd.Dir = t.TempDir()
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("exit = %v, want status 2 (stderr %q)", err, stderr.String())
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			if len(lines) != 1 {
				t.Fatalf("stderr has %d lines, want 1: %q", len(lines), stderr.String())
			}
			if !strings.HasPrefix(lines[0], tt.want) {
				t.Errorf("stderr = %q\nwant prefix %q", lines[0], tt.want)
			}
			if strings.Contains(stderr.String(), "s3cret") {
				t.Errorf("stderr echoes the secret")
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
			if entries, _ := os.ReadDir(cmd.Dir); len(entries) != 0 {
				t.Errorf("a failed start-up left files behind: %v", entries)
			}
		})
	}
}

func TestBinaryVersionAndHelp(t *testing.T) {
	bin := buildBinary(t)
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("reservations %s %s %s/%s\n", testVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if string(out) != want {
		t.Errorf("version = %q, want %q", out, want)
	}
	for _, cmd := range []string{"serve", "worker"} {
		out, err := exec.Command(bin, cmd, "--help").Output()
		if err != nil {
			t.Fatalf("%s --help: %v", cmd, err)
		}
		if !strings.Contains(string(out), "env RESERVATIONS_STORE; default bolt:data/reservations.db") {
			t.Errorf("%s --help:\n%s", cmd, out)
		}
	}
}

// started is a running binary whose output is being collected.
type started struct {
	cmd  *exec.Cmd
	out  testsupport.LogBuffer // whole lines only
	done chan error
}

func (s *started) output() string { return s.out.String() }

func start(t *testing.T, dir string, env []string, args ...string) *started {
	t.Helper()
	s := &started{cmd: exec.Command(buildBinary(t), args...), done: make(chan error, 1)}
	s.cmd.Env = env
	s.cmd.Dir = dir
	pr, pw := io.Pipe()
	s.cmd.Stdout, s.cmd.Stderr = pw, pw
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			_, _ = s.out.Write([]byte(sc.Text() + "\n"))
		}
	}()
	go func() {
		err := s.cmd.Wait()
		pw.Close()
		s.done <- err
	}()
	// Kill is a no-op error once the process has exited and been waited for.
	t.Cleanup(func() { _ = s.cmd.Process.Kill() })
	return s
}

// waitFor waits until the output matches re and returns the first submatch.
func (s *started) waitFor(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(s.output()); m != nil {
			if len(m) > 1 {
				return m[1]
			}
			return m[0]
		}
		select {
		case err := <-s.done:
			t.Fatalf("process exited (%v) before %s:\n%s", err, re, s.output())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no %s in output:\n%s", re, s.output())
	return ""
}

func (s *started) terminate(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM = %v, want status 0:\n%s", err, s.output())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no exit after SIGTERM:\n%s", s.output())
	}
}

func get(t *testing.T, url string, hdr ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, url, body string, hdr ...string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestBinaryServeDev is "make run": serve --dev on the default embedded store, /healthz, then SIGTERM.
func TestBinaryServeDev(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir, cleanEnv("PORT", "0"), "serve", "--dev")
	addr := s.waitFor(t, regexp.MustCompile(`msg="http server listening" addr=(127\.0\.0\.1:\d+)`))
	if !strings.Contains(s.output(), "WARNING: DEVELOPMENT MODE") {
		t.Errorf("no loud development-mode warning:\n%s", s.output())
	}
	if code, body := get(t, "http://"+addr+"/healthz"); code != 200 || body != `{"status":"ok"}` {
		t.Errorf("/healthz = %d %s", code, body)
	}
	if code, body := get(t, "http://"+addr+"/readyz"); code != 200 || body != `{"status":"ready"}` {
		t.Errorf("/readyz = %d %s", code, body)
	}
	if code, body := get(t, "http://"+addr+"/admin/"); code != 200 || !strings.Contains(body, "<html") {
		t.Errorf("/admin/ = %d %.80s", code, body)
	}
	if code, body := get(t, "http://"+addr+"/admin/v1/bookings?merchant=sample-bistro&date=2026-12-01"); code != 200 || !strings.Contains(body, `"bookings":[]`) {
		t.Errorf("/admin/v1/bookings in --dev = %d %s", code, body)
	}
	s.terminate(t)
	if _, err := os.Stat(filepath.Join(dir, "data", "reservations.db")); err != nil {
		t.Errorf("default bolt store not created under data/: %v", err)
	}
	out := s.output()
	for _, want := range []string{"http server drained", "orders worker stopped", "store closed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if i, j := strings.Index(out, "http server drained"), strings.Index(out, "store closed"); i < 0 || j < i {
		t.Errorf("store closed before the HTTP server drained:\n%s", out)
	}
}

// TestBinaryServeProduction starts serve with webhook credentials and JSON logs, and checks the webhook's
// authentication and the log format.
func TestBinaryServeProduction(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir, cleanEnv(
		"PORT", "0",
		"RESERVATIONS_BIND", "127.0.0.1",
		"RESERVATIONS_STORE", "bolt:"+filepath.Join(dir, "store", "r.db"),
		"RESERVATIONS_WEBHOOK_HEADER", "X-Webhook-Secret: hook-s3cret",
		"RESERVATIONS_ADMIN_CREDENTIALS", "staff:admin-s3cret",
	), "serve", "--worker=false")
	addr := s.waitFor(t, regexp.MustCompile(`"message":"http server listening","addr":"(127\.0\.0\.1:\d+)"`))
	base := "http://" + addr

	if code := post(t, base+"/fulfillment/dialogflow", `{}`); code != 401 {
		t.Errorf("webhook without the header = %d, want 401", code)
	}
	if code := post(t, base+"/fulfillment/dialogflow", `{}`, "X-Webhook-Secret", "hook-s3cret"); code == 401 || code == 404 {
		t.Errorf("webhook with the header = %d, want it to reach the handler", code)
	}
	if code, _ := get(t, base+"/admin/v1/bookings?merchant=sample-bistro&date=2026-12-01"); code != 401 {
		t.Errorf("admin without credentials = %d, want 401", code)
	}
	if code, _ := get(t, base+"/v3/HealthCheck/"); code != 401 {
		t.Errorf("booking server without credentials = %d, want 401", code)
	}
	if code, body := get(t, base+"/nope", "X-Request-Id", "trace-me-1"); code != 404 || body != `{"error":{"code":404,"reason":"NOT_FOUND","message":"not found","requestId":"trace-me-1"}}`+"\n" {
		t.Errorf("unknown route = %d %s", code, body)
	}
	s.terminate(t)

	out := s.output()
	var access int
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("production log line is not JSON: %q", line)
		}
		if _, ok := m["severity"]; !ok {
			t.Errorf("log line without severity: %q", line)
		}
		if m["message"] == "request" {
			access++
		}
	}
	if access != 5 {
		t.Errorf("got %d access lines, want 5:\n%s", access, out)
	}
	if strings.Contains(out, "s3cret") {
		t.Errorf("a secret reached the logs:\n%s", out)
	}
	if strings.Contains(out, "orders worker") {
		t.Errorf("--worker=false still ran the worker:\n%s", out)
	}
}

func TestBinaryWorker(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir, cleanEnv("RESERVATIONS_STORE", "bolt:"+filepath.Join(dir, "w.db")), "worker")
	s.waitFor(t, regexp.MustCompile(`order updates are not sent to the Orders API`))
	s.terminate(t)
	if out := s.output(); !strings.Contains(out, `"message":"store closed"`) || strings.Contains(out, "http server") {
		t.Errorf("worker output:\n%s", out)
	}
}
