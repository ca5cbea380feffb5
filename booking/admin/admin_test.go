package admin_test

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
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/admin"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/httpauth"
	"github.com/reservations/reservations/orders"
	"github.com/reservations/reservations/orders/orderstest"
)

var la = func() *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		panic(err)
	}
	return loc
}()

// downStore fails every read and write as an unreachable store would, once down is set.
type downStore struct {
	booking.Store
	down bool
}

var errDown = errors.New("dial tcp 127.0.0.1:6379: connection refused")

func (s *downStore) Booking(ctx context.Context, id string) (booking.Booking, error) {
	if s.down {
		return booking.Booking{}, errDown
	}
	return s.Store.Booking(ctx, id)
}

func (s *downStore) BookingsByDay(ctx context.Context, merchantID, day string) ([]booking.Booking, error) {
	if s.down {
		return nil, errDown
	}
	return s.Store.BookingsByDay(ctx, merchantID, day)
}

type fixture struct {
	t     *testing.T
	core  *booking.Core
	store *downStore
	srv   *httptest.Server
	n     int
}

// newFixture serves the admin API under /admin/v1 behind basic auth (staff:secret), as cmd mounts it, over the
// sample merchant and a copy of it that confirms bookings by hand.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	inv := booking.SampleInventory()
	manual := inv.Merchants[0]
	manual.ID, manual.Name = "manual-bistro", "Manual Bistro"
	manual.Policy.ManualConfirm = true
	inv.Merchants = append(inv.Merchants, manual)
	st := &downStore{Store: memory.New()}
	core, err := booking.NewService(booking.Config{Store: st, Inventory: inv})
	if err != nil {
		t.Fatal(err)
	}
	creds, err := httpauth.ParseCredentials("staff:secret")
	if err != nil {
		t.Fatal(err)
	}
	api := admin.New(core, st).WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(httpauth.Basic("reservations admin", creds...)(api))
	t.Cleanup(srv.Close)
	return &fixture{t: t, core: core, store: st, srv: srv}
}

// day is the local date two days from now, and at its local time hh:mm.
func day() string { return time.Now().In(la).AddDate(0, 0, 2).Format(time.DateOnly) }

func at(hhmm string) time.Time {
	d, _ := time.ParseInLocation(time.DateOnly+" 15:04", day()+" "+hhmm, la)
	return d
}

