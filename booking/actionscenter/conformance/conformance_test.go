package conformance_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/actionscenter"
	"github.com/reservations/reservations/booking/actionscenter/conformance"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/httpauth"
)

var creds = []httpauth.Credential{{User: "google", Password: "s3cret"}}

// ownServer starts our booking server on loopback over the sample inventory and an in-memory store.
func ownServer(t *testing.T, wrap func(http.Handler) http.Handler) (*httptest.Server, booking.Store) {
	t.Helper()
	store := memory.New()
	core, err := booking.NewService(booking.Config{Store: store, Inventory: booking.SampleInventory()})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = actionscenter.New(core, store, actionscenter.Options{Credentials: creds, Logger: slog.New(slog.DiscardHandler)})
	if wrap != nil {
		h = wrap(h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts, store
}

func config(url string) conformance.Config {
	return conformance.Config{
		BaseURL: url, Username: creds[0].User, Password: creds[0].Password,
		MerchantID: booking.SampleMerchantID, ServiceID: "dinner",
	}
}

// TestOwnServerPasses runs every conformance check against our own server: all must pass, and the run must
// leave no active booking behind.
func TestOwnServerPasses(t *testing.T) {
	for _, tc := range []struct {
		name     string
		duration time.Duration
		slots    int
	}{
		{"duration learned from the server", 0, conformance.DefaultSlots},
		{"duration given", 90 * time.Minute, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts, store := ownServer(t, nil)
			cfg := config(ts.URL + "/")
			cfg.Duration, cfg.Slots, cfg.UserID = tc.duration, tc.slots, "conformance-user"
			rep := conformance.Run(context.Background(), cfg)
			var out bytes.Buffer
			if err := rep.Write(&out); err != nil {
				t.Fatal(err)
			}
			t.Log("\n" + out.String())
			if !rep.OK() {
				t.Fatalf("checks failed:\n%s", out.String())
			}
			want := []string{"health", "auth", "malformed", "unknown-merchant", "unknown-booking", "availability", "create",
				"idempotent-replay", "list", "status", "reschedule", "cancel", "cancel-again"}
			if len(rep.Results) != len(want) {
				t.Fatalf("%d results, want %d", len(rep.Results), len(want))
			}
			for i, r := range rep.Results {
				if r.Name != want[i] {
					t.Errorf("check %d is %q, want %q", i, r.Name, want[i])
				}
			}
			if !strings.Contains(out.String(), "13 checks: 13 passed, 0 failed. All checks pass!") {
				t.Errorf("summary line missing:\n%s", out.String())
			}
			all, err := store.BookingsByUser(context.Background(), "conformance-user", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range all {
				if b.Status != booking.StatusCancelled || b.Source != booking.SourceActionsCenter {
					t.Errorf("booking %s left %s (source %s)", b.ID, b.Status, b.Source)
				}
			}
			if len(all) != tc.slots {
				t.Errorf("%d bookings recorded, want %d, all cancelled", len(all), tc.slots)
			}
		})
	}
}

// TestDetectsBrokenServers checks that the client fails the checks a faulty server breaks.
func TestDetectsBrokenServers(t *testing.T) {
	tests := []struct {
		name   string
		wrap   func(http.Handler) http.Handler
		failed []string
	}{
		{"no authentication", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.SetBasicAuth(creds[0].User, creds[0].Password)
				h.ServeHTTP(w, r)
			})
		}, []string{"auth"}},
		{"no idempotency", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/v3/CreateBooking") {
					var buf bytes.Buffer
					_, _ = buf.ReadFrom(r.Body)
					body := strings.Replace(buf.String(), `"idempotency_token":"`, `"idempotency_token":"`+time.Now().Format("150405.000000000"), 1)
					r.Body = readCloser{strings.NewReader(body)}
					r.ContentLength = int64(len(body))
				}
				h.ServeHTTP(w, r)
			})
		}, []string{"idempotent-replay"}},
		{"down", func(http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
		}, []string{"health", "auth", "malformed", "unknown-merchant", "unknown-booking", "availability", "create",
			"idempotent-replay", "list", "status", "reschedule", "cancel", "cancel-again"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, _ := ownServer(t, tc.wrap)
			cfg := config(ts.URL)
			cfg.Slots = 3
			rep := conformance.Run(context.Background(), cfg)
			var failed []string
			for _, r := range rep.Results {
				if !r.Passed {
					failed = append(failed, r.Name)
				}
			}
			if strings.Join(failed, ",") != strings.Join(tc.failed, ",") {
				var out bytes.Buffer
				_ = rep.Write(&out)
				t.Errorf("failed checks %v, want %v\n%s", failed, tc.failed, out.String())
			}
			if rep.OK() {
				t.Error("report OK for a broken server")
			}
		})
	}
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

func TestReadCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		content, user, pass string
		ok                  bool
	}{
		{"google:s3cret\n", "google", "s3cret", true},
		{"google:pa:ss\r\n", "google", "pa:ss", true},
		{"  user:pw  ", "user", "pw", true},
		{"nocolon\n", "", "", false},
		{":pw", "", "", false},
		{"", "", "", false},
	}
	for i, tc := range tests {
		p := filepath.Join(dir, "cred"+string(rune('a'+i)))
		if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		u, pw, err := conformance.ReadCredentialsFile(p)
		if (err == nil) != tc.ok || u != tc.user || pw != tc.pass {
			t.Errorf("%q: got %q %q %v", tc.content, u, pw, err)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("error echoes the secret: %v", err)
		}
	}
	if _, _, err := conformance.ReadCredentialsFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file accepted")
	}
}
