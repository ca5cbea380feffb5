package booking

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/reservations/reservations/phone"
)

// HoldRequest asks to keep capacity for a proposed booking while the user decides.
type HoldRequest struct {
	MerchantID string
	ServiceID  string // empty: the merchant's default service
	Start      time.Time
	PartySize  int
	// UserID, when set, is checked for SLOT_ALREADY_BOOKED_BY_USER and carried into the booking on confirmation.
	UserID         string
	IdempotencyKey string
}

// PlaceHold keeps capacity for party at r.Start for the merchant's Policy.Hold. The hold counts against
// capacity until it expires, by itself, or until it is released or confirmed. Failures: NOT_FOUND,
// INVALID_ARGUMENT (party_size, start), SLOT_UNAVAILABLE (closed, too_soon, too_far, full),
// SLOT_ALREADY_BOOKED_BY_USER, IDEMPOTENCY_CONFLICT.
func (s *Core) PlaceHold(ctx context.Context, r HoldRequest) (Hold, error) {
	m, sv, err := s.lookup(r.MerchantID, r.ServiceID)
	if err != nil {
		return Hold{}, err
	}
	now := s.Now()
	id := newIdem(m.ID, r.IdempotencyKey, "PlaceHold", struct {
		MerchantID, ServiceID string
		Start                 time.Time
		PartySize             int
		UserID                string
	}{m.ID, sv.ID, utc(r.Start), r.PartySize, r.UserID})
	if err := checkKey(id); err != nil {
		return Hold{}, err
	}
	// No read of the idempotency record up front: the commit checks it atomically and answers a replay. Only
	// an outcome reached without that commit (a check that failed before it) is compared with the record first.
	h, res, checked, err := s.placeHold(ctx, m, sv, r, now, id)
	if res != nil {
		return holdOf(*res), err
	}
	if !checked {
		if res, done, rerr := s.lookupReplay(ctx, id, now); done || rerr != nil {
			return holdOf(res), rerr
		}
	}
	if err != nil {
		res, err := s.fail(ctx, id, err, false, now)
		return holdOf(res), err
	}
	return h, nil
}

func holdOf(res idemResult) Hold {
	if res.Hold == nil {
		return Hold{}
	}
	return *res.Hold
}

func bookingOf(res idemResult) Booking {
	if res.Booking == nil {
		return Booking{}
	}
	return *res.Booking
}

// placeHold does the work of PlaceHold; a non-nil res is the outcome recorded under the key (by a twin or an
// earlier call). checked reports whether the outcome comes from a commit that checked the key.
func (s *Core) placeHold(ctx context.Context, m *Merchant, sv *Service, r HoldRequest, now time.Time, id idem) (h Hold, res *idemResult, checked bool, err error) {
	if err := checkParty(sv, r.PartySize); err != nil {
		return Hold{}, nil, false, err
	}
	if len(r.UserID) > maxUserID {
		return Hold{}, nil, false, InvalidArgument("user_id", "at most %d bytes", maxUserID)
	}
	if err := checkStart(m, sv, sv.Duration.D(), r.Start, now); err != nil {
		return Hold{}, nil, false, err
	}
	start := utc(r.Start)
	end := start.Add(sv.Duration.D())
	h = Hold{
		ID:         s.newID(),
		MerchantID: m.ID,
		ServiceID:  sv.ID,
		Start:      start,
		End:        end,
		PartySize:  r.PartySize,
		UserID:     r.UserID,
		CreatedAt:  now,
		ExpiresAt:  now.Add(m.Policy.Hold.D()),
	}
	mut := &Mutation{
		MerchantID:  m.ID,
		Now:         now,
		Idempotency: s.record(id, idemResult{Hold: &h}, now),
		Claim: &Claim{Allocation: Allocation{
			ID: h.ID, MerchantID: m.ID, ServiceID: sv.ID, Start: start, End: end, Party: h.PartySize, ExpiresAt: h.ExpiresAt,
		}, Capacity: sv.Capacity},
		User:    userGuard(r.UserID, "", start, end),
		PutHold: &h,
	}
	rec, replayed, err := s.commit(ctx, mut, id)
	if replayed {
		return Hold{}, &rec, true, err
	}
	if err != nil {
		return Hold{}, nil, CodeOf(err) != "", slotError(err)
	}
	s.holds.put(h)
	return h, nil, true, nil
}

