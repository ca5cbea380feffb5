package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	bbolt "go.etcd.io/bbolt"

	"github.com/reservations/reservations/booking"
)

// encoded is a Mutation's records in JSON, prepared before the write transaction so that no encoding happens
// while holding bbolt's writer lock (and so that a Batch re-run writes the same bytes).
type encoded struct {
	idem    []byte
	booking []byte
	claim   []byte
	hold    []byte
	outbox  []booking.OutboxEntry // with State PENDING
	entries [][]byte
}

// Commit applies m atomically, following the steps of booking.Mutation in order: every check (idempotency,
// version, hold, user, capacity) runs before anything is written, and a failed check writes nothing. A successful Commit
// also runs the bounded sweeps described in the package comment.
//
// Concurrent commits are coalesced into one bbolt transaction (one fsync); a business failure of one of them is
// reported to its caller alone and does not roll back the others, because it is detected before that caller has
// written anything. ctx is checked before the transaction and again when it runs; once the transaction has
// started it runs to completion.
func (s *Store) Commit(ctx context.Context, m *booking.Mutation) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("booking/bolt: commit: %w", err)
	}
	if m == nil {
		return booking.InvalidArgument("mutation", "is nil")
	}
	enc, err := encodeMutation(m)
	if err != nil {
		return err
	}
	var result error
	err = s.write(func(tx *bbolt.Tx) error {
		result = nil
		if err := ctx.Err(); err != nil {
			result = fmt.Errorf("booking/bolt: commit: %w", err)
			return nil
		}
		failed, err := apply(tx, m, enc)
		if err != nil {
			return err
		}
		result = failed
		return nil
	})
	if err != nil {
		return fmt.Errorf("booking/bolt: commit: %w", err)
	}
	return result
}

// encodeMutation validates the ids m writes into keys and encodes its records.
func encodeMutation(m *booking.Mutation) (*encoded, error) {
	enc := &encoded{}
	var err error
	if r := m.Idempotency; r != nil {
		if !validID(m.MerchantID) {
			return nil, booking.InvalidArgument("merchant_id", "must be non-empty and free of NUL bytes")
		}
		if !validID(r.Key) {
			return nil, booking.InvalidArgument("idempotency_key", "must be non-empty and free of NUL bytes")
		}
		if enc.idem, err = json.Marshal(r); err != nil {
			return nil, fmt.Errorf("booking/bolt: encode idempotency record: %w", err)
		}
	}
	if b := m.Booking; b != nil {
		if !validID(b.ID) {
			return nil, booking.InvalidArgument("booking.id", "must be non-empty and free of NUL bytes")
		}
		if !validID(b.MerchantID) {
			return nil, booking.InvalidArgument("booking.merchant_id", "must be non-empty and free of NUL bytes")
		}
		if b.Customer.UserID != "" && !validID(b.Customer.UserID) {
			return nil, booking.InvalidArgument("booking.customer.user_id", "must be free of NUL bytes")
		}
		if strings.IndexByte(b.Day, sep) >= 0 {
			return nil, booking.InvalidArgument("booking.day", "must be free of NUL bytes")
		}
		if enc.booking, err = json.Marshal(b); err != nil {
			return nil, fmt.Errorf("booking/bolt: encode booking: %w", err)
		}
	}
	if c := m.Claim; c != nil {
		if !validID(c.ID) || !validID(c.MerchantID) || !validID(c.ServiceID) {
			return nil, booking.InvalidArgument("claim", "id, merchant and service must be non-empty and free of NUL bytes")
		}
		if c.End.Before(c.Start) {
			return nil, booking.InvalidArgument("claim", "ends before it starts")
		}
		if enc.claim, err = encodeAlloc(&c.Allocation); err != nil {
			return nil, fmt.Errorf("booking/bolt: %w", err)
		}
	}
	if h := m.PutHold; h != nil {
		if !validID(h.ID) {
			return nil, booking.InvalidArgument("hold.id", "must be non-empty and free of NUL bytes")
		}
		if enc.hold, err = json.Marshal(h); err != nil {
			return nil, fmt.Errorf("booking/bolt: encode hold: %w", err)
		}
	}
	enc.outbox = make([]booking.OutboxEntry, len(m.Outbox))
	enc.entries = make([][]byte, len(m.Outbox))
	for i, e := range m.Outbox {
		if !validID(e.ID) || !validID(e.BookingID) {
			return nil, booking.InvalidArgument("outbox.id", "id and booking id must be non-empty and free of NUL bytes")
		}
		e.State = booking.DeliveryPending
		enc.outbox[i] = e
		if enc.entries[i], err = json.Marshal(e); err != nil {
			return nil, fmt.Errorf("booking/bolt: encode outbox entry: %w", err)
		}
	}
	return enc, nil
}

