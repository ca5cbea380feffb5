package bolt

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/reservations/reservations/booking"
)

func TestCommitIdempotency(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	rec := booking.IdempotencyRecord{
		Key: "k1", RequestHash: "h1", Result: []byte(`{"id":"b1"}`), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour),
	}
	b := newBooking("b1", 120)
	commit(t, s, &booking.Mutation{Idempotency: &rec, Booking: &b})

	tests := []struct {
		name       string
		merchant   string
		now        time.Time
		wantReplay bool
	}{
		{"same merchant and key replays", "m1", t0.Add(time.Minute), true},
		{"last instant before expiry replays", "m1", t0.Add(time.Hour - time.Nanosecond), true},
		{"other merchant is another record", "m2", t0.Add(time.Minute), false},
		{"expired record is replaced", "m1", t0.Add(time.Hour), false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			again := rec
			again.RequestHash = fmt.Sprintf("other-%d", i)
			again.ExpiresAt = tt.now.Add(time.Hour)
			other := newBooking(fmt.Sprintf("b-%d", i), 300)
			err := s.Commit(ctx, &booking.Mutation{MerchantID: tt.merchant, Now: tt.now, Idempotency: &again, Booking: &other})
			r, replay := isReplay(err)
			if replay != tt.wantReplay {
				t.Fatalf("Commit error = %v, want replay %v", err, tt.wantReplay)
			}
			_, berr := s.Booking(ctx, other.ID)
			if tt.wantReplay {
				if r.Record.Key != "k1" || r.Record.RequestHash != "h1" || string(r.Record.Result) != `{"id":"b1"}` {
					t.Errorf("replayed record = %+v, want the first one", r.Record)
				}
				wantCode(t, berr, booking.CodeNotFound) // nothing of the replayed mutation was written
				return
			}
			if berr != nil {
				t.Errorf("booking of the accepted mutation: %v", berr)
			}
			got, ok, err := s.Idempotency(ctx, tt.merchant, "k1", tt.now)
			if err != nil || !ok || got.RequestHash != again.RequestHash {
				t.Errorf("Idempotency = %+v, %v, %v; want the new record", got, ok, err)
			}
		})
	}
}

