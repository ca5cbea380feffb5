package bolt

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/reservations/reservations/booking"
)

// ClaimOutbox leases up to n entries of channels (every channel when none) to owner until now+lease, oldest
// CreatedAt first. It scans outbox_pending (the PENDING and IN_FLIGHT entries in CreatedAt order, each with the
// instant it becomes claimable and its channel, so a backlog waiting for its retry time or for a channel this
// worker does not deliver costs a key scan, not a decode per entry) and skips an entry that is not due
// (NextAttemptAt after now), one under an unexpired lease, and one whose booking has an earlier entry (lower
// Seq) of the same lane still PENDING or IN_FLIGHT. A claimed entry becomes IN_FLIGHT with LeaseOwner,
// LeaseUntil and one more attempt. The scan and the leases are one write transaction, so concurrent claims
// never hand out the same entry.
func (s *Store) ClaimOutbox(ctx context.Context, owner string, n int, lease time.Duration, now time.Time, channels ...booking.Channel) ([]booking.OutboxEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("booking/bolt: claim outbox: %w", err)
	}
	if owner == "" {
		return nil, booking.InvalidArgument("owner", "is empty")
	}
	claimed := []booking.OutboxEntry{}
	if n <= 0 {
		return claimed, nil
	}
	err := s.db.Update(func(tx *bbolt.Tx) error {
		claimed = claimed[:0]
		var ids []string
		nowKey := timeKey(now)
		c := bucket(tx, bktOutboxPending).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(v) >= 8 && bytes.Compare(v[:8], nowKey) > 0 {
				continue // not due, or leased beyond now
			}
			if !booking.WantsChannel(channels, eligibleChannel(v)) {
				continue
			}
			if id := pendingID(k); id != "" {
				ids = append(ids, id)
			}
		}
		for _, id := range ids {
			if len(claimed) == n {
				break
			}
			e, num, ok, err := loadOutbox(tx, id)
			if err != nil {
				return err
			}
			if !ok || !claimable(&e, now) {
				continue
			}
			blocked, err := hasEarlierUndelivered(tx, &e)
			if err != nil {
				return err
			}
			if blocked {
				continue
			}
			e.State = booking.DeliveryInFlight
			e.LeaseOwner = owner
			e.LeaseUntil = now.Add(lease)
			e.Attempts++
			if err := updateOutbox(tx, &e, num); err != nil {
				return err
			}
			claimed = append(claimed, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("booking/bolt: claim outbox: %w", err)
	}
	return claimed, nil
}

// claimable reports whether e may be leased at now, leaving aside the order of its booking's entries.
func claimable(e *booking.OutboxEntry, now time.Time) bool {
	switch e.State {
	case booking.DeliveryPending:
		return !e.NextAttemptAt.After(now)
	case booking.DeliveryInFlight:
		return !e.LeaseUntil.After(now) && !e.NextAttemptAt.After(now)
	}
	return false
}

// hasEarlierUndelivered reports whether e's booking has an entry of e's lane with a lower Seq that is PENDING or
// IN_FLIGHT.
func hasEarlierUndelivered(tx *bbolt.Tx, e *booking.OutboxEntry) (bool, error) {
	pfx := prefix(e.BookingID)
	stop := seqKey(e.BookingID, e.Seq, "")
	lane := e.Lane()
	c := bucket(tx, bktOutboxSeq).Cursor()
	for k, v := c.Seek(pfx); k != nil && bytes.Compare(k, stop) < 0; k, v = c.Next() {
		if seqKeyLane(k, pfx) != lane {
			continue
		}
		prev, _, ok, err := loadOutbox(tx, string(v))
		if err != nil {
			return false, err
		}
		if ok && undelivered(prev.State) {
			return true, nil
		}
	}
	return false, nil
}

// leased runs fn on the entry with the id inside a write transaction when owner holds its lease (the entry is
// IN_FLIGHT under owner), then clears the lease and stores the changed entry; otherwise it fails with
// CodeNotFound. The lease's expiry is not checked: an owner whose lease ran out may still settle the entry as
// long as no other consumer has claimed it since.
func (s *Store) leased(ctx context.Context, op, id, owner string, fn func(*booking.OutboxEntry)) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("booking/bolt: %s: %w", op, err)
	}
	var failed error
	err := s.db.Update(func(tx *bbolt.Tx) error {
		failed = nil
		e, num, ok, err := loadOutbox(tx, id)
		if err != nil {
			return err
		}
		if !ok || e.State != booking.DeliveryInFlight || e.LeaseOwner != owner || owner == "" {
			failed = booking.Errorf(booking.CodeNotFound, "no outbox entry %q leased to this owner", id)
			return nil
		}
		fn(&e)
		e.LeaseOwner = ""
		e.LeaseUntil = time.Time{}
		return updateOutbox(tx, &e, num)
	})
	if err != nil {
		return fmt.Errorf("booking/bolt: %s: %w", op, err)
	}
	return failed
}

