package booking

import (
	"context"
	"time"
)

// The store is split by who uses it. [Ledger] is what the core commits and reads; [Outbox] is what the
// worker that delivers outbox entries needs; [Store] is everything one implementation (booking/bolt,
// booking/redis, booking/memory) provides, and what the binary opens and hands out by the narrow interfaces.
// Every implementation must pass the conformance suite in booking/storetest.
//
// Methods return *Error values with CodeNotFound, CodeSlotUnavailable, CodeVersionMismatch for the
// conditions they check, and wrapped infrastructure errors otherwise. Every method honours ctx's deadline.
// Implementations make each method atomic and take no business decisions beyond the conditions a [Mutation]
// spells out.

// Ledger persists holds, bookings, capacity allocations and idempotency records: what the [Core] needs to
// commit a change and to read what it decides on.
type Ledger interface {
	// Commit applies m atomically: either every part of it is written or none is. See [Mutation] for the
	// checks it performs, in order.
	Commit(ctx context.Context, m *Mutation) error

	// Allocations returns the allocations of a merchant's service that overlap [from, to), including holds
	// that expired at or before now if the store has not swept them yet (callers filter with Allocation.Live).
	Allocations(ctx context.Context, merchantID, serviceID string, from, to time.Time) ([]Allocation, error)

	// Booking returns the booking with the id, or an error with CodeNotFound.
	Booking(ctx context.Context, id string) (Booking, error)
	// Hold returns the merchant's hold with the id (expired or not), or an error with CodeNotFound (also for a
	// hold of another merchant). Every caller knows the merchant a hold was placed with, so a store may keep
	// holds under their merchant with no index by hold ID alone (the Redis store does).
	Hold(ctx context.Context, merchantID, id string) (Hold, error)
	// BookingsByUser returns every booking of the user whose End is after since, any status, by Start.
	BookingsByUser(ctx context.Context, userID string, since time.Time) ([]Booking, error)
	// BookingsByDay returns a merchant's bookings whose Day is day (YYYY-MM-DD), any status, by Start.
	BookingsByDay(ctx context.Context, merchantID, day string) ([]Booking, error)
	// BookingsEndedBefore returns up to limit bookings with status PENDING, CONFIRMED or CHANGE_REQUESTED whose
	// End is before t, oldest End first (the automatic FULFILLED sweep).
	BookingsEndedBefore(ctx context.Context, t time.Time, limit int) ([]Booking, error)

	// Idempotency returns the record stored under the merchant's key and whether it exists and has not expired
	// at now. Keys are scoped by merchant: the same key under two merchants names two records.
	Idempotency(ctx context.Context, merchantID, key string, now time.Time) (IdempotencyRecord, bool, error)
}

// Outbox is what the worker that delivers outbox entries needs: lease entries in order per booking, settle
// each one (delivered, retry later, dead), read a booking's history and count what waits. Entries are written
// by [Ledger.Commit], together with the change they describe.
type Outbox interface {
	// ClaimOutbox leases up to n entries whose NextAttemptAt is at or before now to owner until now+lease,
	// marking them IN_FLIGHT and counting an attempt. It never returns an entry while an earlier entry (lower Seq)
	// of the same booking and lane ([OutboxEntry.Lane]) is not yet DELIVERED or DEAD, and never an entry under
	// another owner's unexpired lease; entries whose lease expired are claimable again. Entries come oldest
	// first. With channels, only entries of those channels are claimed (an empty Channel is ChannelOrders);
	// without, entries of every channel. A store may look at an entry of another channel less often afterwards
	// (the Redis store does not look at it again for a minute), but never claims it.
	ClaimOutbox(ctx context.Context, owner string, n int, lease time.Duration, now time.Time, channels ...Channel) ([]OutboxEntry, error)
	// AckOutbox marks the entry DELIVERED at now. It fails with CodeNotFound unless owner holds its lease.
	AckOutbox(ctx context.Context, id, owner string, now time.Time) error
	// RetryOutbox returns the entry to PENDING, due at at, with lastErr recorded. Owner must hold the lease.
	RetryOutbox(ctx context.Context, id, owner string, at time.Time, lastErr string) error
	// DeadOutbox marks the entry DEAD with lastErr; later entries of the booking become claimable. Owner must
	// hold the lease.
	DeadOutbox(ctx context.Context, id, owner string, lastErr string) error
	// OutboxStats reports how many entries are PENDING or IN_FLIGHT and the CreatedAt of the oldest of them
	// (zero when there are none).
	OutboxStats(ctx context.Context) (depth int, oldest time.Time, err error)
	OutboxHistory
}

// OutboxHistory reads the delivery history of one booking: what the worker checks before sending an entry,
// and what the staff's day view shows as each booking's delivery state.
type OutboxHistory interface {
	// OutboxByBooking returns every entry of the booking in Seq order, whatever its state.
	OutboxByBooking(ctx context.Context, bookingID string) ([]OutboxEntry, error)
}

// Store is everything a store implementation provides: the [Ledger], the [Outbox], a health check and Close.
// The binary opens one and hands each part of the service the narrow interface it uses.
type Store interface {
	Ledger
	Outbox

	// Ping checks that the store answers; /readyz calls it with a 1 s deadline.
	Ping(ctx context.Context) error
	// Close releases the store's resources. Call it once, after every other call has returned.
	Close() error
}

