// Package memory is an in-memory booking.Store: every method runs under one mutex, with exactly the
// semantics of booking.Mutation. It keeps nothing across restarts; unit tests of every package use it for
// speed, and it passes the conformance suite in booking/storetest.
package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/reservations/reservations/booking"
)

// Store is an in-memory booking.Store. The zero value is not usable; call New.
type Store struct {
	mu       sync.Mutex
	bookings map[string]booking.Booking
	holds    map[string]booking.Hold
	// allocs holds the allocations per merchant+service; allocKey maps an allocation id to its service.
	allocs   map[serviceKey]*allocSet
	allocKey map[string]serviceKey
	idem     map[idemKey]booking.IdempotencyRecord
	byUser   map[string]map[string]struct{}
	byDay    map[dayKey]map[string]struct{}
	outbox   map[string]*booking.OutboxEntry
	// undelivered holds the PENDING and IN_FLIGHT entries, the only ones ClaimOutbox and OutboxStats look at;
	// byBooking lists each booking's entries in Seq order. Both keep a long delivered history off the hot path.
	undelivered map[string]*booking.OutboxEntry
	byBooking   map[string][]*booking.OutboxEntry
	// outboxSeq orders outbox entries by insertion, the tie-breaker after CreatedAt.
	outboxSeq map[string]uint64
	nextSeq   uint64
	// setup holds the merchants' setups (booking.Setups), under the same mutex.
	setup  setups
	closed bool
}

type serviceKey struct{ merchant, service string }
type idemKey struct{ merchant, key string }
type dayKey struct{ merchant, day string }

var _ booking.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		bookings:    make(map[string]booking.Booking),
		holds:       make(map[string]booking.Hold),
		allocs:      make(map[serviceKey]*allocSet),
		allocKey:    make(map[string]serviceKey),
		idem:        make(map[idemKey]booking.IdempotencyRecord),
		byUser:      make(map[string]map[string]struct{}),
		byDay:       make(map[dayKey]map[string]struct{}),
		outbox:      make(map[string]*booking.OutboxEntry),
		undelivered: make(map[string]*booking.OutboxEntry),
		byBooking:   make(map[string][]*booking.OutboxEntry),
		outboxSeq:   make(map[string]uint64),
		setup: setups{
			records: make(map[string][]byte),
			history: make(map[string][][]byte),
			changed: make(map[string]int64),
		},
	}
}

func (s *Store) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("booking/memory: %w", err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("booking/memory: store is closed")
	}
	return nil
}

