package admin_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/admin"
)

// jsonLooking is the body a cross-site form with enctype text/plain sends for the field named
// `{"status":"CANCELLED","reason":"` with the value `"}`: JSON the status handler would accept.
const jsonLooking = `{"status":"CANCELLED","reason":"="}`

// bodyKind is how a write's body is encoded, as a browser's form or fetch or an API client sends it.
type bodyKind int

const (
	bodyJSON bodyKind = iota
	bodyText
	bodyForm
	bodyMultipart
)

// writeBody returns the body of a cancellation in the encoding kind, and its Content-Type.
func writeBody(t *testing.T, kind bodyKind) (body []byte, contentType string) {
	t.Helper()
	switch kind {
	case bodyText:
		return []byte(jsonLooking), "text/plain"
	case bodyForm:
		return []byte(url.Values{`{"status":"CANCELLED","reason":"`: {`"}`}}.Encode()), "application/x-www-form-urlencoded"
	case bodyMultipart:
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		if err := mw.WriteField("status", "CANCELLED"); err != nil {
			t.Fatal(err)
		}
		if err := mw.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes(), mw.FormDataContentType()
	default:
		return []byte(`{"status":"CANCELLED"}`), "application/json"
	}
}

// writeCase is one state-changing request: where it comes from (Sec-Fetch-Site, Origin; "SELF" stands for
// this server's own origin), its body and what the API must answer.
type writeCase struct {
	name                 string
	secFetchSite, origin string
	kind                 bodyKind
	contentType          string // overrides the kind's Content-Type; "-" sends none
	reschedule           bool   // POST …/reschedule rather than …/status
	status               int
	reason               string // of the error body; "" for a success
}

var writeCases = []writeCase{
	// A page on another site drives the staff's browser, which adds the staff's credentials.
	{name: "cross-site text/plain form", secFetchSite: "cross-site", origin: "http://evil.example", kind: bodyText, status: 403, reason: "PERMISSION_DENIED"},
	{name: "cross-site urlencoded form", secFetchSite: "cross-site", origin: "http://evil.example", kind: bodyForm, status: 403, reason: "PERMISSION_DENIED"},
	{name: "cross-site multipart form", secFetchSite: "cross-site", origin: "http://evil.example", kind: bodyMultipart, status: 403, reason: "PERMISSION_DENIED"},
	{name: "cross-site JSON", secFetchSite: "cross-site", origin: "http://evil.example", kind: bodyJSON, status: 403, reason: "PERMISSION_DENIED"},
	{name: "cross-site JSON reschedule", secFetchSite: "cross-site", origin: "http://evil.example", kind: bodyJSON, reschedule: true, status: 403, reason: "PERMISSION_DENIED"},
	{name: "same-site, other origin", secFetchSite: "same-site", origin: "http://other.localhost", kind: bodyJSON, status: 403, reason: "PERMISSION_DENIED"},
	{name: "cross-site without Origin", secFetchSite: "cross-site", kind: bodyText, status: 403, reason: "PERMISSION_DENIED"},
	{name: "old browser, other Origin", origin: "http://evil.example", kind: bodyText, status: 403, reason: "PERMISSION_DENIED"},
	{name: "old browser, other Origin, JSON", origin: "http://evil.example", kind: bodyJSON, status: 403, reason: "PERMISSION_DENIED"},
	{name: "old browser, Origin null", origin: "null", kind: bodyText, status: 403, reason: "PERMISSION_DENIED"},
	// The page's own requests and API clients.
	{name: "same-origin", secFetchSite: "same-origin", origin: "SELF", kind: bodyJSON, status: 200},
	{name: "same-origin reschedule", secFetchSite: "same-origin", origin: "SELF", kind: bodyJSON, reschedule: true, status: 200},
	{name: "typed or bookmarked (none)", secFetchSite: "none", kind: bodyJSON, status: 200},
	{name: "old browser, Origin is the Host", origin: "SELF", kind: bodyJSON, status: 200},
	{name: "API client without Origin", kind: bodyJSON, status: 200},
	{name: "API client, JSON with charset", kind: bodyJSON, contentType: "application/json; charset=utf-8", status: 200},
	{name: "API client, JSON in capitals", kind: bodyJSON, contentType: "Application/JSON", status: 200},
	// Bodies not declared JSON, from an allowed origin.
	{name: "API client, text/plain", kind: bodyText, status: 415, reason: "UNSUPPORTED_MEDIA_TYPE"},
	{name: "API client, urlencoded form", kind: bodyForm, status: 415, reason: "UNSUPPORTED_MEDIA_TYPE"},
	{name: "API client, multipart", kind: bodyMultipart, status: 415, reason: "UNSUPPORTED_MEDIA_TYPE"},
	{name: "API client, no Content-Type", kind: bodyJSON, contentType: "-", status: 415, reason: "UNSUPPORTED_MEDIA_TYPE"},
	{name: "API client, JSON-like media type", kind: bodyJSON, contentType: "application/json-patch+json", status: 415, reason: "UNSUPPORTED_MEDIA_TYPE"},
	{name: "API client, malformed Content-Type", kind: bodyJSON, contentType: "application/json; =", status: 415, reason: "UNSUPPORTED_MEDIA_TYPE"},
	{name: "API client, reschedule as text/plain", kind: bodyText, reschedule: true, status: 415, reason: "UNSUPPORTED_MEDIA_TYPE"},
	{name: "same-origin text/plain", secFetchSite: "same-origin", origin: "SELF", kind: bodyText, status: 415, reason: "UNSUPPORTED_MEDIA_TYPE"},
}