// ReleaseHold gives a hold's capacity back before it expires. An absent, expired or already confirmed hold,
// or one of another merchant, is not an error.
func (s *Core) ReleaseHold(ctx context.Context, merchantID, holdID string) error {
	if holdID == "" {
		return InvalidArgument("hold_id", "a hold id is required")
	}
	h, cached := s.holds.get(holdID)
	if !cached {
		var err error
		h, err = s.store.Hold(ctx, merchantID, holdID)
		if CodeOf(err) == CodeNotFound {
			return nil
		}
		if err != nil {
			return fmt.Errorf("booking: read hold: %w", err)
		}
	}
	if h.MerchantID != merchantID {
		return nil
	}
	// RequireHold: the commit that confirms a hold deletes it and gives its booking the hold's id (and so the
	// hold's allocation), so releasing only while the hold is still stored never takes a booking's capacity.
	err := s.store.Commit(ctx, &Mutation{MerchantID: merchantID, Now: s.Now(), Release: []string{holdID}, DeleteHold: holdID, RequireHold: true})
	s.holds.drop(holdID)
	if err != nil && CodeOf(err) != CodeNotFound {
		return fmt.Errorf("booking: release hold: %w", err)
	}
	return nil
}

// ConfirmRequest turns a hold into a booking.
type ConfirmRequest struct {
	MerchantID    string
	HoldID        string
	Customer      Customer // Name is required; UserID defaults to the hold's
	Source        Source
	GoogleOrderID string
	// InSandbox is whether the Assistant conversation that confirms the hold is in the sandbox (its
	// isInSandbox); nil when the channel does not say. It is stored on the booking ([Booking.InSandbox]).
	InSandbox *bool
	// Notes is free text kept on the booking (the guest's special request; at most MaxNotesLen bytes).
	// Personal data: never log it.
	Notes string
	// IdempotencyKey makes retries return the first outcome. Without it, confirming the same hold twice
	// still returns the same booking (its id is the hold's id).
	IdempotencyKey string
}

// ConfirmHold makes the booking for a hold, CONFIRMED (PENDING when the merchant confirms by hand), with the
// hold's id. A hold that expired is re-claimed when its capacity is still free, else HOLD_EXPIRED. Confirming
// an already confirmed hold returns its booking. Failures: NOT_FOUND (hold or merchant), INVALID_ARGUMENT,
// HOLD_EXPIRED, SLOT_ALREADY_BOOKED_BY_USER, IDEMPOTENCY_CONFLICT.
func (s *Core) ConfirmHold(ctx context.Context, r ConfirmRequest) (Booking, error) {
	m, ok := s.inv.Merchant(r.MerchantID)
	if !ok {
		return Booking{}, &Error{Code: CodeNotFound, Field: "merchant_id", Message: fmt.Sprintf("unknown merchant %q", r.MerchantID)}
	}
	if r.HoldID == "" {
		return Booking{}, InvalidArgument("hold_id", "a hold id is required")
	}
	now := s.Now()
	id := newIdem(m.ID, r.IdempotencyKey, "ConfirmHold", struct {
		MerchantID, HoldID string
		Customer           Customer
		Source             Source
		GoogleOrderID      string
		Notes              string `json:",omitempty"` // omitted when empty: hashes of requests without notes stay as they were
		InSandbox          *bool  `json:",omitempty"` // likewise when nil
	}{m.ID, r.HoldID, r.Customer, r.Source, r.GoogleOrderID, r.Notes, r.InSandbox})
	if err := checkKey(id); err != nil {
		return Booking{}, err
	}
	// As in PlaceHold, the commit checks the key; outcomes reached without it are compared with the record.
	b, res, checked, err := s.confirm(ctx, m, r, now, id)
	if res != nil {
		return bookingOf(*res), err
	}
	if !checked {
		if res, done, rerr := s.lookupReplay(ctx, id, now); done || rerr != nil {
			return bookingOf(res), rerr
		}
	}
	if err != nil {
		res, err := s.fail(ctx, id, err, false, now)
		return bookingOf(res), err
	}
	return b, nil
}

