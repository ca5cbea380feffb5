package booking

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// CreateRequest makes a booking directly, without a hold of the core's own making (the Actions Center's
// CreateBooking, staff taking a phone reservation).
type CreateRequest struct {
	MerchantID string
	ServiceID  string // empty: the merchant's default service
	Start      time.Time
	Duration   time.Duration // 0: the service's duration
	PartySize  int
	Customer   Customer // Name is required
	Source     Source
	// Notes is free text kept on the booking: staff notes, the guest's special request, the Actions Center's
	// additional_request (at most MaxNotesLen bytes). Personal data: never log it.
	Notes string
	// AvailabilityTag is the Actions Center slot's opaque availability_tag, kept on the booking to echo back.
	AvailabilityTag string
	// HoldID optionally names a hold (an Actions Center lease) to consume; it must be for the same merchant,
	// service, start, duration and party. The booking then gets the hold's id.
	HoldID         string
	IdempotencyKey string
	// RetryFailures stops business failures from being recorded under IdempotencyKey, so that a retry of a
	// failed attempt is processed again (the Actions Center requires it). Successes are always recorded.
	RetryFailures bool
}

// CreateBooking makes a booking, CONFIRMED (PENDING when the merchant confirms by hand). Failures: NOT_FOUND,
// INVALID_ARGUMENT, SLOT_UNAVAILABLE (closed, too_soon, too_far, full), SLOT_ALREADY_BOOKED_BY_USER,
// HOLD_EXPIRED (the consumed hold expired and its time is taken), IDEMPOTENCY_CONFLICT.
func (s *Core) CreateBooking(ctx context.Context, r CreateRequest) (Booking, error) {
	m, sv, err := s.lookup(r.MerchantID, r.ServiceID)
	if err != nil {
		return Booking{}, err
	}
	now := s.Now()
	id := newIdem(m.ID, r.IdempotencyKey, "CreateBooking", struct {
		MerchantID, ServiceID string
		Start                 time.Time
		Duration              time.Duration
		PartySize             int
		Customer              Customer
		Source                Source
		HoldID                string
		Notes                 string `json:",omitempty"` // omitted when empty: hashes of requests without notes stay as they were
		AvailabilityTag       string `json:",omitempty"` // likewise
	}{m.ID, sv.ID, utc(r.Start), r.Duration, r.PartySize, r.Customer, r.Source, r.HoldID, r.Notes, r.AvailabilityTag})
	if res, done, err := s.lookupReplay(ctx, id, now); done || err != nil {
		return bookingOf(res), err
	}
	b, res, err := s.create(ctx, m, sv, r, now, id)
	if res != nil {
		return bookingOf(*res), err
	}
	if err != nil {
		res, err := s.fail(ctx, id, err, r.RetryFailures, now)
		return bookingOf(res), err
	}
	return b, nil
}

