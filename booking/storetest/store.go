package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
)

// t0 is "now" for the store-level tests; evening times are relative to it.
var t0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func at(hhmm string) time.Time {
	d, err := time.Parse("15:04", hhmm)
	if err != nil {
		panic(err)
	}
	return time.Date(t0.Year(), t0.Month(), t0.Day(), d.Hour(), d.Minute(), 0, 0, time.UTC)
}

func mkBooking(id, merchant, user string, start time.Time, dur time.Duration) booking.Booking {
	return booking.Booking{
		ID:               id,
		ConfirmationCode: "ABC234",
		MerchantID:       merchant,
		ServiceID:        "s1",
		Customer:         booking.Customer{Name: "Test Guest", Email: "guest@example.com", Phone: "+1 555 0100", UserID: user},
		PartySize:        2,
		Start:            start,
		End:              start.Add(dur),
		Day:              start.Format(time.DateOnly),
		Status:           booking.StatusConfirmed,
		Version:          1,
		Source:           booking.SourceActionsCenter,
		CreatedAt:        t0,
		UpdatedAt:        t0,
	}
}

func alloc(id, merchant, service string, start, end time.Time, party int) booking.Allocation {
	return booking.Allocation{ID: id, MerchantID: merchant, ServiceID: service, Start: start, End: end, Party: party}
}

func claim(a booking.Allocation, capacity int) *booking.Claim {
	return &booking.Claim{Allocation: a, Capacity: capacity}
}

func entry(b booking.Booking, created time.Time) booking.OutboxEntry {
	return booking.OutboxEntry{
		ID:            fmt.Sprintf("%s.%d", b.ID, b.Version),
		BookingID:     b.ID,
		Seq:           b.Version,
		Kind:          booking.ChangeCreated,
		Booking:       b,
		CreatedAt:     created,
		NextAttemptAt: created,
		State:         booking.DeliveryPending,
	}
}

func allocIDs(t testing.TB, st booking.Store, merchant, service string, from, to time.Time) []string {
	t.Helper()
	as, err := st.Allocations(ctxFor(t), merchant, service, from, to)
	must(t, err)
	ids := make([]string, 0, len(as))
	for _, a := range as {
		ids = append(ids, a.ID)
	}
	sort.Strings(ids)
	return ids
}

func bookingIDs(bs []booking.Booking) []string {
	ids := make([]string, 0, len(bs))
	for _, b := range bs {
		ids = append(ids, b.ID)
	}
	return ids
}

// sortedIDs is entryIDs sorted (for claims whose entries share a CreatedAt).
func sortedIDs(es []booking.OutboxEntry) []string {
	ids := entryIDs(es)
	sort.Strings(ids)
	return ids
}

func entryIDs(es []booking.OutboxEntry) []string {
	ids := make([]string, 0, len(es))
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	return ids
}

func wantIDs(t testing.TB, what string, got []string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got == nil {
		got = []string{}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %q, want %q", what, got, want)
	}
}

func runStore(t *testing.T, open func(t *testing.T) booking.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st booking.Store)
	}{
		{"Ping", testPing},
		{"NotFound", testNotFound},
		{"CreateAndRead", testCreateAndRead},
		{"VersionCAS", testVersionCAS},
		{"FailedCheckWritesNothing", testFailedCheckWritesNothing},
		{"IdempotencyReplay", testIdempotencyReplay},
		{"IdempotencyScopeAndExpiry", testIdempotencyScopeAndExpiry},
		{"CapacityPeak", testCapacityPeak},
		{"ClaimReplacesOwnAllocation", testClaimReplacesOwn},
		{"ExpiredHoldsSwept", testExpiredHolds},
		{"Release", testRelease},
		{"Holds", testHolds},
		{"ConfirmHoldIntoBooking", testConfirmHold},
		{"RequireHold", testRequireHold},
		{"UserGuard", testUserGuard},
		{"CoveredClaimSkipsCount", testCoveredClaim},
		{"Indexes", testIndexes},
		{"BookingsEndedBefore", testEndedBefore},
		{"OutboxOrderPerBooking", testOutboxOrder},
		{"OutboxLeases", testOutboxLeases},
		{"OutboxRetry", testOutboxRetry},
		{"OutboxDeadUnblocks", testOutboxDead},
		{"OutboxNotDueAndLimit", testOutboxNotDue},
		{"OutboxStats", testOutboxStats},
		{"OutboxLanes", testOutboxLanes},
		{"OutboxChannelFilter", testOutboxChannelFilter},
		{"CanceledContext", testCanceledContext},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

func testPing(t *testing.T, st booking.Store) {
	ctx, cancel := context.WithTimeout(ctxFor(t), time.Second)
	defer cancel()
	must(t, st.Ping(ctx))
}

func testNotFound(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	_, err := st.Booking(ctx, "nope")
	wantCode(t, err, booking.CodeNotFound, "")
	_, err = st.Hold(ctx, "m1", "nope")
	wantCode(t, err, booking.CodeNotFound, "")
	bs, err := st.BookingsByUser(ctx, "nobody", t0)
	must(t, err)
	wantIDs(t, "BookingsByUser of an unknown user", bookingIDs(bs))
	es, err := st.OutboxByBooking(ctx, "nope")
	must(t, err)
	wantIDs(t, "OutboxByBooking of an unknown booking", entryIDs(es))
	_, ok, err := st.Idempotency(ctx, "m1", "k", t0)
	must(t, err)
	if ok {
		t.Fatal("Idempotency found a record in an empty store")
	}
}

func testCreateAndRead(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	b := mkBooking("b1", "m1", "u1", at("18:00"), 90*time.Minute)
	b.GoogleOrderID = "order-1"
	b.Reason = "first"
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: &b}))
	got, err := st.Booking(ctx, "b1")
	must(t, err)
	same(t, "stored booking", got, b)
}

