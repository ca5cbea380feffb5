package intents_test

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/reservations/reservations/booking"
)

// faultMode says how a faultStore misbehaves.
type faultMode int32

const (
	faultNone  faultMode = iota
	faultBlock           // every call blocks until its context is done (a store that stopped answering)
	faultError           // every call fails at once (a store that refuses connections)
)

var errStoreDown = errors.New("store: connection refused")

// faultStore wraps a booking.Store and, when switched on, blocks or fails every call: the store unreachable.
type faultStore struct {
	booking.Store
	mode atomic.Int32
}

func (s *faultStore) set(m faultMode) { s.mode.Store(int32(m)) }

func (s *faultStore) fault(ctx context.Context) error {
	switch faultMode(s.mode.Load()) {
	case faultBlock:
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(30 * time.Second):
			return errStoreDown
		}
	case faultError:
		return errStoreDown
	}
	return nil
}

func (s *faultStore) Commit(ctx context.Context, m *booking.Mutation) error {
	if err := s.fault(ctx); err != nil {
		return err
	}
	return s.Store.Commit(ctx, m)
}

func (s *faultStore) Allocations(ctx context.Context, merchantID, serviceID string, from, to time.Time) ([]booking.Allocation, error) {
	if err := s.fault(ctx); err != nil {
		return nil, err
	}
	return s.Store.Allocations(ctx, merchantID, serviceID, from, to)
}

func (s *faultStore) Booking(ctx context.Context, id string) (booking.Booking, error) {
	if err := s.fault(ctx); err != nil {
		return booking.Booking{}, err
	}
	return s.Store.Booking(ctx, id)
}

func (s *faultStore) Hold(ctx context.Context, merchantID, id string) (booking.Hold, error) {
	if err := s.fault(ctx); err != nil {
		return booking.Hold{}, err
	}
	return s.Store.Hold(ctx, merchantID, id)
}

func (s *faultStore) BookingsByUser(ctx context.Context, userID string, since time.Time) ([]booking.Booking, error) {
	if err := s.fault(ctx); err != nil {
		return nil, err
	}
	return s.Store.BookingsByUser(ctx, userID, since)
}

func (s *faultStore) Idempotency(ctx context.Context, merchantID, key string, now time.Time) (booking.IdempotencyRecord, bool, error) {
	if err := s.fault(ctx); err != nil {
		return booking.IdempotencyRecord{}, false, err
	}
	return s.Store.Idempotency(ctx, merchantID, key, now)
}
