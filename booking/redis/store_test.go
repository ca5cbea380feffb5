package redis

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
)

func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func bookingIDs(bs []booking.Booking) []string {
	return ids(bs, func(b booking.Booking) string { return b.ID })
}

func wantCode(t *testing.T, err error, code booking.Code) {
	t.Helper()
	if got := booking.CodeOf(err); got != code {
		t.Fatalf("got error %v (code %q), want code %s", err, got, code)
	}
}

func TestCommitVersionAndIdempotency(t *testing.T) {
	s := openStore(t)
	ctx := tctx(t)
	b := newBooking("b1", "m1", "u1", t0.Add(48*time.Hour), 2)
	rec := &booking.IdempotencyRecord{Key: "k1", RequestHash: "h1", Result: []byte(`{"id":"b1"}`),
		CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour)}
	m := &booking.Mutation{MerchantID: "m1", Now: t0, Booking: b, Claim: claimFor(b, 10), Idempotency: rec}
	if err := s.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
	got, err := s.Booking(ctx, "b1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Customer.Email != "ada@example.com" || !got.Start.Equal(b.Start) || got.Version != 1 {
		t.Fatalf("stored booking %+v", got)
	}

	// Replay of the same key: *ReplayError with the first record, nothing written.
	b2 := newBooking("b2", "m1", "u1", t0.Add(48*time.Hour), 2)
	err = s.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0.Add(time.Hour), Booking: b2,
		Claim: claimFor(b2, 10), Idempotency: &booking.IdempotencyRecord{Key: "k1", RequestHash: "other"}})
	var replay *booking.ReplayError
	if !errors.As(err, &replay) || replay.Record.RequestHash != "h1" || string(replay.Record.Result) != `{"id":"b1"}` {
		t.Fatalf("replay: got %v", err)
	}
	if _, err := s.Booking(ctx, "b2"); booking.CodeOf(err) != booking.CodeNotFound {
		t.Fatalf("b2 written despite replay: %v", err)
	}
	// The same key under another merchant is another record.
	if _, ok, err := s.Idempotency(ctx, "m2", "k1", t0); err != nil || ok {
		t.Fatalf("m2 sees m1's key: %v %v", ok, err)
	}
	if r, ok, err := s.Idempotency(ctx, "m1", "k1", t0.Add(time.Hour)); err != nil || !ok || r.RequestHash != "h1" {
		t.Fatalf("idempotency lookup: %+v %v %v", r, ok, err)
	}
	// Expired at now: not found, and a new commit under the key succeeds.
	if _, ok, _ := s.Idempotency(ctx, "m1", "k1", t0.Add(24*time.Hour)); ok {
		t.Fatal("record still valid at its ExpiresAt")
	}
	b3 := newBooking("b3", "m1", "u1", t0.Add(72*time.Hour), 2)
	if err := s.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0.Add(25 * time.Hour), Booking: b3,
		Idempotency: &booking.IdempotencyRecord{Key: "k1", RequestHash: "h3", ExpiresAt: t0.Add(49 * time.Hour)}}); err != nil {
		t.Fatalf("commit after expiry: %v", err)
	}

	tests := []struct {
		name   string
		expect int64
		id     string
		want   booking.Code
	}{
		{"create over existing", 0, "b1", booking.CodeVersionMismatch},
		{"stale version", 2, "b1", booking.CodeVersionMismatch},
		{"missing booking with version", 1, "nope", booking.CodeVersionMismatch},
		{"right version", 1, "b1", ""},
		{"same version twice", 1, "b1", booking.CodeVersionMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nb := newBooking(tt.id, "m1", "u1", t0.Add(48*time.Hour), 2)
			nb.Version = tt.expect + 1
			nb.Status = booking.StatusCancelled
			err := s.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: nb, ExpectVersion: tt.expect,
				Release: []string{tt.id}})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tt.want)
		})
	}
	got, _ = s.Booking(ctx, "b1")
	if got.Version != 2 || got.Status != booking.StatusCancelled {
		t.Fatalf("after update: version %d status %s", got.Version, got.Status)
	}
	allocs, err := s.Allocations(ctx, "m1", "dinner", t0, t0.Add(100*time.Hour))
	if err != nil || len(allocs) != 0 {
		t.Fatalf("released allocation still there: %v %v", allocs, err)
	}
}