func testVersionCAS(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	b := mkBooking("b1", "m1", "u1", at("18:00"), 90*time.Minute)
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: &b}))

	// Create-if-absent: a second creation of the same id fails.
	dup := b
	dup.PartySize = 7
	wantCode(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: &dup}), booking.CodeVersionMismatch, "")

	b2 := b
	b2.Version, b2.PartySize = 2, 4
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: &b2, ExpectVersion: 1}))

	stale := b
	stale.Version, stale.PartySize = 2, 6
	wantCode(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: &stale, ExpectVersion: 1}), booking.CodeVersionMismatch, "")
	got, err := st.Booking(ctx, "b1")
	must(t, err)
	same(t, "booking after a stale update", got, b2)

	ghost := mkBooking("ghost", "m1", "u1", at("18:00"), time.Hour)
	ghost.Version = 4
	wantCode(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: &ghost, ExpectVersion: 3}), booking.CodeVersionMismatch, "")
	_, err = st.Booking(ctx, "ghost")
	wantCode(t, err, booking.CodeNotFound, "")
}

func testFailedCheckWritesNothing(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	b := mkBooking("b1", "m1", "u1", at("18:00"), 90*time.Minute)
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: &b,
		Claim: claim(alloc("b1", "m1", "s1", b.Start, b.End, 2), 10)}))

	// A version failure with every other part present writes none of them.
	dup := mkBooking("b1", "m1", "u9", at("19:00"), time.Hour)
	h := booking.Hold{ID: "h1", MerchantID: "m1", ServiceID: "s1", Start: at("19:00"), End: at("20:00"), PartySize: 1, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	rec := &booking.IdempotencyRecord{Key: "k1", RequestHash: "h", Result: []byte(`{}`), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	err := st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Idempotency: rec, Booking: &dup,
		Claim: claim(alloc("x1", "m1", "s1", at("19:00"), at("20:00"), 1), 10), Release: []string{"b1"},
		PutHold: &h, Outbox: []booking.OutboxEntry{entry(dup, t0)}})
	wantCode(t, err, booking.CodeVersionMismatch, "")

	// A capacity failure likewise.
	nb := mkBooking("b2", "m1", "u2", at("18:00"), time.Hour)
	err = st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Idempotency: rec, Booking: &nb,
		Claim: claim(alloc("b2", "m1", "s1", nb.Start, nb.End, 9), 10), Release: []string{"b1"},
		PutHold: &h, DeleteHold: "", Outbox: []booking.OutboxEntry{entry(nb, t0)}})
	wantCode(t, err, booking.CodeSlotUnavailable, "")

	got, err := st.Booking(ctx, "b1")
	must(t, err)
	same(t, "booking after failed commits", got, b)
	_, err = st.Booking(ctx, "b2")
	wantCode(t, err, booking.CodeNotFound, "")
	_, err = st.Hold(ctx, "m1", "h1")
	wantCode(t, err, booking.CodeNotFound, "")
	wantIDs(t, "allocations after failed commits", allocIDs(t, st, "m1", "s1", at("00:00"), at("23:59")), "b1")
	if _, ok, err := st.Idempotency(ctx, "m1", "k1", t0); err != nil || ok {
		t.Fatalf("idempotency record after failed commits: found=%v err=%v", ok, err)
	}
	for _, id := range []string{"b1", "b2"} {
		es, err := st.OutboxByBooking(ctx, id)
		must(t, err)
		wantIDs(t, "outbox after failed commits", entryIDs(es))
	}
	if d, _, err := st.OutboxStats(ctx); err != nil || d != 0 {
		t.Fatalf("OutboxStats after failed commits: depth %d err %v", d, err)
	}
	u, err := st.BookingsByUser(ctx, "u9", t0)
	must(t, err)
	wantIDs(t, "user index after failed commits", bookingIDs(u))
}

func testIdempotencyReplay(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	rec := booking.IdempotencyRecord{Key: "key-1", RequestHash: "hash-1", Result: []byte(`{"booking":{"id":"b1"}}`),
		CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour)}
	b1 := mkBooking("b1", "m1", "u1", at("18:00"), time.Hour)
	r := rec
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Idempotency: &r, Booking: &b1,
		Outbox: []booking.OutboxEntry{entry(b1, t0)}}))

	got, ok, err := st.Idempotency(ctx, "m1", "key-1", t0.Add(time.Hour))
	must(t, err)
	if !ok {
		t.Fatal("Idempotency: the record just written is missing")
	}
	same(t, "idempotency record", got, rec)

	// A replay fails with *ReplayError carrying the first record and writes nothing.
	b2 := mkBooking("b2", "m1", "u2", at("19:00"), time.Hour)
	r2 := rec
	r2.RequestHash, r2.Result = "hash-2", []byte(`{"booking":{"id":"b2"}}`)
	err = st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0.Add(time.Minute), Idempotency: &r2, Booking: &b2,
		Outbox: []booking.OutboxEntry{entry(b2, t0)}})
	var re *booking.ReplayError
	if !errors.As(err, &re) {
		t.Fatalf("replayed commit: got %v, want *booking.ReplayError", err)
	}
	same(t, "replayed record", re.Record, rec)
	_, err = st.Booking(ctx, "b2")
	wantCode(t, err, booking.CodeNotFound, "")
	es, err := st.OutboxByBooking(ctx, "b2")
	must(t, err)
	wantIDs(t, "outbox of a replayed commit", entryIDs(es))

	// The idempotency check comes before the version check.
	again := b1
	err = st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0.Add(time.Minute), Idempotency: &r2, Booking: &again})
	if !errors.As(err, &re) {
		t.Fatalf("replay with a conflicting version: got %v, want *booking.ReplayError first", err)
	}

	// An idempotency-only mutation (a recorded failure) is a valid commit.
	fail := booking.IdempotencyRecord{Key: "key-2", RequestHash: "hash-3", Result: []byte(`{"error":{"code":"SLOT_UNAVAILABLE"}}`),
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	f := fail
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Idempotency: &f}))
	got, ok, err = st.Idempotency(ctx, "m1", "key-2", t0)
	must(t, err)
	if !ok {
		t.Fatal("idempotency-only record missing")
	}
	same(t, "idempotency-only record", got, fail)
}

