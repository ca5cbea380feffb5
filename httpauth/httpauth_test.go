package httpauth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reservations/reservations/logging"
)

// newEngine puts mw in front of a handler answering 200 "ok", with a fixed request id in the context.
func newEngine(mw Middleware) http.Handler {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	h := mw(ok)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(logging.WithRequestID(r.Context(), "rid-1")))
	})
}

type reqOpt func(*http.Request)

func withBasic(u, p string) reqOpt { return func(r *http.Request) { r.SetBasicAuth(u, p) } }

func withHeader(k, v string) reqOpt { return func(r *http.Request) { r.Header.Add(k, v) } }

func do(e http.Handler, opts ...reqOpt) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(`{}`))
	for _, o := range opts {
		o(r)
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	return w
}

const unauthorizedBody = `{"error":{"code":401,"reason":"UNAUTHENTICATED","message":"unauthorized","requestId":"rid-1"}}` + "\n"

func TestBasic(t *testing.T) {
	creds := []Credential{{User: "dialogflow", Password: "old-pass"}, {User: "dialogflow", Password: "new:pass"}}
	e := newEngine(Basic("reservations", creds...))
	tests := []struct {
		name string
		opts []reqOpt
		want int
	}{
		{"first pair", []reqOpt{withBasic("dialogflow", "old-pass")}, 200},
		{"rotated second pair", []reqOpt{withBasic("dialogflow", "new:pass")}, 200},
		{"wrong password", []reqOpt{withBasic("dialogflow", "old-pas")}, 401},
		{"password of the other pair's prefix", []reqOpt{withBasic("dialogflow", "new")}, 401},
		{"wrong user", []reqOpt{withBasic("google", "old-pass")}, 401},
		{"missing", nil, 401},
		{"empty", []reqOpt{withBasic("", "")}, 401},
		{"not basic", []reqOpt{withHeader("Authorization", "Bearer old-pass")}, 401},
		{"garbage base64", []reqOpt{withHeader("Authorization", "Basic !!!")}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(e, tt.opts...)
			if w.Code != tt.want {
				t.Fatalf("status = %d, want %d", w.Code, tt.want)
			}
			if tt.want == 200 {
				if w.Body.String() != "ok" {
					t.Errorf("body = %q", w.Body)
				}
				return
			}
			if got := w.Header().Get("WWW-Authenticate"); got != `Basic realm="reservations", charset="UTF-8"` {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			if got := w.Body.String(); got != unauthorizedBody {
				t.Errorf("body = %s, want %s", got, unauthorizedBody)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestBasicWithoutCredentialsRefusesAll(t *testing.T) {
	e := newEngine(Basic("r"))
	if w := do(e, withBasic("", "")); w.Code != 401 {
		t.Fatalf("status = %d, want 401", w.Code)
	}
}

func TestHeader(t *testing.T) {
	h, err := ParseHeader("x-webhook-secret: s3cr3t")
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(Header(h))
	tests := []struct {
		name string
		opts []reqOpt
		want int
	}{
		{"right", []reqOpt{withHeader("X-Webhook-Secret", "s3cr3t")}, 200},
		{"right, other case of name", []reqOpt{withHeader("x-webhook-SECRET", "s3cr3t")}, 200},
		{"wrong value", []reqOpt{withHeader("X-Webhook-Secret", "s3cr3")}, 401},
		{"value case matters", []reqOpt{withHeader("X-Webhook-Secret", "S3CR3T")}, 401},
		{"missing", nil, 401},
		{"other header", []reqOpt{withHeader("X-Other", "s3cr3t")}, 401},
		{"sent twice", []reqOpt{withHeader("X-Webhook-Secret", "s3cr3t"), withHeader("X-Webhook-Secret", "s3cr3t")}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(e, tt.opts...)
			if w.Code != tt.want {
				t.Fatalf("status = %d, want %d", w.Code, tt.want)
			}
			if tt.want == 401 {
				if got := w.Header().Get("WWW-Authenticate"); got != "" {
					t.Errorf("header auth sent a basic challenge: %q", got)
				}
				if w.Body.String() != unauthorizedBody {
					t.Errorf("body = %s", w.Body)
				}
			}
		})
	}
}

func TestAny(t *testing.T) {
	h := HeaderSecret{Name: "X-Webhook-Secret", Value: "hdr"}
	creds := []Credential{{User: "u", Password: "p"}}
	both := newEngine(Any(BasicCheck("df", creds...), HeaderCheck(h)))
	tests := []struct {
		name       string
		e          http.Handler
		opts       []reqOpt
		want       int
		challenged bool
	}{
		{"basic only", both, []reqOpt{withBasic("u", "p")}, 200, false},
		{"header only", both, []reqOpt{withHeader("X-Webhook-Secret", "hdr")}, 200, false},
		{"both right", both, []reqOpt{withBasic("u", "p"), withHeader("X-Webhook-Secret", "hdr")}, 200, false},
		{"basic wrong, header right", both, []reqOpt{withBasic("u", "x"), withHeader("X-Webhook-Secret", "hdr")}, 200, false},
		{"neither", both, nil, 401, true},
		{"both wrong", both, []reqOpt{withBasic("u", "x"), withHeader("X-Webhook-Secret", "x")}, 401, true},
		{"no checks refuses everything", newEngine(Any()), []reqOpt{withBasic("u", "p")}, 401, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(tt.e, tt.opts...)
			if w.Code != tt.want {
				t.Fatalf("status = %d, want %d", w.Code, tt.want)
			}
			if got := w.Header().Get("WWW-Authenticate") != ""; got != tt.challenged {
				t.Errorf("challenge sent = %v, want %v", got, tt.challenged)
			}
		})
	}
}

func TestParseCredentials(t *testing.T) {
	tests := []struct {
		in      string
		want    []Credential
		wantErr string
	}{
		{in: "user:password", want: []Credential{{"user", "password"}}},
		{in: "a:b, c:d:e", want: []Credential{{"a", "b"}, {"c", "d:e"}}},
		{in: " google:x y ", want: []Credential{{"google", "x y"}}},
		{in: "google : x", wantErr: "user contains spaces"},
		{in: "", wantErr: "empty"},
		{in: "   ", wantErr: "empty"},
		{in: "userpassword", wantErr: "missing ':'"},
		{in: ":password", wantErr: "empty user"},
		{in: "user:", wantErr: "empty password"},
		{in: "a:b,", wantErr: "pair 2 of 2: empty"},
		{in: "a:b,nocolon", wantErr: "pair 2 of 2: missing ':'"},
		{in: "us er:pw", wantErr: "user contains spaces"},
		{in: "user:pw\x00x", wantErr: "control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseCredentials(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d credentials, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i].User != tt.want[i].User || got[i].Password != tt.want[i].Password {
					t.Errorf("credential %d = %q:%q, want %q:%q", i, got[i].User, got[i].Password, tt.want[i].User, tt.want[i].Password)
				}
			}
		})
	}
}