func (s *Core) create(ctx context.Context, m *Merchant, sv *Service, r CreateRequest, now time.Time, id idem) (Booking, *idemResult, error) {
	if err := checkParty(sv, r.PartySize); err != nil {
		return Booking{}, nil, err
	}
	customer, err := checkCustomer(m, r.Customer, r.Source)
	if err != nil {
		return Booking{}, nil, err
	}
	if err := checkNotes(r.Notes); err != nil {
		return Booking{}, nil, err
	}
	if len(r.AvailabilityTag) > MaxAvailabilityTagLen {
		return Booking{}, nil, InvalidArgument("availability_tag", "must be at most %d bytes", MaxAvailabilityTagLen)
	}
	dur := r.Duration
	if dur == 0 {
		dur = sv.Duration.D()
	}
	if dur < 0 || dur > maxServiceDuration {
		return Booking{}, nil, InvalidArgument("duration", "must be between 0 and 24h")
	}
	bookingID := ""
	var hold *Hold
	if r.HoldID != "" {
		if b, err := s.store.Booking(ctx, r.HoldID); err == nil && b.MerchantID == m.ID {
			return b, nil, nil // the hold was consumed already, by this booking
		} else if err != nil && CodeOf(err) != CodeNotFound {
			return Booking{}, nil, fmt.Errorf("booking: read booking: %w", err)
		}
		h, cached := s.holds.get(r.HoldID)
		if !cached {
			var err error
			h, err = s.store.Hold(ctx, m.ID, r.HoldID)
			if CodeOf(err) == CodeNotFound {
				return Booking{}, nil, errNoHold()
			}
			if err != nil {
				return Booking{}, nil, fmt.Errorf("booking: read hold: %w", err)
			}
		}
		if h.MerchantID != m.ID {
			return Booking{}, nil, errNoHold()
		}
		if h.ServiceID != sv.ID || !h.Start.Equal(r.Start) || h.End.Sub(h.Start) != dur || h.PartySize != r.PartySize {
			return Booking{}, nil, InvalidArgument("hold_id", "the hold is for another service, time or party size")
		}
		hold, bookingID = &h, h.ID
	} else {
		if err := checkStart(m, sv, dur, r.Start, now); err != nil {
			return Booking{}, nil, err
		}
		bookingID = s.newID()
	}
	start := utc(r.Start)
	end := start.Add(dur)
	b := s.newBooking(m, sv, bookingID, start, end, r.PartySize, customer, r.Source, "", now)
	b.Notes, b.AvailabilityTag = r.Notes, r.AvailabilityTag
	mut := s.createMutation(m, sv, b, id, now)
	if hold != nil {
		mut.DeleteHold, mut.RequireHold = hold.ID, true
	}
	res, replayed, err := s.commit(ctx, mut, id)
	if replayed {
		return Booking{}, &res, err
	}
	switch CodeOf(err) {
	case "":
		if err != nil {
			return Booking{}, nil, err
		}
		if hold != nil {
			s.holds.drop(hold.ID)
		}
		return b, nil, nil
	case CodeNotFound:
		// the hold was released, or expired long ago, since it was read
		s.holds.drop(hold.ID)
		return Booking{}, nil, errNoHold()
	case CodeSlotUnavailable:
		if hold != nil && !now.Before(hold.ExpiresAt) {
			return Booking{}, nil, Errorf(CodeHoldExpired, "the hold expired and its time is no longer free")
		}
		return Booking{}, nil, slotError(err)
	case CodeVersionMismatch:
		if hold != nil {
			if won, rerr := s.store.Booking(ctx, hold.ID); rerr == nil {
				return won, nil, nil // a concurrent call consumed the same hold
			}
		}
	}
	return Booking{}, nil, err
}

// MaxAvailabilityTagLen bounds CreateRequest.AvailabilityTag (an opaque tag of the partner's own feed).
const MaxAvailabilityTagLen = 255

// UpdateRequest reschedules a booking and/or changes its party size.
type UpdateRequest struct {
	BookingID     string
	Start         time.Time // zero: unchanged
	PartySize     int       // 0: unchanged
	ExpectVersion int64     // 0: don't check
	Reason        string
	// IdempotencyKey makes retries return the first outcome (scoped by the booking's merchant).
	IdempotencyKey string
}

// Update moves a PENDING, CONFIRMED or CHANGE_REQUESTED booking to another start time (same duration) and/or
// party size, re-checking the grid, the lead times, the user's other bookings and capacity without counting
// the booking's own allocation. A request that changes nothing returns the booking unchanged and writes
// nothing. One outbox entry is written: RESCHEDULE when the start moved, else PARTY_SIZE. Failures:
// NOT_FOUND, INVALID_ARGUMENT, VERSION_MISMATCH, ILLEGAL_TRANSITION (the booking is over or cancelled),
// SLOT_UNAVAILABLE, SLOT_ALREADY_BOOKED_BY_USER, IDEMPOTENCY_CONFLICT.
func (s *Core) Update(ctx context.Context, r UpdateRequest) (Booking, error) {
	hash := keyedHash(r.IdempotencyKey, "Update", struct {
		BookingID     string
		Start         time.Time
		PartySize     int
		ExpectVersion int64
		Reason        string
	}{r.BookingID, utc(r.Start), r.PartySize, r.ExpectVersion, r.Reason})
	return s.change(ctx, r.BookingID, r.IdempotencyKey, hash, r.ExpectVersion, func(b Booking, now time.Time) (*Mutation, *Booking, error) {
		if !b.Active() {
			return nil, nil, &Error{Code: CodeIllegalTransition, Message: fmt.Sprintf("a %s booking cannot be changed", b.Status)}
		}
		m, sv, err := s.lookup(b.MerchantID, b.ServiceID)
		if err != nil {
			return nil, nil, err
		}
		if r.PartySize < 0 {
			return nil, nil, InvalidArgument("party_size", "must not be negative")
		}
		start, party := b.Start, b.PartySize
		if !r.Start.IsZero() {
			start = utc(r.Start)
		}
		if r.PartySize != 0 {
			party = r.PartySize
		}
		moved := !start.Equal(b.Start)
		if !moved && party == b.PartySize {
			return nil, nil, nil
		}
		if err := checkParty(sv, party); err != nil {
			return nil, nil, err
		}
		dur := b.End.Sub(b.Start)
		if moved {
			if err := checkStart(m, sv, dur, start, now); err != nil {
				return nil, nil, err
			}
		}
		nb := b
		nb.Start, nb.End, nb.Day, nb.PartySize = start, start.Add(dur), m.localDate(start), party
		nb.Version, nb.UpdatedAt, nb.Reason = b.Version+1, now, r.Reason
		kind := ChangePartySize
		if moved {
			kind = ChangeReschedule
		}
		var guard *UserGuard
		if moved {
			guard = userGuard(b.Customer.UserID, b.ID, nb.Start, nb.End)
		}
		return &Mutation{
			User: guard,
			Claim: &Claim{Allocation: Allocation{
				ID: b.ID, MerchantID: b.MerchantID, ServiceID: b.ServiceID, Start: nb.Start, End: nb.End, Party: party,
			}, Capacity: sv.Capacity},
			Outbox: s.outboxEntries(outboxChange{booking: nb, previous: &b, kind: kind, reason: r.Reason, now: now}),
		}, &nb, nil
	})
}

