package webdriver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// call is one request the fake driver received.
type call struct {
	Method, Path string
	Body         map[string]any
}

// fakeDriver answers WebDriver requests from a table of canned answers keyed by "METHOD path" and records
// every request.
type fakeDriver struct {
	mu      sync.Mutex
	calls   []call
	answers map[string]func() (int, string)
}

func (f *fakeDriver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	c := call{Method: r.Method, Path: r.URL.Path}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &c.Body); err != nil {
			http.Error(w, "bad json", http.StatusTeapot)
			return
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	answer, ok := f.answers[r.Method+" "+r.URL.Path]
	f.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"value":{"error":"unknown command","message":"no route `+r.URL.Path+`"}}`)
		return
	}
	status, body := answer()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (f *fakeDriver) recorded() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func ok(body string) func() (int, string) { return func() (int, string) { return 200, body } }

func newFake(t *testing.T, answers map[string]func() (int, string)) (*fakeDriver, *Driver) {
	t.Helper()
	f := &fakeDriver{answers: answers}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, &Driver{URL: srv.URL, client: srv.Client()}
}

const elem = `{"element-6066-11e4-a52e-4f735466cecf":"E1"}`

func TestSessionCommands(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\nfake")
	f, d := newFake(t, map[string]func() (int, string){
		"POST /session":                               ok(`{"value":{"sessionId":"S1","capabilities":{}}}`),
		"POST /session/S1/url":                        ok(`{"value":null}`),
		"GET /session/S1/url":                         ok(`{"value":"http://127.0.0.1/admin/"}`),
		"GET /session/S1/title":                       ok(`{"value":"Reservations"}`),
		"POST /session/S1/element":                    ok(`{"value":` + elem + `}`),
		"POST /session/S1/elements":                   ok(`{"value":[` + elem + `,{"element-6066-11e4-a52e-4f735466cecf":"E2"}]}`),
		"POST /session/S1/element/E1/element":         ok(`{"value":{"element-6066-11e4-a52e-4f735466cecf":"E3"}}`),
		"POST /session/S1/element/E1/click":           ok(`{"value":null}`),
		"POST /session/S1/element/E1/value":           ok(`{"value":null}`),
		"POST /session/S1/element/E1/clear":           ok(`{"value":null}`),
		"GET /session/S1/element/E1/text":             ok(`{"value":"Ada Lovelace"}`),
		"GET /session/S1/element/E1/property/value":   ok(`{"value":"2026-06-02"}`),
		"GET /session/S1/element/E1/attribute/hidden": ok(`{"value":null}`),
		"GET /session/S1/element/E1/attribute/class":  ok(`{"value":"badge"}`),
		"GET /session/S1/element/E1/enabled":          ok(`{"value":true}`),
		"GET /session/S1/element/E1/displayed":        ok(`{"value":false}`),
		"GET /session/S1/screenshot":                  ok(`{"value":"` + base64.StdEncoding.EncodeToString(png) + `"}`),
		"POST /session/S1/window/rect":                ok(`{"value":{"width":390,"height":844,"x":0,"y":0}}`),
		"POST /session/S1/execute/sync":               ok(`{"value":{"n":2}}`),
		"POST /session/S1/se/log":                     ok(`{"value":[{"level":"SEVERE","message":"boom","source":"javascript","timestamp":5}]}`),
		"DELETE /session/S1":                          ok(`{"value":null}`),
	})
	ctx := t.Context()
	s, err := d.NewSession(ctx, Capabilities{Chrome: &ChromeOptions{Binary: "/usr/bin/chromium", Args: []string{"--headless=new"}},
		BrowserLog: true, PageLoadTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Navigate(ctx, "http://127.0.0.1/admin/"))
	if u, err := s.URL(ctx); err != nil || u != "http://127.0.0.1/admin/" {
		t.Errorf("URL = %q, %v", u, err)
	}
	if title, err := s.Title(ctx); err != nil || title != "Reservations" {
		t.Errorf("Title = %q, %v", title, err)
	}
	el, err := s.FindElement(ctx, "#bookings tbody tr")
	must(err)
	if el.ID != "E1" {
		t.Errorf("element id = %q, want E1", el.ID)
	}
	all, err := s.FindElements(ctx, "button")
	must(err)
	if len(all) != 2 || all[1].ID != "E2" {
		t.Errorf("FindElements = %v", all)
	}
	child, err := el.FindElement(ctx, ".status")
	must(err)
	if child.ID != "E3" {
		t.Errorf("child id = %q", child.ID)
	}
	must(el.Click(ctx))
	must(el.SendKeys(ctx, "staff"))
	must(el.Clear(ctx))
	if txt, err := el.Text(ctx); err != nil || txt != "Ada Lovelace" {
		t.Errorf("Text = %q, %v", txt, err)
	}
	var v string
	must(el.Property(ctx, "value", &v))
	if v != "2026-06-02" {
		t.Errorf("Property = %q", v)
	}
	if _, has, err := el.Attribute(ctx, "hidden"); err != nil || has {
		t.Errorf("Attribute(hidden) has = %v, %v; want absent", has, err)
	}
	if cls, has, err := el.Attribute(ctx, "class"); err != nil || !has || cls != "badge" {
		t.Errorf("Attribute(class) = %q %v %v", cls, has, err)
	}
	if en, err := el.Enabled(ctx); err != nil || !en {
		t.Errorf("Enabled = %v, %v", en, err)
	}
	if disp, err := el.Displayed(ctx); err != nil || disp {
		t.Errorf("Displayed = %v, %v", disp, err)
	}
	got, err := s.Screenshot(ctx)
	must(err)
	if string(got) != string(png) {
		t.Errorf("Screenshot = %q, want %q", got, png)
	}
	must(s.SetWindowSize(ctx, 390, 844))
	var res struct{ N int }
	must(s.Execute(ctx, "return {n: arguments.length}", &res, el, "x"))
	if res.N != 2 {
		t.Errorf("Execute result = %+v", res)
	}
	logs, err := s.BrowserLog(ctx)
	must(err)
	if want := []LogEntry{{Level: "SEVERE", Message: "boom", Source: "javascript", Timestamp: 5}}; !reflect.DeepEqual(logs, want) {
		t.Errorf("BrowserLog = %+v, want %+v", logs, want)
	}
	must(s.Delete(ctx))

	// What went over the wire, command by command.
	want := []call{
		{"POST", "/session", map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
			"browserName":        "chrome",
			"goog:chromeOptions": map[string]any{"binary": "/usr/bin/chromium", "args": []any{"--headless=new"}},
			"goog:loggingPrefs":  map[string]any{"browser": "ALL"},
			"timeouts":           map[string]any{"pageLoad": float64(5000)},
		}}}},
		{"POST", "/session/S1/url", map[string]any{"url": "http://127.0.0.1/admin/"}},
		{"GET", "/session/S1/url", nil},
		{"GET", "/session/S1/title", nil},
		{"POST", "/session/S1/element", map[string]any{"using": "css selector", "value": "#bookings tbody tr"}},
		{"POST", "/session/S1/elements", map[string]any{"using": "css selector", "value": "button"}},
		{"POST", "/session/S1/element/E1/element", map[string]any{"using": "css selector", "value": ".status"}},
		{"POST", "/session/S1/element/E1/click", map[string]any{}},
		{"POST", "/session/S1/element/E1/value", map[string]any{"text": "staff"}},
		{"POST", "/session/S1/element/E1/clear", map[string]any{}},
		{"GET", "/session/S1/element/E1/text", nil},
		{"GET", "/session/S1/element/E1/property/value", nil},
		{"GET", "/session/S1/element/E1/attribute/hidden", nil},
		{"GET", "/session/S1/element/E1/attribute/class", nil},
		{"GET", "/session/S1/element/E1/enabled", nil},
		{"GET", "/session/S1/element/E1/displayed", nil},
		{"GET", "/session/S1/screenshot", nil},
		{"POST", "/session/S1/window/rect", map[string]any{"width": float64(390), "height": float64(844)}},
		{"POST", "/session/S1/execute/sync", map[string]any{"script": "return {n: arguments.length}",
			"args": []any{map[string]any{"element-6066-11e4-a52e-4f735466cecf": "E1"}, "x"}}},
		{"POST", "/session/S1/se/log", map[string]any{"type": "browser"}},
		{"DELETE", "/session/S1", nil},
	}
	if got := f.recorded(); !reflect.DeepEqual(got, want) {
		for i := range max(len(got), len(want)) {
			var g, w call
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("request %d = %+v\nwant          %+v", i, g, w)
			}
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantCode string
		wantMsg  string
	}{
		{"no such element", 404, `{"value":{"error":"no such element","message":"no such element: Unable to locate element\n  (Session info: chrome=156)","stacktrace":"#0 0x…"}}`,
			CodeNoSuchElement, "no such element: Unable to locate element\n  (Session info: chrome=156)"},
		{"stale element", 404, `{"value":{"error":"stale element reference","message":"stale"}}`, CodeStaleElement, "stale"},
		{"no such alert", 404, `{"value":{"error":"no such alert","message":"no such alert"}}`, CodeNoSuchAlert, "no such alert"},
		{"not json", 500, `oops`, "unknown error", "oops"},
		{"json without error", 500, `{"value":null}`, "unknown error", `{"value":null}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, d := newFake(t, map[string]func() (int, string){
				"POST /session/S/element": func() (int, string) { return tc.status, tc.body },
			})
			s := &Session{ID: "S", d: d}
			_, err := s.FindElement(t.Context(), "#missing")
			var we *Error
			if !errors.As(err, &we) {
				t.Fatalf("err = %v, want an *Error", err)
			}
			if we.HTTPStatus != tc.status || we.Code != tc.wantCode || we.Message != tc.wantMsg {
				t.Errorf("Error = %+v, want status %d code %q message %q", we, tc.status, tc.wantCode, tc.wantMsg)
			}
			if !IsCode(err, tc.wantCode) {
				t.Errorf("IsCode(err, %q) = false", tc.wantCode)
			}
			if !strings.Contains(err.Error(), `find "#missing"`) {
				t.Errorf("error %q does not name the selector", err)
			}
		})
	}
}

