package redis

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
)

// BenchmarkDecodeBooking measures decoding a stored booking with encoding/json and through the Store's cache of
// decoded bookings (a hit).
func BenchmarkDecodeBooking(b *testing.B) {
	js, _ := json.Marshal(newBooking("b1", "m", "u1", time.Date(2030, 3, 14, 19, 0, 0, 0, time.UTC), 2))
	s := string(js)
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			var v booking.Booking
			if err := json.Unmarshal([]byte(s), &v); err != nil {
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