func TestCapacityHoldsAndRelease(t *testing.T) {
	s := openStore(t)
	ctx := tctx(t)
	start := t0.Add(48 * time.Hour)
	// 6 covers 17:00–18:30, 3 covers 18:00–19:30 (overlap 18:00–18:30 = 9), capacity 10.
	createBooking(t, s, newBooking("a", "m", "", start, 6), 10, t0)
	createBooking(t, s, newBooking("b", "m", "", start.Add(time.Hour), 3), 10, t0)

	hold := func(id string, at time.Time, party int, expires time.Time) *booking.Mutation {
		h := &booking.Hold{ID: id, MerchantID: "m", ServiceID: "dinner", Start: at, End: at.Add(90 * time.Minute),
			PartySize: party, CreatedAt: t0, ExpiresAt: expires}
		return &booking.Mutation{MerchantID: "m", Now: t0, PutHold: h, Claim: &booking.Claim{Allocation: booking.Allocation{
			ID: id, MerchantID: "m", ServiceID: "dinner", Start: h.Start, End: h.End, Party: party, ExpiresAt: expires,
		}, Capacity: 10}}
	}
	tests := []struct {
		name  string
		at    time.Time
		party int
		want  booking.Code
	}{
		{"peak 9 at 18:00 leaves 1", start.Add(30 * time.Minute), 2, booking.CodeSlotUnavailable},
		{"one cover fits", start.Add(30 * time.Minute), 1, ""},
		{"after first ends: 3+1 used", start.Add(90 * time.Minute), 6, ""},
		{"now full at 18:30", start.Add(90 * time.Minute), 1, booking.CodeSlotUnavailable},
		{"ends exactly when a starts", start.Add(-90 * time.Minute), 4, ""},
		{"other service is not counted", start, 10, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := hold(fmt.Sprintf("h%d", i), tt.at, tt.party, t0.Add(15*time.Minute))
			if tt.name == "other service is not counted" {
				m = hold(fmt.Sprintf("h%d", i), tt.at, tt.party, t0.Add(time.Hour))
				m.Claim.ServiceID, m.PutHold.ServiceID = "lunch", "lunch"
			}
			err := s.Commit(ctx, m)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tt.want)
			if _, err := s.Hold(ctx, "m", m.PutHold.ID); booking.CodeOf(err) != booking.CodeNotFound {
				t.Fatalf("failed claim wrote its hold: %v", err)
			}
		})
	}
	if h, err := s.Hold(ctx, "m", "h1"); err != nil || h.PartySize != 1 {
		t.Fatalf("hold h1: %+v %v", h, err)
	}

	// At t0+15m the holds expire: still listed until swept, no longer counted.
	later := t0.Add(15 * time.Minute)
	before, _ := s.Allocations(ctx, "m", "dinner", start.Add(-2*time.Hour), start.Add(4*time.Hour))
	if got := ids(before, func(a booking.Allocation) string { return a.ID }); !slices.Equal(got, []string{"h4", "a", "h1", "b", "h2"}) {
		t.Fatalf("allocations before sweep: %v", got)
	}
	m := hold("h9", start.Add(30*time.Minute), 1, later.Add(15*time.Minute))
	m.Now = later
	if err := s.Commit(ctx, m); err != nil {
		t.Fatalf("claim after holds expired: %v", err)
	}
	after, _ := s.Allocations(ctx, "m", "dinner", start.Add(-2*time.Hour), start.Add(4*time.Hour))
	if got := ids(after, func(a booking.Allocation) string { return a.ID }); !slices.Equal(got, []string{"a", "h9", "b"}) {
		t.Fatalf("allocations after sweep: %v", got)
	}
	// Expired holds stay readable; the other service's live hold is untouched.
	if _, err := s.Hold(ctx, "m", "h1"); err != nil {
		t.Fatalf("expired hold unreadable: %v", err)
	}
	if other, _ := s.Allocations(ctx, "m", "lunch", start, start.Add(time.Hour)); len(other) != 1 || other[0].Party != 10 {
		t.Fatalf("lunch allocations: %+v", other)
	}

	// Release + delete hold + confirm into a booking in one mutation.
	b := newBooking("h9", "m", "u", start.Add(30*time.Minute), 1)
	if err := s.Commit(ctx, &booking.Mutation{MerchantID: "m", Now: later, Booking: b, Claim: claimFor(b, 10),
		DeleteHold: "h9", Release: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Hold(ctx, "m", "h9"); booking.CodeOf(err) != booking.CodeNotFound {
		t.Fatalf("deleted hold still there: %v", err)
	}
	final, _ := s.Allocations(ctx, "m", "dinner", start.Add(-2*time.Hour), start.Add(4*time.Hour))
	if len(final) != 2 || final[0].ID != "h9" || !final[0].ExpiresAt.IsZero() || final[1].ID != "b" {
		t.Fatalf("allocations after confirm: %+v", final)
	}
}

// TestPeakMatchesPeakUsage checks the Lua peak against booking.PeakUsage on random allocations: a claim with
// capacity = peak + party must succeed and one with capacity − 1 must fail.
func TestPeakMatchesPeakUsage(t *testing.T) {
	s := openStore(t)
	ctx := tctx(t)
	rng := rand.New(rand.NewPCG(1, 2))
	now := t0
	base := t0.Add(24 * time.Hour)
	for i := range 60 {
		start := base.Add(time.Duration(rng.IntN(48)) * 15 * time.Minute)
		a := booking.Allocation{ID: fmt.Sprintf("x%d", i), MerchantID: "m", ServiceID: "dinner", Start: start,
			End: start.Add(time.Duration(1+rng.IntN(12)) * 15 * time.Minute), Party: 1 + rng.IntN(5)}
		if rng.IntN(3) == 0 { // some holds, some of them already expired
			a.ExpiresAt = now.Add(time.Duration(rng.IntN(20)-10) * time.Minute)
		}
		if err := s.Commit(ctx, &booking.Mutation{MerchantID: "m", Now: now.Add(-time.Hour),
			Claim: &booking.Claim{Allocation: a, Capacity: 1 << 20}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 40 {
		start := base.Add(time.Duration(rng.IntN(48)) * 15 * time.Minute)
		c := booking.Allocation{ID: fmt.Sprintf("c%d", i), MerchantID: "m", ServiceID: "dinner", Start: start,
			End: start.Add(time.Duration(1+rng.IntN(8)) * 15 * time.Minute), Party: 2}
		if i%5 == 0 {
			c.ID = fmt.Sprintf("x%d", rng.IntN(60)) // replacing an existing allocation excludes it
		}
		all, err := s.Allocations(ctx, "m", "dinner", base.Add(-24*time.Hour), base.Add(48*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		peak := booking.PeakUsage(all, c.Start, c.End, now, c.ID)
		err = s.Commit(ctx, &booking.Mutation{MerchantID: "m", Now: now, Claim: &booking.Claim{Allocation: c, Capacity: peak + 1}})
		wantCode(t, err, booking.CodeSlotUnavailable)
		if err := s.Commit(ctx, &booking.Mutation{MerchantID: "m", Now: now, Claim: &booking.Claim{Allocation: c, Capacity: peak + 2}}); err != nil {
			t.Fatalf("claim %d with capacity peak+party (%d): %v", i, peak+2, err)
		}
	}
}

func TestIndexes(t *testing.T) {
	s := openStore(t)
	ctx := tctx(t)
	d1 := t0.Add(48 * time.Hour)
	createBooking(t, s, newBooking("b1", "m1", "u1", d1, 2), 40, t0)
	createBooking(t, s, newBooking("b2", "m1", "u1", d1.Add(-time.Hour), 2), 40, t0)
	createBooking(t, s, newBooking("b3", "m2", "u1", d1.Add(24*time.Hour), 2), 40, t0)
	createBooking(t, s, newBooking("b4", "m1", "u2", d1, 2), 40, t0)

	check := func(what string, got []booking.Booking, err error, want ...string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if g := bookingIDs(got); !slices.Equal(g, want) && !(len(g) == 0 && len(want) == 0) {
			t.Fatalf("%s: got %v, want %v", what, g, want)
		}
	}
	got, err := s.BookingsByUser(ctx, "u1", t0)
	check("by user", got, err, "b2", "b1", "b3")
	got, err = s.BookingsByUser(ctx, "u1", d1.Add(90*time.Minute)) // End after since: b2 and b1 have ended
	check("by user since", got, err, "b3")
	got, err = s.BookingsByDay(ctx, "m1", d1.Format("2006-01-02"))
	check("by day", got, err, "b2", "b1", "b4")

	// Move b1 to the next day and to user u3; cancel b2.
	b1 := newBooking("b1", "m1", "u3", d1.Add(24*time.Hour), 2)
	b1.Version = 2
	if err := s.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: b1, ExpectVersion: 1, Claim: claimFor(b1, 40)}); err != nil {
		t.Fatal(err)
	}
	b2 := newBooking("b2", "m1", "u1", d1.Add(-time.Hour), 2)
	b2.Version, b2.Status = 2, booking.StatusCancelled
	if err := s.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: b2, ExpectVersion: 1, Release: []string{"b2"}}); err != nil {
		t.Fatal(err)
	}
	got, err = s.BookingsByUser(ctx, "u1", t0)
	check("by user after move", got, err, "b2", "b3")
	got, err = s.BookingsByUser(ctx, "u3", t0)
	check("new user", got, err, "b1")
	got, err = s.BookingsByDay(ctx, "m1", d1.Format("2006-01-02"))
	check("old day", got, err, "b2", "b4")
	got, err = s.BookingsByDay(ctx, "m1", d1.Add(24*time.Hour).Format("2006-01-02"))
	check("new day", got, err, "b1")
	got, err = s.BookingsByDay(ctx, "m2", d1.Format("2006-01-02"))
	check("other merchant's day", got, err)

	// Ended before: active only (b2 cancelled), oldest End first, across merchants, limited.
	far := d1.Add(72 * time.Hour)
	got, err = s.BookingsEndedBefore(ctx, far, 10)
	check("ended before", got, err, "b4", "b1", "b3")
	got, err = s.BookingsEndedBefore(ctx, far, 2)
	check("ended before, limit", got, err, "b4", "b1")
	got, err = s.BookingsEndedBefore(ctx, d1.Add(90*time.Minute), 10) // b4 ends exactly then: not before
	check("ended before, strict", got, err)
}

func TestConcurrentClaims(t *testing.T) {
	prefix := randomPrefix(t)
	concurrentClaims(t, openStoreWith(t, newClient(t), prefix), New(newClient(t), Options{Prefix: prefix, Timeout: testTimeout}))
}

// concurrentClaims races 100 commits of a party of 2 for one start of capacity 40, spread over the stores (one
// prefix, separate clients: as many instances would): exactly 20 succeed and 40 covers are allocated.
func concurrentClaims(t *testing.T, stores ...*Store) {
	s := stores[0]
	ctx := tctx(t)
	start := t0.Add(48 * time.Hour)
	const n = 100
	errs := make(chan error, n)
	for i := range n {
		go func() {
			b := newBooking(fmt.Sprintf("r%d", i), "m", "", start, 2)
			errs <- stores[i%len(stores)].Commit(ctx, &booking.Mutation{MerchantID: "m", Now: t0, Booking: b, Claim: claimFor(b, 40)})
		}()
	}
	ok := 0
	for range n {
		err := <-errs
		switch booking.CodeOf(err) {
		case "":
			if err != nil {
				t.Fatal(err)
			}
			ok++
		case booking.CodeSlotUnavailable:
		default:
			t.Fatal(err)
		}
	}
	if ok != 20 {
		t.Fatalf("%d bookings of 2 in capacity 40, want 20", ok)
	}
	allocs, _ := s.Allocations(ctx, "m", "dinner", start, start.Add(time.Minute))
	sum := 0
	for _, a := range allocs {
		sum += a.Party
	}
	if sum != 40 {
		t.Fatalf("allocated %d covers", sum)
	}
}

// TestRegistryWrittenWithTheCommit: on a single Redis the commit script writes the registry itself, so a commit
// that fails a check leaves no pointer behind, and one that succeeds leaves every pointer its lookups need.
// Holds get none: they are looked up with their merchant.
func TestRegistryWrittenWithTheCommit(t *testing.T) {
	s := openStore(t)
	ctx := tctx(t)
	start := t0.Add(48 * time.Hour)
	createBooking(t, s, newBooking("a", "m", "u1", start, 10), 10, t0)

	full := newBooking("b", "m", "u2", start, 2)
	err := s.Commit(ctx, &booking.Mutation{MerchantID: "m", Now: t0, Booking: full, Claim: claimFor(full, 10),
		Outbox: []booking.OutboxEntry{entryFor(full, booking.ChangeCreated, t0)}})
	wantCode(t, err, booking.CodeSlotUnavailable)
	h := &booking.Hold{ID: "h1", MerchantID: "m", ServiceID: "dinner", Start: start, End: start.Add(time.Hour),
		PartySize: 2, CreatedAt: t0, ExpiresAt: t0.Add(15 * time.Minute)}
	if err := s.Commit(ctx, &booking.Mutation{MerchantID: "m", Now: t0, PutHold: h}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		key  string
		want bool
	}{
		{s.merchantsKey(), true},
		{s.bookingPtr("a"), true},
		{s.userKey("u1"), true},
		{s.bookingPtr("b"), false},
		{s.userKey("u2"), false},
		{s.prefix + ":hp:h1", false},
	}
	for _, tt := range tests {
		n, err := s.c.Exists(ctx, tt.key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if (n == 1) != tt.want {
			t.Errorf("%s exists = %v, want %v", tt.key, n == 1, tt.want)
		}
	}
	if got, err := s.Hold(ctx, "m", "h1"); err != nil || got.ID != "h1" {
		t.Errorf("Hold(m, h1) = %+v, %v", got, err)
	}
	if _, err := s.Hold(ctx, "other", "h1"); booking.CodeOf(err) != booking.CodeNotFound {
		t.Errorf("Hold of another merchant: %v, want NOT_FOUND", err)
	}
}

// TestRefusedFirstCommitStillRegistersMerchant: a merchant whose first commit is refused is registered by its
// first successful one (the cross-merchant scans find its outbox and bookings).
func TestRefusedFirstCommitStillRegistersMerchant(t *testing.T) {
	s := openStore(t)
	ctx := tctx(t)
	start := t0.Add(48 * time.Hour)
	big := newBooking("big", "m9", "", start, 12)
	wantCode(t, s.Commit(ctx, &booking.Mutation{MerchantID: "m9", Now: t0, Booking: big, Claim: claimFor(big, 10)}),
		booking.CodeSlotUnavailable)
	createBooking(t, s, newBooking("ok", "m9", "", start, 2), 10, t0)
	if in, err := s.c.SIsMember(ctx, s.merchantsKey(), "m9").Result(); err != nil || !in {
		t.Fatalf("m9 in %s: %v, %v; want registered", s.merchantsKey(), in, err)
	}
	es, err := s.ClaimOutbox(ctx, "w", 10, time.Minute, t0.Add(time.Second))
	if err != nil || len(es) != 1 || es[0].BookingID != "ok" {
		t.Fatalf("claim after a refused first commit: %+v, %v", es, err)
	}
}
