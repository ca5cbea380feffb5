package admin_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/admin"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/httperr"
)

// fuzzNow and fuzzStart are the Actions Center reference sample's clock and slot (merchant 1234, service 5678
// of booking/actionscenter/testdata/inventory.json), which the seed corpus's bodies are written against.
var (
	fuzzNow   = time.Date(2020, 11, 26, 9, 30, 0, 0, time.UTC)
	fuzzStart = time.Unix(1606467600, 0).UTC()
)

// FuzzAdminRequest posts arbitrary bodies as staff status changes (route 0) and reschedules (route 1) of a
// fresh booking, or of an unknown one (routes 2 and 3), through the real handler over the memory store. The API
// must never panic nor answer 5xx; a 200 is the booking, anything else the one JSON error body with its status.
func FuzzAdminRequest(f *testing.F) {
	inv, err := booking.LoadInventoryFile(filepath.Join("..", "actionscenter", "testdata", "inventory.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(0), []byte(`{"status":"cancelled","reason":" no longer needed "}`))
	f.Add(uint8(1), []byte(`{"start":"2020-11-27T10:30:00Z","partySize":0}`))
	f.Add(uint8(1), []byte(`{"start":"2020-11-27T10:30:00+25:00","version":-1}`))
	f.Add(uint8(0), []byte(`{"status":"CANCELLED"} {}`))
	f.Add(uint8(0), []byte(`{"status":"CANCELLED","extra":1}`))
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		st := memory.New()
		core, err := booking.NewService(booking.Config{Store: st, Inventory: inv, Now: func() time.Time { return fuzzNow }})
		if err != nil {
			t.Fatal(err)
		}
		b, err := core.CreateBooking(t.Context(), booking.CreateRequest{MerchantID: "1234", Start: fuzzStart, PartySize: 2,
			Customer: booking.Customer{Name: "John Smith"}, Source: booking.SourceAdmin})
		if err != nil {
			t.Fatal(err)
		}
		id := b.ID
		if route&2 != 0 {
			id = "no-such-booking"
		}
		path := admin.Prefix + "/bookings/" + id + "/status"
		if route&1 != 0 {
			path = admin.Prefix + "/bookings/" + id + "/reschedule"
		}
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		admin.New(core, st).WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))).ServeHTTP(w, req)
		checkAdminAnswer(t, w, id, body)
	})
}

// checkAdminAnswer fails unless the answer is 200 with the booking id, or a 4xx with the JSON error body.
func checkAdminAnswer(t *testing.T, w *httptest.ResponseRecorder, id string, body []byte) {
	t.Helper()
	if w.Code == http.StatusOK {
		var got booking.Booking
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.ID != id {
			t.Fatalf("200 for %q is not booking %s: %s (%v)", body, id, w.Body.Bytes(), err)
		}
		return
	}
	if w.Code < 400 || w.Code > 499 {
		t.Fatalf("HTTP %d for %q: %s", w.Code, body, w.Body.Bytes())
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("HTTP %d for %q: Content-Type %q", w.Code, body, ct)
	}
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	var e httperr.Body
	if err := dec.Decode(&e); err != nil || dec.More() {
		t.Fatalf("HTTP %d for %q: not the JSON error body (%v): %s", w.Code, body, err, w.Body.Bytes())
	}
	if e.Error.Code != w.Code || e.Error.Reason == "" || e.Error.Message == "" {
		t.Fatalf("HTTP %d for %q: error body %+v", w.Code, body, e)
	}
}
