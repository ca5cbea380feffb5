package booking_test

import (
	"strings"
	"testing"

	"github.com/reservations/reservations/booking"
)

// TestNotesOnRequests: CreateBooking and ConfirmHold keep the request's notes on the booking and in its
// CREATED outbox entry; notes too long are refused and nothing is stored.
func TestNotesOnRequests(t *testing.T) {
	f := newFixture(t, monday, nil)
	b, err := f.core.CreateBooking(f.ctx, booking.CreateRequest{MerchantID: "sample-bistro", Start: lt(2026, 3, 3, "19:00"),
		PartySize: 2, Customer: booking.Customer{Name: "Ada"}, Source: booking.SourceAdmin, Notes: "birthday, window seat"})
	if err != nil || b.Notes != "birthday, window seat" {
		t.Fatalf("create: %+v, %v", b, err)
	}
	h, err := f.core.PlaceHold(f.ctx, booking.HoldRequest{MerchantID: "sample-bistro", Start: lt(2026, 3, 3, "20:00"), PartySize: 2})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.core.ConfirmHold(f.ctx, booking.ConfirmRequest{MerchantID: "sample-bistro", HoldID: h.ID,
		Customer: booking.Customer{Name: "Bo"}, Source: booking.SourceConversation, Notes: "high chair"})
	if err != nil || c.Notes != "high chair" {
		t.Fatalf("confirm: %+v, %v", c, err)
	}
	for _, want := range []booking.Booking{b, c} {
		stored, err := f.core.Booking(f.ctx, want.ID)
		if err != nil || stored.Notes != want.Notes {
			t.Fatalf("stored %s: %q, %v", want.ID, stored.Notes, err)
		}
		entries, err := f.st.OutboxByBooking(f.ctx, want.ID)
		if err != nil || len(entries) != 1 || entries[0].Booking.Notes != want.Notes {
			t.Fatalf("outbox of %s: %+v, %v", want.ID, entries, err)
		}
	}
	_, err = f.core.CreateBooking(f.ctx, booking.CreateRequest{MerchantID: "sample-bistro", Start: lt(2026, 3, 3, "19:00"),
		PartySize: 2, Customer: booking.Customer{Name: "Cy"}, Source: booking.SourceAdmin, Notes: strings.Repeat("n", booking.MaxNotesLen+1)})
	if e, ok := err.(*booking.Error); !ok || e.Code != booking.CodeInvalidArgument || e.Field != "notes" {
		t.Fatalf("long notes: %v", err)
	}
	day, err := f.core.Day(f.ctx, "sample-bistro", "2026-03-03")
	if err != nil || len(day) != 2 {
		t.Fatalf("the refused request stored something: %d bookings, %v", len(day), err)
	}
}
