package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/reservations/reservations/booking"
)

// Allocations returns the allocations of the merchant's service that overlap [from, to), in start order,
// including expired hold allocations not swept yet.
func (s *Store) Allocations(ctx context.Context, merchantID, serviceID string, from, to time.Time) ([]booking.Allocation, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("booking/bolt: allocations: %w", err)
	}
	out := []booking.Allocation{}
	if !validID(merchantID) || !validID(serviceID) || !from.Before(to) {
		return out, nil
	}
	err := s.db.View(func(tx *bbolt.Tx) error {
		found, err := overlappingAllocs(tx, merchantID, serviceID, from, to)
		out = append(out, found...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("booking/bolt: allocations: %w", err)
	}
	return out, nil
}

// Booking returns the booking with the id, or an error with CodeNotFound.
func (s *Store) Booking(ctx context.Context, id string) (booking.Booking, error) {
	if err := ctx.Err(); err != nil {
		return booking.Booking{}, fmt.Errorf("booking/bolt: booking: %w", err)
	}
	var b booking.Booking
	var found bool
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		b, found, err = loadBooking(tx, id)
		return err
	})
	if err != nil {
		return booking.Booking{}, fmt.Errorf("booking/bolt: booking: %w", err)
	}
	if !found {
		return booking.Booking{}, booking.Errorf(booking.CodeNotFound, "booking %q not found", id)
	}
	return b, nil
}

// Hold returns the hold with the id, expired or not, or an error with CodeNotFound.
func (s *Store) Hold(ctx context.Context, merchantID, id string) (booking.Hold, error) {
	if err := ctx.Err(); err != nil {
		return booking.Hold{}, fmt.Errorf("booking/bolt: hold: %w", err)
	}
	var h booking.Hold
	var found bool
	err := s.db.View(func(tx *bbolt.Tx) error {
		if id == "" {
			return nil
		}
		v := bucket(tx, bktHolds).Get([]byte(id))
		if v == nil {
			return nil
		}
		found = true
		if err := json.Unmarshal(v, &h); err != nil {
			return fmt.Errorf("decode hold: %w", err)
		}
		return nil
	})
	if err != nil {
		return booking.Hold{}, fmt.Errorf("booking/bolt: hold: %w", err)
	}
	if !found || h.MerchantID != merchantID {
		return booking.Hold{}, booking.Errorf(booking.CodeNotFound, "hold %q not found", id)
	}
	return h, nil
}

// loadBooking returns the booking with the id, or found false.
func loadBooking(tx *bbolt.Tx, id string) (b booking.Booking, found bool, err error) {
	if id == "" {
		return b, false, nil
	}
	v := bucket(tx, bktBookings).Get([]byte(id))
	if v == nil {
		return b, false, nil
	}
	if err := json.Unmarshal(v, &b); err != nil {
		return b, false, fmt.Errorf("decode booking: %w", err)
	}
	return b, true, nil
}

// bookingsUnder loads the bookings whose ids end the keys of an index under pfx, keeping those keep accepts,
// sorted by Start then ID.
func bookingsUnder(tx *bbolt.Tx, index string, pfx []byte, keep func(*booking.Booking) bool) ([]booking.Booking, error) {
	var ids []string
	c := bucket(tx, index).Cursor()
	for k, _ := c.Seek(pfx); k != nil && bytes.HasPrefix(k, pfx); k, _ = c.Next() {
		ids = append(ids, string(k[len(pfx):]))
	}
	out := []booking.Booking{}
	for _, id := range ids {
		b, found, err := loadBooking(tx, id)
		if err != nil {
			return nil, err
		}
		if found && keep(&b) {
			out = append(out, b)
		}
	}
	sortByStart(out)
	return out, nil
}

// sortByStart orders bookings by Start, then ID.
func sortByStart(bs []booking.Booking) {
	sort.Slice(bs, func(i, j int) bool {
		if !bs[i].Start.Equal(bs[j].Start) {
			return bs[i].Start.Before(bs[j].Start)
		}
		return bs[i].ID < bs[j].ID
	})
}

