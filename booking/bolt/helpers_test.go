package bolt

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
)

// t0 is the fixed "now" of the tests.
var t0 = time.Date(2030, 3, 14, 12, 0, 0, 0, time.UTC)

// openTemp opens a store in a fresh file and closes it at the end of the test.
func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "data", "reservations.db"), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// alloc is an allocation of merchant m1, service dinner, starting at t0+startMin minutes.
func alloc(id string, startMin, durMin, party int) booking.Allocation {
	start := t0.Add(time.Duration(startMin) * time.Minute)
	return booking.Allocation{
		ID: id, MerchantID: "m1", ServiceID: "dinner",
		Start: start, End: start.Add(time.Duration(durMin) * time.Minute), Party: party,
	}
}

// holdAlloc is alloc with an expiry at t0+expMin minutes.
func holdAlloc(id string, startMin, durMin, party, expMin int) booking.Allocation {
	a := alloc(id, startMin, durMin, party)
	a.ExpiresAt = t0.Add(time.Duration(expMin) * time.Minute)
	return a
}

// newBooking returns a version-1 CONFIRMED booking of m1 for user u1.
func newBooking(id string, startMin int) booking.Booking {
	start := t0.Add(time.Duration(startMin) * time.Minute)
	return booking.Booking{
		ID: id, ConfirmationCode: "ABC234", MerchantID: "m1", ServiceID: "dinner",
		Customer:  booking.Customer{Name: "Ada", Email: "ada@example.com", UserID: "u1"},
		PartySize: 2, Start: start, End: start.Add(90 * time.Minute), Day: start.Format(time.DateOnly),
		Status: booking.StatusConfirmed, Version: 1, Source: booking.SourceAdmin,
		CreatedAt: t0, UpdatedAt: t0,
	}
}

// entry returns the outbox entry of b's current version, created at t0+createdSec seconds.
func entry(b booking.Booking, createdSec int) booking.OutboxEntry {
	at := t0.Add(time.Duration(createdSec) * time.Second)
	return booking.OutboxEntry{
		ID: fmt.Sprintf("%s.%d", b.ID, b.Version), BookingID: b.ID, Seq: b.Version, Kind: booking.ChangeCreated,
		Booking: b, CreatedAt: at, NextAttemptAt: at, State: booking.DeliveryPending,
	}
}

// commit commits m and fails the test on an error.
func commit(t testing.TB, s *Store, m *booking.Mutation) {
	t.Helper()
	if m.Now.IsZero() {
		m.Now = t0
	}
	if m.MerchantID == "" {
		m.MerchantID = "m1"
	}
	if err := s.Commit(context.Background(), m); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

// wantCode fails the test unless err carries code.
func wantCode(t testing.TB, err error, code booking.Code) {
	t.Helper()
	if got := booking.CodeOf(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

// ids returns the ids of allocations, bookings or entries.
func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

func allocIDs(as []booking.Allocation) []string {
	return ids(as, func(a booking.Allocation) string { return a.ID })
}

func bookingIDs(bs []booking.Booking) []string {
	return ids(bs, func(b booking.Booking) string { return b.ID })
}

func entryIDs(es []booking.OutboxEntry) []string {
	return ids(es, func(e booking.OutboxEntry) string { return e.ID })
}

// isReplay reports whether err is a *booking.ReplayError and returns it.
func isReplay(err error) (*booking.ReplayError, bool) {
	var r *booking.ReplayError
	ok := errors.As(err, &r)
	return r, ok
}