func testIdempotencyScopeAndExpiry(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	rec := booking.IdempotencyRecord{Key: "k", RequestHash: "h1", Result: []byte(`"one"`), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	r := rec
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Idempotency: &r}))

	// Keys are scoped by merchant.
	if _, ok, err := st.Idempotency(ctx, "m2", "k", t0); err != nil || ok {
		t.Fatalf("m2's key k: found=%v err=%v, want absent", ok, err)
	}
	other := rec
	other.RequestHash, other.Result = "h-m2", []byte(`"two"`)
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m2", Now: t0, Idempotency: &other}))
	got, ok, err := st.Idempotency(ctx, "m1", "k", t0)
	must(t, err)
	if !ok || got.RequestHash != "h1" {
		t.Fatalf("m1's key k after m2 wrote its own: %+v found=%v", got, ok)
	}

	// Expired at ExpiresAt: not found, and the key can be used again.
	if _, ok, err := st.Idempotency(ctx, "m1", "k", t0.Add(time.Hour-time.Millisecond)); err != nil || !ok {
		t.Fatalf("record just before expiry: found=%v err=%v", ok, err)
	}
	if _, ok, err := st.Idempotency(ctx, "m1", "k", t0.Add(time.Hour)); err != nil || ok {
		t.Fatalf("record at its expiry: found=%v err=%v, want absent", ok, err)
	}
	fresh := booking.IdempotencyRecord{Key: "k", RequestHash: "h3", Result: []byte(`"three"`), CreatedAt: t0.Add(time.Hour), ExpiresAt: t0.Add(3 * time.Hour)}
	f := fresh
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0.Add(time.Hour), Idempotency: &f}))
	got, ok, err = st.Idempotency(ctx, "m1", "k", t0.Add(2*time.Hour))
	must(t, err)
	if !ok {
		t.Fatal("the re-used key's record is missing")
	}
	same(t, "re-used key's record", got, fresh)
}

func testCapacityPeak(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	try := func(a booking.Allocation) error {
		return st.Commit(ctx, &booking.Mutation{MerchantID: a.MerchantID, Now: t0, Claim: claim(a, 10)})
	}
	must(t, try(alloc("A", "m1", "s1", at("18:00"), at("19:30"), 4)))
	must(t, try(alloc("B", "m1", "s1", at("19:00"), at("20:30"), 4)))
	// Overlapping allocations add up: at 19:15, A and B use 8.
	wantCode(t, try(alloc("C", "m1", "s1", at("19:15"), at("20:45"), 3)), booking.CodeSlotUnavailable, "")
	must(t, try(alloc("C", "m1", "s1", at("19:15"), at("20:45"), 2)))
	// Ends are exclusive: B ends at 20:30, so [20:30, 22:00) sees only C.
	must(t, try(alloc("D", "m1", "s1", at("20:30"), at("22:00"), 8)))
	must(t, try(alloc("E", "m1", "s1", at("17:00"), at("18:00"), 10)))
	// The peak inside the span counts, not only its start: at 18:15 only A (4) is in use, at 19:15 A, B and C use 10.
	wantCode(t, try(alloc("F", "m1", "s1", at("18:15"), at("19:45"), 3)), booking.CodeSlotUnavailable, "")
	// Other services and merchants do not share the capacity.
	must(t, try(alloc("G", "m1", "s2", at("19:15"), at("20:45"), 10)))
	must(t, try(alloc("H", "m2", "s1", at("19:15"), at("20:45"), 10)))

	wantIDs(t, "m1/s1 allocations", allocIDs(t, st, "m1", "s1", at("00:00"), at("23:59")), "A", "B", "C", "D", "E")
	// Allocations returns those overlapping [from, to): A ends at 19:30, E at 18:00.
	wantIDs(t, "m1/s1 allocations in [19:30, 20:00)", allocIDs(t, st, "m1", "s1", at("19:30"), at("20:00")), "B", "C")
	wantIDs(t, "m1/s1 allocations in [17:59, 18:00)", allocIDs(t, st, "m1", "s1", at("17:59"), at("18:00")), "E")
	as, err := st.Allocations(ctx, "m1", "s1", at("19:00"), at("19:01"))
	must(t, err)
	for _, a := range as {
		if a.ID == "B" {
			same(t, "allocation B", a, alloc("B", "m1", "s1", at("19:00"), at("20:30"), 4))
		}
	}
	wantIDs(t, "m1/s2 allocations", allocIDs(t, st, "m1", "s2", at("00:00"), at("23:59")), "G")
	wantIDs(t, "m2/s1 allocations", allocIDs(t, st, "m2", "s1", at("00:00"), at("23:59")), "H")
}

func testClaimReplacesOwn(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	try := func(a booking.Allocation) error {
		return st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Claim: claim(a, 10)})
	}
	must(t, try(alloc("X", "m1", "s1", at("18:00"), at("19:30"), 8)))
	// Re-claiming X leaves X's current allocation out of the count and replaces it.
	must(t, try(alloc("X", "m1", "s1", at("18:30"), at("20:00"), 10)))
	as, err := st.Allocations(ctx, "m1", "s1", at("00:00"), at("23:59"))
	must(t, err)
	if len(as) != 1 {
		t.Fatalf("allocations after re-claim: %+v, want only X", as)
	}
	same(t, "re-claimed X", as[0], alloc("X", "m1", "s1", at("18:30"), at("20:00"), 10))
	wantCode(t, try(alloc("Y", "m1", "s1", at("19:00"), at("19:30"), 1)), booking.CodeSlotUnavailable, "")
	must(t, try(alloc("Y", "m1", "s1", at("18:00"), at("18:30"), 10)))
}

func testExpiredHolds(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	hold := alloc("H", "m1", "s1", at("18:00"), at("19:30"), 10)
	hold.ExpiresAt = t0.Add(15 * time.Minute)
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Claim: claim(hold, 10)}))
	as, err := st.Allocations(ctx, "m1", "s1", at("18:00"), at("19:30"))
	must(t, err)
	if len(as) != 1 || !as[0].ExpiresAt.Equal(hold.ExpiresAt) {
		t.Fatalf("hold allocation: %+v, want H expiring at %s", as, hold.ExpiresAt)
	}
	z := alloc("Z", "m1", "s1", at("19:00"), at("20:00"), 1)
	wantCode(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: hold.ExpiresAt.Add(-time.Millisecond), Claim: claim(z, 10)}),
		booking.CodeSlotUnavailable, "")
	// At ExpiresAt the hold no longer counts, and the claim sweeps it away.
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: hold.ExpiresAt, Claim: claim(z, 10)}))
	wantIDs(t, "allocations after the sweep", allocIDs(t, st, "m1", "s1", at("00:00"), at("23:59")), "Z")
}