// Commit applies m atomically, in the order booking.Mutation documents.
func (s *Store) Commit(ctx context.Context, m *booking.Mutation) error {
	if m == nil {
		return fmt.Errorf("booking/memory: nil mutation")
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()

	// 1. Idempotency.
	if m.Idempotency != nil {
		if rec, ok := s.idem[idemKey{m.MerchantID, m.Idempotency.Key}]; ok && m.Now.Before(rec.ExpiresAt) {
			return &booking.ReplayError{Record: copyRecord(rec)}
		}
	}
	// 2. Version.
	if m.Booking != nil {
		cur, ok := s.bookings[m.Booking.ID]
		if m.ExpectVersion == 0 && ok {
			return booking.Errorf(booking.CodeVersionMismatch, "booking %s already exists", m.Booking.ID)
		}
		if m.ExpectVersion != 0 && (!ok || cur.Version != m.ExpectVersion) {
			return booking.Errorf(booking.CodeVersionMismatch, "booking %s is not at version %d", m.Booking.ID, m.ExpectVersion)
		}
	}
	// 3. Hold.
	if m.RequireHold {
		if h, ok := s.holds[m.DeleteHold]; !ok || h.MerchantID != m.MerchantID {
			return booking.Errorf(booking.CodeNotFound, "no hold with this id")
		}
	}
	// 4. User.
	if g := m.User; g != nil {
		for id := range s.byUser[g.UserID] {
			if b := s.bookings[id]; b.MerchantID == m.MerchantID && g.Conflicts(&b) {
				return booking.Errorf(booking.CodeSlotAlreadyBookedByUser, "the user already has a booking at an overlapping time")
			}
		}
	}
	// 5. Capacity: checked first, so that a failed claim writes nothing; the sweep follows on success.
	if c := m.Claim; c != nil {
		k := serviceKey{c.MerchantID, c.ServiceID}
		set := s.allocs[k]
		if set == nil {
			set = newAllocSet()
		}
		if old, ok := set.byID[c.ID]; !ok || !old.Covers(c.Allocation, m.Now) {
			overlapping := set.overlapping(c.Start, c.End)
			if booking.PeakUsage(overlapping, c.Start, c.End, m.Now, c.ID)+c.Party > c.Capacity {
				return booking.Errorf(booking.CodeSlotUnavailable, "capacity %d exceeded", c.Capacity)
			}
		}
		s.allocs[k] = set
		for id := range set.expiring {
			if !set.byID[id].Live(m.Now) {
				s.removeAlloc(id)
			}
		}
		s.removeAlloc(c.ID)
		set.add(c.Allocation)
		s.allocKey[c.ID] = k
	}
	// 6. Release.
	for _, id := range m.Release {
		s.removeAlloc(id)
	}
	// 7. Holds.
	if m.PutHold != nil {
		s.holds[m.PutHold.ID] = *m.PutHold
	}
	if h, ok := s.holds[m.DeleteHold]; ok && h.MerchantID == m.MerchantID {
		delete(s.holds, m.DeleteHold)
	}
	// 8. Booking and its indexes.
	if m.Booking != nil {
		b := *m.Booking
		if old, ok := s.bookings[b.ID]; ok {
			removeIndex(s.byUser, old.Customer.UserID, old.ID)
			removeIndex(s.byDay, dayKey{old.MerchantID, old.Day}, old.ID)
		}
		s.bookings[b.ID] = b
		addIndex(s.byUser, b.Customer.UserID, b.ID)
		addIndex(s.byDay, dayKey{b.MerchantID, b.Day}, b.ID)
	}
	// 9. Outbox.
	for _, e := range m.Outbox {
		e.State = booking.DeliveryPending
		s.nextSeq++
		s.outbox[e.ID] = &e
		s.undelivered[e.ID] = &e
		list := append(s.byBooking[e.BookingID], &e)
		slices.SortStableFunc(list, func(a, b *booking.OutboxEntry) int { return cmp.Compare(a.Seq, b.Seq) })
		s.byBooking[e.BookingID] = list
		s.outboxSeq[e.ID] = s.nextSeq
	}
	if m.Idempotency != nil {
		s.idem[idemKey{m.MerchantID, m.Idempotency.Key}] = copyRecord(*m.Idempotency)
	}
	return nil
}

func (s *Store) removeAlloc(id string) {
	k, ok := s.allocKey[id]
	if !ok {
		return
	}
	s.allocs[k].remove(id)
	delete(s.allocKey, id)
}

// allocSet is one service's allocations, bucketed by the hour of their start so that a time-range read
// does not scan them all.
type allocSet struct {
	byID     map[string]booking.Allocation
	byHour   map[int64]map[string]struct{}
	expiring map[string]struct{} // holds: allocations with an ExpiresAt
	maxDur   time.Duration       // the longest allocation ever added
}

func newAllocSet() *allocSet {
	return &allocSet{
		byID:     make(map[string]booking.Allocation),
		byHour:   make(map[int64]map[string]struct{}),
		expiring: make(map[string]struct{}),
	}
}

// bucketOf numbers the hour (since the Unix epoch) that t falls in.
func bucketOf(t time.Time) int64 {
	const hour = 60 * 60
	u := t.Unix()
	if u < 0 {
		return (u - hour + 1) / hour
	}
	return u / hour
}

func (a *allocSet) add(al booking.Allocation) {
	a.byID[al.ID] = al
	addIndex(a.byHour, bucketOf(al.Start), al.ID)
	if !al.ExpiresAt.IsZero() {
		a.expiring[al.ID] = struct{}{}
	}
	if d := al.End.Sub(al.Start); d > a.maxDur {
		a.maxDur = d
	}
}

func (a *allocSet) remove(id string) {
	al, ok := a.byID[id]
	if !ok {
		return
	}
	delete(a.byID, id)
	delete(a.expiring, id)
	removeIndex(a.byHour, bucketOf(al.Start), id)
}

// overlapping returns the allocations that overlap [from, to), unordered.
func (a *allocSet) overlapping(from, to time.Time) []booking.Allocation {
	var out []booking.Allocation
	if a == nil || !to.After(from) {
		return out
	}
	for d, last := bucketOf(from.Add(-a.maxDur)), bucketOf(to); d <= last; d++ {
		for id := range a.byHour[d] {
			if al := a.byID[id]; al.Start.Before(to) && al.End.After(from) {
				out = append(out, al)
			}
		}
	}
	return out
}

func addIndex[K comparable](idx map[K]map[string]struct{}, k K, id string) {
	var zero K
	if k == zero {
		return
	}
	if idx[k] == nil {
		idx[k] = make(map[string]struct{})
	}
	idx[k][id] = struct{}{}
}

func removeIndex[K comparable](idx map[K]map[string]struct{}, k K, id string) {
	delete(idx[k], id)
	if len(idx[k]) == 0 {
		delete(idx, k)
	}
}

func copyRecord(r booking.IdempotencyRecord) booking.IdempotencyRecord {
	r.Result = slices.Clone(r.Result)
	return r
}

// Allocations returns the allocations of the service overlapping [from, to), by start time.
func (s *Store) Allocations(ctx context.Context, merchantID, serviceID string, from, to time.Time) ([]booking.Allocation, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := s.allocs[serviceKey{merchantID, serviceID}].overlapping(from, to)
	if out == nil {
		out = []booking.Allocation{}
	}
	slices.SortFunc(out, func(a, b booking.Allocation) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Booking returns the booking with the id.
func (s *Store) Booking(ctx context.Context, id string) (booking.Booking, error) {
	if err := s.lock(ctx); err != nil {
		return booking.Booking{}, err
	}
	defer s.mu.Unlock()
	b, ok := s.bookings[id]
	if !ok {
		return booking.Booking{}, booking.Errorf(booking.CodeNotFound, "no booking %q", id)
	}
	return b, nil
}

// Hold returns the hold with the id, expired or not.
func (s *Store) Hold(ctx context.Context, merchantID, id string) (booking.Hold, error) {
	if err := s.lock(ctx); err != nil {
		return booking.Hold{}, err
	}
	defer s.mu.Unlock()
	h, ok := s.holds[id]
	if !ok || h.MerchantID != merchantID {
		return booking.Hold{}, booking.Errorf(booking.CodeNotFound, "no hold %q", id)
	}
	return h, nil
}

func (s *Store) collect(ids map[string]struct{}, keep func(booking.Booking) bool) []booking.Booking {
	out := []booking.Booking{}
	for id := range ids {
		if b := s.bookings[id]; keep(b) {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b booking.Booking) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// BookingsByUser returns the user's bookings whose End is after since, by Start.
func (s *Store) BookingsByUser(ctx context.Context, userID string, since time.Time) ([]booking.Booking, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	return s.collect(s.byUser[userID], func(b booking.Booking) bool { return b.End.After(since) }), nil
}

// BookingsByDay returns the merchant's bookings on the local day, by Start.
func (s *Store) BookingsByDay(ctx context.Context, merchantID, day string) ([]booking.Booking, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	return s.collect(s.byDay[dayKey{merchantID, day}], func(booking.Booking) bool { return true }), nil
}

// BookingsEndedBefore returns up to limit active bookings whose End is before t, oldest End first.
func (s *Store) BookingsEndedBefore(ctx context.Context, t time.Time, limit int) ([]booking.Booking, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := []booking.Booking{}
	for _, b := range s.bookings {
		if b.Active() && b.End.Before(t) {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b booking.Booking) int {
		return cmp.Or(a.End.Compare(b.End), cmp.Compare(a.ID, b.ID))
	})
	if limit >= 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Idempotency returns the merchant's record under key if it exists and has not expired at now.
func (s *Store) Idempotency(ctx context.Context, merchantID, key string, now time.Time) (booking.IdempotencyRecord, bool, error) {
	if err := s.lock(ctx); err != nil {
		return booking.IdempotencyRecord{}, false, err
	}
	defer s.mu.Unlock()
	k := idemKey{merchantID, key}
	rec, ok := s.idem[k]
	if !ok {
		return booking.IdempotencyRecord{}, false, nil
	}
	if !now.Before(rec.ExpiresAt) {
		delete(s.idem, k)
		return booking.IdempotencyRecord{}, false, nil
	}
	return copyRecord(rec), true, nil
}

// blocked reports whether an earlier entry of e's booking in e's lane is still waiting for delivery.
func (s *Store) blocked(e *booking.OutboxEntry) bool {
	lane := e.Lane()
	for _, o := range s.byBooking[e.BookingID] {
		if o.Seq >= e.Seq {
			return false
		}
		if o.Lane() == lane && o.State != booking.DeliveryDelivered && o.State != booking.DeliveryDead {
			return true
		}
	}
	return false
}

// ClaimOutbox leases up to n due entries of channels (every channel when none) to owner, oldest first, one
// booking's entries of one lane in Seq order.
func (s *Store) ClaimOutbox(ctx context.Context, owner string, n int, lease time.Duration, now time.Time, channels ...booking.Channel) ([]booking.OutboxEntry, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var cands []*booking.OutboxEntry
	for _, e := range s.undelivered {
		switch {
		case !booking.WantsChannel(channels, e.Channel):
			continue
		case e.State == booking.DeliveryPending && !e.NextAttemptAt.After(now):
		case e.State == booking.DeliveryInFlight && !now.Before(e.LeaseUntil):
		default:
			continue
		}
		cands = append(cands, e)
	}
	slices.SortFunc(cands, func(a, b *booking.OutboxEntry) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(s.outboxSeq[a.ID], s.outboxSeq[b.ID]))
	})
	out := []booking.OutboxEntry{}
	for _, e := range cands {
		if len(out) >= n {
			break
		}
		if s.blocked(e) {
			continue
		}
		e.State = booking.DeliveryInFlight
		e.LeaseOwner = owner
		e.LeaseUntil = now.Add(lease)
		e.Attempts++
		out = append(out, *e)
	}
	return out, nil
}

// leased returns the entry when owner holds its lease, else a CodeNotFound error.
func (s *Store) leased(id, owner string) (*booking.OutboxEntry, error) {
	e, ok := s.outbox[id]
	if !ok || e.State != booking.DeliveryInFlight || e.LeaseOwner != owner {
		return nil, booking.Errorf(booking.CodeNotFound, "no outbox entry %q leased to %q", id, owner)
	}
	return e, nil
}

// AckOutbox marks the entry DELIVERED.
func (s *Store) AckOutbox(ctx context.Context, id, owner string, now time.Time) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	e, err := s.leased(id, owner)
	if err != nil {
		return err
	}
	e.State, e.DeliveredAt, e.LeaseOwner, e.LeaseUntil = booking.DeliveryDelivered, now, "", time.Time{}
	delete(s.undelivered, id)
	return nil
}

// RetryOutbox returns the entry to PENDING, due at at.
func (s *Store) RetryOutbox(ctx context.Context, id, owner string, at time.Time, lastErr string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	e, err := s.leased(id, owner)
	if err != nil {
		return err
	}
	e.State, e.NextAttemptAt, e.LastError, e.LeaseOwner, e.LeaseUntil = booking.DeliveryPending, at, lastErr, "", time.Time{}
	return nil
}

// DeadOutbox marks the entry DEAD.
func (s *Store) DeadOutbox(ctx context.Context, id, owner string, lastErr string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	e, err := s.leased(id, owner)
	if err != nil {
		return err
	}
	e.State, e.LastError, e.LeaseOwner, e.LeaseUntil = booking.DeliveryDead, lastErr, "", time.Time{}
	delete(s.undelivered, id)
	return nil
}

// OutboxByBooking returns the booking's entries in Seq order.
func (s *Store) OutboxByBooking(ctx context.Context, bookingID string) ([]booking.OutboxEntry, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make([]booking.OutboxEntry, 0, len(s.byBooking[bookingID]))
	for _, e := range s.byBooking[bookingID] {
		out = append(out, *e)
	}
	return out, nil
}

// OutboxStats reports the number of PENDING or IN_FLIGHT entries and the oldest CreatedAt among them.
func (s *Store) OutboxStats(ctx context.Context) (int, time.Time, error) {
	if err := s.lock(ctx); err != nil {
		return 0, time.Time{}, err
	}
	defer s.mu.Unlock()
	depth := 0
	var oldest time.Time
	for _, e := range s.undelivered {
		depth++
		if oldest.IsZero() || e.CreatedAt.Before(oldest) {
			oldest = e.CreatedAt
		}
	}
	return depth, oldest, nil
}

// Ping reports whether the store is open.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	s.mu.Unlock()
	return nil
}

// Close marks the store closed; later calls fail.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