// book makes a booking at hh:mm for party guests; google makes it an Assistant booking with a Google order.
func (f *fixture) book(merchant, hhmm string, party int, google bool) booking.Booking {
	f.t.Helper()
	f.n++
	user := fmt.Sprintf("user-%d", f.n)
	ctx := context.Background()
	h, err := f.core.PlaceHold(ctx, booking.HoldRequest{MerchantID: merchant, Start: at(hhmm), PartySize: party, UserID: user})
	if err != nil {
		f.t.Fatalf("hold: %v", err)
	}
	req := booking.ConfirmRequest{MerchantID: merchant, HoldID: h.ID, Source: booking.SourceConversation,
		Customer: booking.Customer{Name: "Grace Hopper", Email: "grace@example.com", UserID: user}}
	if google {
		req.Source, req.GoogleOrderID = booking.SourceAssistant, "G-"+h.ID
	}
	b, err := f.core.ConfirmHold(ctx, req)
	if err != nil {
		f.t.Fatalf("confirm: %v", err)
	}
	return b
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (f *fixture) do(method, path, body string, hdr ...string) response {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	req.SetBasicAuth("staff", "secret")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

func wantError(t *testing.T, r response, status int, reason, message string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	got := decode[map[string]any](t, r)
	want := map[string]any{"error": map[string]any{"code": float64(status), "reason": reason, "message": message, "requestId": ""}}
	if message == "" { // only the code and reason are fixed
		if e, ok := got["error"].(map[string]any); ok {
			want["error"].(map[string]any)["message"] = e["message"]
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body %s, want %v", r.body, want)
	}
}

func TestAuthRequired(t *testing.T) {
	f := newFixture(t)
	b := f.book("sample-bistro", "18:00", 2, false)
	for _, tc := range []struct{ method, path, user, pass string }{
		{"GET", "/admin/v1/merchants", "", ""},
		{"GET", "/admin/v1/bookings?date=" + day(), "", ""},
		{"GET", "/admin/v1/bookings/" + b.ID, "staff", "wrong"},
		{"POST", "/admin/v1/bookings/" + b.ID + "/status", "other", "secret"},
		{"POST", "/admin/v1/bookings/" + b.ID + "/reschedule", "", ""},
	} {
		req, _ := http.NewRequest(tc.method, f.srv.URL+tc.path, strings.NewReader(`{"status":"CANCELLED"}`))
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("%s %s as %q: %d %q, want 401 with a Basic challenge", tc.method, tc.path, tc.user, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
	if got, _ := f.core.Booking(context.Background(), b.ID); got.Status != booking.StatusConfirmed {
		t.Errorf("an unauthenticated request changed the booking to %s", got.Status)
	}
}

func TestListDay(t *testing.T) {
	f := newFixture(t)
	a := f.book("sample-bistro", "18:00", 2, false)
	b := f.book("sample-bistro", "17:30", 4, true)
	c := f.book("sample-bistro", "19:00", 2, false)
	f.book("manual-bistro", "18:00", 2, false)
	if _, err := f.core.SetStatus(context.Background(), booking.StatusRequest{BookingID: c.ID, Status: booking.StatusCancelled}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"default merchant, by start", "date=" + day(), []string{b.ID, a.ID, c.ID}},
		{"status filter", "date=" + day() + "&status=CONFIRMED", []string{b.ID, a.ID}},
		{"status list", "date=" + day() + "&status=cancelled,NO_SHOW", []string{c.ID}},
		{"named merchant", "merchant=sample-bistro&date=" + day(), []string{b.ID, a.ID, c.ID}},
		{"another day", "date=2030-01-01", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do("GET", "/admin/v1/bookings?"+tt.query, "")
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			v := decode[admin.DayView](t, r)
			got := []string{}
			for _, x := range v.Bookings {
				got = append(got, x.ID)
			}
			if !reflect.DeepEqual(got, tt.want) || v.MerchantID != "sample-bistro" {
				t.Errorf("merchant %s bookings %v, want %v", v.MerchantID, got, tt.want)
			}
		})
	}
	// camelCase wire names, customer included for staff.
	r := f.do("GET", "/admin/v1/bookings?date="+day()+"&status=CONFIRMED", "")
	raw := decode[map[string]any](t, r)
	first := raw["bookings"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "confirmationCode", "merchantId", "serviceId", "partySize", "start", "end", "status", "version", "customer", "googleOrderId"} {
		if _, ok := first[k]; !ok {
			t.Errorf("booking JSON lacks %q: %v", k, first)
		}
	}
	if raw["merchantId"] != "sample-bistro" || raw["date"] != day() {
		t.Errorf("envelope %v", raw)
	}
	t.Run("manual merchant", func(t *testing.T) {
		v := decode[admin.DayView](t, f.do("GET", "/admin/v1/bookings?merchant=manual-bistro&date="+day(), ""))
		if len(v.Bookings) != 1 || v.Bookings[0].Status != booking.StatusPending {
			t.Errorf("bookings %+v, want one PENDING", v.Bookings)
		}
	})
}

func TestListDayErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		query  string
		status int
		reason string
		msg    string
	}{
		{"", 400, "INVALID_ARGUMENT", "date is required (YYYY-MM-DD)"},
		{"date=17/01/2026", 400, "INVALID_ARGUMENT", `date "17/01/2026" is not YYYY-MM-DD`},
		{"date=2026-02-30", 400, "INVALID_ARGUMENT", `date "2026-02-30" is not YYYY-MM-DD`},
		{"date=2026-01-17&status=LATE", 400, "INVALID_ARGUMENT", `unknown status "LATE"`},
		{"merchant=nope&date=2026-01-17", 404, "NOT_FOUND", `unknown merchant "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			wantError(t, f.do("GET", "/admin/v1/bookings?"+tt.query, ""), tt.status, tt.reason, tt.msg)
		})
	}
}

func TestGetBookingWithUpdates(t *testing.T) {
	f := newFixture(t)
	g := f.book("sample-bistro", "18:00", 2, true)
	if _, err := f.core.SetStatus(context.Background(), booking.StatusRequest{BookingID: g.ID, Status: booking.StatusCancelled, Reason: "Closed"}); err != nil {
		t.Fatal(err)
	}
	r := f.do("GET", "/admin/v1/bookings/"+g.ID, "")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	v := decode[admin.BookingView](t, r)
	if v.ID != g.ID || v.Status != booking.StatusCancelled || v.Version != 2 || len(v.Updates) != 2 {
		t.Fatalf("view %+v", v)
	}
	want := []struct {
		kind   booking.ChangeKind
		seq    int64
		state  booking.DeliveryState
		google string
	}{
		{booking.ChangeCreated, 1, booking.DeliveryPending, admin.GoogleNotApplicable},
		{booking.ChangeStatus, 2, booking.DeliveryPending, admin.GoogleQueued},
	}
	for i, w := range want {
		u := v.Updates[i]
		if u.Kind != w.kind || u.Seq != w.seq || u.State != w.state || u.Google != w.google || u.Attempts != 0 {
			t.Errorf("update %d = %+v, want %+v", i, u, w)
		}
	}
	raw := decode[map[string]any](t, r)
	u := raw["updates"].([]any)[1].(map[string]any)
	for _, k := range []string{"kind", "seq", "state", "attempts", "google", "createdAt", "status"} {
		if _, ok := u[k]; !ok {
			t.Errorf("update JSON lacks %q: %v", k, u)
		}
	}
	if _, ok := u["deliveredAt"]; ok {
		t.Errorf("an undelivered update has deliveredAt: %v", u)
	}
	wantError(t, f.do("GET", "/admin/v1/bookings/nope", ""), 404, "NOT_FOUND", `no booking "nope"`)
}

func TestSetStatus(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	t.Run("confirm a pending booking", func(t *testing.T) {
		p := f.book("manual-bistro", "18:00", 2, false)
		r := f.do("POST", "/admin/v1/bookings/"+p.ID+"/status", `{"status":"CONFIRMED","version":1}`)
		if r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		got := decode[booking.Booking](t, r)
		if got.Status != booking.StatusConfirmed || got.Version != 2 {
			t.Errorf("answer %+v", got)
		}
		stored, _ := f.core.Booking(ctx, p.ID)
		es, _ := f.store.OutboxByBooking(ctx, p.ID)
		if stored.Status != booking.StatusConfirmed || len(es) != 2 || es[1].Kind != booking.ChangeStatus || es[1].Booking.Status != booking.StatusConfirmed {
			t.Errorf("stored %s with outbox %+v", stored.Status, es)
		}
	})
	for _, to := range []booking.Status{booking.StatusFulfilled, booking.StatusNoShow, booking.StatusCancelled} {
		t.Run(string(to), func(t *testing.T) {
			b := f.book("sample-bistro", "19:00", 2, false)
			r := f.do("POST", "/admin/v1/bookings/"+b.ID+"/status", `{"status":"`+string(to)+`","reason":"staff"}`)
			if r.status != 200 || decode[booking.Booking](t, r).Status != to {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
		})
	}
	t.Run("reject a pending booking", func(t *testing.T) {
		p := f.book("manual-bistro", "19:00", 2, false)
		if r := f.do("POST", "/admin/v1/bookings/"+p.ID+"/status", `{"status":"rejected"}`); r.status != 200 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	})

	b := f.book("sample-bistro", "20:00", 2, false)
	cancelled := f.book("sample-bistro", "20:15", 2, false)
	if _, err := f.core.SetStatus(ctx, booking.StatusRequest{BookingID: cancelled.ID, Status: booking.StatusCancelled}); err != nil {
		t.Fatal(err)
	}
	big := `{"status":"CANCELLED","reason":"` + strings.Repeat("x", admin.MaxBodyBytes) + `"}`
	tests := []struct {
		name   string
		id     string
		body   string
		status int
		reason string
		msg    string
	}{
		{"illegal transition", cancelled.ID, `{"status":"CONFIRMED"}`, 409, "ILLEGAL_TRANSITION", "cannot change a booking from CANCELLED to CONFIRMED"},
		{"stale version", b.ID, `{"status":"CANCELLED","version":7}`, 409, "VERSION_MISMATCH", "the booking is at version 1, not 7"},
		{"unknown booking", "nope", `{"status":"CANCELLED"}`, 404, "NOT_FOUND", "no such booking"},
		{"malformed JSON", b.ID, `{"status":`, 400, "INVALID_ARGUMENT", ""},
		{"empty body", b.ID, ``, 400, "INVALID_ARGUMENT", "malformed JSON body: empty body"},
		{"unknown field", b.ID, `{"status":"CANCELLED","when":"now"}`, 400, "INVALID_ARGUMENT", `malformed JSON body: json: unknown field "when"`},
		{"wrong type", b.ID, `{"status":5}`, 400, "INVALID_ARGUMENT", ""},
		{"trailing data", b.ID, `{"status":"CANCELLED"} {}`, 400, "INVALID_ARGUMENT", "malformed JSON body: unexpected data after the JSON object"},
		{"status staff cannot set", b.ID, `{"status":"CHANGE_REQUESTED"}`, 400, "INVALID_ARGUMENT", `status must be one of CONFIRMED, FULFILLED, NO_SHOW, CANCELLED, REJECTED, not "CHANGE_REQUESTED"`},
		{"version zero", b.ID, `{"status":"CANCELLED","version":0}`, 400, "INVALID_ARGUMENT", "version must be ≥ 1"},
		{"body over 64 KiB", b.ID, big, 413, "INVALID_ARGUMENT", "request body is larger than 65536 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, f.do("POST", "/admin/v1/bookings/"+tt.id+"/status", tt.body), tt.status, tt.reason, tt.msg)
		})
	}
	if got, _ := f.core.Booking(ctx, b.ID); got.Version != 1 || got.Status != booking.StatusConfirmed {
		t.Errorf("failed requests changed the booking: %+v", got)
	}
}

func TestIdempotencyKey(t *testing.T) {
	f := newFixture(t)
	b := f.book("sample-bistro", "18:00", 2, false)
	first := f.do("POST", "/admin/v1/bookings/"+b.ID+"/status", `{"status":"CANCELLED"}`, "Idempotency-Key", "k-1")
	again := f.do("POST", "/admin/v1/bookings/"+b.ID+"/status", `{"status":"CANCELLED"}`, "Idempotency-Key", "k-1")
	if first.status != 200 || again.status != 200 || !bytes.Equal(first.body, again.body) {
		t.Errorf("replay: %d %s / %d %s", first.status, first.body, again.status, again.body)
	}
	if es, _ := f.store.OutboxByBooking(context.Background(), b.ID); len(es) != 2 {
		t.Errorf("%d outbox entries, want 2 (one change)", len(es))
	}
	// Without the key, the same request is a new one and the transition is illegal.
	wantError(t, f.do("POST", "/admin/v1/bookings/"+b.ID+"/status", `{"status":"CANCELLED"}`), 409, "ILLEGAL_TRANSITION", "")
}

func TestReschedule(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	b := f.book("sample-bistro", "18:00", 2, true)
	newStart := at("19:30")
	r := f.do("POST", "/admin/v1/bookings/"+b.ID+"/reschedule",
		`{"start":"`+newStart.Format(time.RFC3339)+`","partySize":5,"version":1,"reason":"guest called"}`)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	got := decode[booking.Booking](t, r)
	if !got.Start.Equal(newStart) || got.PartySize != 5 || got.Version != 2 || !got.End.Equal(newStart.Add(90*time.Minute)) {
		t.Errorf("answer %+v", got)
	}
	es, _ := f.store.OutboxByBooking(ctx, b.ID)
	if len(es) != 2 || es[1].Kind != booking.ChangeReschedule || es[1].Reason != "guest called" {
		t.Errorf("outbox %+v", es)
	}

	// Fill 20:00 (40 covers, 5 of them already taken by the moved booking) so that moving there is refused.
	for range 4 {
		f.book("sample-bistro", "20:00", 8, false)
	}
	f.book("sample-bistro", "20:00", 3, false)
	other := f.book("sample-bistro", "17:00", 2, false)
	tests := []struct {
		name   string
		id     string
		body   string
		status int
		reason string
		msg    string
	}{
		{"slot full", other.ID, `{"start":"` + at("20:00").Format(time.RFC3339) + `"}`, 409, "SLOT_UNAVAILABLE", ""},
		{"off the grid", other.ID, `{"start":"` + at("20:07").Format(time.RFC3339) + `"}`, 409, "SLOT_UNAVAILABLE", ""},
		{"stale version", b.ID, `{"start":"` + at("17:15").Format(time.RFC3339) + `","version":1}`, 409, "VERSION_MISMATCH", "the booking is at version 2, not 1"},
		{"unknown booking", "nope", `{"start":"` + at("17:15").Format(time.RFC3339) + `"}`, 404, "NOT_FOUND", "no such booking"},
		{"bad start", other.ID, `{"start":"tomorrow at 7"}`, 400, "INVALID_ARGUMENT", `start "tomorrow at 7" is not an RFC 3339 time`},
		{"no start", other.ID, `{"partySize":3}`, 400, "INVALID_ARGUMENT", "start is required (RFC 3339)"},
		{"party too big", other.ID, `{"start":"` + at("17:15").Format(time.RFC3339) + `","partySize":9}`, 400, "INVALID_ARGUMENT", ""},
		{"party zero", other.ID, `{"start":"` + at("17:15").Format(time.RFC3339) + `","partySize":0}`, 400, "INVALID_ARGUMENT", "partySize must be ≥ 1"},
		{"malformed", other.ID, `[`, 400, "INVALID_ARGUMENT", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, f.do("POST", "/admin/v1/bookings/"+tt.id+"/reschedule", tt.body), tt.status, tt.reason, tt.msg)
		})
	}
	if got, _ := f.core.Booking(ctx, other.ID); got.Version != 1 || !got.Start.Equal(at("17:00")) {
		t.Errorf("refused reschedules changed the booking: %+v", got)
	}
}

func TestStoreDownIs503(t *testing.T) {
	f := newFixture(t)
	b := f.book("sample-bistro", "18:00", 2, false)
	f.store.down = true
	defer func() { f.store.down = false }()
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/admin/v1/bookings?date=" + day(), ""},
		{"GET", "/admin/v1/bookings/" + b.ID, ""},
		{"POST", "/admin/v1/bookings/" + b.ID + "/status", `{"status":"CANCELLED"}`},
		{"POST", "/admin/v1/bookings/" + b.ID + "/reschedule", `{"start":"` + at("19:00").Format(time.RFC3339) + `"}`},
	} {
		r := f.do(tc.method, tc.path, tc.body)
		wantError(t, r, 503, "UNAVAILABLE", "the booking store is not available; try again")
		if strings.Contains(string(r.body), "6379") {
			t.Errorf("503 leaks the infrastructure error: %s", r.body)
		}
	}
}

// TestStaffChangeReachesGoogle: a staff cancellation writes an outbox entry that the orders worker delivers to
// the (fake) Orders API, and the booking's view then shows the update as SENT.
func TestStaffChangeReachesGoogle(t *testing.T) {
	f := newFixture(t)
	b := f.book("sample-bistro", "18:00", 2, true)
	if r := f.do("POST", "/admin/v1/bookings/"+b.ID+"/status", `{"status":"CANCELLED","reason":"Kitchen flooded"}`); r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	fake := orderstest.NewTB(t, orderstest.Config{})
	creds, err := orders.ParseCredentials(fake.ServiceAccountJSON())
	if err != nil {
		t.Fatal(err)
	}
	client, err := orders.NewClient(orders.ClientConfig{BaseURL: fake.URL, TokenSource: orders.NewTokenSource(creds, orders.TokenConfig{})})
	if err != nil {
		t.Fatal(err)
	}
	w := orders.NewWorker(orders.WorkerConfig{Core: f.core, Store: f.store, Client: client, Sandbox: true, PollInterval: 20 * time.Millisecond,
		FulfillEvery: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	ok := fake.WaitUpdates(1, 5*time.Second)
	// The view shows SENT once the worker acknowledged the update.
	var v admin.BookingView
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		v = decode[admin.BookingView](t, f.do("GET", "/admin/v1/bookings/"+b.ID, ""))
		if v.Updates[1].Google == admin.GoogleSent {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatal("the worker sent nothing")
	}
	u := fake.UpdatesFor(b.ID)
	if len(u) != 1 || u[0].Status != "CANCELLED" || u[0].Reason != "Kitchen flooded" || u[0].Notification == nil {
		t.Errorf("fake received %+v", u)
	}
	if got := v.Updates[1]; got.Google != admin.GoogleSent || got.State != booking.DeliveryDelivered || got.DeliveredAt.IsZero() || got.Attempts != 1 {
		t.Errorf("view of the update %+v, want SENT and DELIVERED", got)
	}
}

func TestListMerchants(t *testing.T) {
	f := newFixture(t)
	r := f.do("GET", "/admin/v1/merchants", "")
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	want := `{"merchants":[{"id":"sample-bistro","name":"Sample Bistro","timeZone":"America/Los_Angeles"},` +
		`{"id":"manual-bistro","name":"Manual Bistro","timeZone":"America/Los_Angeles"}]}`
	if string(r.body) != want {
		t.Errorf("body %s\nwant %s", r.body, want)
	}
}

// TestUnrouted checks that a path the API does not serve, and a method a path does not take, answer the JSON
// error body rather than ServeMux's text.
func TestUnrouted(t *testing.T) {
	f := newFixture(t)
	wantError(t, f.do("GET", "/admin/v1/nope", ""), 404, "NOT_FOUND", "not found")
	r := f.do("DELETE", "/admin/v1/bookings/b1", "")
	wantError(t, r, 405, "UNIMPLEMENTED", "method not allowed")
	if got := r.header.Get("Allow"); got != "GET" {
		t.Errorf("Allow = %q, want GET", got)
	}
	wantError(t, f.do("GET", "/admin/v1/bookings/b1/status", ""), 405, "UNIMPLEMENTED", "method not allowed")
}