// confirm does the work of ConfirmHold; a non-nil res is the outcome recorded under the key. checked reports
// whether the outcome comes from a commit that checked the key (which it does before anything else).
func (s *Core) confirm(ctx context.Context, m *Merchant, r ConfirmRequest, now time.Time, id idem) (b Booking, res *idemResult, checked bool, err error) {
	customer, err := checkCustomer(m, r.Customer, r.Source)
	if err != nil {
		return Booking{}, nil, false, err
	}
	if err := checkNotes(r.Notes); err != nil {
		return Booking{}, nil, false, err
	}
	// The hold first: the commit that writes a booking deletes its hold, so a hold that is still there was not
	// confirmed yet (a confirmation racing this one is caught by the commit's ExpectVersion 0 below), and only a
	// missing hold needs the booking read. A hold this Core placed is known without a read; the commit then
	// checks that it is still stored (RequireHold).
	h, cached := s.holds.get(r.HoldID)
	if !cached {
		var err error
		h, err = s.store.Hold(ctx, m.ID, r.HoldID)
		if CodeOf(err) == CodeNotFound {
			b, err := s.confirmed(ctx, m, r.HoldID, r.Customer.UserID)
			return b, nil, false, err
		}
		if err != nil {
			return Booking{}, nil, false, fmt.Errorf("booking: read hold: %w", err)
		}
	}
	if h.MerchantID != m.ID {
		return Booking{}, nil, false, errNoHold()
	}
	if h.UserID != "" && r.Customer.UserID != "" && h.UserID != r.Customer.UserID {
		return Booking{}, nil, false, errNoHold() // another guest's hold: as if there were none
	}
	_, sv, err := s.lookup(m.ID, h.ServiceID)
	if err != nil {
		return Booking{}, nil, false, err
	}
	if customer.UserID == "" {
		customer.UserID = h.UserID
	}
	b = s.newBooking(m, sv, h.ID, h.Start, h.End, h.PartySize, customer, r.Source, r.GoogleOrderID, now)
	b.InSandbox = r.InSandbox
	b.Notes = r.Notes
	mut := s.createMutation(m, sv, b, id, now)
	mut.DeleteHold, mut.RequireHold = h.ID, true
	rec, replayed, err := s.commit(ctx, mut, id)
	if replayed {
		return Booking{}, &rec, true, err
	}
	switch CodeOf(err) {
	case "":
		if err != nil {
			return Booking{}, nil, false, err
		}
		s.holds.drop(h.ID)
		return b, nil, true, nil
	case CodeNotFound:
		// The hold is gone: released, expired long ago, or confirmed by a call whose booking is now stored.
		s.holds.drop(h.ID)
		b, err := s.confirmed(ctx, m, h.ID, r.Customer.UserID)
		return b, nil, false, err
	case CodeSlotUnavailable:
		if !now.Before(h.ExpiresAt) {
			return Booking{}, nil, true, Errorf(CodeHoldExpired, "the hold expired and its time is no longer free")
		}
		return Booking{}, nil, true, slotError(err)
	case CodeVersionMismatch:
		// Another call confirmed the same hold (one under this key would have been a replay): answer with its
		// booking.
		if won, rerr := s.store.Booking(ctx, h.ID); rerr == nil {
			return won, nil, true, nil
		}
	}
	return Booking{}, nil, true, err
}

// confirmed answers a confirmation whose hold is not stored: with the booking that consumed it, or NOT_FOUND.
// When the confirmation names a user, the booking must be that user's: a hold id is all a guest's client sends
// back, and another guest's booking is not theirs to be told about.
func (s *Core) confirmed(ctx context.Context, m *Merchant, holdID, userID string) (Booking, error) {
	b, err := s.store.Booking(ctx, holdID)
	switch {
	case err == nil && b.MerchantID == m.ID && (userID == "" || b.Customer.UserID == userID):
		return b, nil // already confirmed
	case err != nil && CodeOf(err) != CodeNotFound:
		return Booking{}, fmt.Errorf("booking: read booking: %w", err)
	}
	return Booking{}, errNoHold()
}