// checked is what apply's checks found and its writes need.
type checked struct {
	idemKey, oldIdem []byte               // the record's key, and the expiry index key of the expired record it replaces
	old              *booking.Booking     // the stored booking m.Booking replaces, if any
	holdStored       bool                 // m.DeleteHold names a stored hold of the merchant
	expired          []booking.Allocation // allocations overlapping the claim that are no longer live
}

// apply runs m's checks and then its writes in tx. It returns a business failure (and has then written nothing)
// or an infrastructure error (the transaction must roll back).
func apply(tx *bbolt.Tx, m *booking.Mutation, enc *encoded) (failed, err error) {
	var c checked
	for _, check := range []func(*bbolt.Tx, *booking.Mutation, *checked) (error, error){
		checkIdem, checkVersion, checkHold, checkUser, checkCapacity,
	} {
		if failed, err := check(tx, m, &c); failed != nil || err != nil {
			return failed, err
		}
	}
	return nil, write(tx, m, enc, &c)
}

// checkIdem is step 1: an unexpired record under the key is a replay.
func checkIdem(tx *bbolt.Tx, m *booking.Mutation, c *checked) (failed, err error) {
	r := m.Idempotency
	if r == nil {
		return nil, nil
	}
	c.idemKey = join(m.MerchantID, r.Key)
	v := bucket(tx, bktIdem).Get(c.idemKey)
	if v == nil {
		return nil, nil
	}
	rec, err := decodeIdem(v)
	if err != nil {
		return nil, err
	}
	if idemLive(rec, m.Now) {
		return &booking.ReplayError{Record: rec}, nil
	}
	c.oldIdem = idemExpKey(rec.ExpiresAt, m.MerchantID, r.Key)
	return nil, nil
}

// checkVersion is step 2: the stored booking is at the expected version (0: there is none).
func checkVersion(tx *bbolt.Tx, m *booking.Mutation, c *checked) (failed, err error) {
	b := m.Booking
	if b == nil {
		return nil, nil
	}
	if v := bucket(tx, bktBookings).Get([]byte(b.ID)); v != nil {
		var stored booking.Booking
		if err := json.Unmarshal(v, &stored); err != nil {
			return nil, fmt.Errorf("decode booking: %w", err)
		}
		c.old = &stored
	}
	old := c.old
	switch {
	case m.ExpectVersion == 0 && old != nil:
		return booking.Errorf(booking.CodeVersionMismatch, "booking already exists at version %d", old.Version), nil
	case m.ExpectVersion != 0 && old == nil:
		return booking.Errorf(booking.CodeVersionMismatch, "booking does not exist, expected version %d", m.ExpectVersion), nil
	case m.ExpectVersion != 0 && old.Version != m.ExpectVersion:
		return booking.Errorf(booking.CodeVersionMismatch, "booking is at version %d, expected %d", old.Version, m.ExpectVersion), nil
	}
	return nil, nil
}

// checkHold is step 3: with RequireHold, the hold being confirmed is stored.
func checkHold(tx *bbolt.Tx, m *booking.Mutation, c *checked) (failed, err error) {
	c.holdStored = m.DeleteHold != "" && merchantHold(tx, m.DeleteHold, m.MerchantID)
	if m.RequireHold && !c.holdStored {
		return booking.Errorf(booking.CodeNotFound, "no hold with this id"), nil
	}
	return nil, nil
}

// checkUser is step 4: the user has no other active booking at the merchant that overlaps.
func checkUser(tx *bbolt.Tx, m *booking.Mutation, _ *checked) (failed, err error) {
	g := m.User
	if g == nil || !validID(g.UserID) {
		return nil, nil
	}
	conflict := false
	_, err = bookingsUnder(tx, bktByUser, prefix(g.UserID), func(b *booking.Booking) bool {
		conflict = conflict || (b.MerchantID == m.MerchantID && g.Conflicts(b))
		return false
	})
	if err != nil {
		return nil, err
	}
	if conflict {
		return booking.Errorf(booking.CodeSlotAlreadyBookedByUser, "the user already has a booking at an overlapping time"), nil
	}
	return nil, nil
}