// BookingsByUser returns every booking of the user whose End is after since, any status, by Start.
func (s *Store) BookingsByUser(ctx context.Context, userID string, since time.Time) ([]booking.Booking, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("booking/bolt: bookings by user: %w", err)
	}
	out := []booking.Booking{}
	if !validID(userID) {
		return out, nil
	}
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = bookingsUnder(tx, bktByUser, prefix(userID), func(b *booking.Booking) bool {
			return b.Customer.UserID == userID && b.End.After(since)
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("booking/bolt: bookings by user: %w", err)
	}
	return out, nil
}

// BookingsByDay returns the merchant's bookings whose Day is day, any status, by Start.
func (s *Store) BookingsByDay(ctx context.Context, merchantID, day string) ([]booking.Booking, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("booking/bolt: bookings by day: %w", err)
	}
	out := []booking.Booking{}
	if !validID(merchantID) || strings.IndexByte(day, sep) >= 0 {
		return out, nil
	}
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = bookingsUnder(tx, bktByDay, prefix(merchantID, day), func(b *booking.Booking) bool {
			return b.MerchantID == merchantID && b.Day == day
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("booking/bolt: bookings by day: %w", err)
	}
	return out, nil
}

// BookingsEndedBefore returns up to limit active bookings (PENDING, CONFIRMED, CHANGE_REQUESTED) whose End is
// before t, oldest End first; a negative limit means no limit.
func (s *Store) BookingsEndedBefore(ctx context.Context, t time.Time, limit int) ([]booking.Booking, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("booking/bolt: bookings ended before: %w", err)
	}
	out := []booking.Booking{}
	if limit == 0 {
		return out, nil
	}
	err := s.db.View(func(tx *bbolt.Tx) error {
		stop := timeKey(t)
		c := bucket(tx, bktActiveEnd).Cursor()
		for k, _ := c.First(); k != nil && (limit < 0 || len(out) < limit); k, _ = c.Next() {
			if len(k) <= 8 {
				continue
			}
			if bytes.Compare(k[:8], stop) > 0 {
				break
			}
			b, found, err := loadBooking(tx, string(k[8:]))
			if err != nil {
				return err
			}
			if found && b.Active() && b.End.Before(t) {
				out = append(out, b)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("booking/bolt: bookings ended before: %w", err)
	}
	return out, nil
}

// Idempotency returns the record stored under the merchant's key and whether it exists and has not expired at
// now. A record found expired is deleted (lazily, in its own write transaction); failing to delete it does not
// fail the read, since Commit's sweep removes it later.
func (s *Store) Idempotency(ctx context.Context, merchantID, key string, now time.Time) (booking.IdempotencyRecord, bool, error) {
	if err := ctx.Err(); err != nil {
		return booking.IdempotencyRecord{}, false, fmt.Errorf("booking/bolt: idempotency: %w", err)
	}
	if !validID(merchantID) || !validID(key) {
		return booking.IdempotencyRecord{}, false, nil
	}
	k := join(merchantID, key)
	var rec booking.IdempotencyRecord
	var found bool
	err := s.db.View(func(tx *bbolt.Tx) error {
		v := bucket(tx, bktIdem).Get(k)
		if v == nil {
			return nil
		}
		found = true
		var err error
		rec, err = decodeIdem(v)
		return err
	})
	if err != nil {
		return booking.IdempotencyRecord{}, false, fmt.Errorf("booking/bolt: idempotency: %w", err)
	}
	if !found {
		return booking.IdempotencyRecord{}, false, nil
	}
	if idemLive(rec, now) {
		return rec, true, nil
	}
	err = s.write(func(tx *bbolt.Tx) error {
		v := bucket(tx, bktIdem).Get(k)
		if v == nil {
			return nil
		}
		cur, err := decodeIdem(v)
		if err != nil {
			return err
		}
		if idemLive(cur, now) {
			return nil // replaced by a live record meanwhile
		}
		if err := bucket(tx, bktIdemExp).Delete(idemExpKey(cur.ExpiresAt, merchantID, key)); err != nil {
			return fmt.Errorf("delete idempotency expiry: %w", err)
		}
		return bucket(tx, bktIdem).Delete(k)
	})
	if err != nil {
		slog.WarnContext(ctx, "booking/bolt: removing an expired idempotency record failed", "err", err)
	}
	return booking.IdempotencyRecord{}, false, nil
}
