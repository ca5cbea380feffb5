package actionscenter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/actionscenter"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/httpauth"
	"github.com/reservations/reservations/internal/testsupport"
)

// The test credentials: two current pairs (during a rotation) and the retired one.
var (
	credNew = httpauth.Credential{User: "google", Password: "new-secret"}
	credCur = httpauth.Credential{User: "google", Password: "current-secret"}
	credOld = httpauth.Credential{User: "google", Password: "retired-secret"}
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// refNow is the test clock's start: the day before the reference's sample slot (2020-11-27 09:00 UTC).
var refNow = time.Date(2020, 11, 26, 9, 30, 0, 0, time.UTC)

// env is a booking server over a store with a controllable clock and predictable ids.
type env struct {
	t     testing.TB
	core  *booking.Core
	store booking.Store
	clock *testsupport.Clock
	h     http.Handler
	logs  *testsupport.LogBuffer
}

type envOptions struct {
	store     booking.Store
	inventory *booking.Inventory
	ids       []string // booking ids handed out first, then id-N
	realClock bool
}

func testInventory(t testing.TB) *booking.Inventory {
	t.Helper()
	inv, err := booking.LoadInventoryFile(filepath.Join("testdata", "inventory.json"))
	if err != nil {
		t.Fatalf("load test inventory: %v", err)
	}
	return inv
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	if o.store == nil {
		o.store = memory.New()
	}
	if o.inventory == nil {
		o.inventory = testInventory(t)
	}
	clk := testsupport.NewClock(refNow)
	var mu sync.Mutex
	n := 0
	cfg := booking.Config{Store: o.store, Inventory: o.inventory, NewID: func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n <= len(o.ids) {
			return o.ids[n-1]
		}
		return fmt.Sprintf("id-%d", n)
	}}
	if !o.realClock {
		cfg.Now = clk.Now
	}
	core, err := booking.NewService(cfg)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	logs := &testsupport.LogBuffer{}
	srv := actionscenter.New(core, o.store, actionscenter.Options{
		Credentials: []httpauth.Credential{credCur, credNew},
		Logger:      slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	return &env{t: t, core: core, store: o.store, clock: clk, h: srv, logs: logs}
}

// do sends a request with the given credentials (nil: none) and returns the status and body.
func (e *env) do(method, path, body string, cred *httpauth.Credential) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if cred != nil {
		req.SetBasicAuth(cred.User, cred.Password)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes()
}

// post sends body to /v3/rpc/ with valid credentials.
func (e *env) post(rpc, body string) (int, []byte) {
	e.t.Helper()
	return e.do(http.MethodPost, "/v3/"+rpc+"/", body, &credCur)
}

// postOK sends body and fails the test unless the answer is 200.
func (e *env) postOK(rpc, body string) []byte {
	e.t.Helper()
	code, resp := e.post(rpc, body)
	if code != http.StatusOK {
		e.t.Fatalf("%s: HTTP %d, want 200: %s", rpc, code, resp)
	}
	return resp
}

func fixture(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return string(data)
}

// jsonEqual fails the test unless got and want are the same JSON value. Failure descriptions are for
// debugging only and are not compared (want must not have one; got must have a non-empty one).
func jsonEqual(t testing.TB, what string, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: response is not JSON: %v: %s", what, err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: expectation is not JSON: %v", what, err)
	}
	if m, ok := g.(map[string]any); ok {
		if f, ok := m["booking_failure"].(map[string]any); ok {
			if d, _ := f["description"].(string); d == "" {
				t.Errorf("%s: booking_failure has no description: %s", what, got)
			}
			delete(f, "description")
		}
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s:\n got %s\nwant %s", what, compact(got), compact([]byte(want)))
	}
}

func compact(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}

// failureCause returns the booking_failure cause of a 200 answer ("" when none).
func failureCause(t testing.TB, body []byte) actionscenter.FailureCause {
	t.Helper()
	var r actionscenter.CreateBookingResponse
	if err := actionscenter.Decode(body, &r); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if r.BookingFailure == nil {
		return ""
	}
	return r.BookingFailure.Cause
}

// bookingOf decodes the booking of a 200 answer, failing the test when there is none.
func bookingOf(t testing.TB, body []byte) *actionscenter.Booking {
	t.Helper()
	var r actionscenter.CreateBookingResponse
	if err := actionscenter.Decode(body, &r); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if r.Booking == nil {
		t.Fatalf("no booking in %s", body)
	}
	return r.Booking
}

// createBody is a CreateBooking request for the test merchant.
func createBody(token, user string, start time.Time, party int) string {
	return fmt.Sprintf(`{"idempotency_token":%q,"slot":{"merchant_id":"1234","service_id":"5678","start_sec":"%d","duration_sec":"1800","resources":{"party_size":%d}},"user_information":{"user_id":%q,"given_name":"Ada","family_name":"Lovelace","email":"ada@example.com","telephone":"+44 20 7946 0000"}}`,
		token, start.Unix(), party, user)
}

// flakyStore is a Store that fails every call while down is set, as an unreachable database does.
type flakyStore struct {
	booking.Store
	down atomic.Bool
}

var errStoreDown = errors.New("dial tcp 10.0.0.1:6379: connect: connection refused")

func (s *flakyStore) err() error {
	if s.down.Load() {
		return errStoreDown
	}
	return nil
}

func (s *flakyStore) Commit(ctx context.Context, m *booking.Mutation) error {
	if err := s.err(); err != nil {
		return err
	}
	return s.Store.Commit(ctx, m)
}

func (s *flakyStore) Allocations(ctx context.Context, merchantID, serviceID string, from, to time.Time) ([]booking.Allocation, error) {
	if err := s.err(); err != nil {
		return nil, err
	}
	return s.Store.Allocations(ctx, merchantID, serviceID, from, to)
}

func (s *flakyStore) Booking(ctx context.Context, id string) (booking.Booking, error) {
	if err := s.err(); err != nil {
		return booking.Booking{}, err
	}
	return s.Store.Booking(ctx, id)
}

func (s *flakyStore) Hold(ctx context.Context, merchantID, id string) (booking.Hold, error) {
	if err := s.err(); err != nil {
		return booking.Hold{}, err
	}
	return s.Store.Hold(ctx, merchantID, id)
}

func (s *flakyStore) BookingsByUser(ctx context.Context, userID string, since time.Time) ([]booking.Booking, error) {
	if err := s.err(); err != nil {
		return nil, err
	}
	return s.Store.BookingsByUser(ctx, userID, since)
}

func (s *flakyStore) BookingsByDay(ctx context.Context, merchantID, day string) ([]booking.Booking, error) {
	if err := s.err(); err != nil {
		return nil, err
	}
	return s.Store.BookingsByDay(ctx, merchantID, day)
}

func (s *flakyStore) Idempotency(ctx context.Context, merchantID, key string, now time.Time) (booking.IdempotencyRecord, bool, error) {
	if err := s.err(); err != nil {
		return booking.IdempotencyRecord{}, false, err
	}
	return s.Store.Idempotency(ctx, merchantID, key, now)
}

func (s *flakyStore) Ping(ctx context.Context) error {
	if err := s.err(); err != nil {
		return err
	}
	return s.Store.Ping(ctx)
}

func unix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }
