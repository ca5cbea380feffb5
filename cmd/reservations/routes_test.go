package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/httperr"
	"github.com/reservations/reservations/server"
)

// mountedService builds the service as serve does, over the sample inventory in memory, with the admin
// credentials staff:admin-pw and the booking server's google:bs-pw.
func mountedService(t *testing.T) (*booking.Core, http.Handler) {
	t.Helper()
	gin.SetMode(gin.TestMode)
	cfg, err := parseConfig(cmdServe, nil, withCreds(
		"RESERVATIONS_ADMIN_CREDENTIALS", "staff:admin-pw",
		"RESERVATIONS_BOOKING_SERVER_CREDENTIALS", "google:bs-pw",
	))
	if err != nil {
		t.Fatal(err)
	}
	store := memory.New()
	inv := booking.SampleInventory()
	core, err := booking.NewService(booking.Config{Store: store, Inventory: inv})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := newServer(cfg, core, store, inv, server.NewRegistry(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return core, srv.Handler()
}

// TestMountedRoutes checks the adapters as newServer mounts them: each answers its routes behind its own
// authentication, a path or method no adapter serves gets the server's JSON 404 or 405 without asking for
// credentials, every error has the one JSON body with the request id, and the metrics label requests by route
// pattern.
func TestMountedRoutes(t *testing.T) {
	_, h := mountedService(t)
	tests := []struct {
		name, method, path, user, pass string
		status                         int
		reason                         string // of the error body; "" for a success
	}{
		{"booking server", "GET", "/v3/HealthCheck/", "google", "bs-pw", 200, ""},
		{"booking server, lower case", "GET", "/v3/healthcheck", "google", "bs-pw", 200, ""},
		{"booking server without credentials", "GET", "/v3/HealthCheck/", "", "", 401, "UNAUTHENTICATED"},
		{"booking server, admin credentials", "GET", "/v3/HealthCheck/", "staff", "admin-pw", 401, "UNAUTHENTICATED"},
		{"booking server, unknown method", "POST", "/v3/CheckAvailability/", "", "", 404, "NOT_FOUND"},
		{"booking server, wrong HTTP method", "GET", "/v3/CreateBooking/", "", "", 405, "UNIMPLEMENTED"},
		{"booking server, bad body", "POST", "/v3/ListBookings/", "google", "bs-pw", 400, "INVALID_ARGUMENT"},
		{"admin", "GET", "/admin/v1/merchants", "staff", "admin-pw", 200, ""},
		{"admin without credentials", "GET", "/admin/v1/merchants", "", "", 401, "UNAUTHENTICATED"},
		{"admin, unknown booking", "GET", "/admin/v1/bookings/nope", "staff", "admin-pw", 404, "NOT_FOUND"},
		{"admin, unknown path", "GET", "/admin/v1/nope", "", "", 404, "NOT_FOUND"},
		{"admin, wrong method", "DELETE", "/admin/v1/bookings/b1", "", "", 405, "UNIMPLEMENTED"},
		{"page", "GET", "/admin/", "", "", 200, ""},
		{"page, HEAD", "HEAD", "/admin/", "", "", 200, ""},
		{"page redirect", "GET", "/admin", "", "", 301, ""},
		{"unknown asset", "GET", "/admin/assets/nope.js", "", "", 404, "NOT_FOUND"},
		{"page, wrong method", "POST", "/admin/", "", "", 405, "UNIMPLEMENTED"},
		{"webhook without credentials", "POST", "/fulfillment/dialogflow", "", "", 401, "UNAUTHENTICATED"},
		{"Actions SDK not configured", "POST", "/fulfillment/actions-sdk", "", "", 503, "UNAVAILABLE"},
		{"unknown route", "GET", "/nope", "", "", 404, "NOT_FOUND"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(`[`))
			r.Header.Set(server.RequestIDHeader, "rid-routes")
			if tc.user != "" {
				r.SetBasicAuth(tc.user, tc.pass)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("%s %s = %d, want %d: %s", tc.method, tc.path, w.Code, tc.status, w.Body)
			}
			if tc.reason == "" {
				return
			}
			var body httperr.Body
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("error body %q: %v", w.Body, err)
			}
			if d := body.Error; d.Code != tc.status || d.Reason != tc.reason || d.Message == "" || d.RequestID != "rid-routes" {
				t.Errorf("error body %s, want code %d, reason %s, a message and the request id", w.Body, tc.status, tc.reason)
			}
		})
	}

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	metrics, _ := io.ReadAll(w.Body)
	for _, want := range []string{
		`route="/v3/HealthCheck/",status="200"`,
		`route="/v3/healthcheck",status="200"`,
		`route="/admin/v1/merchants",status="200"`,
		`route="/admin/v1/bookings/:id",status="404"`,
		`route="/admin/",status="200"`,
		`route="/admin/assets/*name",status="404"`,
		`route="unmatched",status="404"`,
		`route="unmatched",status="405"`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if w.Code != http.StatusOK {
		t.Errorf("GET /metrics = %d", w.Code)
	}
}