func TestNewSessionWithoutID(t *testing.T) {
	_, d := newFake(t, map[string]func() (int, string){"POST /session": ok(`{"value":{"capabilities":{}}}`)})
	if _, err := d.NewSession(t.Context(), Capabilities{}); err == nil {
		t.Fatal("NewSession accepted an answer without a session id")
	}
}

func TestWaitUntil(t *testing.T) {
	notFound := &Error{HTTPStatus: 404, Code: CodeNoSuchElement, Message: "gone"}
	tests := []struct {
		name    string
		results []error // nil: condition true; errFalse: condition false
		timeout time.Duration
		wantErr string // "" for success
		calls   int
	}{
		{"true at once", []error{nil}, time.Second, "", 1},
		{"retries false then true", []error{errFalse, errFalse, nil}, time.Second, "", 3},
		{"retries missing and stale elements", []error{notFound, &Error{Code: CodeStaleElement}, nil}, time.Second, "", 3},
		{"stops at another error", []error{errFalse, errors.New("boom")}, time.Second, "boom", 2},
		{"times out with the last error", []error{notFound}, 100 * time.Millisecond, "no such element", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), tc.timeout)
			defer cancel()
			n := 0
			err := WaitUntil(ctx, 5*time.Millisecond, func(context.Context) (bool, error) {
				r := tc.results[min(n, len(tc.results)-1)]
				n++
				switch r {
				case nil:
					return true, nil
				case errFalse:
					return false, nil
				}
				return false, r
			})
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("WaitUntil = %v, want success", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("WaitUntil = %v, want an error containing %q", err, tc.wantErr)
			}
			if tc.calls >= 0 && n != tc.calls {
				t.Errorf("condition called %d times, want %d", n, tc.calls)
			}
			if tc.calls < 0 && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("timeout error %v does not wrap context.DeadlineExceeded", err)
			}
		})
	}
}

