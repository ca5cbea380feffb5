package orders_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/oauth2"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/orders"
	"github.com/reservations/reservations/orders/orderstest"
)

// staticTokens hands out "tok-N" tokens and counts invalidations.
type staticTokens struct {
	mu          sync.Mutex
	n           int
	invalidated int
}

func (s *staticTokens) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &oauth2.Token{AccessToken: "tok-" + string(rune('0'+s.n)), TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}, nil
}

func (s *staticTokens) Invalidate(*oauth2.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	s.invalidated++
}

// samplePatch is a small valid update for order "bk1".
func samplePatch(t *testing.T) *orders.PatchRequest {
	t.Helper()
	m, s := sampleMerchant(t)
	start := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Millisecond)
	b := booking.Booking{ID: "bk1", MerchantID: m.ID, ServiceID: s.ID, PartySize: 2, Start: start,
		End: start.Add(90 * time.Minute), Status: booking.StatusCancelled, Version: 2, GoogleOrderID: "G-1",
		UpdatedAt: time.Now().UTC().Truncate(time.Millisecond)}
	req, err := orders.NewPatch(m, s, booking.OutboxEntry{ID: "bk1.2", BookingID: "bk1", Seq: 2, Kind: booking.ChangeStatus, Booking: b}, b.UpdatedAt, true)
	if err != nil {
		t.Fatalf("NewPatch: %v", err)
	}
	return req
}