// CancelRequest cancels a booking.
type CancelRequest struct {
	BookingID string
	// ByMerchant lifts the cancellation window (staff may cancel at any time).
	ByMerchant     bool
	ExpectVersion  int64 // 0: don't check
	Reason         string
	IdempotencyKey string
}

// Cancel cancels a PENDING, CONFIRMED or CHANGE_REQUESTED booking and gives its capacity back. Unless
// ByMerchant, it is allowed only until Start − Policy.CancelBefore. Failures: NOT_FOUND, VERSION_MISMATCH,
// BOOKING_ALREADY_CANCELLED, BOOKING_NOT_CANCELLABLE (FULFILLED, NO_SHOW, REJECTED),
// OUTSIDE_CANCELLATION_WINDOW, IDEMPOTENCY_CONFLICT.
func (s *Core) Cancel(ctx context.Context, r CancelRequest) (Booking, error) {
	return s.change(ctx, r.BookingID, r.IdempotencyKey, r.hash(), r.ExpectVersion, func(b Booking, now time.Time) (*Mutation, *Booking, error) {
		if err := s.cancellable(b, r.ByMerchant, now); err != nil {
			return nil, nil, err
		}
		return s.statusMutation(outboxChange{booking: b, previous: &b, kind: ChangeStatus, reason: r.Reason, now: now,
			byGuest: !r.ByMerchant}, StatusCancelled)
	})
}

// hash is the request's idempotency fingerprint.
func (r CancelRequest) hash() string {
	return keyedHash(r.IdempotencyKey, "Cancel", struct {
		BookingID     string
		ByMerchant    bool
		ExpectVersion int64
		Reason        string
	}{r.BookingID, r.ByMerchant, r.ExpectVersion, r.Reason})
}

// cancellable reports why b cannot be cancelled at now, or nil: a cancelled, fulfilled, no-show or rejected
// booking never can; outside the merchant's cancellation window only the merchant can.
func (s *Core) cancellable(b Booking, byMerchant bool, now time.Time) error {
	switch b.Status {
	case StatusCancelled:
		return Errorf(CodeBookingAlreadyCancelled, "the booking is already cancelled")
	case StatusFulfilled, StatusNoShow, StatusRejected:
		return Errorf(CodeBookingNotCancellable, "a %s booking cannot be cancelled", b.Status)
	}
	if byMerchant {
		return nil
	}
	m, ok := s.inv.Merchant(b.MerchantID)
	if !ok {
		return &Error{Code: CodeNotFound, Field: "merchant_id", Message: fmt.Sprintf("unknown merchant %q", b.MerchantID)}
	}
	if deadline := b.Start.Add(-m.Policy.CancelBefore.D()); now.After(deadline) {
		return Errorf(CodeOutsideCancellationWindow, "bookings can be cancelled until %s before they start", m.Policy.CancelBefore)
	}
	return nil
}

// StatusRequest is a staff member's status change.
type StatusRequest struct {
	BookingID      string
	Status         Status
	ExpectVersion  int64 // 0: don't check
	Reason         string
	IdempotencyKey string
}