// Mutation is one atomic change. Store.Commit applies it in this order, stopping at the first failed check
// and then writing nothing:
//
//  1. Idempotency: when Idempotency is set and a record with its Key exists for MerchantID (unexpired at Now), fail with
//     *ReplayError carrying that record. Otherwise the record is written with the rest.
//  2. Version: when Booking is set, the stored booking with Booking.ID must have Version == ExpectVersion
//     (ExpectVersion 0 means no booking with that ID may exist); otherwise fail with CodeVersionMismatch.
//     When ExpectVersion is 0 a hold with the same ID may exist: it is the hold being confirmed.
//  3. Hold: when RequireHold is set, the hold DeleteHold of MerchantID must be stored (expired or not);
//     otherwise fail with CodeNotFound.
//  4. User: when User is set, no Active booking of User.UserID at MerchantID other than User.Except may overlap
//     [User.Start, User.End); otherwise fail with CodeSlotAlreadyBookedByUser.
//  5. Capacity: when Claim is set, allocations that are no longer Live at Now are removed, then the peak sum
//     of Party over every instant of [Claim.Start, Claim.End), counting the live allocations of the same
//     merchant and service other than those with Claim.ID, plus Claim.Party, must not exceed Capacity;
//     otherwise fail with CodeSlotUnavailable. The check is skipped when the allocation being replaced (the one
//     with Claim.ID) covers the claim (see [Allocation.Covers]): a live hold keeps its capacity until it expires,
//     and a change that uses no more than before needs no room. Then the allocation with Claim.ID is replaced by
//     Claim.
//  6. Release: the allocations with these IDs are removed (absent ones are ignored).
//  7. Holds: PutHold is written (indexed for Store.Hold); DeleteHold is removed (absent is ignored).
//  8. Booking: written, and the user, day and active-by-end indexes follow it (moved when Day, End, Status
//     or Customer.UserID changed, removed from the active index when the booking is no longer Active).
//  9. Outbox: each entry is appended as PENDING, due at its NextAttemptAt.
//
// Checks 2 to 5 read what they guard in the same atomic step as the writes, so two racing mutations cannot both
// pass a check that only one of them may pass.
type Mutation struct {
	// MerchantID scopes the mutation: every record it touches belongs to this merchant (a store may keep each
	// merchant's keys together, as the Redis store does with one Cluster hash tag per merchant).
	MerchantID    string
	Now           time.Time
	Idempotency   *IdempotencyRecord
	Booking       *Booking
	ExpectVersion int64
	RequireHold   bool
	User          *UserGuard
	Claim         *Claim
	Release       []string
	PutHold       *Hold
	DeleteHold    string
	Outbox        []OutboxEntry
}

// UserGuard keeps one person from holding two overlapping bookings at a merchant (SLOT_ALREADY_BOOKED_BY_USER).
type UserGuard struct {
	UserID     string
	Start, End time.Time
	// Except is the booking being written (its own earlier span does not conflict with itself).
	Except string
}

// Conflicts reports whether b, a booking of the guarded user at the mutation's merchant, breaks the guard.
// Stores written in Go call it for every booking of the user at the merchant.
func (g *UserGuard) Conflicts(b *Booking) bool {
	return b.ID != g.Except && b.Customer.UserID == g.UserID && b.Active() && b.Start.Before(g.End) && b.End.After(g.Start)
}

// Claim asks for capacity: Allocation plus the service's Capacity at every instant of its span.
type Claim struct {
	Allocation
	Capacity int
}

// Covers reports whether a, the allocation a claim replaces, makes the claim's capacity check unnecessary: a is
// Live at now, its span contains c's and its Party is at least c's, so replacing a by c raises the usage of no
// instant.
func (a Allocation) Covers(c Allocation, now time.Time) bool {
	return a.ServiceID == c.ServiceID && a.Live(now) && !a.Start.After(c.Start) && !a.End.Before(c.End) && a.Party >= c.Party
}

// ReplayError is returned by Store.Commit when the mutation's idempotency key is already recorded.
type ReplayError struct {
	Record IdempotencyRecord
}

func (e *ReplayError) Error() string { return "idempotency key already recorded" }

// PeakUsage returns the largest sum of Party over any instant of [start, end) among the allocations that are
// live at now, leaving out those whose ID is exclude. Stores written in Go call it for Mutation.Claim; the Redis
// store's Lua script computes the same and the conformance suite checks both.
func PeakUsage(allocs []Allocation, start, end, now time.Time, exclude string) int {
	peak := 0
	// The peak over [start, end) is reached at start or at the start of some allocation inside the span.
	consider := func(t time.Time) {
		sum := 0
		for _, a := range allocs {
			if a.ID == exclude || !a.Live(now) {
				continue
			}
			if !a.Start.After(t) && a.End.After(t) {
				sum += a.Party
			}
		}
		if sum > peak {
			peak = sum
		}
	}
	consider(start)
	for _, a := range allocs {
		if a.Start.After(start) && a.Start.Before(end) {
			consider(a.Start)
		}
	}
	return peak
}
