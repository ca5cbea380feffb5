package bolt

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/reservations/reservations/booking"
)

func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "dir", "reservations.db")
	s, err := Open(path, Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b := newBooking("b1", 120)
	h := booking.Hold{ID: "h1", MerchantID: "m1", ServiceID: "dinner", Start: t0.Add(3 * time.Hour), End: t0.Add(270 * time.Minute), PartySize: 3, UserID: "u1", CreatedAt: t0, ExpiresAt: t0.Add(15 * time.Minute)}
	rec := booking.IdempotencyRecord{Key: "k1", RequestHash: "h", Result: []byte(`{"id":"b1"}`), CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour)}
	commit(t, s, &booking.Mutation{
		Idempotency: &rec, Booking: &b, Outbox: []booking.OutboxEntry{entry(b, 0)},
		Claim: &booking.Claim{Allocation: booking.Allocation{ID: "b1", MerchantID: "m1", ServiceID: "dinner", Start: b.Start, End: b.End, Party: 2}, Capacity: 10},
	})
	commit(t, s, &booking.Mutation{PutHold: &h, Claim: &booking.Claim{Allocation: holdAlloc("h1", 180, 90, 3, 15), Capacity: 10}})
	if _, err := s.ClaimOutbox(ctx, "w1", 1, time.Minute, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	gotB, err := s.Booking(ctx, "b1")
	if err != nil || gotB.ConfirmationCode != b.ConfirmationCode || gotB.Customer != b.Customer || !gotB.Start.Equal(b.Start) {
		t.Errorf("booking after reopen = %+v, %v", gotB, err)
	}
	gotH, err := s.Hold(ctx, "m1", "h1")
	if err != nil || gotH.PartySize != 3 || gotH.UserID != "u1" || !gotH.ExpiresAt.Equal(h.ExpiresAt) {
		t.Errorf("hold after reopen = %+v, %v", gotH, err)
	}
	gotR, ok, err := s.Idempotency(ctx, "m1", "k1", t0.Add(time.Hour))
	if err != nil || !ok || string(gotR.Result) != `{"id":"b1"}` || gotR.RequestHash != "h" {
		t.Errorf("idempotency record after reopen = %+v, %v, %v", gotR, ok, err)
	}
	es, err := s.OutboxByBooking(ctx, "b1")
	if err != nil || len(es) != 1 || es[0].State != booking.DeliveryInFlight || es[0].LeaseOwner != "w1" || es[0].Attempts != 1 {
		t.Errorf("outbox after reopen = %+v, %v", es, err)
	}
	all, err := s.Allocations(ctx, "m1", "dinner", t0, t0.Add(6*time.Hour))
	if err != nil || !slices.Equal(allocIDs(all), []string{"b1", "h1"}) {
		t.Errorf("allocations after reopen = %v, %v", allocIDs(all), err)
	}
	if got, _ := s.BookingsByUser(ctx, "u1", t0); !slices.Equal(bookingIDs(got), []string{"b1"}) {
		t.Errorf("by user after reopen = %v", bookingIDs(got))
	}
	// The allocations still count after the restart: 2 + 3 overlap at t0+3h..3h30, so 1 more exceeds 5.
	err = s.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Claim: &booking.Claim{Allocation: alloc("c", 180, 30, 1), Capacity: 5}})
	wantCode(t, err, booking.CodeSlotUnavailable)
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestClosedStore(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "r.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping after Close succeeded")
	}
	b := newBooking("b1", 0)
	if err := s.Commit(ctx, &booking.Mutation{MerchantID: "m1", Booking: &b}); err == nil || booking.CodeOf(err) != "" {
		t.Errorf("Commit after Close = %v, want an infrastructure error", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
	}{
		{"empty path", ""},
		{"parent is a file", filepath.Join(dir, "r.db", "x.db")},
		{"path is a directory", dir},
	}
	// Make r.db a regular file so that it cannot be a directory.
	s, err := Open(filepath.Join(dir, "r.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(tt.path, Options{Timeout: 100 * time.Millisecond})
			if err == nil {
				_ = s.Close()
				t.Fatalf("Open(%q) succeeded", tt.path)
			}
		})
	}
}

// TestOpenRefusesOtherLayout: a file whose meta bucket holds another layout version is refused with an error
// naming the file, the found and the expected version, and stays as it was.
func TestOpenRefusesOtherLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reservations.db")
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucket([]byte(bktMeta))
		if err != nil {
			return err
		}
		return meta.Put([]byte(keySchema), []byte("2"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(path, Options{})
	var se *SchemaError
	if !errors.As(err, &se) || se.Found != "2" || se.Path != path {
		t.Fatalf("Open = %v, want a SchemaError for version 2", err)
	}
	for _, want := range []string{path, `version "2"`, `reads version "` + SchemaVersion + `"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %s", err, want)
		}
	}
	db, err = bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	if err := db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket([]byte(bktBookings)) != nil {
			t.Error("Open created buckets in a file it refused")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