// SetStatus moves a booking to r.Status along the lifecycle ([CanTransition]); it is for merchant staff, so
// CANCELLED here ignores the cancellation window. CANCELLED, REJECTED, NO_SHOW and FULFILLED give the capacity
// back. Failures: NOT_FOUND, VERSION_MISMATCH, ILLEGAL_TRANSITION (naming from and to), IDEMPOTENCY_CONFLICT.
func (s *Core) SetStatus(ctx context.Context, r StatusRequest) (Booking, error) {
	hash := keyedHash(r.IdempotencyKey, "SetStatus", struct {
		BookingID     string
		Status        Status
		ExpectVersion int64
		Reason        string
	}{r.BookingID, r.Status, r.ExpectVersion, r.Reason})
	allowed := func(b Booking, now time.Time) (*Mutation, *Booking, error) {
		if !CanTransition(b.Status, r.Status) {
			return nil, nil, &Error{Code: CodeIllegalTransition, Field: "status",
				Message: fmt.Sprintf("cannot change a booking from %s to %s", b.Status, r.Status)}
		}
		return s.statusMutation(outboxChange{booking: b, previous: &b, kind: ChangeStatus, reason: r.Reason, now: now}, r.Status)
	}
	return s.change(ctx, r.BookingID, r.IdempotencyKey, hash, r.ExpectVersion, allowed)
}

// statusMutation moves c.Previous to status with the outbox entries of the change (c.Booking is filled in
// here), releasing its capacity when the status does.
func (s *Core) statusMutation(c outboxChange, status Status) (*Mutation, *Booking, error) {
	b := *c.previous
	nb := b
	nb.Status, nb.Reason, nb.Version, nb.UpdatedAt = status, c.reason, b.Version+1, c.now
	c.booking = nb
	m := &Mutation{Outbox: s.outboxEntries(c)}
	if releases(status) {
		m.Release = []string{b.ID}
	}
	return m, &nb, nil
}

// changeAttempts bounds how often a change is re-decided after losing a race to another writer.
const changeAttempts = 5

// change runs the read–decide–commit cycle of a change to an existing booking: idempotency replay, the
// caller's expected version, the decision fn (nil mutation: nothing to change), then Commit with the version
// CAS. When the caller did not pin a version and another writer changed the booking in between, the change
// is decided again on the new state.
func (s *Core) change(ctx context.Context, bookingID, key, hash string, expect int64,
	fn func(b Booking, now time.Time) (*Mutation, *Booking, error)) (Booking, error) {
	if bookingID == "" {
		return Booking{}, InvalidArgument("booking_id", "a booking id is required")
	}
	for attempt := 1; ; attempt++ {
		now := s.Now()
		b, err := s.store.Booking(ctx, bookingID)
		if CodeOf(err) == CodeNotFound {
			return Booking{}, &Error{Code: CodeNotFound, Field: "booking_id", Message: "no such booking"}
		}
		if err != nil {
			return Booking{}, fmt.Errorf("booking: read booking: %w", err)
		}
		id := idem{merchantID: b.MerchantID, key: key, hash: hash}
		if res, done, err := s.lookupReplay(ctx, id, now); done || err != nil {
			return bookingOf(res), err
		}
		if expect != 0 && b.Version != expect {
			res, err := s.fail(ctx, id, versionMismatch(expect, b.Version), false, now)
			return bookingOf(res), err
		}
		m, nb, err := fn(b, now)
		if err != nil {
			res, err := s.fail(ctx, id, err, false, now)
			return bookingOf(res), err
		}
		if m == nil {
			return b, nil
		}
		m.MerchantID, m.Now, m.Booking, m.ExpectVersion = b.MerchantID, now, nb, b.Version
		m.Idempotency = s.record(id, idemResult{Booking: nb}, now)
		res, replayed, err := s.commit(ctx, m, id)
		if replayed {
			return bookingOf(res), err
		}
		if err == nil {
			return *nb, nil
		}
		if CodeOf(err) == CodeVersionMismatch && expect == 0 && attempt < changeAttempts {
			continue
		}
		if CodeOf(err) == CodeVersionMismatch {
			err = versionMismatch(b.Version, 0)
		}
		res, err = s.fail(ctx, id, slotError(err), false, now)
		return bookingOf(res), err
	}
}

func versionMismatch(expected, actual int64) *Error {
	if actual == 0 {
		return Errorf(CodeVersionMismatch, "the booking changed since version %d", expected)
	}
	return Errorf(CodeVersionMismatch, "the booking is at version %d, not %d", actual, expected)
}

// fulfillBatch is how many ended bookings FulfillEnded reads at a time.
const fulfillBatch = 200

