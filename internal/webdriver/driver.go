// Package webdriver is a small client of the W3C WebDriver HTTP protocol for tests that drive a real browser:
// it starts a chromedriver process on a free loopback port, opens a session (headless Chromium by default),
// navigates, finds elements by CSS selector, clicks, types, reads text and properties, runs scripts, takes PNG
// screenshots and deletes the session.
//
// It uses the standard library only. Typical use in a test:
//
//	d, err := webdriver.Start(ctx, webdriver.DriverOptions{})
//	defer d.Close()
//	s, err := d.NewSession(ctx, webdriver.Capabilities{Chrome: &webdriver.ChromeOptions{
//		Binary: bin, Args: webdriver.HeadlessChromiumArgs(t.TempDir())}})
//	defer s.Delete(context.WithoutCancel(ctx))
//	err = s.Navigate(ctx, srv.URL+"/admin/")
//	el, err := s.FindElement(ctx, "#username")
package webdriver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DriverOptions configure [Start]. Zero values take the defaults.
type DriverOptions struct {
	// Path is the chromedriver executable; empty looks "chromedriver" up on PATH.
	Path string
	// Args are extra command-line arguments (--port is set by Start).
	Args []string
	// Env is the process environment; nil inherits this process's. Chromium inherits it from chromedriver,
	// so TZ=… here sets the browser's time zone.
	Env []string
	// StartTimeout bounds how long Start waits for the driver to report ready; default 20 s.
	StartTimeout time.Duration
	// RequestTimeout bounds each protocol request; default 60 s.
	RequestTimeout time.Duration
}

// Driver is a running chromedriver process. Close stops it.
type Driver struct {
	// URL is the driver's base URL, such as http://127.0.0.1:41234.
	URL string

	client *http.Client
	cmd    *exec.Cmd
	out    *logBuffer
	exited chan struct{}
	waitMu sync.Mutex
	waitEr error
	closed sync.Once
}

// FindChromedriver returns the path of chromedriver on PATH.
func FindChromedriver() (string, error) {
	p, err := exec.LookPath("chromedriver")
	if err != nil {
		return "", fmt.Errorf("webdriver: chromedriver not on PATH: %w", err)
	}
	return p, nil
}

// FindChromium returns the path of a Chromium or Chrome browser on PATH (chromium, chromium-browser,
// google-chrome-stable, google-chrome), in that order of preference.
func FindChromium() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("webdriver: no chromium, chromium-browser or google-chrome on PATH")
}

// Start launches chromedriver on a free loopback port and waits until it reports ready. A port taken between
// choosing and binding it is retried with another port.
func Start(ctx context.Context, opts DriverOptions) (*Driver, error) {
	path := opts.Path
	if path == "" {
		p, err := FindChromedriver()
		if err != nil {
			return nil, err
		}
		path = p
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 20 * time.Second
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 60 * time.Second
	}
	var lastErr error
	for range 3 {
		d, err := start(ctx, path, opts)
		if err == nil {
			return d, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func start(ctx context.Context, path string, opts DriverOptions) (*Driver, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"--port=" + strconv.Itoa(port)}, opts.Args...)
	cmd := exec.Command(path, args...)
	cmd.Env = opts.Env
	out := &logBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("webdriver: start %s: %w", path, err)
	}
	d := &Driver{
		URL:    "http://127.0.0.1:" + strconv.Itoa(port),
		client: &http.Client{Timeout: opts.RequestTimeout},
		cmd:    cmd,
		out:    out,
		exited: make(chan struct{}),
	}
	go func() {
		err := cmd.Wait()
		d.waitMu.Lock()
		d.waitEr = err
		d.waitMu.Unlock()
		close(d.exited)
	}()

	wctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ready, err := d.Ready(wctx)
		if err == nil && ready {
			return d, nil
		}
		select {
		case <-d.exited:
			d.waitMu.Lock()
			werr := d.waitEr
			d.waitMu.Unlock()
			return nil, fmt.Errorf("webdriver: chromedriver exited before it was ready (%v): %s", werr, out.String())
		case <-wctx.Done():
			_ = d.Close()
			return nil, fmt.Errorf("webdriver: chromedriver not ready after %s (last error: %v): %s", opts.StartTimeout, err, out.String())
		case <-tick.C:
		}
	}
}

// Ready asks the driver's /status whether it can create sessions.
func (d *Driver) Ready(ctx context.Context) (bool, error) {
	var st struct {
		Ready bool `json:"ready"`
	}
	if err := d.do(ctx, http.MethodGet, "/status", nil, &st); err != nil {
		return false, err
	}
	return st.Ready, nil
}

// Log returns what chromedriver has written to its standard output and error (the last 64 KiB).
func (d *Driver) Log() string { return d.out.String() }

// Close stops the chromedriver process and the browsers it started (they share its process group: SIGTERM,
// then SIGKILL after 3 s) and waits for it to exit. Delete sessions first for a clean browser shutdown.
func (d *Driver) Close() error {
	var err error
	d.closed.Do(func() {
		stopProcessGroup(d.cmd, d.exited, 3*time.Second)
		select {
		case <-d.exited:
		case <-time.After(10 * time.Second):
			err = fmt.Errorf("webdriver: chromedriver (pid %d) did not exit", d.cmd.Process.Pid)
		}
	})
	return err
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("webdriver: find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("webdriver: find a free port: %w", err)
	}
	return port, nil
}

// logBuffer keeps the last max bytes written to it; it is safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if extra := b.buf.Len() - b.max; extra > 0 {
		b.buf.Next(extra)
	}
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Environ returns this process's environment with the given KEY=value entries set (replacing any inherited
// value), for [DriverOptions.Env]: Environ("TZ=America/Los_Angeles") runs the browser in that time zone.
func Environ(set ...string) []string {
	env := os.Environ()
	for _, kv := range set {
		key, _, _ := strings.Cut(kv, "=")
		env = slices.DeleteFunc(env, func(e string) bool {
			k, _, _ := strings.Cut(e, "=")
			return k == key
		})
		env = append(env, kv)
	}
	return env
}