var errFalse = errors.New("false")

func TestEnviron(t *testing.T) {
	t.Setenv("TZ", "Europe/Paris")
	env := Environ("TZ=America/Los_Angeles", "WEBDRIVER_TEST_X=1")
	var tz []string
	for _, e := range env {
		if strings.HasPrefix(e, "TZ=") || strings.HasPrefix(e, "WEBDRIVER_TEST_X=") {
			tz = append(tz, e)
		}
	}
	if want := []string{"TZ=America/Los_Angeles", "WEBDRIVER_TEST_X=1"}; !reflect.DeepEqual(tz, want) {
		t.Errorf("Environ set %v, want %v", tz, want)
	}
}

func TestLogBufferKeepsTheTail(t *testing.T) {
	b := &logBuffer{max: 8}
	_, _ = b.Write([]byte("0123456789"))
	_, _ = b.Write([]byte("ab"))
	if got := b.String(); got != "456789ab" {
		t.Errorf("logBuffer = %q, want the last 8 bytes %q", got, "456789ab")
	}
}

// TestStartFailsForABrokenDriver runs a "driver" that exits at once: Start must say so, quickly.
func TestStartFailsForABrokenDriver(t *testing.T) {
	sh, err := exec.LookPath("false")
	if err != nil {
		t.Skip("no false(1) on PATH")
	}
	start := time.Now()
	_, err = Start(t.Context(), DriverOptions{Path: sh, StartTimeout: 5 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") {
		t.Fatalf("Start = %v, want an 'exited before it was ready' error", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("Start took %s to notice the driver exited", d)
	}
}

// TestRealChromedriver starts the real chromedriver and a headless Chromium when both are installed (and
// always under CI=true): a page is loaded, read, typed into and screenshotted.
func TestRealChromedriver(t *testing.T) {
	drv, err1 := FindChromedriver()
	bin, err2 := FindChromium()
	if err := errors.Join(err1, err2); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!doctype html><title>t</title><label>Name <input id="n"></label><p id="p">Hello</p>`)
	}))
	defer page.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	d, err := Start(ctx, DriverOptions{Path: drv})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s, err := d.NewSession(ctx, Capabilities{Chrome: &ChromeOptions{Binary: bin, Args: HeadlessChromiumArgs(t.TempDir())}})
	if err != nil {
		t.Fatalf("%v\n%s", err, d.Log())
	}
	defer func() {
		if err := s.Delete(context.WithoutCancel(ctx)); err != nil {
			t.Error(err)
		}
	}()
	if err := s.Navigate(ctx, page.URL); err != nil {
		t.Fatal(err)
	}
	p, err := s.FindElement(ctx, "#p")
	if err != nil {
		t.Fatal(err)
	}
	if txt, err := p.Text(ctx); err != nil || txt != "Hello" {
		t.Errorf("text = %q, %v", txt, err)
	}
	in, err := s.FindElement(ctx, "#n")
	if err != nil {
		t.Fatal(err)
	}
	if err := in.SendKeys(ctx, "Ada"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := in.Property(ctx, "value", &v); err != nil || v != "Ada" {
		t.Errorf("value = %q, %v", v, err)
	}
	if _, err := s.FindElement(ctx, "#nope"); !IsCode(err, CodeNoSuchElement) {
		t.Errorf("missing element: %v, want %q", err, CodeNoSuchElement)
	}
	png, err := s.Screenshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(png), "\x89PNG\r\n\x1a\n") {
		t.Errorf("screenshot is not a PNG: % x", png[:min(8, len(png))])
	}
}

func FuzzDecodeResponse(f *testing.F) {
	f.Add(200, []byte(`{"value":"x"}`))
	f.Add(404, []byte(`{"value":{"error":"no such element","message":"m"}}`))
	f.Add(500, []byte(`{"value":`))
	f.Add(200, []byte(`null`))
	f.Fuzz(func(t *testing.T, status int, data []byte) {
		var out any
		err := decodeResponse(status, data, &out)
		if (status < 200 || status > 299) && err == nil {
			t.Fatalf("status %d decoded without error", status)
		}
		var we *Error
		if errors.As(err, &we) && len(we.Message) > 2000 {
			t.Fatalf("error message of %d bytes", len(we.Message))
		}
	})
}