// AckOutbox marks the entry DELIVERED at now. It fails with CodeNotFound unless owner holds its lease.
func (s *Store) AckOutbox(ctx context.Context, id, owner string, now time.Time) error {
	return s.leased(ctx, "ack outbox", id, owner, func(e *booking.OutboxEntry) {
		e.State = booking.DeliveryDelivered
		e.DeliveredAt = now
	})
}

// RetryOutbox returns the entry to PENDING, due at at, with lastErr recorded. Owner must hold the lease.
func (s *Store) RetryOutbox(ctx context.Context, id, owner string, at time.Time, lastErr string) error {
	return s.leased(ctx, "retry outbox", id, owner, func(e *booking.OutboxEntry) {
		e.State = booking.DeliveryPending
		e.NextAttemptAt = at
		e.LastError = lastErr
	})
}

// DeadOutbox marks the entry DEAD with lastErr, which unblocks the later entries of its booking. Owner must hold
// the lease.
func (s *Store) DeadOutbox(ctx context.Context, id, owner string, lastErr string) error {
	return s.leased(ctx, "dead outbox", id, owner, func(e *booking.OutboxEntry) {
		e.State = booking.DeliveryDead
		e.LastError = lastErr
	})
}

// OutboxByBooking returns every entry of the booking in Seq order, whatever its state.
func (s *Store) OutboxByBooking(ctx context.Context, bookingID string) ([]booking.OutboxEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("booking/bolt: outbox by booking: %w", err)
	}
	out := []booking.OutboxEntry{}
	if !validID(bookingID) {
		return out, nil
	}
	err := s.db.View(func(tx *bbolt.Tx) error {
		pfx := prefix(bookingID)
		c := bucket(tx, bktOutboxSeq).Cursor()
		for k, v := c.Seek(pfx); k != nil && bytes.HasPrefix(k, pfx); k, v = c.Next() {
			e, _, ok, err := loadOutbox(tx, string(v))
			if err != nil {
				return err
			}
			if ok {
				out = append(out, e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("booking/bolt: outbox by booking: %w", err)
	}
	return out, nil
}

// OutboxStats reports how many entries are PENDING or IN_FLIGHT and the CreatedAt of the oldest of them (zero
// when there are none). It counts outbox_pending, so it costs one index scan.
func (s *Store) OutboxStats(ctx context.Context) (depth int, oldest time.Time, err error) {
	if err := ctx.Err(); err != nil {
		return 0, time.Time{}, fmt.Errorf("booking/bolt: outbox stats: %w", err)
	}
	err = s.db.View(func(tx *bbolt.Tx) error {
		c := bucket(tx, bktOutboxPending).Cursor()
		var first []byte
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if depth == 0 {
				first = k
			}
			depth++
		}
		if first != nil {
			e, _, ok, err := loadOutbox(tx, pendingID(first))
			if err != nil {
				return err
			}
			if ok {
				oldest = e.CreatedAt
			}
		}
		return nil
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("booking/bolt: outbox stats: %w", err)
	}
	return depth, oldest, nil
}
