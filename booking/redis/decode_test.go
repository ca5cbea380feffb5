package redis

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
)

// decodeBoth decodes js with decodeJSON and with encoding/json into fresh values of T and fails on any
// difference in outcome.
func decodeBoth[T any](t *testing.T, js string) {
	t.Helper()
	var got, want T
	gotErr := decodeJSON(js, &got)
	wantErr := json.Unmarshal([]byte(js), &want)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("decode %q: decodeJSON error %v, encoding/json error %v", js, gotErr, wantErr)
	}
	if wantErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("decode %q:\n got %+v\nwant %+v", js, got, want)
	}
}

func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	start := time.Date(2030, 3, 14, 19, 0, 0, 0, time.UTC)
	bookings := []booking.Booking{
		*newBooking("b1", "m", "u1", start, 2),
		{ID: "b2", MerchantID: "m", ServiceID: "cut & colour", Customer: booking.Customer{Name: "Zoë <O'Brien> \"ZB\" 山田",
			Email: "zoe+tag@example.com", Phone: "+44 20 7946 0958", UserID: "\u2028odd\u2029"}, PartySize: 1,
			Start: start.Add(123 * time.Millisecond), End: start.Add(time.Hour), Day: "2030-03-14", Status: booking.StatusCancelled,
			Version: 7, Source: booking.SourceActionsCenter, GoogleOrderID: "g-1", Reason: "plans\nchanged\t\x01",
			CreatedAt: start.Add(-time.Hour), UpdatedAt: start.Add(-time.Minute)},
		{ID: "b3"}, // zero times and empty strings
	}
	for _, b := range bookings {
		js, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		decodeBoth[booking.Booking](t, string(js))
	}
	h := booking.Hold{ID: "h1", MerchantID: "m", ServiceID: "dinner", Start: start, End: start.Add(90 * time.Minute),
		PartySize: 3, UserID: "u", CreatedAt: start.Add(-time.Hour), ExpiresAt: start.Add(-45 * time.Minute)}
	js, _ := json.Marshal(h)
	decodeBoth[booking.Hold](t, string(js))
	// Records no store wrote: both decoders agree on refusing or accepting them.
	for _, js := range []string{``, `{`, `{"id":1}`, `{"start":"not a time"}`, `{"partySize":1e400}`, `{"id":"\ud800"}`, `null`} {
		decodeBoth[booking.Booking](t, js)
	}
}

// FuzzDecodeJSON: on any input decodeJSON never panics and agrees with encoding/json.
func FuzzDecodeJSON(f *testing.F) {
	js, _ := json.Marshal(newBooking("b1", "m", "u1", time.Date(2030, 3, 14, 19, 0, 0, 0, time.UTC), 2))
	f.Add(string(js))
	f.Add(`{"customer":{"name":"\u00e9"}}`)
	f.Fuzz(func(t *testing.T, js string) {
		decodeBoth[booking.Booking](t, js)
	})
}

// BenchmarkDecodeBooking compares decodeJSON with encoding/json on a stored booking.
func BenchmarkDecodeBooking(b *testing.B) {
	js, _ := json.Marshal(newBooking("b1", "m", "u1", time.Date(2030, 3, 14, 19, 0, 0, 0, time.UTC), 2))
	s := string(js)
	b.Run("decodeJSON", func(b *testing.B) {
		for b.Loop() {
			var v booking.Booking
			if err := decodeJSON(s, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		st := &Store{}
		for b.Loop() {
			if _, err := st.decodeBooking(s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			var v booking.Booking
			if err := json.Unmarshal([]byte(s), &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestDecodedBookingCache: a cached booking equals a fresh decode, a caller's change to its copy does not reach the
// cache, a changed record (a new version) decodes anew, and the cache stays bounded.
func TestDecodedBookingCache(t *testing.T) {
	st := &Store{}
	v1 := newBooking("b1", "m", "u1", time.Date(2030, 3, 14, 19, 0, 0, 0, time.UTC), 2)
	js1, _ := json.Marshal(v1)
	first, err := st.decodeBooking(string(js1))
	if err != nil {
		t.Fatal(err)
	}
	first.Customer.Name = "changed by a caller"
	again, err := st.decodeBooking(string(js1))
	if err != nil {
		t.Fatal(err)
	}
	var want booking.Booking
	if err := json.Unmarshal(js1, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, want) {
		t.Errorf("cached booking %+v, want %+v", again, want)
	}
	v2 := v1
	v2.Version, v2.Status, v2.PartySize = v1.Version+1, booking.StatusCancelled, 4
	js2, _ := json.Marshal(v2)
	got, err := st.decodeBooking(string(js2))
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != v2.Version || got.Status != booking.StatusCancelled || got.PartySize != 4 {
		t.Errorf("the new version decoded as %+v", got)
	}
	if _, err := st.decodeBooking(`{"id":`); err == nil {
		t.Error("a malformed record decoded")
	}
	for i := range bookingCacheMax + 10 {
		b := v1
		b.ID = fmt.Sprintf("b%d", i)
		js, _ := json.Marshal(b)
		if _, err := st.decodeBooking(string(js)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(st.decoded.m); n > bookingCacheMax {
		t.Errorf("cache holds %d bookings, bound %d", n, bookingCacheMax)
	}
}
