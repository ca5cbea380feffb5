package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/httperr"
	"github.com/reservations/reservations/server"
)

// TestMountedRoutes checks the adapters as newServer mounts them: each answers its routes behind its own
// authentication, a path or method no adapter serves gets the server's JSON 404 or 405 without asking for
// credentials, every error has the one JSON body with the request id, and the metrics label requests by route
// pattern.
func TestMountedRoutes(t *testing.T) {
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
	reg := server.NewRegistry()
	srv, err := newServer(cfg, core, store, inv, reg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
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
