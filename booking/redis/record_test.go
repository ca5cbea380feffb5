package redis

import (
	"testing"

	"github.com/reservations/reservations/booking"
)

func TestBookingRecordRoundTrip(t *testing.T) {
	tests := []struct {
		name, user, day string
		version         int64
	}{
		{"plain", "u1", "2026-11-22", 3},
		{"no user", "", "2026-11-22", 1},
		{"user with separators", "a b\nc 12 7\n", "2026-01-02", 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &booking.Booking{Version: tt.version, Day: tt.day, Customer: booking.Customer{UserID: tt.user}}
			js := `{"id":"b1"}`
			rec := string(bookingRecord(b, []byte(js)))
			got, err := bookingJSON(rec)
			if err != nil || got != js {
				t.Fatalf("bookingJSON(%q) = %q, %v; want %q", rec, got, err, js)
			}
		})
	}
}

func TestBookingJSONMalformed(t *testing.T) {
	for _, rec := range []string{"", `{"id":"b1"}`, "1 x 2\nab{}", "1 5 5\nab", "1 -1 2\nabc"} {
		if got, err := bookingJSON(rec); err == nil {
			t.Errorf("bookingJSON(%q) = %q, nil; want an error", rec, got)
		}
	}
}

func TestIdempotencyJSON(t *testing.T) {
	if got, err := idempotencyJSON("1700000000000\n{\"key\":\"k\"}"); err != nil || got != `{"key":"k"}` {
		t.Errorf("idempotencyJSON = %q, %v", got, err)
	}
	if _, err := idempotencyJSON(`{"key":"k"}`); err == nil {
		t.Error("idempotencyJSON without head: want an error")
	}
}

// FuzzBookingJSON: a stored record of any shape never panics, and a well-formed one gives back its JSON.
func FuzzBookingJSON(f *testing.F) {
	f.Add("1 2 10\nu12026-01-01{}")
	f.Add("1 999 1\nx")
	f.Add("\n")
	f.Fuzz(func(t *testing.T, rec string) {
		_, _ = bookingJSON(rec)
		b := &booking.Booking{Version: 1, Day: "2026-01-01", Customer: booking.Customer{UserID: rec}}
		if got, err := bookingJSON(string(bookingRecord(b, []byte(rec)))); err != nil || got != rec {
			t.Fatalf("round trip of %q = %q, %v", rec, got, err)
		}
	})
}

func TestOutboxMember(t *testing.T) {
	tests := []struct {
		seq  int64
		want string
	}{
		{0, "b1\x0000000000000000000000\x00e"},
		{1, "b1\x0000000000000000000001\x00e"},
		{12345, "b1\x0000000000000000012345\x00e"},
		{9223372036854775807, "b1\x0009223372036854775807\x00e"},
	}
	for _, tt := range tests {
		if got := outboxMember(&booking.OutboxEntry{ID: "e", BookingID: "b1", Seq: tt.seq}); got != tt.want {
			t.Errorf("outboxMember(seq %d) = %q, want %q", tt.seq, got, tt.want)
		}
	}
}