func TestParseCredentialsErrorsDoNotEchoSecrets(t *testing.T) {
	for _, in := range []string{"admin:topsecret,broken", "topsecret", "topsecret:", "user:top\x01secret"} {
		_, err := ParseCredentials(in)
		if err == nil {
			t.Fatalf("ParseCredentials(%q) succeeded", in)
		}
		if strings.Contains(err.Error(), "topsecret") || strings.Contains(err.Error(), "secret") {
			t.Errorf("error %q echoes the secret", err)
		}
	}
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		in      string
		want    HeaderSecret
		wantErr string
	}{
		{in: "X-Webhook-Secret: abc", want: HeaderSecret{"X-Webhook-Secret", "abc"}},
		{in: "x-webhook-secret:abc:def", want: HeaderSecret{"X-Webhook-Secret", "abc:def"}},
		{in: "  Token :  a b  ", want: HeaderSecret{"Token", "a b"}},
		{in: "noseparator", wantErr: "missing ':'"},
		{in: ": value", wantErr: "empty header name"},
		{in: "X-Secret:", wantErr: "empty value for header X-Secret"},
		{in: "X Secret: v", wantErr: "not allowed in HTTP header names"},
		{in: "X-Secret=topsecret: v", wantErr: "not allowed in HTTP header names"},
		{in: "X-Secret: a\nb", wantErr: "control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseHeader(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "topsecret") {
					t.Errorf("error %q echoes the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q/%q, want %q/%q", got.Name, got.Value, tt.want.Name, tt.want.Value)
			}
		})
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	c := Credential{User: "admin", Password: "pw-1234"}
	h := HeaderSecret{Name: "X-Secret", Value: "hv-5678"}
	var out bytes.Buffer
	fmt.Fprintf(&out, "%v %+v %#v %s\n", c, c, c, c)
	fmt.Fprintf(&out, "%v %+v %#v %s\n", h, h, h, h)
	fmt.Fprintf(&out, "%v %+v\n", []Credential{c}, struct{ C Credential }{c})
	js, err := json.Marshal(map[string]any{"c": c, "h": h, "list": []Credential{c}})
	if err != nil {
		t.Fatal(err)
	}
	out.Write(js)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("cfg", "c", c, "h", h)
	slog.New(slog.NewTextHandler(&out, nil)).Info("cfg", "c", c, "h", h)
	s := out.String()
	for _, secret := range []string{"pw-1234", "hv-5678", "admin"} {
		if strings.Contains(s, secret) {
			t.Errorf("output leaks %q:\n%s", secret, s)
		}
	}
	if !strings.Contains(s, "X-Secret") {
		t.Errorf("header name should stay visible:\n%s", s)
	}
}

func FuzzParseCredentials(f *testing.F) {
	for _, s := range []string{"u:p", "a:b,c:d", "", ",", ":", "u:", ":p", "a:b:c", " x : y ", "\x00:\x01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		creds, err := ParseCredentials(s)
		if err != nil {
			if creds != nil {
				t.Fatalf("credentials returned with error %v", err)
			}
			return
		}
		if len(creds) == 0 {
			t.Fatal("no credentials and no error")
		}
		for _, c := range creds {
			if c.User == "" || c.Password == "" || strings.Contains(c.User, ":") || strings.Contains(c.Password, ",") {
				t.Fatalf("bad credential parsed from %q", s)
			}
			// The parsed pair must authenticate a request carrying it.
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.SetBasicAuth(c.User, c.Password)
			if !BasicCheck("r", creds...).Allow(r) {
				t.Fatalf("parsed credential does not authenticate")
			}
		}
	})
}

func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{"X-A: b", "a:b", ":", "", "x y: z", "X-A: \x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHeader(s)
		if err != nil {
			return
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set(h.Name, h.Value)
		if !HeaderCheck(h).Allow(r) {
			t.Fatalf("parsed header %q does not authenticate", h.Name)
		}
	})
}
