package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/reservations/reservations/logging"
)

func TestGinRoute(t *testing.T) {
	tests := []struct {
		pattern, method, path, err string
	}{
		{pattern: "POST /v3/CreateBooking", method: "POST", path: "/v3/CreateBooking"},
		{pattern: "POST /v3/CreateBooking/{$}", method: "POST", path: "/v3/CreateBooking/"},
		{pattern: "GET /admin/v1/bookings/{id}/status", method: "GET", path: "/admin/v1/bookings/:id/status"},
		{pattern: "HEAD /admin/assets/{name...}", method: "HEAD", path: "/admin/assets/*name"},
		{pattern: "/v3/CreateBooking", err: "want a method and a path"},
		{pattern: "GET v3", err: "want a method and a path"},
		{pattern: "GET /a/{$}/b", err: "malformed wildcard"},
		{pattern: "GET /a/{rest...}/b", err: "malformed wildcard"},
		{pattern: "GET /a/{id", err: "malformed wildcard"},
		{pattern: "GET /a/{}", err: "malformed wildcard"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			method, path, err := ginRoute(tt.pattern)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ginRoute = %q %q, %v; want an error with %q", method, path, err, tt.err)
				}
				return
			}
			if err != nil || method != tt.method || path != tt.path {
				t.Errorf("ginRoute = %q %q, %v; want %q %q", method, path, err, tt.method, tt.path)
			}
		})
	}
}

// TestMount checks that a mounted http.Handler sees the request id and the path value of its own mux, and that
// the engine answers what no pattern matches.
func TestMount(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(r.PathValue("id") + " " + logging.RequestID(r.Context())))
	})
	if err := s.Mount(mux, "GET /things/{id}"); err != nil {
		t.Fatal(err)
	}
	if err := s.Mount(mux, "things"); err == nil {
		t.Error("Mount of a pattern without a method: want an error")
	}
	if w := serve(s.Handler(), http.MethodGet, "/things/t1", nil, RequestIDHeader, "rid-m"); w.Code != 200 || w.Body.String() != "t1 rid-m" {
		t.Errorf("GET /things/t1 = %d %q", w.Code, w.Body)
	}
	if w := serve(s.Handler(), http.MethodPost, "/things/t1", nil); w.Code != 405 || w.Header().Get("Allow") != "GET" {
		t.Errorf("POST /things/t1 = %d, Allow %q", w.Code, w.Header().Get("Allow"))
	}
	if w := serve(s.Handler(), http.MethodGet, "/things/t1/x", nil); w.Code != 404 || !strings.Contains(w.Body.String(), `"reason":"NOT_FOUND"`) {
		t.Errorf("GET /things/t1/x = %d %s", w.Code, w.Body)
	}
}