// newWrite builds the request of tc against base (scheme and host) for booking b.
func newWrite(t *testing.T, base string, tc writeCase, b booking.Booking) *http.Request {
	t.Helper()
	body, ct := writeBody(t, tc.kind)
	path := "/admin/v1/bookings/" + b.ID + "/status"
	if tc.reschedule {
		path = "/admin/v1/bookings/" + b.ID + "/reschedule"
		if tc.kind == bodyJSON {
			body = []byte(`{"start":"` + at("19:30").Format(time.RFC3339) + `"}`)
		}
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	switch tc.contentType {
	case "":
		req.Header.Set("Content-Type", ct)
	case "-":
	default:
		req.Header.Set("Content-Type", tc.contentType)
	}
	if tc.secFetchSite != "" {
		req.Header.Set("Sec-Fetch-Site", tc.secFetchSite)
	}
	switch tc.origin {
	case "":
	case "SELF":
		req.Header.Set("Origin", "http://"+req.Host)
	default:
		req.Header.Set("Origin", tc.origin)
	}
	return req
}

// noCORS fails the test when an answer grants another origin anything.
func noCORS(t *testing.T, h http.Header) {
	t.Helper()
	for name := range h {
		if strings.HasPrefix(strings.ToLower(name), "access-control-") {
			t.Errorf("answer carries %s: %q", name, h.Get(name))
		}
	}
}

// TestCrossOriginWrites sends cancellations and reschedules with the staff's valid credentials over a loopback
// listener, from other origins (as a browser would send a cross-site form or fetch), from the same origin and
// from API clients: only the same origin and clients without Origin change the booking, and only with a JSON
// body; a refused request leaves the booking and its outbox as they were.
func TestCrossOriginWrites(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i, tc := range writeCases {
		t.Run(tc.name, func(t *testing.T) {
			b := f.book("sample-bistro", []string{"18:00", "18:30", "20:00"}[i%3], 1, false)
			before, _ := f.store.OutboxByBooking(ctx, b.ID)
			req := newWrite(t, f.srv.URL, tc, b)
			req.SetBasicAuth("staff", "secret")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			r := response{resp.StatusCode, resp.Header, body}
			noCORS(t, r.header)
			stored, err := f.core.Booking(ctx, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			after, _ := f.store.OutboxByBooking(ctx, b.ID)
			if tc.reason == "" {
				if r.status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
				}
				if stored.Version != b.Version+1 || len(after) != len(before)+1 {
					t.Errorf("the accepted write did not change the booking: v%d, %d outbox entries", stored.Version, len(after))
				}
				return
			}
			wantError(t, r, tc.status, tc.reason, "")
			if stored.Status != b.Status || stored.Version != b.Version || !stored.Start.Equal(b.Start) || len(after) != len(before) {
				t.Errorf("refused write changed the booking: %s v%d at %s, %d outbox entries; was %s v%d at %s, %d",
					stored.Status, stored.Version, stored.Start, len(after), b.Status, b.Version, b.Start, len(before))
			}
			if tc.status == http.StatusForbidden && !strings.Contains(string(r.body), admin.CrossOriginMessage) {
				t.Errorf("403 body %s lacks %q", r.body, admin.CrossOriginMessage)
			}
			if tc.status == http.StatusUnsupportedMediaType && r.header.Get("Accept") != "application/json" {
				t.Errorf("415 with Accept %q, want application/json", r.header.Get("Accept"))
			}
		})
	}
}

// trap is a request body that records being read.
type trap struct {
	io.Reader
	read bool
}

func (b *trap) Read(p []byte) (int, error) { b.read = true; return b.Reader.Read(p) }

// TestRefusedBeforeReading checks that every refused write is answered before anything reads its body.
func TestRefusedBeforeReading(t *testing.T) {
	f := newFixture(t)
	api := admin.New(f.core, f.store).WithLogger(slog.New(slog.DiscardHandler))
	b := f.book("sample-bistro", "19:00", 1, false)
	for _, tc := range writeCases {
		if tc.reason == "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			req := newWrite(t, "http://127.0.0.1:8080", tc, b)
			body := &trap{Reader: req.Body}
			req.Body = io.NopCloser(body)
			w := httptest.NewRecorder()
			api.ServeHTTP(w, req)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if body.read {
				t.Error("the body was read before the request was refused")
			}
		})
	}
}

// TestNoCORSGrant checks that no answer, to a read, a write or a preflight from another origin, carries a
// CORS header, and that a preflight is not answered with success.
func TestNoCORSGrant(t *testing.T) {
	f := newFixture(t)
	b := f.book("sample-bistro", "19:00", 1, false)
	for _, tc := range []struct {
		method, path string
		auth         bool
	}{
		{"GET", "/admin/v1/merchants", true},
		{"GET", "/admin/v1/bookings/" + b.ID, true},
		{"POST", "/admin/v1/bookings/" + b.ID + "/status", true},
		{"OPTIONS", "/admin/v1/bookings/" + b.ID + "/status", false},
		{"OPTIONS", "/admin/v1/bookings/" + b.ID + "/status", true},
	} {
		req, _ := http.NewRequest(tc.method, f.srv.URL+tc.path, strings.NewReader(`{"status":"CANCELLED"}`))
		req.Header.Set("Origin", "http://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Content-Type", "application/json")
		if tc.method == http.MethodOptions {
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		}
		if tc.auth {
			req.SetBasicAuth("staff", "secret")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		noCORS(t, resp.Header)
		if tc.method == http.MethodOptions && resp.StatusCode < 400 {
			t.Errorf("preflight %s as staff=%v answered %d", tc.path, tc.auth, resp.StatusCode)
		}
	}
	if got, _ := f.core.Booking(context.Background(), b.ID); got.Version != b.Version {
		t.Errorf("the booking changed: v%d", got.Version)
	}
}