func testRelease(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Claim: claim(alloc("X", "m1", "s1", at("18:00"), at("19:30"), 10), 10)}))
	y := alloc("Y", "m1", "s1", at("19:00"), at("20:00"), 5)
	wantCode(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Claim: claim(y, 10)}), booking.CodeSlotUnavailable, "")
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Release: []string{"X", "absent"}}))
	wantIDs(t, "allocations after release", allocIDs(t, st, "m1", "s1", at("00:00"), at("23:59")))
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Claim: claim(y, 10)}))
	// Claim comes before Release: a mutation may claim one allocation and release another.
	z := alloc("Z", "m1", "s1", at("19:00"), at("20:00"), 5)
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Claim: claim(z, 10), Release: []string{"Y"}}))
	wantIDs(t, "allocations after claim+release", allocIDs(t, st, "m1", "s1", at("00:00"), at("23:59")), "Z")
}

func testHolds(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	h := booking.Hold{ID: "h1", MerchantID: "m1", ServiceID: "s1", Start: at("18:00"), End: at("19:30"), PartySize: 4,
		UserID: "u1", CreatedAt: t0, ExpiresAt: t0.Add(15 * time.Minute)}
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, PutHold: &h}))
	got, err := st.Hold(ctx, "m1", "h1")
	must(t, err)
	same(t, "stored hold", got, h)
	// A hold is found under its own merchant only.
	_, err = st.Hold(ctx, "m2", "h1")
	wantCode(t, err, booking.CodeNotFound, "")
	// Hold returns expired holds too (it takes no time).
	old := h
	old.ID, old.ExpiresAt = "h-old", t0.Add(-time.Hour)
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, PutHold: &old}))
	got, err = st.Hold(ctx, "m1", "h-old")
	must(t, err)
	same(t, "expired hold", got, old)
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, DeleteHold: "h1"}))
	_, err = st.Hold(ctx, "m1", "h1")
	wantCode(t, err, booking.CodeNotFound, "")
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, DeleteHold: "h1"}))
}

func testConfirmHold(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	h := booking.Hold{ID: "h1", MerchantID: "m1", ServiceID: "s1", Start: at("18:00"), End: at("19:30"), PartySize: 4,
		CreatedAt: t0, ExpiresAt: t0.Add(15 * time.Minute)}
	ha := alloc("h1", "m1", "s1", h.Start, h.End, 4)
	ha.ExpiresAt = h.ExpiresAt
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, PutHold: &h, Claim: claim(ha, 4)}))

	// ExpectVersion 0 with a hold of the same id: the hold being confirmed. Its own allocation is replaced.
	b := mkBooking("h1", "m1", "u1", h.Start, 90*time.Minute)
	b.PartySize = 4
	ba := alloc("h1", "m1", "s1", h.Start, h.End, 4)
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0.Add(time.Minute), Booking: &b, Claim: claim(ba, 4),
		DeleteHold: "h1", Outbox: []booking.OutboxEntry{entry(b, t0)}}))
	_, err := st.Hold(ctx, "m1", "h1")
	wantCode(t, err, booking.CodeNotFound, "")
	as, err := st.Allocations(ctx, "m1", "s1", at("00:00"), at("23:59"))
	must(t, err)
	if len(as) != 1 {
		t.Fatalf("allocations after confirmation: %+v", as)
	}
	same(t, "booking allocation", as[0], ba)
	// The booking's allocation never expires.
	wantCode(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0.Add(time.Hour),
		Claim: claim(alloc("other", "m1", "s1", at("18:00"), at("18:15"), 1), 4)}), booking.CodeSlotUnavailable, "")
}

func testRequireHold(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	h := booking.Hold{ID: "h1", MerchantID: "m1", ServiceID: "s1", Start: at("18:00"), End: at("19:30"), PartySize: 2,
		CreatedAt: t0, ExpiresAt: t0.Add(15 * time.Minute)}
	ha := alloc("h1", "m1", "s1", h.Start, h.End, 2)
	ha.ExpiresAt = h.ExpiresAt
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, PutHold: &h, Claim: claim(ha, 10)}))

	// Another hold's absence fails the whole mutation, before capacity and writes.
	b := mkBooking("h2", "m1", "u1", h.Start, 90*time.Minute)
	err := st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: &b, RequireHold: true, DeleteHold: "h2",
		Claim: claim(alloc("h2", "m1", "s1", b.Start, b.End, 2), 10), Outbox: []booking.OutboxEntry{entry(b, t0)}})
	wantCode(t, err, booking.CodeNotFound, "")
	_, err = st.Booking(ctx, "h2")
	wantCode(t, err, booking.CodeNotFound, "")
	wantIDs(t, "allocations after a missing hold", allocIDs(t, st, "m1", "s1", at("00:00"), at("23:59")), "h1")
	// RequireHold without DeleteHold names no hold: it fails too.
	wantCode(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, RequireHold: true}), booking.CodeNotFound, "")
	// Another merchant's mutation neither finds nor deletes the hold.
	wantCode(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m2", Now: t0, RequireHold: true, DeleteHold: "h1"}), booking.CodeNotFound, "")
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m2", Now: t0, DeleteHold: "h1"}))
	if _, err := st.Hold(ctx, "m1", "h1"); err != nil {
		t.Fatalf("hold after another merchant's delete: %v", err)
	}

	// An expired hold's record still counts as stored.
	b = mkBooking("h1", "m1", "u1", h.Start, 90*time.Minute)
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: h.ExpiresAt.Add(time.Minute), Booking: &b, RequireHold: true,
		DeleteHold: "h1", Claim: claim(alloc("h1", "m1", "s1", b.Start, b.End, 2), 10)}))
	// Once consumed, a second release or confirmation of it fails and leaves the booking's allocation alone.
	wantCode(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, RequireHold: true, DeleteHold: "h1", Release: []string{"h1"}}),
		booking.CodeNotFound, "")
	wantIDs(t, "allocations after a refused release", allocIDs(t, st, "m1", "s1", at("00:00"), at("23:59")), "h1")
}