// checkCapacity is step 5's check: the claim fits, unless the allocation it replaces covers it. It notes the
// expired allocations for the writes to remove.
func checkCapacity(tx *bbolt.Tx, m *booking.Mutation, c *checked) (failed, err error) {
	cl := m.Claim
	if cl == nil {
		return nil, nil
	}
	overlapping, err := overlappingAllocs(tx, cl.MerchantID, cl.ServiceID, cl.Start, cl.End)
	if err != nil {
		return nil, err
	}
	covered := false
	for _, a := range overlapping {
		if a.ID == cl.ID && a.Covers(cl.Allocation, m.Now) {
			covered = true
		}
		if !a.Live(m.Now) {
			c.expired = append(c.expired, a)
		}
	}
	if !covered {
		if used := booking.PeakUsage(overlapping, cl.Start, cl.End, m.Now, cl.ID); used+cl.Party > cl.Capacity {
			return booking.Errorf(booking.CodeSlotUnavailable, "%d of %d in use, %d requested", used, cl.Capacity, cl.Party), nil
		}
	}
	return nil, nil
}

// write makes m's writes once every check passed: the idempotency record, the claim, releases, holds, the
// booking with its indexes, the outbox entries.
func write(tx *bbolt.Tx, m *booking.Mutation, enc *encoded, c *checked) error {
	if r := m.Idempotency; r != nil {
		if err := putIdem(tx, m.MerchantID, r, c.idemKey, c.oldIdem, enc.idem); err != nil {
			return err
		}
	}
	if err := sweepIdem(tx, m.Now); err != nil {
		return err
	}
	if err := writeClaim(tx, m, enc, c); err != nil {
		return err
	}
	for _, id := range m.Release {
		if err := deleteAlloc(tx, id); err != nil {
			return err
		}
	}
	if h := m.PutHold; h != nil {
		if err := bucket(tx, bktHolds).Put([]byte(h.ID), enc.hold); err != nil {
			return fmt.Errorf("put hold: %w", err)
		}
	}
	if c.holdStored {
		if err := bucket(tx, bktHolds).Delete([]byte(m.DeleteHold)); err != nil {
			return fmt.Errorf("delete hold: %w", err)
		}
	}
	if b := m.Booking; b != nil {
		if err := putBooking(tx, c.old, b, enc.booking); err != nil {
			return err
		}
	}
	for i := range enc.outbox {
		if err := putOutbox(tx, &enc.outbox[i], enc.entries[i]); err != nil {
			return err
		}
	}
	return nil
}

// writeClaim is step 5's write: expired allocations go, then the claim replaces the allocation with its ID.
func writeClaim(tx *bbolt.Tx, m *booking.Mutation, enc *encoded, c *checked) error {
	cl := m.Claim
	if cl == nil {
		return nil
	}
	for _, a := range c.expired {
		if err := deleteAlloc(tx, a.ID); err != nil {
			return err
		}
	}
	if err := sweepAllocs(tx, m.Now); err != nil {
		return err
	}
	if err := deleteAlloc(tx, cl.ID); err != nil {
		return err
	}
	return putAlloc(tx, &cl.Allocation, enc.claim)
}

// decodeIdem decodes an idempotency record.
func decodeIdem(v []byte) (booking.IdempotencyRecord, error) {
	var rec booking.IdempotencyRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return rec, fmt.Errorf("decode idempotency record: %w", err)
	}
	return rec, nil
}

// merchantHold reports whether the hold with the id is stored for the merchant (a hold of another merchant with
// the same id is neither required nor deleted by this merchant's mutation).
func merchantHold(tx *bbolt.Tx, id, merchantID string) bool {
	v := bucket(tx, bktHolds).Get([]byte(id))
	if v == nil {
		return false
	}
	var h struct {
		MerchantID string `json:"merchantId"`
	}
	return json.Unmarshal(v, &h) == nil && h.MerchantID == merchantID
}