// FulfillEnded closes the bookings that are over: a CONFIRMED booking becomes FULFILLED once its End plus
// its merchant's Policy.FulfillAfter has passed; a PENDING or CHANGE_REQUESTED one, which staff never
// confirmed, becomes REJECTED then (the lifecycle has no edge from those to FULFILLED, and the booking must
// not stay active forever). Each change writes its STATUS outbox entry and gives the capacity back. It
// returns how many bookings it changed; the update worker calls it periodically. A booking changed
// concurrently by someone else is left for the next sweep.
func (s *Core) FulfillEnded(ctx context.Context) (int, error) {
	now := s.Now()
	var minGrace time.Duration = -1
	for i := range s.inv.Merchants {
		if g := s.inv.Merchants[i].Policy.FulfillAfter.D(); minGrace < 0 || g < minGrace {
			minGrace = g
		}
	}
	if minGrace < 0 {
		return 0, nil
	}
	// Due when End + grace ≤ now; the store's bound is exclusive and instants have millisecond precision.
	bound := now.Add(-minGrace).Add(time.Millisecond)
	changed := 0
	limit := fulfillBatch
	for {
		if err := ctx.Err(); err != nil {
			return changed, fmt.Errorf("booking: fulfil ended bookings: %w", err)
		}
		batch, err := s.store.BookingsEndedBefore(ctx, bound, limit)
		if err != nil {
			return changed, fmt.Errorf("booking: list ended bookings: %w", err)
		}
		progress, skipped := 0, 0
		for _, b := range batch {
			m, ok := s.inv.Merchant(b.MerchantID)
			if !ok || now.Before(b.End.Add(m.Policy.FulfillAfter.D())) {
				skipped++ // not yet over for its own merchant's grace (or the merchant left the inventory)
				continue
			}
			to, reason := StatusFulfilled, "the reservation has ended"
			if b.Status != StatusConfirmed {
				to, reason = StatusRejected, "the reservation ended without being confirmed"
			}
			mut, nb, _ := s.statusMutation(outboxChange{previous: &b, kind: ChangeStatus, reason: reason, now: now}, to)
			mut.MerchantID, mut.Now, mut.Booking, mut.ExpectVersion = b.MerchantID, now, nb, b.Version
			err := s.store.Commit(ctx, mut)
			switch {
			case err == nil:
				changed++
				progress++
			case CodeOf(err) == CodeVersionMismatch:
				skipped++
			default:
				return changed, fmt.Errorf("booking: fulfil booking %s: %w", b.ID, err)
			}
		}
		if len(batch) < limit {
			return changed, nil
		}
		if progress == 0 {
			// A full batch of bookings not yet due: look further past them next time.
			limit = skipped + fulfillBatch
		}
	}
}

// Booking returns the booking with the id, or NOT_FOUND.
func (s *Core) Booking(ctx context.Context, id string) (Booking, error) {
	if id == "" {
		return Booking{}, InvalidArgument("booking_id", "a booking id is required")
	}
	b, err := s.store.Booking(ctx, id)
	if err != nil && CodeOf(err) == "" {
		return Booking{}, fmt.Errorf("booking: read booking: %w", err)
	}
	return b, err
}

// Upcoming returns the user's bookings that have not ended and are not CANCELLED or REJECTED, by start time.
func (s *Core) Upcoming(ctx context.Context, userID string) ([]Booking, error) {
	if userID == "" {
		return nil, InvalidArgument("user_id", "a user id is required")
	}
	bs, err := s.store.BookingsByUser(ctx, userID, s.Now())
	if err != nil {
		return nil, fmt.Errorf("booking: list the user's bookings: %w", err)
	}
	return slices.DeleteFunc(bs, func(b Booking) bool {
		return b.Status == StatusCancelled || b.Status == StatusRejected
	}), nil
}

// Day returns the merchant's bookings on a local date (YYYY-MM-DD), any status, by start time.
func (s *Core) Day(ctx context.Context, merchantID, day string) ([]Booking, error) {
	if _, ok := s.inv.Merchant(merchantID); !ok {
		return nil, &Error{Code: CodeNotFound, Field: "merchant_id", Message: fmt.Sprintf("unknown merchant %q", merchantID)}
	}
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return nil, InvalidArgument("day", "must be a date YYYY-MM-DD")
	}
	bs, err := s.store.BookingsByDay(ctx, merchantID, day)
	if err != nil {
		return nil, fmt.Errorf("booking: list the day's bookings: %w", err)
	}
	return bs, nil
}