func testUserGuard(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	put := func(b booking.Booking) {
		t.Helper()
		must(t, st.Commit(ctx, &booking.Mutation{MerchantID: b.MerchantID, Now: t0, Booking: &b}))
	}
	put(mkBooking("b1", "m1", "u1", at("18:00"), 90*time.Minute)) // 18:00–19:30
	cancelled := mkBooking("b2", "m1", "u1", at("20:00"), time.Hour)
	cancelled.Status = booking.StatusCancelled
	put(cancelled)
	put(mkBooking("b3", "m2", "u1", at("21:00"), time.Hour)) // another merchant
	put(mkBooking("b4", "m1", "u2", at("21:00"), time.Hour)) // another user

	guarded := func(merchant, user string, from, to time.Time, except string) error {
		g := &booking.UserGuard{UserID: user, Start: at(from.Format("15:04")), End: at(to.Format("15:04")), Except: except}
		if to.Before(from) {
			g.End = to
		}
		return st.Commit(ctx, &booking.Mutation{MerchantID: merchant, Now: t0, User: g,
			Claim: claim(alloc("x-"+user+from.Format("1504"), merchant, "s1", g.Start, g.End, 1), 100)})
	}
	cases := []struct {
		name           string
		merchant, user string
		from, to       string
		except         string
		want           booking.Code
	}{
		{"overlapping the start", "m1", "u1", "17:00", "18:01", "", booking.CodeSlotAlreadyBookedByUser},
		{"inside", "m1", "u1", "18:30", "19:00", "", booking.CodeSlotAlreadyBookedByUser},
		{"ends where it starts", "m1", "u1", "17:00", "18:00", "", ""},
		{"starts where it ends", "m1", "u1", "19:30", "20:00", "", ""},
		{"the booking itself", "m1", "u1", "18:30", "20:00", "b1", ""},
		{"over a cancelled booking", "m1", "u1", "20:00", "21:00", "", ""},
		{"another merchant's booking", "m1", "u1", "21:00", "22:00", "", ""},
		{"at the other merchant", "m2", "u1", "21:30", "22:30", "", booking.CodeSlotAlreadyBookedByUser},
		{"another user", "m1", "u3", "18:00", "19:00", "", ""},
	}
	for _, c := range cases {
		err := guarded(c.merchant, c.user, at(c.from), at(c.to), c.except)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if booking.CodeOf(err) != c.want {
			t.Errorf("%s: got %v, want %s", c.name, err, c.want)
		}
	}
	// A refused mutation wrote nothing.
	wantIDs(t, "m2 allocations", allocIDs(t, st, "m2", "s1", at("00:00"), at("23:59")))

	// The guard sees bookings written by the same commits that check it: of many racing bookings of one user
	// at one time, exactly one is stored.
	const racers = 20
	errs := make(chan error, racers)
	for i := range racers {
		go func() {
			b := mkBooking(fmt.Sprintf("r%d", i), "m1", "racer", at("12:00"), time.Hour)
			errs <- st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: &b,
				User: &booking.UserGuard{UserID: "racer", Start: b.Start, End: b.End, Except: b.ID}})
		}()
	}
	won := 0
	for range racers {
		switch err := <-errs; booking.CodeOf(err) {
		case "":
			if err != nil {
				t.Fatal(err)
			}
			won++
		case booking.CodeSlotAlreadyBookedByUser:
		default:
			t.Fatalf("racing booking: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d racing bookings of one user at one time were stored, want 1", won, racers)
	}
}

func testCoveredClaim(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	try := func(now time.Time, a booking.Allocation, capacity int) error {
		return st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: now, Claim: claim(a, capacity)})
	}
	hold := alloc("H", "m1", "s1", at("18:00"), at("19:30"), 4)
	hold.ExpiresAt = t0.Add(15 * time.Minute)
	must(t, try(t0, hold, 10))
	must(t, try(t0, alloc("B", "m1", "s1", at("18:00"), at("19:30"), 6), 10))

	// Capacity lowered to 8 while the hold is live: confirming the hold as it is (no expiry now) still
	// succeeds, because it uses no more than it held.
	must(t, try(t0.Add(time.Minute), alloc("H", "m1", "s1", at("18:00"), at("19:30"), 4), 8))
	// A claim that asks for more than the allocation it replaces is counted: B (6) + 5 > 10.
	wantCode(t, try(t0, alloc("H", "m1", "s1", at("18:00"), at("19:30"), 5), 10), booking.CodeSlotUnavailable, "")
	// So is one that reaches outside its span: H (4) + 6 > 9.
	wantCode(t, try(t0, alloc("B", "m1", "s1", at("17:45"), at("19:30"), 6), 9), booking.CodeSlotUnavailable, "")
	// A smaller party inside the same span is covered, whatever the capacity.
	must(t, try(t0, alloc("B", "m1", "s1", at("18:30"), at("19:00"), 5), 1))

	// An expired hold covers nothing: re-claiming it is counted like a new claim.
	late := alloc("L", "m1", "s1", at("21:00"), at("22:00"), 4)
	late.ExpiresAt = t0.Add(5 * time.Minute)
	must(t, try(t0, late, 10))
	must(t, try(t0, alloc("M", "m1", "s1", at("21:00"), at("22:00"), 4), 10))
	wantCode(t, try(t0.Add(10*time.Minute), alloc("L", "m1", "s1", at("21:00"), at("22:00"), 4), 6), booking.CodeSlotUnavailable, "")
	must(t, try(t0.Add(10*time.Minute), alloc("L", "m1", "s1", at("21:00"), at("22:00"), 4), 8))

	as, err := st.Allocations(ctx, "m1", "s1", at("00:00"), at("23:59"))
	must(t, err)
	for _, a := range as {
		if a.ID == "H" {
			same(t, "confirmed H", a, alloc("H", "m1", "s1", at("18:00"), at("19:30"), 4))
		}
		if a.ID == "B" {
			same(t, "shrunk B", a, alloc("B", "m1", "s1", at("18:30"), at("19:00"), 5))
		}
	}
}

