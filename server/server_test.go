package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/reservations/reservations/internal/testsupport"
	"github.com/reservations/reservations/logging"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// accessLines returns the access-log lines written to logs so far.
func accessLines(t *testing.T, logs *testsupport.LogBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range logs.Lines(t) {
		if m["message"] == "request" {
			out = append(out, m)
		}
	}
	return out
}

func newTestServer(t *testing.T, cfg Config) (*Server, *testsupport.LogBuffer) {
	t.Helper()
	logs := &testsupport.LogBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = logging.New(logs, logging.Options{Level: slog.LevelDebug})
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, logs
}

func serve(h http.Handler, method, target string, body io.Reader, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHealthz(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	w := serve(s.Handler(), http.MethodGet, "/healthz", nil)
	if w.Code != 200 || w.Body.String() != `{"status":"ok"}` {
		t.Fatalf("GET /healthz = %d %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestReadyz(t *testing.T) {
	tests := []struct {
		name     string
		store    Pinger
		wantCode int
		wantBody string
	}{
		{"no store", nil, 200, `{"status":"ready"}`},
		{"store answers", PingerFunc(func(context.Context) error { return nil }), 200, `{"status":"ready"}`},
		{"store fails", PingerFunc(func(context.Context) error { return errors.New("dial tcp 127.0.0.1:1: connection refused") }),
			503, `{"reason":"store: dial tcp 127.0.0.1:1: connection refused","status":"unavailable"}`},
		{"store hangs past the deadline", PingerFunc(func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		}), 503, `{"reason":"store: context deadline exceeded","status":"unavailable"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Config{Store: tt.store, ReadyTimeout: 50 * time.Millisecond})
			start := time.Now()
			w := serve(s.Handler(), http.MethodGet, "/readyz", nil)
			if w.Code != tt.wantCode || w.Body.String() != tt.wantBody {
				t.Fatalf("GET /readyz = %d %s, want %d %s", w.Code, w.Body, tt.wantCode, tt.wantBody)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("readyz took %v despite the deadline", d)
			}
		})
	}
}

func TestReadyzDefaultDeadlineIsOneSecond(t *testing.T) {
	var got time.Duration
	s, _ := newTestServer(t, Config{Store: PingerFunc(func(ctx context.Context) error {
		dl, ok := ctx.Deadline()
		if !ok {
			return errors.New("no deadline")
		}
		got = time.Until(dl)
		return nil
	})})
	if w := serve(s.Handler(), http.MethodGet, "/readyz", nil); w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	if got <= 900*time.Millisecond || got > time.Second {
		t.Errorf("ping deadline in %v, want about 1s", got)
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	s.Engine().POST("/hook", func(c *gin.Context) { c.Status(204) })
	tests := []struct {
		method, path string
		wantCode     int
		wantReason   string
		wantMsg      string
		wantAllow    string
	}{
		{http.MethodGet, "/nope", 404, "NOT_FOUND", "not found", ""},
		{http.MethodPost, "/hook/", 404, "NOT_FOUND", "not found", ""},
		{http.MethodGet, "/hook", 405, "UNIMPLEMENTED", "method not allowed", "POST"},
		{http.MethodPost, "/healthz", 405, "UNIMPLEMENTED", "method not allowed", "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			w := serve(s.Handler(), tt.method, tt.path, nil, RequestIDHeader, "rid-42")
			want := `{"error":{"code":` + itoa(tt.wantCode) + `,"reason":"` + tt.wantReason + `","message":"` + tt.wantMsg + `","requestId":"rid-42"}}` + "\n"
			if w.Code != tt.wantCode || w.Body.String() != want {
				t.Fatalf("%s %s = %d %s, want %d %s", tt.method, tt.path, w.Code, w.Body, tt.wantCode, want)
			}
			if got := w.Header().Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestPanicBecomes500JSON(t *testing.T) {
	s, logs := newTestServer(t, Config{})
	s.Engine().GET("/boom", func(c *gin.Context) { panic("customer ada@example.com broke it") })
	s.Engine().GET("/index", func(c *gin.Context) {
		i, _ := strconv.Atoi(c.Query("i"))
		c.String(200, "%d", []int{1}[i])
	})
	for _, path := range []string{"/boom", "/index?i=3"} {
		w := serve(s.Handler(), http.MethodGet, path, nil, RequestIDHeader, "rid-panic")
		want := `{"error":{"code":500,"reason":"INTERNAL","message":"internal error","requestId":"rid-panic"}}` + "\n"
		if w.Code != 500 || w.Body.String() != want {
			t.Fatalf("GET %s = %d %s, want 500 %s", path, w.Code, w.Body, want)
		}
	}
	var panics []map[string]any
	for _, m := range logs.Lines(t) {
		if m["message"] == "panic recovered" {
			panics = append(panics, m)
		}
	}
	if len(panics) != 2 {
		t.Fatalf("got %d panic log lines, want 2:\n%s", len(panics), logs)
	}
	for _, m := range panics {
		if m["severity"] != "ERROR" || m["requestId"] != "rid-panic" || !strings.Contains(m["stack"].(string), "server_test.go") {
			t.Errorf("panic line = %v", m)
		}
	}
	if panics[0]["panic"] != "string" {
		t.Errorf("non-runtime panic value logged: %v", panics[0]["panic"])
	}
	if panics[1]["panic"] != "runtime error: index out of range [3] with length 1" {
		t.Errorf("runtime panic = %v", panics[1]["panic"])
	}
	if strings.Contains(logs.String(), "ada@example.com") {
		t.Errorf("panic value leaked into logs")
	}
	for _, m := range accessLines(t, logs) {
		if hr := m["httpRequest"].(map[string]any); hr["status"] != float64(500) || m["severity"] != "ERROR" {
			t.Errorf("access line for panic = %v", m)
		}
	}
}

var generatedID = regexp.MustCompile(`^[A-Z2-7]{26}$`)

func TestRequestID(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		name     string
		incoming string
		keep     bool
	}{
		{"sane id kept", "abc-DEF_123.x", true},
		{"64 chars kept", long, true},
		{"65 chars replaced", long + "a", false},
		{"space replaced", "abc def", false},
		{"slash replaced", "a/b", false},
		{"unicode replaced", "réservation", false},
		{"missing generated", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, logs := newTestServer(t, Config{})
			var fromReq, fromGin, fromWrapped string
			s.Engine().GET("/id", func(c *gin.Context) {
				fromReq = logging.RequestID(c.Request.Context())
				fromGin = logging.RequestID(c) // ContextWithFallback
				c.Next()
			}, gin.WrapH(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fromWrapped = logging.RequestID(r.Context())
				w.WriteHeader(204)
			})))
			var w *httptest.ResponseRecorder
			if tt.incoming == "" {
				w = serve(s.Handler(), http.MethodGet, "/id", nil)
			} else {
				w = serve(s.Handler(), http.MethodGet, "/id", nil, RequestIDHeader, tt.incoming)
			}
			got := w.Header().Get(RequestIDHeader)
			if tt.keep && got != tt.incoming {
				t.Errorf("response id = %q, want the incoming %q", got, tt.incoming)
			}
			if !tt.keep && !generatedID.MatchString(got) {
				t.Errorf("response id = %q, want a generated id", got)
			}
			for name, v := range map[string]string{"request context": fromReq, "gin context": fromGin, "wrapped handler": fromWrapped} {
				if v != got {
					t.Errorf("%s saw id %q, response says %q", name, v, got)
				}
			}
			acc := accessLines(t, logs)
			if len(acc) != 1 || acc[0]["requestId"] != got {
				t.Errorf("access log = %v, want one line with requestId %q", acc, got)
			}
		})
	}
	s, _ := newTestServer(t, Config{})
	a := serve(s.Handler(), http.MethodGet, "/healthz", nil).Header().Get(RequestIDHeader)
	b := serve(s.Handler(), http.MethodGet, "/healthz", nil).Header().Get(RequestIDHeader)
	if a == b {
		t.Errorf("two requests got the same generated id %q", a)
	}
}

// chunked is a reader without a known length, so the request is sent with Transfer-Encoding: chunked.
type chunked struct{ r io.Reader }

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestBodyLimit(t *testing.T) {
	const limit = 1024
	s, _ := newTestServer(t, Config{MaxBodyBytes: limit})
	var got []byte
	var called bool
	echo := func(c *gin.Context) {
		called = true
		var err error
		got, err = io.ReadAll(c.Request.Body)
		if err != nil {
			c.Status(599)
			return
		}
		c.Status(200)
	}
	s.Engine().POST("/echo", echo)
	s.Engine().POST("/wrapped", gin.WrapH(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called = true
		got, _ = io.ReadAll(r.Body)
		w.WriteHeader(200)
	})))
	tooLarge := `{"error":{"code":413,"reason":"RESOURCE_EXHAUSTED","message":"request body too large (limit 1024 bytes)","requestId":"rid-big"}}` + "\n"

	tests := []struct {
		name       string
		path       string
		body       string
		length     int64 // -1: unknown (streamed)
		wantCode   int
		wantCalled bool
	}{
		{"at the limit", "/echo", strings.Repeat("a", limit), limit, 200, true},
		{"at the limit, streamed", "/echo", strings.Repeat("b", limit), -1, 200, true},
		{"Content-Length over the limit", "/echo", strings.Repeat("c", limit+1), limit + 1, 413, false},
		{"streamed over the limit", "/echo", strings.Repeat("d", 10*limit), -1, 413, false},
		{"streamed over the limit to a wrapped http.Handler", "/wrapped", strings.Repeat("e", limit+1), -1, 413, false},
		{"wrapped handler reads the body", "/wrapped", `{"ok":true}`, 11, 200, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called, got = false, nil
			r := httptest.NewRequest(http.MethodPost, tt.path, strings.NewReader(tt.body))
			r.ContentLength = tt.length
			r.Header.Set(RequestIDHeader, "rid-big")
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, r)
			if w.Code != tt.wantCode {
				t.Fatalf("status = %d, want %d (%s)", w.Code, tt.wantCode, w.Body)
			}
			if called != tt.wantCalled {
				t.Fatalf("handler called = %v, want %v", called, tt.wantCalled)
			}
			if tt.wantCode == 413 {
				if w.Body.String() != tooLarge {
					t.Errorf("body = %s, want %s", w.Body, tooLarge)
				}
				if w.Header().Get("Connection") != "close" {
					t.Errorf("413 without Connection: close")
				}
				return
			}
			if string(got) != tt.body {
				t.Errorf("handler read %d bytes, want %d", len(got), len(tt.body))
			}
		})
	}
}

func TestBodyLimitOverRealHTTP(t *testing.T) {
	s, _ := newTestServer(t, Config{MaxBodyBytes: 2048})
	s.Engine().POST("/echo", func(c *gin.Context) {
		b, _ := io.ReadAll(c.Request.Body)
		c.String(200, "%d", len(b))
	})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	tests := []struct {
		name     string
		body     io.Reader
		wantCode int
		wantBody string
	}{
		{"chunked within the limit", chunked{strings.NewReader(strings.Repeat("x", 2000))}, 200, "2000"},
		{"chunked over the limit", chunked{strings.NewReader(strings.Repeat("x", 100000))}, 413, ""},
		{"Content-Length over the limit", strings.NewReader(strings.Repeat("x", 4096)), 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(ts.URL+"/echo", "application/json", tt.body)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, tt.wantCode, b)
			}
			if tt.wantBody != "" && string(b) != tt.wantBody {
				t.Errorf("body = %s, want %s", b, tt.wantBody)
			}
			if tt.wantCode == 413 && !strings.Contains(string(b), `"code":413`) {
				t.Errorf("413 body = %s", b)
			}
		})
	}
}

func TestMetricsExposition(t *testing.T) {
	reg := NewRegistry()
	custom := prometheus.NewCounter(prometheus.CounterOpts{Name: "orders_updates_sent_total", Help: "test"})
	reg.MustRegister(custom)
	custom.Add(3)
	s, _ := newTestServer(t, Config{Registry: reg})
	s.Engine().GET("/v3/HealthCheck/", func(c *gin.Context) { c.Status(200) })
	h := s.Handler()
	serve(h, http.MethodGet, "/healthz", nil)
	serve(h, http.MethodGet, "/healthz", nil)
	serve(h, http.MethodGet, "/nowhere", nil)
	serve(h, http.MethodDelete, "/healthz", nil)
	serve(h, "BREW", "/healthz", nil)
	serve(h, http.MethodGet, "/v3/HealthCheck/", nil)

	w := serve(h, http.MethodGet, "/metrics", nil)
	if w.Code != 200 {
		t.Fatalf("GET /metrics = %d", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type = %q", ct)
	}
	body := w.Body.String()
	for _, want := range []string{
		`http_requests_total{method="GET",route="/healthz",status="200"} 2`,
		`http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`http_requests_total{method="DELETE",route="unmatched",status="405"} 1`,
		`http_requests_total{method="OTHER",route="unmatched",status="405"} 1`,
		`http_requests_total{method="GET",route="/v3/HealthCheck/",status="200"} 1`,
		`http_request_duration_seconds_count{method="GET",route="/healthz",status="200"} 2`,
		`http_request_duration_seconds_bucket{method="GET",route="/healthz",status="200",le="+Inf"} 2`,
		"# TYPE http_request_duration_seconds histogram",
		"orders_updates_sent_total 3",
		"go_goroutines ",
		"process_cpu_seconds_total ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if s.Registry() != reg {
		t.Error("Registry() is not the configured registry")
	}
	if _, err := New(Config{Registry: reg}); err == nil {
		t.Error("second server on the same registry: want a duplicate registration error")
	}
}

func TestAccessLog(t *testing.T) {
	s, logs := newTestServer(t, Config{})
	s.Engine().POST("/fulfillment/dialogflow", func(c *gin.Context) { c.String(200, "hello") })
	r := httptest.NewRequest(http.MethodPost, "/fulfillment/dialogflow?email=ada@example.com", strings.NewReader("{}"))
	r.RemoteAddr = "192.0.2.7:5555"
	r.Header.Set("User-Agent", "Google-Dialogflow")
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	r.Header.Set(RequestIDHeader, "rid-log")
	s.Handler().ServeHTTP(httptest.NewRecorder(), r)

	acc := accessLines(t, logs)
	if len(acc) != 1 {
		t.Fatalf("got %d access lines, want 1", len(acc))
	}
	m := acc[0]
	hr, _ := m["httpRequest"].(map[string]any)
	latency, _ := hr["latency"].(string)
	if !regexp.MustCompile(`^[0-9]+(\.[0-9]+)?s$`).MatchString(latency) {
		t.Errorf("latency = %q", latency)
	}
	delete(hr, "latency")
	got, _ := json.Marshal(hr)
	want := `{"remoteIp":"192.0.2.7","requestMethod":"POST","requestUrl":"/fulfillment/dialogflow","responseSize":5,"status":200,"userAgent":"Google-Dialogflow"}`
	if string(got) != want {
		t.Errorf("httpRequest = %s\nwant          %s", got, want)
	}
	if m["severity"] != "INFO" || m["requestId"] != "rid-log" || m["route"] != "/fulfillment/dialogflow" {
		t.Errorf("access line = %v", m)
	}
	if strings.Contains(logs.String(), "ada@example.com") || strings.Contains(logs.String(), "email=") {
		t.Errorf("query string logged:\n%s", logs)
	}
}

func TestTrustedProxies(t *testing.T) {
	tests := []struct {
		name    string
		proxies []string
		remote  string
		want    string
	}{
		{"none trusted: forwarded header ignored", nil, "10.1.2.3:1000", "10.1.2.3"},
		{"trusted proxy: forwarded client used", []string{"10.0.0.0/8"}, "10.1.2.3:1000", "203.0.113.9"},
		{"untrusted peer: forwarded header ignored", []string{"10.0.0.0/8"}, "198.51.100.1:1000", "198.51.100.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, logs := newTestServer(t, Config{TrustedProxies: tt.proxies})
			r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			r.RemoteAddr = tt.remote
			r.Header.Set("X-Forwarded-For", "203.0.113.9")
			s.Handler().ServeHTTP(httptest.NewRecorder(), r)
			hr := accessLines(t, logs)[0]["httpRequest"].(map[string]any)
			if hr["remoteIp"] != tt.want {
				t.Errorf("remoteIp = %v, want %s", hr["remoteIp"], tt.want)
			}
		})
	}
	s, logs := newTestServer(t, Config{TrustedPlatform: gin.PlatformGoogleAppEngine})
	r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	r.Header.Set("X-Forwarded-For", "198.51.100.66")
	r.Header.Set("X-Appengine-Remote-Addr", "203.0.113.77")
	s.Handler().ServeHTTP(httptest.NewRecorder(), r)
	if hr := accessLines(t, logs)[0]["httpRequest"].(map[string]any); hr["remoteIp"] != "203.0.113.77" {
		t.Errorf("App Engine platform: remoteIp = %v, want the X-Appengine-Remote-Addr value", hr["remoteIp"])
	}
	if _, err := New(Config{TrustedProxies: []string{"not-an-ip"}}); err == nil {
		t.Error("invalid trusted proxy accepted")
	}
}

// TestLogRedactionThroughServer plants an email, a phone number and a password in a query string, a header,
// a body and in attributes a handler logs, and checks that none reaches the log.
func TestLogRedactionThroughServer(t *testing.T) {
	const (
		email = "grace.hopper@example.org"
		phone = "+44 20 7946 0958"
		pass  = "correct-horse-battery"
	)
	s, logs := newTestServer(t, Config{})
	log := s.log
	s.Engine().POST("/fulfillment/dialogflow", func(c *gin.Context) {
		body, _ := io.ReadAll(c.Request.Body)
		log.InfoContext(c, "booking confirmed",
			"email", email,
			slog.Group("customer", "tel", phone),
			"partySize", 4,
			"auth", map[string]string{"password": pass},
			"bodyBytes", len(body),
		)
		log.With("credentials", "user:"+pass).WarnContext(c, "webhook configured")
		c.JSON(200, gin.H{"fulfillmentText": "booked for " + email})
	})
	s.Engine().GET("/boom", func(c *gin.Context) { panic(errors.New("phone " + phone)) })

	r := httptest.NewRequest(http.MethodPost, "/fulfillment/dialogflow?"+url.Values{"email": {email}, "phone": {phone}}.Encode(),
		strings.NewReader(`{"queryResult":{"parameters":{"phone":"`+phone+`","email":"`+email+`"}}}`))
	r.SetBasicAuth("dialogflow", pass)
	r.Header.Set("X-Customer-Email", email)
	s.Handler().ServeHTTP(httptest.NewRecorder(), r)
	s.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/boom?p="+url.QueryEscape(pass), nil))

	out := logs.String()
	for _, planted := range []string{email, phone, pass, "Basic "} {
		if strings.Contains(out, planted) {
			t.Errorf("log contains %q:\n%s", planted, out)
		}
	}
	for _, want := range []string{`"message":"booking confirmed"`, `"partySize":4`, `"email":"[REDACTED]"`,
		`"tel":"[REDACTED]"`, `"credentials":"[REDACTED]"`, `"message":"panic recovered"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

func TestGracefulShutdownFinishesInFlightRequest(t *testing.T) {
	s, logs := newTestServer(t, Config{ShutdownTimeout: 5 * time.Second})
	started := make(chan struct{})
	s.Engine().GET("/slow", func(c *gin.Context) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		if err := c.Request.Context().Err(); err != nil {
			c.String(500, "request context cancelled: %v", err)
			return
		}
		c.String(200, "done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	type result struct {
		code int
		body string
		err  error
	}
	res := make(chan result, 1)
	url := "http://" + ln.Addr().String()
	go func() {
		resp, err := http.Get(url + "/slow")
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		res <- result{code: resp.StatusCode, body: string(b)}
	}()
	<-started
	cancel() // as SIGTERM does through signal.NotifyContext

	r := <-res
	if r.err != nil || r.code != 200 || r.body != "done" {
		t.Fatalf("in-flight request = %d %q %v, want 200 done", r.code, r.body, r.err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve = %v, want nil after a clean drain", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the drain")
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
	if !strings.Contains(logs.String(), `"message":"http server drained"`) {
		t.Errorf("no drain log line:\n%s", logs)
	}
}

func TestShutdownTimeout(t *testing.T) {
	s, _ := newTestServer(t, Config{ShutdownTimeout: 50 * time.Millisecond})
	started, release := make(chan struct{}), make(chan struct{})
	s.Engine().GET("/stuck", func(c *gin.Context) {
		close(started)
		<-release
	})
	defer close(release)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/stuck")
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	cancel()
	select {
	case err := <-served:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Serve = %v, want a deadline error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not give up after the shutdown timeout")
	}
}

func TestListenAndServeReportsListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s, _ := newTestServer(t, Config{Addr: ln.Addr().String()})
	err = s.ListenAndServe(context.Background())
	if err == nil || !strings.Contains(err.Error(), "listen on "+ln.Addr().String()) {
		t.Fatalf("ListenAndServe on a busy port = %v", err)
	}
}