func TestClientClassifiesAnswers(t *testing.T) {
	googleErr := func(code int, status, msg string) string {
		return `{"error":{"code":` + itoa(code) + `,"message":"` + msg + `","status":"` + status + `"}}`
	}
	tests := []struct {
		name      string
		status    int
		body      string
		wantErr   string // "" = success
		retryable bool
		code      string
	}{
		{"200", 200, `{}`, "", false, "200"},
		{"204", 204, ``, "", false, "204"},
		{"400 permanent with message", 400, googleErr(400, "INVALID_ARGUMENT", "Invalid order update."), "HTTP 400 INVALID_ARGUMENT: Invalid order update.", false, "400"},
		{"403 permanent", 403, googleErr(403, "PERMISSION_DENIED", "The caller does not have permission"), "HTTP 403 PERMISSION_DENIED: The caller does not have permission", false, "403"},
		{"404 permanent", 404, googleErr(404, "NOT_FOUND", "Requested entity was not found."), "HTTP 404 NOT_FOUND: Requested entity was not found.", false, "404"},
		{"409 permanent", 409, googleErr(409, "ABORTED", "conflict"), "HTTP 409 ABORTED: conflict", false, "409"},
		{"429 retryable", 429, googleErr(429, "RESOURCE_EXHAUSTED", "Quota exceeded."), "HTTP 429 RESOURCE_EXHAUSTED: Quota exceeded.", true, "429"},
		{"500 retryable", 500, googleErr(500, "INTERNAL", "Order bk1 could not be updated. Please try again."), "HTTP 500 INTERNAL: Order bk1 could not be updated. Please try again.", true, "500"},
		{"503 plain text", 503, "upstream connect error", "HTTP 503: upstream connect error", true, "503"},
		{"502 empty body", 502, "", "HTTP 502: Bad Gateway", true, "502"},
		{"302 is not followed", 302, "", "HTTP 302: Found", false, "302"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.status == 302 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			reg := prometheus.NewRegistry()
			c, err := orders.NewClient(orders.ClientConfig{BaseURL: srv.URL, TokenSource: &staticTokens{}, Registerer: reg})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Patch(context.Background(), "bk1", samplePatch(t))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Patch: %v", err)
				}
			} else {
				var se *orders.SendError
				if !errors.As(err, &se) {
					t.Fatalf("err = %v, want *SendError", err)
				}
				if se.Error() != tt.wantErr || se.Retryable != tt.retryable || se.Code != tt.code {
					t.Errorf("got %q retryable=%v code=%s, want %q retryable=%v code=%s", se.Error(), se.Retryable, se.Code, tt.wantErr, tt.retryable, tt.code)
				}
			}
			e := &env{tb: t, reg: reg}
			if got := e.metric("orders_update_attempts_total", "code", tt.code); got != 1 {
				t.Errorf("attempts{code=%s} = %v, want 1", tt.code, got)
			}
			wantFail := 1.0
			if tt.wantErr == "" {
				wantFail = -1
			}
			if got := e.metric("orders_update_failures_total", "code", tt.code); got != wantFail {
				t.Errorf("failures{code=%s} = %v, want %v", tt.code, got, wantFail)
			}
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestClientRequestShape(t *testing.T) {
	var got struct {
		method, path, rawPath, auth, ctype string
		body                               []byte
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path, got.rawPath = r.Method, r.URL.Path, r.URL.EscapedPath()
		got.auth, got.ctype = r.Header.Get("Authorization"), r.Header.Get("Content-Type")
		got.body, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	c, err := orders.NewClient(orders.ClientConfig{BaseURL: srv.URL + "/prefix/", TokenSource: &staticTokens{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Patch(context.Background(), "a b/c?d", samplePatch(t)); err != nil {
		t.Fatal(err)
	}
	if got.method != http.MethodPatch || got.rawPath != "/prefix/v3/orders/a%20b%2Fc%3Fd" || got.path != "/prefix/v3/orders/a b/c?d" {
		t.Errorf("request %s %s (%s), want PATCH /prefix/v3/orders/a%%20b%%2Fc%%3Fd", got.method, got.rawPath, got.path)
	}
	if got.auth != "Bearer tok-0" || got.ctype != "application/json" {
		t.Errorf("headers Authorization=%q Content-Type=%q", got.auth, got.ctype)
	}
	if !strings.Contains(string(got.body), `"orderUpdate"`) {
		t.Errorf("body %s", got.body)
	}
}

func TestClientRejectsBadConfig(t *testing.T) {
	for _, base := range []string{"ftp://x", "http://", "://bad", "http://h/?q=1"} {
		if _, err := orders.NewClient(orders.ClientConfig{BaseURL: base, TokenSource: &staticTokens{}}); err == nil {
			t.Errorf("base %q accepted", base)
		}
	}
	if _, err := orders.NewClient(orders.ClientConfig{}); err == nil {
		t.Error("no token source accepted")
	}
}

func TestClient401RefreshesTokenOnce(t *testing.T) {
	tests := []struct {
		name          string
		refuse        int // how many requests answer 401
		wantErr       bool
		wantRequests  int
		wantInvalidds int
	}{
		{"refused once then accepted", 1, false, 2, 1},
		{"refused twice is retryable", 2, true, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			var auths []string
			var mu sync.Mutex
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				auths = append(auths, r.Header.Get("Authorization"))
				mu.Unlock()
				if int(n.Add(1)) <= tt.refuse {
					w.WriteHeader(401)
					_, _ = io.WriteString(w, `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`)
				}
			}))
			defer srv.Close()
			ts := &staticTokens{}
			c, _ := orders.NewClient(orders.ClientConfig{BaseURL: srv.URL, TokenSource: ts})
			err := c.Patch(context.Background(), "bk1", samplePatch(t))
			var se *orders.SendError
			if tt.wantErr {
				if !errors.As(err, &se) || !se.Retryable || se.HTTPStatus != 401 {
					t.Fatalf("err = %v, want a retryable 401", err)
				}
			} else if err != nil {
				t.Fatalf("Patch: %v", err)
			}
			if int(n.Load()) != tt.wantRequests || ts.invalidated != tt.wantInvalidds {
				t.Errorf("requests %d invalidations %d, want %d and %d", n.Load(), ts.invalidated, tt.wantRequests, tt.wantInvalidds)
			}
			if len(auths) == 2 && (auths[0] != "Bearer tok-0" || auths[1] != "Bearer tok-1") {
				t.Errorf("tokens used %v, want a new one on the retry", auths)
			}
		})
	}
}

func TestClientTransportFailures(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		c, _ := orders.NewClient(orders.ClientConfig{BaseURL: srv.URL, TokenSource: &staticTokens{}, Timeout: 100 * time.Millisecond})
		start := time.Now()
		err := c.Patch(context.Background(), "bk1", samplePatch(t))
		var se *orders.SendError
		if !errors.As(err, &se) || se.Code != orders.CodeTimeout || !se.Retryable {
			t.Fatalf("err = %v, want a retryable timeout", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Patch took %s despite a 100ms timeout", d)
		}
	})
	t.Run("dropped connection", func(t *testing.T) {
		fake := orderstest.NewTB(t, orderstest.Config{Faults: orderstest.Faults{PDrop: 1}})
		c := (&env{tb: t, fake: fake, reg: prometheus.NewRegistry()}).client(time.Second)
		err := c.Patch(context.Background(), "bk1", samplePatch(t))
		var se *orders.SendError
		if !errors.As(err, &se) || se.Code != orders.CodeNetwork || !se.Retryable {
			t.Fatalf("err = %v, want a retryable network error", err)
		}
		if len(fake.Updates()) != 0 {
			t.Error("a dropped request was applied")
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		c, _ := orders.NewClient(orders.ClientConfig{BaseURL: url, TokenSource: &staticTokens{}})
		err := c.Patch(context.Background(), "bk1", samplePatch(t))
		var se *orders.SendError
		if !errors.As(err, &se) || se.Code != orders.CodeNetwork || !se.Retryable {
			t.Fatalf("err = %v, want a retryable network error", err)
		}
	})
	t.Run("token endpoint down", func(t *testing.T) {
		fake := orderstest.NewTB(t, orderstest.Config{})
		key := fake.WriteServiceAccountKey(t)
		fake.Close()
		creds, err := orders.LoadCredentials(key)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := orders.NewClient(orders.ClientConfig{BaseURL: fake.URL, TokenSource: orders.NewTokenSource(creds, orders.TokenConfig{Timeout: time.Second})})
		err = c.Patch(context.Background(), "bk1", samplePatch(t))
		var se *orders.SendError
		if !errors.As(err, &se) || se.Code != orders.CodeToken || !se.Retryable {
			t.Fatalf("err = %v, want a retryable token error", err)
		}
	})
}

// TestClientAgainstFake sends through the real token source to the fake and checks what the fake stored.
func TestClientAgainstFake(t *testing.T) {
	fake := orderstest.NewTB(t, orderstest.Config{})
	e := &env{tb: t, fake: fake, reg: prometheus.NewRegistry()}
	c := e.client(time.Second)
	if err := c.Patch(context.Background(), "bk1", samplePatch(t)); err != nil {
		t.Fatalf("Patch: %v", err)
	}
	ups := fake.Updates()
	if len(ups) != 1 {
		t.Fatalf("fake has %d updates, want 1", len(ups))
	}
	u := ups[0]
	if u.OrderID != "bk1" || !u.Sandbox || u.Status != "CANCELLED" || u.Label != "Reservation cancelled" ||
		u.Notification == nil || u.Notification.Title != "Reservation cancelled" {
		t.Errorf("fake stored %+v", u)
	}
	// A revoked token is refused with 401; the client fetches a new one and succeeds.
	fake.RevokeTokens()
	if err := c.Patch(context.Background(), "bk1", samplePatch(t)); err != nil {
		t.Fatalf("Patch after revocation: %v", err)
	}
	if n := fake.TokenRequests(); n != 2 {
		t.Errorf("token requests = %d, want 2 (one refresh after the 401)", n)
	}
	if got := e.metric("orders_token_refreshes_total"); got != 2 {
		t.Errorf("orders_token_refreshes_total = %v, want 2", got)
	}
	if got := e.metric("orders_update_failures_total", "code", "401"); got != 1 {
		t.Errorf("failures{401} = %v, want 1", got)
	}
}