func testIndexes(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	b1 := mkBooking("b1", "m1", "u1", at("18:00"), 90*time.Minute)
	b2 := mkBooking("b2", "m1", "u1", at("18:00").Add(24*time.Hour), 90*time.Minute)
	b3 := mkBooking("b3", "m1", "u2", at("17:00"), 90*time.Minute)
	b4 := mkBooking("b4", "m2", "u1", at("18:30"), 90*time.Minute)
	for _, b := range []booking.Booking{b2, b4, b3, b1} {
		must(t, st.Commit(ctx, &booking.Mutation{MerchantID: b.MerchantID, Now: t0, Booking: &b}))
	}
	byUser := func(u string, since time.Time) []string {
		bs, err := st.BookingsByUser(ctx, u, since)
		must(t, err)
		return bookingIDs(bs)
	}
	byDay := func(m, d string) []string {
		bs, err := st.BookingsByDay(ctx, m, d)
		must(t, err)
		return bookingIDs(bs)
	}
	wantIDs(t, "u1's bookings", byUser("u1", t0), "b1", "b4", "b2")
	// End must be after since.
	wantIDs(t, "u1's bookings ending after b1's end", byUser("u1", b1.End), "b4", "b2")
	wantIDs(t, "m1 on 2026-03-02", byDay("m1", "2026-03-02"), "b3", "b1")
	wantIDs(t, "m2 on 2026-03-02", byDay("m2", "2026-03-02"), "b4")
	bs, err := st.BookingsByUser(ctx, "u1", t0)
	must(t, err)
	same(t, "BookingsByUser's first booking", bs[0], b1)

	// Reschedule b1 to the next day: the day index moves.
	m1 := b1
	m1.Start, m1.End, m1.Day, m1.Version = b1.Start.Add(25*time.Hour), b1.End.Add(25*time.Hour), "2026-03-03", 2
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: &m1, ExpectVersion: 1}))
	wantIDs(t, "m1 on 2026-03-02 after the move", byDay("m1", "2026-03-02"), "b3")
	wantIDs(t, "m1 on 2026-03-03 after the move", byDay("m1", "2026-03-03"), "b2", "b1")
	wantIDs(t, "u1's bookings after the move", byUser("u1", t0), "b4", "b2", "b1")

	// A change of user moves the user index.
	m3 := b3
	m3.Customer.UserID, m3.Version = "u3", 2
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: &m3, ExpectVersion: 1}))
	wantIDs(t, "u2's bookings after the change", byUser("u2", t0))
	wantIDs(t, "u3's bookings after the change", byUser("u3", t0), "b3")

	// A status change keeps the booking listed (any status) with its new status.
	c3 := m3
	c3.Status, c3.Version = booking.StatusCancelled, 3
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: &c3, ExpectVersion: 2}))
	bs, err = st.BookingsByDay(ctx, "m1", "2026-03-02")
	must(t, err)
	if len(bs) != 1 || bs[0].Status != booking.StatusCancelled {
		t.Fatalf("m1's day after cancelling b3: %+v", bs)
	}
}

func testEndedBefore(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	var all []booking.Booking
	for i, hhmm := range []string{"20:00", "17:00", "18:00", "19:00"} {
		b := mkBooking(fmt.Sprintf("e%d", i), "m1", "u1", at(hhmm), time.Hour)
		all = append(all, b)
		must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: &b}))
	}
	ended := func(tm time.Time, limit int) []string {
		bs, err := st.BookingsEndedBefore(ctx, tm, limit)
		must(t, err)
		return bookingIDs(bs)
	}
	wantIDs(t, "ended before 23:00", ended(at("23:00"), 10), "e1", "e2", "e3", "e0")
	wantIDs(t, "ended before 20:00 (e2 ends at 19:00, e3 at 20:00)", ended(at("20:00"), 10), "e1", "e2")
	wantIDs(t, "limit 2", ended(at("23:00"), 2), "e1", "e2")

	// PENDING and CHANGE_REQUESTED count; CANCELLED, FULFILLED, NO_SHOW, REJECTED do not.
	for i, st2 := range []booking.Status{booking.StatusFulfilled, booking.StatusPending, booking.StatusCancelled, booking.StatusChangeRequested} {
		b := all[i]
		b.Status, b.Version = st2, 2
		must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: &b, ExpectVersion: 1}))
	}
	wantIDs(t, "ended and active", ended(at("23:00"), 10), "e1", "e3")
	for i, st2 := range []booking.Status{booking.StatusNoShow, booking.StatusRejected} {
		b := all[i+1]
		b.Status, b.Version = st2, 3
		must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: &b, ExpectVersion: 2}))
	}
	wantIDs(t, "after NO_SHOW and REJECTED", ended(at("23:00"), 10), "e3")
	b := all[0]
	b.Status, b.Version = booking.StatusConfirmed, 3 // e0 back from FULFILLED: the store takes no decisions
	must(t, st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: &b, ExpectVersion: 2}))
	wantIDs(t, "re-activated e0", ended(at("23:00"), 10), "e3", "e0")
}

// commitOutbox writes bookings' versions with their outbox entries, one commit each.
func commitOutbox(t *testing.T, st booking.Store, es ...booking.OutboxEntry) {
	t.Helper()
	for _, e := range es {
		must(t, st.Commit(ctxFor(t), &booking.Mutation{MerchantID: e.Booking.MerchantID, Now: e.CreatedAt, Outbox: []booking.OutboxEntry{e}}))
	}
}

func versioned(b booking.Booking, v int64) booking.Booking {
	b.Version = v
	return b
}