func TestIdempotencyExpiry(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	put := func(key string, expires time.Time) {
		t.Helper()
		commit(t, s, &booking.Mutation{Now: t0, Idempotency: &booking.IdempotencyRecord{Key: key, CreatedAt: t0, ExpiresAt: expires}})
	}
	put("long", t0.AddDate(1, 0, 0))
	put("lazy", t0.Add(time.Minute))
	for i := range 150 {
		put(fmt.Sprintf("old-%03d", i), t0.Add(time.Duration(2+i)*time.Second))
	}
	count := func() int {
		t.Helper()
		n := 0
		if err := s.db.View(func(tx *bbolt.Tx) error {
			n = bucket(tx, bktIdem).Stats().KeyN
			if e := bucket(tx, bktIdemExp).Stats().KeyN; e != n {
				t.Errorf("idem_exp has %d keys for %d records", e, n)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 152 {
		t.Fatalf("records = %d, want 152", n)
	}

	// Read at a time the "lazy" record has expired: it is reported absent and deleted.
	later := t0.Add(time.Hour)
	if _, ok, err := s.Idempotency(ctx, "m1", "lazy", later); err != nil || ok {
		t.Fatalf("Idempotency(lazy) = %v, %v; want absent", ok, err)
	}
	if n := count(); n != 151 {
		t.Fatalf("after the lazy read: records = %d, want 151", n)
	}
	// Each commit sweeps at most 100 expired records.
	commit(t, s, &booking.Mutation{Now: later})
	if n := count(); n != 51 {
		t.Fatalf("after one commit: records = %d, want 51", n)
	}
	commit(t, s, &booking.Mutation{Now: later})
	if n := count(); n != 1 {
		t.Fatalf("after two commits: records = %d, want 1", n)
	}
	if _, ok, err := s.Idempotency(ctx, "m1", "long", later); err != nil || !ok {
		t.Fatalf("the unexpired record: %v, %v; want present", ok, err)
	}
}

func TestCommitVersion(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	b := newBooking("b1", 120)
	h := booking.Hold{ID: "b1", MerchantID: "m1", ServiceID: "dinner", Start: b.Start, End: b.End, PartySize: 2, ExpiresAt: t0.Add(15 * time.Minute)}
	commit(t, s, &booking.Mutation{PutHold: &h})
	// ExpectVersion 0 with an existing hold of the same id: the hold is being confirmed.
	commit(t, s, &booking.Mutation{Booking: &b, DeleteHold: "b1"})

	v2 := b
	v2.Version = 2
	v2.Status = booking.StatusCancelled
	tests := []struct {
		name   string
		b      booking.Booking
		expect int64
		ok     bool
	}{
		{"create over an existing booking", b, 0, false},
		{"stale version", v2, 2, false},
		{"missing booking with a version", newBooking("nope", 10), 1, false},
		{"matching version", v2, 1, true},
		{"the same change again is stale", v2, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ob := entry(tt.b, 0)
			err := s.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: &tt.b, ExpectVersion: tt.expect, Outbox: []booking.OutboxEntry{ob}})
			if tt.ok {
				if err != nil {
					t.Fatalf("Commit: %v", err)
				}
				return
			}
			wantCode(t, err, booking.CodeVersionMismatch)
		})
	}
	got, err := s.Booking(ctx, "b1")
	if err != nil || got.Version != 2 || got.Status != booking.StatusCancelled {
		t.Fatalf("Booking = %+v, %v; want version 2 CANCELLED", got, err)
	}
	if _, err := s.Hold(ctx, "m1", "b1"); booking.CodeOf(err) != booking.CodeNotFound {
		t.Fatalf("Hold after DeleteHold: %v, want NOT_FOUND", err)
	}
	if es, _ := s.OutboxByBooking(ctx, "b1"); !slices.Equal(entryIDs(es), []string{"b1.2"}) {
		t.Fatalf("outbox = %v, want only the accepted change", entryIDs(es))
	}
}

func TestCommitCapacity(t *testing.T) {
	// Existing allocations (capacity 10): a 0–90 party 4, b 60–150 party 4 (peak 8 in 60–90),
	// an expired hold x 0–90 party 6, a live hold y 200–290 party 9.
	existing := []booking.Allocation{
		alloc("a", 0, 90, 4), alloc("b", 60, 90, 4),
		holdAlloc("x", 0, 90, 6, -1), holdAlloc("y", 200, 90, 9, 30),
	}
	tests := []struct {
		name  string
		claim booking.Allocation
		ok    bool
	}{
		{"fits beside the peak", alloc("c", 60, 30, 2), true},
		{"exceeds the peak", alloc("c", 60, 30, 3), false},
		{"peak inside the span counts", alloc("c", 30, 120, 3), false},
		{"before the overlap", alloc("c", 0, 60, 6), true},
		{"touching the end is free", alloc("c", 150, 50, 10), true},
		{"expired hold does not count", alloc("c", -30, 60, 6), true},
		{"live hold counts", alloc("c", 250, 30, 2), false},
		{"beside the live hold", alloc("c", 289, 30, 1), true},
		{"own allocation excluded (reschedule)", alloc("b", 70, 90, 6), true},
		{"another service is separate", booking.Allocation{ID: "c", MerchantID: "m1", ServiceID: "lunch", Start: t0, End: t0.Add(time.Hour), Party: 10}, true},
		{"another merchant is separate", booking.Allocation{ID: "c", MerchantID: "m2", ServiceID: "dinner", Start: t0, End: t0.Add(time.Hour), Party: 10}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := openTemp(t)
			for _, a := range existing {
				commit(t, s, &booking.Mutation{Now: t0.Add(-time.Hour), Claim: &booking.Claim{Allocation: a, Capacity: 100}})
			}
			b := newBooking(tt.claim.ID, 0)
			rec := booking.IdempotencyRecord{Key: "k", ExpiresAt: t0.Add(time.Hour)}
			err := s.Commit(ctx, &booking.Mutation{
				MerchantID: "m1", Now: t0, Claim: &booking.Claim{Allocation: tt.claim, Capacity: 10},
				Idempotency: &rec, Booking: &b, Outbox: []booking.OutboxEntry{entry(b, 0)},
			})
			from, to := t0.Add(-24*time.Hour), t0.Add(24*time.Hour)
			all, aerr := s.Allocations(ctx, tt.claim.MerchantID, tt.claim.ServiceID, from, to)
			if aerr != nil {
				t.Fatal(aerr)
			}
			if !tt.ok {
				wantCode(t, err, booking.CodeSlotUnavailable)
				// A failed check writes nothing, not even the sweep of the expired hold.
				if _, ok, _ := s.Idempotency(ctx, "m1", "k", t0); ok {
					t.Error("idempotency record written by a failed commit")
				}
				if es, _ := s.OutboxByBooking(ctx, b.ID); len(es) != 0 {
					t.Errorf("outbox written by a failed commit: %v", entryIDs(es))
				}
				if got := allocIDs(all); !slices.Equal(got, []string{"a", "x", "b", "y"}) {
					t.Errorf("allocations after a failed claim = %v", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Commit: %v", err)
			}
			found := false
			for _, a := range all {
				if a.ID == tt.claim.ID {
					found = true
					if !a.Start.Equal(tt.claim.Start) || !a.End.Equal(tt.claim.End) || a.Party != tt.claim.Party {
						t.Errorf("stored claim = %+v, want %+v", a, tt.claim)
					}
				}
				if a.ID == "x" {
					t.Errorf("expired hold x not swept by a successful claim")
				}
			}
			if !found {
				t.Errorf("claim %s not stored; allocations = %v", tt.claim.ID, allocIDs(all))
			}
		})
	}
}

func TestAllocationsRange(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	for _, a := range []booking.Allocation{
		alloc("long", -600, 900, 1), // 10 h before t0 to 5 h after: found only through maxdur
		alloc("before", -120, 60, 1),
		alloc("touch-start", -60, 60, 1),
		alloc("inside", 10, 20, 1),
		alloc("touch-end", 60, 30, 1),
		alloc("after", 120, 30, 1),
	} {
		commit(t, s, &booking.Mutation{Claim: &booking.Claim{Allocation: a, Capacity: 100}})
	}
	tests := []struct {
		name     string
		from, to int // minutes from t0
		want     []string
	}{
		{"window", 0, 60, []string{"long", "inside"}},
		{"wide", -1000, 1000, []string{"long", "before", "touch-start", "inside", "touch-end", "after"}},
		{"empty window", 30, 30, nil},
		{"after everything", 400, 500, nil},
		{"only the long one", 200, 250, []string{"long"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Allocations(ctx, "m1", "dinner", t0.Add(time.Duration(tt.from)*time.Minute), t0.Add(time.Duration(tt.to)*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if ids := allocIDs(got); !slices.Equal(ids, tt.want) && !(len(ids) == 0 && len(tt.want) == 0) {
				t.Errorf("Allocations = %v, want %v", ids, tt.want)
			}
		})
	}
	if got, err := s.Allocations(ctx, "m1", "unknown", t0.Add(-time.Hour), t0.Add(time.Hour)); err != nil || len(got) != 0 {
		t.Errorf("unknown service: %v, %v", got, err)
	}
}

func TestReleaseAndHolds(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	h := booking.Hold{ID: "h1", MerchantID: "m1", ServiceID: "dinner", Start: t0, End: t0.Add(90 * time.Minute), PartySize: 4, CreatedAt: t0, ExpiresAt: t0.Add(15 * time.Minute)}
	commit(t, s, &booking.Mutation{Claim: &booking.Claim{Allocation: holdAlloc("h1", 0, 90, 4, 15), Capacity: 4}, PutHold: &h})
	got, err := s.Hold(ctx, "m1", "h1")
	if err != nil || got.PartySize != 4 || !got.ExpiresAt.Equal(h.ExpiresAt) {
		t.Fatalf("Hold = %+v, %v", got, err)
	}
	// Full while the hold lives.
	err = s.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Claim: &booking.Claim{Allocation: alloc("c", 30, 30, 1), Capacity: 4}})
	wantCode(t, err, booking.CodeSlotUnavailable)
	// Release (absent ids ignored) frees it; the hold record stays until DeleteHold.
	commit(t, s, &booking.Mutation{Release: []string{"nope", "h1"}})
	if all, _ := s.Allocations(ctx, "m1", "dinner", t0, t0.Add(time.Hour)); len(all) != 0 {
		t.Fatalf("allocations after release = %v", allocIDs(all))
	}
	if _, err := s.Hold(ctx, "m1", "h1"); err != nil {
		t.Fatalf("hold after release: %v", err)
	}
	commit(t, s, &booking.Mutation{Claim: &booking.Claim{Allocation: alloc("c", 30, 30, 4), Capacity: 4}, DeleteHold: "h1"})
	if _, err := s.Hold(ctx, "m1", "h1"); booking.CodeOf(err) != booking.CodeNotFound {
		t.Fatalf("hold after DeleteHold: %v", err)
	}
	// DeleteHold of an absent hold is ignored.
	commit(t, s, &booking.Mutation{DeleteHold: "h1"})
}

func TestExpiredAllocationSweep(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	// 120 holds on many days, all expired at t0+1m; a claim elsewhere sweeps 100 of them.
	for i := range 120 {
		a := holdAlloc(fmt.Sprintf("h%03d", i), 24*60*(i+1), 90, 1, 1)
		commit(t, s, &booking.Mutation{Claim: &booking.Claim{Allocation: a, Capacity: 1}})
	}
	later := t0.Add(time.Hour)
	commit(t, s, &booking.Mutation{Now: later, Claim: &booking.Claim{Allocation: alloc("b", 0, 90, 1), Capacity: 1}})
	all, err := s.Allocations(ctx, "m1", "dinner", t0.Add(-time.Hour), t0.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 21 {
		t.Fatalf("allocations after one sweep = %d, want 21 (the booking and 20 unswept holds)", len(all))
	}
	if err := s.db.View(func(tx *bbolt.Tx) error {
		if n := bucket(tx, bktAllocExp).Stats().KeyN; n != 20 {
			t.Errorf("alloc_exp keys = %d, want 20", n)
		}
		if n := bucket(tx, bktAllocIDs).Stats().KeyN; n != 21 {
			t.Errorf("alloc_ids keys = %d, want 21", n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestBookingIndexes(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	b1 := newBooking("b1", 24*60)    // tomorrow
	b2 := newBooking("b2", 24*60-60) // tomorrow, an hour earlier
	b3 := newBooking("b3", 2*24*60)
	b3.Customer.UserID = "u2"
	for _, b := range []*booking.Booking{&b1, &b2, &b3} {
		commit(t, s, &booking.Mutation{Booking: b})
	}
	day1, day2 := b1.Day, b3.Day

	check := func(step string, user, day []string, ended []string) {
		t.Helper()
		gu, err := s.BookingsByUser(ctx, "u1", t0)
		if err != nil {
			t.Fatal(err)
		}
		gd, err := s.BookingsByDay(ctx, "m1", day1)
		if err != nil {
			t.Fatal(err)
		}
		ge, err := s.BookingsEndedBefore(ctx, t0.AddDate(0, 0, 10), 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := bookingIDs(gu); !slices.Equal(got, user) {
			t.Errorf("%s: by user u1 = %v, want %v", step, got, user)
		}
		if got := bookingIDs(gd); !slices.Equal(got, day) {
			t.Errorf("%s: by day %s = %v, want %v", step, day1, got, day)
		}
		if got := bookingIDs(ge); !slices.Equal(got, ended) {
			t.Errorf("%s: ended before = %v, want %v", step, got, ended)
		}
	}
	check("created", []string{"b2", "b1"}, []string{"b2", "b1"}, []string{"b2", "b1", "b3"})

	// Reschedule b2 to the day after b3: day and end indexes move.
	b2v2 := b2
	b2v2.Version, b2v2.Start, b2v2.End = 2, b3.Start.Add(24*time.Hour), b3.End.Add(24*time.Hour)
	b2v2.Day = b2v2.Start.Format(time.DateOnly)
	commit(t, s, &booking.Mutation{Booking: &b2v2, ExpectVersion: 1})
	check("rescheduled", []string{"b1", "b2"}, []string{"b1"}, []string{"b1", "b3", "b2"})

	// Cancel b1: it leaves the active index but stays listed by user and day.
	b1v2 := b1
	b1v2.Version, b1v2.Status = 2, booking.StatusCancelled
	commit(t, s, &booking.Mutation{Booking: &b1v2, ExpectVersion: 1})
	check("cancelled", []string{"b1", "b2"}, []string{"b1"}, []string{"b3", "b2"})

	// Move b3 to user u1.
	b3v2 := b3
	b3v2.Version, b3v2.Customer.UserID = 2, "u1"
	commit(t, s, &booking.Mutation{Booking: &b3v2, ExpectVersion: 1})
	check("user changed", []string{"b1", "b3", "b2"}, []string{"b1"}, []string{"b3", "b2"})
	if got, _ := s.BookingsByUser(ctx, "u2", t0); len(got) != 0 {
		t.Errorf("u2 still lists %v", bookingIDs(got))
	}
	if got, _ := s.BookingsByDay(ctx, "m1", day2); !slices.Equal(bookingIDs(got), []string{"b3"}) {
		t.Errorf("by day %s = %v", day2, bookingIDs(got))
	}
	// since filters by End; limit bounds the sweep; other merchants' days are separate.
	if got, _ := s.BookingsByUser(ctx, "u1", b3.End); !slices.Equal(bookingIDs(got), []string{"b2"}) {
		t.Errorf("by user since b3's end = %v", bookingIDs(got))
	}
	if got, _ := s.BookingsEndedBefore(ctx, t0.AddDate(1, 0, 0), 1); !slices.Equal(bookingIDs(got), []string{"b3"}) {
		t.Errorf("ended before, limit 1 = %v", bookingIDs(got))
	}
	if got, _ := s.BookingsEndedBefore(ctx, b3.End, 10); len(got) != 0 {
		t.Errorf("ended before b3's end (exclusive) = %v", bookingIDs(got))
	}
	if got, _ := s.BookingsByDay(ctx, "m2", day1); len(got) != 0 {
		t.Errorf("m2's day lists %v", bookingIDs(got))
	}
	got, err := s.Booking(ctx, "b3")
	if err != nil || got.Customer != b3v2.Customer || !got.Start.Equal(b3.Start) || got.Version != 2 {
		t.Errorf("Booking(b3) = %+v, %v", got, err)
	}
	_, err = s.Booking(ctx, "missing")
	wantCode(t, err, booking.CodeNotFound)
}

func TestOutbox(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	// Booking a: versions 1, 2, 3. Booking b: version 1, created between a.1 and a.2. Booking c: due later.
	a := newBooking("a", 120)
	b := newBooking("b", 120)
	c := newBooking("c", 120)
	commit(t, s, &booking.Mutation{Booking: &a, Outbox: []booking.OutboxEntry{entry(a, 0)}})
	commit(t, s, &booking.Mutation{Booking: &b, Outbox: []booking.OutboxEntry{entry(b, 1)}})
	for v := int64(2); v <= 3; v++ {
		prev := a.Version
		a.Version = v
		commit(t, s, &booking.Mutation{Booking: &a, ExpectVersion: prev, Outbox: []booking.OutboxEntry{entry(a, int(v))}})
	}
	ce := entry(c, 10)
	ce.NextAttemptAt = t0.Add(time.Hour)
	commit(t, s, &booking.Mutation{Booking: &c, Outbox: []booking.OutboxEntry{ce}})

	now := t0.Add(time.Minute)
	depth, oldest, err := s.OutboxStats(ctx)
	if err != nil || depth != 5 || !oldest.Equal(t0) {
		t.Fatalf("OutboxStats = %d, %v, %v; want 5, %v", depth, oldest, err, t0)
	}
	// w1 gets a.1 and b.1: a.2 waits for a.1, c.1 is not due.
	got, err := s.ClaimOutbox(ctx, "w1", 10, time.Minute, now)
	if err != nil || !slices.Equal(entryIDs(got), []string{"a.1", "b.1"}) {
		t.Fatalf("claim w1 = %v, %v", entryIDs(got), err)
	}
	if e := got[0]; e.State != booking.DeliveryInFlight || e.LeaseOwner != "w1" || !e.LeaseUntil.Equal(now.Add(time.Minute)) || e.Attempts != 1 {
		t.Fatalf("claimed entry = %+v", e)
	}
	if got, _ := s.ClaimOutbox(ctx, "w2", 10, time.Minute, now); len(got) != 0 {
		t.Fatalf("w2 claimed leased or blocked entries: %v", entryIDs(got))
	}
	// Another owner cannot settle w1's entries.
	wantCode(t, s.AckOutbox(ctx, "a.1", "w2", now), booking.CodeNotFound)
	wantCode(t, s.RetryOutbox(ctx, "a.1", "w2", now, "x"), booking.CodeNotFound)
	wantCode(t, s.DeadOutbox(ctx, "a.1", "w2", "x"), booking.CodeNotFound)
	wantCode(t, s.AckOutbox(ctx, "a.2", "w1", now), booking.CodeNotFound) // pending, not leased
	wantCode(t, s.AckOutbox(ctx, "zz.1", "w1", now), booking.CodeNotFound)

	// a.1 delivered: a.2 becomes claimable. b.1 retried in 5 minutes.
	if err := s.AckOutbox(ctx, "a.1", "w1", now); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.AckOutbox(ctx, "a.1", "w1", now), booking.CodeNotFound) // already delivered
	if err := s.RetryOutbox(ctx, "b.1", "w1", now.Add(5*time.Minute), "HTTP 503"); err != nil {
		t.Fatal(err)
	}
	got, err = s.ClaimOutbox(ctx, "w2", 1, time.Minute, now)
	if err != nil || !slices.Equal(entryIDs(got), []string{"a.2"}) {
		t.Fatalf("claim w2 = %v, %v", entryIDs(got), err)
	}
	// w2 crashes; its lease expires and w3 takes a.2 again (second attempt), and b.1 is due again.
	later := now.Add(5 * time.Minute)
	got, err = s.ClaimOutbox(ctx, "w3", 10, time.Minute, later)
	if err != nil || !slices.Equal(entryIDs(got), []string{"b.1", "a.2"}) {
		t.Fatalf("claim w3 = %v, %v", entryIDs(got), err)
	}
	if got[0].Attempts != 2 || got[0].LastError != "HTTP 503" || got[1].Attempts != 2 || got[1].LeaseOwner != "w3" {
		t.Fatalf("reclaimed entries = %+v", got)
	}
	wantCode(t, s.AckOutbox(ctx, "a.2", "w2", later), booking.CodeNotFound) // w2 lost its lease
	// a.2 dead: a.3 is unblocked.
	if err := s.DeadOutbox(ctx, "a.2", "w3", "HTTP 400"); err != nil {
		t.Fatal(err)
	}
	if err := s.AckOutbox(ctx, "b.1", "w3", later); err != nil {
		t.Fatal(err)
	}
	got, err = s.ClaimOutbox(ctx, "w3", 10, time.Minute, later)
	if err != nil || !slices.Equal(entryIDs(got), []string{"a.3"}) {
		t.Fatalf("claim after dead = %v, %v", entryIDs(got), err)
	}
	depth, oldest, err = s.OutboxStats(ctx)
	if err != nil || depth != 2 || !oldest.Equal(t0.Add(3*time.Second)) {
		t.Fatalf("OutboxStats = %d, %v, %v; want 2 (a.3, c.1), oldest a.3", depth, oldest, err)
	}
	es, err := s.OutboxByBooking(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	states := ids(es, func(e booking.OutboxEntry) string { return e.ID + "=" + string(e.State) })
	if want := []string{"a.1=DELIVERED", "a.2=DEAD", "a.3=IN_FLIGHT"}; !slices.Equal(states, want) {
		t.Fatalf("OutboxByBooking = %v, want %v", states, want)
	}
	if !es[0].DeliveredAt.Equal(now) || es[1].LastError != "HTTP 400" || es[2].Booking.Version != 3 {
		t.Fatalf("entries = %+v", es)
	}
}

func TestOutboxSeqOrderBeatsIDOrder(t *testing.T) {
	// Entries with equal CreatedAt sort "b.10" before "b.9" by id; delivery still follows Seq.
	ctx := context.Background()
	s := openTemp(t)
	b := newBooking("b", 120)
	for v := int64(1); v <= 10; v++ {
		prev := b.Version
		b.Version = v
		e := entry(b, 0)
		if v == 1 {
			prev = 0
		}
		commit(t, s, &booking.Mutation{Booking: &b, ExpectVersion: prev, Outbox: []booking.OutboxEntry{e}})
	}
	var order []string
	for range 10 {
		got, err := s.ClaimOutbox(ctx, "w", 10, time.Minute, t0)
		if err != nil || len(got) != 1 {
			t.Fatalf("claim = %v, %v; want exactly one entry", entryIDs(got), err)
		}
		order = append(order, got[0].ID)
		if err := s.AckOutbox(ctx, got[0].ID, "w", t0); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"b.1", "b.2", "b.3", "b.4", "b.5", "b.6", "b.7", "b.8", "b.9", "b.10"}
	if !slices.Equal(order, want) {
		t.Fatalf("delivery order = %v", order)
	}
}

func TestConcurrentClaims(t *testing.T) {
	// 60 goroutines race for one start time (party 2, capacity 40): exactly 20 win. The commits go through
	// bbolt's Batch, so the losers' failures must not roll back the winners.
	ctx := context.Background()
	s := openTemp(t)
	var wg sync.WaitGroup
	errs := make([]error, 60)
	for i := range errs {
		wg.Go(func() {
			b := newBooking(fmt.Sprintf("b%02d", i), 120)
			errs[i] = s.Commit(ctx, &booking.Mutation{
				MerchantID: "m1", Now: t0, Booking: &b, Outbox: []booking.OutboxEntry{entry(b, 0)},
				Claim: &booking.Claim{Allocation: booking.Allocation{ID: b.ID, MerchantID: "m1", ServiceID: "dinner", Start: b.Start, End: b.End, Party: 2}, Capacity: 40},
			})
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch booking.CodeOf(err) {
		case "":
			if err != nil {
				t.Fatalf("commit %d: %v", i, err)
			}
			won++
			if _, err := s.Booking(ctx, fmt.Sprintf("b%02d", i)); err != nil {
				t.Errorf("winner %d has no booking: %v", i, err)
			}
		case booking.CodeSlotUnavailable:
			if _, err := s.Booking(ctx, fmt.Sprintf("b%02d", i)); booking.CodeOf(err) != booking.CodeNotFound {
				t.Errorf("loser %d has a booking: %v", i, err)
			}
		default:
			t.Fatalf("commit %d: %v", i, err)
		}
	}
	if won != 20 {
		t.Fatalf("winners = %d, want 20", won)
	}
	all, _ := s.Allocations(ctx, "m1", "dinner", t0, t0.AddDate(0, 0, 1))
	depth, _, _ := s.OutboxStats(ctx)
	if len(all) != 20 || depth != 20 {
		t.Fatalf("allocations = %d, outbox depth = %d; want 20 each", len(all), depth)
	}
}

func TestCommitRejects(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	bad := newBooking("b\x00x", 0)
	noID := newBooking("", 0)
	tests := []struct {
		name string
		m    *booking.Mutation
	}{
		{"nil mutation", nil},
		{"NUL in a booking id", &booking.Mutation{MerchantID: "m1", Booking: &bad}},
		{"empty booking id", &booking.Mutation{MerchantID: "m1", Booking: &noID}},
		{"claim without service", &booking.Mutation{MerchantID: "m1", Claim: &booking.Claim{Allocation: booking.Allocation{ID: "a", MerchantID: "m1"}}}},
		{"idempotency without key", &booking.Mutation{MerchantID: "m1", Idempotency: &booking.IdempotencyRecord{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, s.Commit(ctx, tt.m), booking.CodeInvalidArgument)
		})
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	b := newBooking("b1", 0)
	if err := s.Commit(cancelled, &booking.Mutation{MerchantID: "m1", Booking: &b}); err == nil || booking.CodeOf(err) != "" {
		t.Fatalf("Commit with a cancelled context = %v, want an infrastructure error", err)
	}
	if _, err := s.Booking(ctx, "b1"); booking.CodeOf(err) != booking.CodeNotFound {
		t.Fatalf("booking written despite the cancelled context: %v", err)
	}
	if err := s.Ping(cancelled); err == nil {
		t.Fatal("Ping with a cancelled context succeeded")
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func TestOutboxSameInstantKeepsAppendOrder(t *testing.T) {
	// Entries created at the same instant come out in the order they were appended, not in id order.
	ctx := context.Background()
	s := openTemp(t)
	want := []string{"zz.1", "mm.1", "aa.1"}
	for _, id := range []string{"zz", "mm", "aa"} {
		b := newBooking(id, 120)
		commit(t, s, &booking.Mutation{Booking: &b, Outbox: []booking.OutboxEntry{entry(b, 0)}})
	}
	got, err := s.ClaimOutbox(ctx, "w", 10, time.Minute, t0)
	if err != nil || !slices.Equal(entryIDs(got), want) {
		t.Fatalf("claim = %v, %v; want %v", entryIDs(got), err, want)
	}
	got, err = s.ClaimOutbox(ctx, "w", 2, time.Minute, t0.Add(time.Hour))
	if err != nil || !slices.Equal(entryIDs(got), want[:2]) {
		t.Fatalf("claim of 2 after the leases expired = %v, %v; want %v", entryIDs(got), err, want[:2])
	}
}

func TestConcurrentOutboxClaimsAreExclusive(t *testing.T) {
	// 8 workers claim 3 at a time until the queue of 60 entries (one per booking) is drained: every entry is
	// handed out exactly once and acknowledged by the worker that holds it.
	ctx := context.Background()
	s := openTemp(t)
	for i := range 60 {
		b := newBooking(fmt.Sprintf("b%02d", i), 120)
		commit(t, s, &booking.Mutation{Booking: &b, Outbox: []booking.OutboxEntry{entry(b, i)}})
	}
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	for w := range 8 {
		owner := fmt.Sprintf("w%d", w)
		wg.Go(func() {
			for {
				got, err := s.ClaimOutbox(ctx, owner, 3, time.Hour, t0.Add(time.Minute))
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				for _, e := range got {
					mu.Lock()
					if prev, dup := seen[e.ID]; dup {
						t.Errorf("%s claimed by %s and %s", e.ID, prev, owner)
					}
					seen[e.ID] = owner
					mu.Unlock()
					if err := s.AckOutbox(ctx, e.ID, owner, t0.Add(time.Minute)); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != 60 {
		t.Fatalf("%d entries delivered, want 60", len(seen))
	}
	if depth, _, err := s.OutboxStats(ctx); err != nil || depth != 0 {
		t.Fatalf("OutboxStats depth = %d, %v; want 0", depth, err)
	}
}