// TestCrossOriginAdminWrites sends staff cancellations with valid credentials to the whole service on a
// loopback listener: from another origin (any body a cross-site form or fetch can send) they get 403, with a
// body that is not JSON 415, and neither changes the booking; the page's own origin and API clients without
// Origin change it. No answer carries a CORS header.
func TestCrossOriginAdminWrites(t *testing.T) {
	core, h := mountedService(t)
	ts := httptest.NewServer(h)
	defer ts.Close()
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().In(la).AddDate(0, 0, 2)
	start = time.Date(start.Year(), start.Month(), start.Day(), 18, 0, 0, 0, la)
	self := ts.URL // http://127.0.0.1:port, the Host the server sees
	const form = `%7B%22status%22%3A%22CANCELLED%22%2C%22reason%22%3A%22=%22%7D`
	const multipartType = "multipart/form-data; boundary=x"
	const multipartBody = "--x\r\nContent-Disposition: form-data; name=\"status\"\r\n\r\nCANCELLED\r\n--x--\r\n"
	tests := []struct {
		name, secFetchSite, origin, contentType, body string
		status                                        int
		reason                                        string // of the error body; "" for a success
	}{
		{"cross-site text/plain", "cross-site", "http://localhost:1", "text/plain", `{"status":"CANCELLED","reason":"="}`, 403, "PERMISSION_DENIED"},
		{"cross-site form", "cross-site", "http://localhost:1", "application/x-www-form-urlencoded", form, 403, "PERMISSION_DENIED"},
		{"cross-site multipart", "cross-site", "http://localhost:1", multipartType, multipartBody, 403, "PERMISSION_DENIED"},
		{"cross-site JSON", "cross-site", "http://localhost:1", "application/json", `{"status":"CANCELLED"}`, 403, "PERMISSION_DENIED"},
		{"same-site JSON", "same-site", "http://127.0.0.1:1", "application/json", `{"status":"CANCELLED"}`, 403, "PERMISSION_DENIED"},
		{"Origin of another host, no Sec-Fetch-Site", "", "http://localhost:1", "text/plain", `{"status":"CANCELLED"}`, 403, "PERMISSION_DENIED"},
		{"API client, text/plain", "", "", "text/plain", `{"status":"CANCELLED"}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"API client, form", "", "", "application/x-www-form-urlencoded", form, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"API client, multipart", "", "", multipartType, multipartBody, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"API client, no Content-Type", "", "", "", `{"status":"CANCELLED"}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"same-origin", "same-origin", self, "application/json", `{"status":"CANCELLED"}`, 200, ""},
		{"Sec-Fetch-Site none", "none", "", "application/json", `{"status":"CANCELLED"}`, 200, ""},
		{"Origin is the Host", "", self, "application/json; charset=utf-8", `{"status":"CANCELLED"}`, 200, ""},
		{"API client without Origin", "", "", "application/json", `{"status":"CANCELLED"}`, 200, ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := core.CreateBooking(t.Context(), booking.CreateRequest{MerchantID: booking.SampleMerchantID,
				Start: start.Add(time.Duration(i%4) * 15 * time.Minute), PartySize: 1, Source: booking.SourceAdmin,
				Customer: booking.Customer{Name: fmt.Sprintf("Guest %d", i)}})
			if err != nil {
				t.Fatal(err)
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
				ts.URL+"/admin/v1/bookings/"+b.ID+"/status", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.SetBasicAuth("staff", "admin-pw")
			req.Header.Set(server.RequestIDHeader, "rid-cross")
			for k, v := range map[string]string{"Sec-Fetch-Site": tc.secFetchSite, "Origin": tc.origin, "Content-Type": tc.contentType} {
				if v != "" {
					req.Header.Set(k, v)
				}
			}
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for k := range resp.Header {
				if strings.HasPrefix(strings.ToLower(k), "access-control-") {
					t.Errorf("answer carries %s", k)
				}
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, raw)
			}
			got, err := core.Booking(t.Context(), b.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tc.reason == "" {
				if got.Status != booking.StatusCancelled {
					t.Errorf("the accepted cancellation left the booking %s", got.Status)
				}
				return
			}
			var body httperr.Body
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("error body %q: %v", raw, err)
			}
			if d := body.Error; d.Code != tc.status || d.Reason != tc.reason || d.Message == "" || d.RequestID != "rid-cross" {
				t.Errorf("error body %s, want code %d, reason %s, a message and the request id", raw, tc.status, tc.reason)
			}
			if got.Status != b.Status || got.Version != b.Version {
				t.Errorf("the refused request changed the booking: %s v%d, was %s v%d", got.Status, got.Version, b.Status, b.Version)
			}
		})
	}
}