func testOutboxOrder(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	a := mkBooking("A", "m1", "u1", at("18:00"), time.Hour)
	bb := mkBooking("B", "m2", "u2", at("18:00"), time.Hour)
	a1, a2 := entry(a, t0), entry(versioned(a, 2), t0.Add(time.Second))
	a2.Kind, a2.Reason = booking.ChangeStatus, "guest called"
	b1 := entry(bb, t0.Add(2*time.Second))
	commitOutbox(t, st, a1, a2, b1)

	now := t0.Add(10 * time.Second)
	got, err := st.ClaimOutbox(ctx, "w1", 10, time.Minute, now)
	must(t, err)
	// A.2 waits for A.1; entries come oldest first.
	wantIDs(t, "first claim", entryIDs(got), "A.1", "B.1")
	want := a1
	want.State, want.Attempts, want.LeaseOwner, want.LeaseUntil = booking.DeliveryInFlight, 1, "w1", now.Add(time.Minute)
	same(t, "claimed entry A.1", got[0], want)

	got, err = st.ClaimOutbox(ctx, "w2", 10, time.Minute, now)
	must(t, err)
	wantIDs(t, "claim while everything is leased or blocked", entryIDs(got))

	must(t, st.AckOutbox(ctx, "A.1", "w1", now.Add(time.Second)))
	got, err = st.ClaimOutbox(ctx, "w2", 10, time.Minute, now.Add(2*time.Second))
	must(t, err)
	wantIDs(t, "claim after A.1 is delivered", entryIDs(got), "A.2")
	if got[0].Kind != booking.ChangeStatus || got[0].Reason != "guest called" || got[0].Booking.Version != 2 {
		t.Fatalf("A.2 as claimed: %+v", got[0])
	}

	es, err := st.OutboxByBooking(ctx, "A")
	must(t, err)
	wantIDs(t, "A's entries", entryIDs(es), "A.1", "A.2")
	if es[0].State != booking.DeliveryDelivered || !es[0].DeliveredAt.Equal(now.Add(time.Second)) {
		t.Fatalf("A.1 after ack: state %s deliveredAt %s", es[0].State, es[0].DeliveredAt)
	}
	if es[1].State != booking.DeliveryInFlight || es[1].LeaseOwner != "w2" {
		t.Fatalf("A.2 after claim: state %s owner %q", es[1].State, es[1].LeaseOwner)
	}
}

func testOutboxLeases(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	a := mkBooking("A", "m1", "u1", at("18:00"), time.Hour)
	commitOutbox(t, st, entry(a, t0))
	got, err := st.ClaimOutbox(ctx, "w1", 5, time.Minute, t0)
	must(t, err)
	wantIDs(t, "w1's claim", entryIDs(got), "A.1")

	// Under w1's lease nobody else gets it, and only w1 may settle it.
	got, err = st.ClaimOutbox(ctx, "w2", 5, time.Minute, t0.Add(time.Minute-time.Millisecond))
	must(t, err)
	wantIDs(t, "w2's claim during w1's lease", entryIDs(got))
	wantCode(t, st.AckOutbox(ctx, "A.1", "w2", t0), booking.CodeNotFound, "")
	wantCode(t, st.RetryOutbox(ctx, "A.1", "w2", t0, "x"), booking.CodeNotFound, "")
	wantCode(t, st.DeadOutbox(ctx, "A.1", "w2", "x"), booking.CodeNotFound, "")
	wantCode(t, st.AckOutbox(ctx, "nope", "w1", t0), booking.CodeNotFound, "")

	// The lease expired: w2 takes it over; w1's ack is refused.
	got, err = st.ClaimOutbox(ctx, "w2", 5, time.Minute, t0.Add(time.Minute))
	must(t, err)
	wantIDs(t, "w2's claim after the lease expired", entryIDs(got), "A.1")
	if got[0].Attempts != 2 || got[0].LeaseOwner != "w2" || !got[0].LeaseUntil.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("re-claimed entry: attempts %d owner %q leaseUntil %s", got[0].Attempts, got[0].LeaseOwner, got[0].LeaseUntil)
	}
	wantCode(t, st.AckOutbox(ctx, "A.1", "w1", t0.Add(time.Minute)), booking.CodeNotFound, "")
	must(t, st.AckOutbox(ctx, "A.1", "w2", t0.Add(time.Minute)))
	// A delivered entry is settled for good.
	wantCode(t, st.AckOutbox(ctx, "A.1", "w2", t0.Add(time.Minute)), booking.CodeNotFound, "")
	got, err = st.ClaimOutbox(ctx, "w3", 5, time.Minute, t0.Add(time.Hour))
	must(t, err)
	wantIDs(t, "claim after delivery", entryIDs(got))
}

func testOutboxRetry(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	a := mkBooking("A", "m1", "u1", at("18:00"), time.Hour)
	commitOutbox(t, st, entry(a, t0), entry(versioned(a, 2), t0))
	got, err := st.ClaimOutbox(ctx, "w1", 5, time.Minute, t0)
	must(t, err)
	wantIDs(t, "first claim", entryIDs(got), "A.1")
	due := t0.Add(5 * time.Minute)
	must(t, st.RetryOutbox(ctx, "A.1", "w1", due, "503 Service Unavailable"))
	es, err := st.OutboxByBooking(ctx, "A")
	must(t, err)
	if e := es[0]; e.State != booking.DeliveryPending || !e.NextAttemptAt.Equal(due) || e.LastError != "503 Service Unavailable" || e.Attempts != 1 {
		t.Fatalf("A.1 after retry: %+v", e)
	}
	// Not due yet; A.2 still waits behind it.
	got, err = st.ClaimOutbox(ctx, "w1", 5, time.Minute, due.Add(-time.Millisecond))
	must(t, err)
	wantIDs(t, "claim before the retry is due", entryIDs(got))
	got, err = st.ClaimOutbox(ctx, "w2", 5, time.Minute, due)
	must(t, err)
	wantIDs(t, "claim when the retry is due", entryIDs(got), "A.1")
	if got[0].Attempts != 2 || got[0].LastError != "503 Service Unavailable" {
		t.Fatalf("retried entry: attempts %d lastError %q", got[0].Attempts, got[0].LastError)
	}
}

