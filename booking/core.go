package booking

import (
	"errors"
	"fmt"
	"time"
)

// DefaultIdempotencyTTL is how long an idempotency record is kept when Config.IdempotencyTTL is zero.
const DefaultIdempotencyTTL = 24 * time.Hour

// Config configures the booking core.
type Config struct {
	// Store persists holds, bookings and idempotency records; required. The outbox entries the core writes
	// with its commits are read back through the store's [Outbox] side by whoever delivers them.
	Store Ledger
	// Inventory lists the merchants; nil means [SampleInventory]. It is validated by NewService and must not
	// be modified afterwards.
	Inventory *Inventory
	// Now is the clock; nil means time.Now. The core works with Now().UTC() truncated to the millisecond, so
	// that every store represents the instants it writes exactly.
	Now func() time.Time
	// NewID makes hold and booking ids; nil means [NewID].
	NewID func() string
	// NewCode makes confirmation codes; nil means [NewConfirmationCode].
	NewCode func() string
	// IdempotencyTTL is how long the outcome of a call made with an idempotency key is remembered; zero means
	// [DefaultIdempotencyTTL] (24 h).
	IdempotencyTTL time.Duration
}

// Core is the booking service: every rule of availability, holds, capacity, the status lifecycle, idempotency
// and versions is decided here, over a [Store] that only makes each change atomic. (It is not called Service
// because [Service] is a merchant's bookable service.) It is safe for concurrent use.
type Core struct {
	store   Ledger
	inv     *Inventory
	now     func() time.Time
	newID   func() string
	newCode func() string
	idemTTL time.Duration
	holds   *holdCache
}

// NewService returns the booking core over cfg.Store and cfg.Inventory.
func NewService(cfg Config) (*Core, error) {
	if cfg.Store == nil {
		return nil, errors.New("booking: Config.Store is required")
	}
	inv := cfg.Inventory
	if inv == nil {
		inv = SampleInventory()
	} else if err := inv.Validate(); err != nil {
		return nil, fmt.Errorf("booking: invalid inventory: %w", err)
	}
	if cfg.IdempotencyTTL < 0 {
		return nil, errors.New("booking: Config.IdempotencyTTL must not be negative")
	}
	c := &Core{
		store:   cfg.Store,
		inv:     inv,
		now:     cfg.Now,
		newID:   cfg.NewID,
		newCode: cfg.NewCode,
		idemTTL: cfg.IdempotencyTTL,
		holds:   newHoldCache(),
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.newID == nil {
		c.newID = NewID
	}
	if c.newCode == nil {
		c.newCode = NewConfirmationCode
	}
	if c.idemTTL == 0 {
		c.idemTTL = DefaultIdempotencyTTL
	}
	return c, nil
}

// Inventory returns the merchants the core serves.
func (s *Core) Inventory() *Inventory { return s.inv }

// Now returns the core's current time: the configured clock, in UTC, truncated to the millisecond.
func (s *Core) Now() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// lookup returns the merchant and service, or a CodeNotFound error naming which is unknown.
func (s *Core) lookup(merchantID, serviceID string) (*Merchant, *Service, error) {
	m, ok := s.inv.Merchant(merchantID)
	if !ok {
		return nil, nil, &Error{Code: CodeNotFound, Field: "merchant_id", Message: fmt.Sprintf("unknown merchant %q", merchantID)}
	}
	if serviceID == "" {
		return m, m.Default(), nil
	}
	sv, ok := m.Service(serviceID)
	if !ok {
		return nil, nil, &Error{Code: CodeNotFound, Field: "service_id", Message: fmt.Sprintf("unknown service %q of merchant %q", serviceID, merchantID)}
	}
	return m, sv, nil
}

func checkParty(sv *Service, party int) error {
	if party < sv.MinParty || party > sv.MaxParty {
		return InvalidArgument("party_size", "party size %d is outside %d–%d", party, sv.MinParty, sv.MaxParty)
	}
	return nil
}

// utc normalises an instant the core stores: UTC, no monotonic reading, millisecond precision.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// userGuard is the store check that keeps a user from two overlapping active bookings at one merchant
// (SLOT_ALREADY_BOOKED_BY_USER), for a booking self of userID over [start, end); nil without a user. The store
// runs it in the same atomic step as the write, so two racing requests of one user cannot both pass it.
func userGuard(userID, self string, start, end time.Time) *UserGuard {
	if userID == "" {
		return nil
	}
	return &UserGuard{UserID: userID, Start: start, End: end, Except: self}
}

// errUserConflict is the core's SLOT_ALREADY_BOOKED_BY_USER.
func errUserConflict() error {
	return Errorf(CodeSlotAlreadyBookedByUser, "the user already has a booking at an overlapping time")
}

// errNoHold is the core's answer for a hold that is not (or no longer) stored.
func errNoHold() error {
	return &Error{Code: CodeNotFound, Field: "hold_id", Message: "no such hold"}
}

// slotError turns a store's capacity failure into the core's "full" reason.
func slotError(err error) error {
	if CodeOf(err) == CodeSlotUnavailable {
		return &Error{Code: CodeSlotUnavailable, Field: "full", Message: "not enough capacity left at this time"}
	}
	return err
}