// newBooking builds a new booking (Version 1) for [start, end).
func (s *Core) newBooking(m *Merchant, sv *Service, id string, start, end time.Time, party int, c Customer, src Source, googleOrderID string, now time.Time) Booking {
	status := StatusConfirmed
	if m.Policy.ManualConfirm {
		status = StatusPending
	}
	return Booking{
		ID:               id,
		ConfirmationCode: s.newCode(),
		MerchantID:       m.ID,
		ServiceID:        sv.ID,
		Customer:         c,
		PartySize:        party,
		Start:            utc(start),
		End:              utc(end),
		Day:              m.localDate(start),
		Status:           status,
		Version:          1,
		Source:           src,
		GoogleOrderID:    googleOrderID,
		CreatedAt:        now,
		UpdatedAt:        now,
	}
}

// createMutation writes a new booking with its allocation (replacing a hold's of the same id), guarded against
// the user's overlapping bookings, its CREATED
// outbox entry and the idempotency record.
func (s *Core) createMutation(m *Merchant, sv *Service, b Booking, id idem, now time.Time) *Mutation {
	return &Mutation{
		MerchantID:  m.ID,
		Now:         now,
		Idempotency: s.record(id, idemResult{Booking: &b}, now),
		Booking:     &b,
		User:        userGuard(b.Customer.UserID, b.ID, b.Start, b.End),
		Claim: &Claim{Allocation: Allocation{
			ID: b.ID, MerchantID: m.ID, ServiceID: sv.ID, Start: b.Start, End: b.End, Party: b.PartySize,
		}, Capacity: sv.Capacity},
		Outbox: s.outboxEntries(outboxChange{booking: b, kind: ChangeCreated, now: now}),
	}
}

// Limits on customer details, so that a store never holds unbounded personal data.
const (
	maxNameLen  = 200
	maxEmailLen = 254
	maxPhoneLen = 64
	maxUserID   = 256
)

// MaxNotesLen is the longest Booking.Notes the core keeps, in bytes.
const MaxNotesLen = 2000

// checkNotes refuses notes longer than MaxNotesLen or not valid UTF-8.
func checkNotes(notes string) error {
	switch {
	case len(notes) > MaxNotesLen:
		return InvalidArgument("notes", "at most %d bytes", MaxNotesLen)
	case !utf8.ValidString(notes):
		return InvalidArgument("notes", "must be valid UTF-8")
	}
	return nil
}

// checkCustomer validates the customer details of a new booking of m and returns them with the phone number in
// E.164 form ([normalPhone]).
func checkCustomer(m *Merchant, c Customer, src Source) (Customer, error) {
	switch src {
	case SourceAssistant, SourceConversation, SourceActionsCenter, SourceAdmin:
	default:
		return c, InvalidArgument("source", "unknown booking source %q", src)
	}
	switch {
	case c.Name == "":
		return c, InvalidArgument("customer.name", "the customer's name is required")
	case len(c.Name) > maxNameLen:
		return c, InvalidArgument("customer.name", "at most %d bytes", maxNameLen)
	case len(c.Email) > maxEmailLen:
		return c, InvalidArgument("customer.email", "at most %d bytes", maxEmailLen)
	case len(c.UserID) > maxUserID:
		return c, InvalidArgument("customer.user_id", "at most %d bytes", maxUserID)
	}
	p, err := normalPhone(m, c.Phone, src)
	if err != nil {
		return c, err
	}
	c.Phone = p
	return c, nil
}

// normalPhone is raw in E.164, read in the merchant's region (Address.RegionCode) when it has no country code.
// Staff and the conversation can be asked again, so an invalid number is refused there: CodeInvalidArgument
// on field "phone", with a message for a person. A number Google sends (the Assistant's order, the Actions
// Center's user_information) is normalised when it is valid and kept as given otherwise: refusing the booking
// would lose the guest over a detail Google already accepted.
func normalPhone(m *Merchant, raw string, src Source) (string, error) {
	if len(raw) > maxPhoneLen {
		return "", InvalidArgument("phone", "at most %d bytes", maxPhoneLen)
	}
	p, err := phone.Normalize(raw, m.Address.RegionCode)
	if err == nil {
		return p, nil
	}
	if src == SourceAssistant || src == SourceActionsCenter {
		return strings.TrimSpace(raw), nil
	}
	return "", InvalidArgument("phone", "%s", strings.TrimSuffix(err.Error(), ": "+phone.ErrInvalid.Error()))
}