func testOutboxDead(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	c := mkBooking("C", "m1", "u1", at("18:00"), time.Hour)
	commitOutbox(t, st, entry(c, t0), entry(versioned(c, 2), t0), entry(versioned(c, 3), t0))
	got, err := st.ClaimOutbox(ctx, "w1", 5, time.Minute, t0)
	must(t, err)
	wantIDs(t, "first claim", entryIDs(got), "C.1")
	must(t, st.DeadOutbox(ctx, "C.1", "w1", "400 Bad Request"))
	got, err = st.ClaimOutbox(ctx, "w1", 5, time.Minute, t0)
	must(t, err)
	wantIDs(t, "claim after C.1 is dead", entryIDs(got), "C.2")
	es, err := st.OutboxByBooking(ctx, "C")
	must(t, err)
	wantIDs(t, "C's entries", entryIDs(es), "C.1", "C.2", "C.3")
	if es[0].State != booking.DeliveryDead || es[0].LastError != "400 Bad Request" {
		t.Fatalf("C.1 after dead: state %s lastError %q", es[0].State, es[0].LastError)
	}
	if es[2].State != booking.DeliveryPending {
		t.Fatalf("C.3: state %s, want PENDING", es[2].State)
	}
	// A dead entry is never claimed again.
	must(t, st.AckOutbox(ctx, "C.2", "w1", t0))
	got, err = st.ClaimOutbox(ctx, "w9", 5, time.Minute, t0.Add(time.Hour))
	must(t, err)
	wantIDs(t, "claim later", entryIDs(got), "C.3")
}

func testOutboxNotDue(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	x := mkBooking("X", "m1", "u1", at("18:00"), time.Hour)
	y := mkBooking("Y", "m1", "u1", at("18:00"), time.Hour)
	z := mkBooking("Z", "m2", "u1", at("18:00"), time.Hour)
	ex, ey, ez := entry(x, t0), entry(y, t0.Add(time.Second)), entry(z, t0.Add(2*time.Second))
	ex.NextAttemptAt = t0.Add(time.Hour) // written as due later
	ex.State = ""                        // appended as PENDING whatever the caller set
	commitOutbox(t, st, ex, ey, ez)
	es, err := st.OutboxByBooking(ctx, "X")
	must(t, err)
	if len(es) != 1 || es[0].State != booking.DeliveryPending || !es[0].NextAttemptAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("X's entry as stored: %+v", es)
	}
	got, err := st.ClaimOutbox(ctx, "w1", 1, time.Minute, t0.Add(time.Minute))
	must(t, err)
	wantIDs(t, "claim of 1", entryIDs(got), "Y.1")
	got, err = st.ClaimOutbox(ctx, "w1", 0, time.Minute, t0.Add(time.Minute))
	must(t, err)
	wantIDs(t, "claim of 0", entryIDs(got))
	got, err = st.ClaimOutbox(ctx, "w1", 5, time.Minute, t0.Add(time.Minute))
	must(t, err)
	wantIDs(t, "claim of the rest", entryIDs(got), "Z.1")
	must(t, st.AckOutbox(ctx, "Y.1", "w1", t0.Add(time.Minute)))
	must(t, st.AckOutbox(ctx, "Z.1", "w1", t0.Add(time.Minute)))
	got, err = st.ClaimOutbox(ctx, "w1", 5, time.Minute, t0.Add(time.Hour-time.Millisecond))
	must(t, err)
	wantIDs(t, "claim just before X is due", entryIDs(got))
	got, err = st.ClaimOutbox(ctx, "w1", 5, time.Minute, t0.Add(time.Hour))
	must(t, err)
	wantIDs(t, "claim when X is due", entryIDs(got), "X.1")
}

func testOutboxStats(t *testing.T, st booking.Store) {
	ctx := ctxFor(t)
	depth, oldest, err := st.OutboxStats(ctx)
	must(t, err)
	if depth != 0 || !oldest.IsZero() {
		t.Fatalf("empty outbox stats: %d, %s", depth, oldest)
	}
	a := mkBooking("A", "m1", "u1", at("18:00"), time.Hour)
	b := mkBooking("B", "m2", "u1", at("18:00"), time.Hour)
	commitOutbox(t, st, entry(a, t0), entry(b, t0.Add(time.Minute)), entry(versioned(b, 2), t0.Add(2*time.Minute)))
	depth, oldest, err = st.OutboxStats(ctx)
	must(t, err)
	if depth != 3 || !oldest.Equal(t0) {
		t.Fatalf("stats: %d, %s; want 3, %s", depth, oldest, t0)
	}
	// IN_FLIGHT entries count; DELIVERED and DEAD do not.
	got, err := st.ClaimOutbox(ctx, "w", 5, time.Minute, t0.Add(time.Hour))
	must(t, err)
	wantIDs(t, "claim", entryIDs(got), "A.1", "B.1")
	depth, oldest, err = st.OutboxStats(ctx)
	must(t, err)
	if depth != 3 || !oldest.Equal(t0) {
		t.Fatalf("stats with entries in flight: %d, %s; want 3, %s", depth, oldest, t0)
	}
	must(t, st.AckOutbox(ctx, "A.1", "w", t0.Add(time.Hour)))
	must(t, st.DeadOutbox(ctx, "B.1", "w", "gone"))
	depth, oldest, err = st.OutboxStats(ctx)
	must(t, err)
	if depth != 1 || !oldest.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("stats after ack and dead: %d, %s; want 1, %s", depth, oldest, t0.Add(2*time.Minute))
	}
}

func testCanceledContext(t *testing.T, st booking.Store) {
	ctx, cancel := context.WithCancel(ctxFor(t))
	cancel()
	b := mkBooking("b1", "m1", "u1", at("18:00"), time.Hour)
	if err := st.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: &b}); err == nil {
		t.Fatal("Commit with a cancelled context succeeded")
	} else if booking.CodeOf(err) != "" {
		t.Fatalf("Commit with a cancelled context: %v, want an infrastructure error", err)
	}
	if _, err := st.Booking(ctxFor(t), "b1"); booking.CodeOf(err) != booking.CodeNotFound {
		t.Fatalf("booking after a cancelled commit: %v, want NOT_FOUND", err)
	}
	if _, err := st.Booking(ctx, "b1"); err == nil {
		t.Fatal("Booking with a cancelled context succeeded")
	}
}
