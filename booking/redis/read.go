package redis

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/reservations/reservations/booking"
)

// scriptCall is one run of a script in a pipelined batch.
type scriptCall struct {
	keys []string
	args []any
}

// runMany runs sc once per call in one pipeline (one round trip; on Cluster, one per node) and returns the replies
// in order. When Redis does not know the script yet (NOSCRIPT) it loads it and tries once more.
func (s *Store) runMany(ctx context.Context, sc *goredis.Script, calls []scriptCall) ([]any, error) {
	if len(calls) == 1 {
		v, err := sc.Run(ctx, s.c, calls[0].keys, calls[0].args...).Result()
		if err != nil {
			return nil, err
		}
		return []any{v}, nil
	}
	for attempt := 0; ; attempt++ {
		pipe := s.c.Pipeline()
		cmds := make([]*goredis.Cmd, len(calls))
		for i, c := range calls {
			cmds[i] = sc.EvalSha(ctx, pipe, c.keys, c.args...)
		}
		_, _ = pipe.Exec(ctx) // errors are read per command below
		out := make([]any, len(calls))
		noScript := false
		for i, cmd := range cmds {
			v, err := cmd.Result()
			switch {
			case isNoScript(err):
				noScript = true
			case err != nil:
				return nil, err
			default:
				out[i] = v
			}
		}
		if !noScript {
			return out, nil
		}
		if attempt > 0 {
			return nil, errors.New("script missing on the server after SCRIPT LOAD")
		}
		if err := sc.Load(ctx, s.c).Err(); err != nil {
			return nil, fmt.Errorf("load script: %w", err)
		}
	}
}

// pointer reads a registry pointer; "" when absent.
func (s *Store) pointer(ctx context.Context, key string) (string, error) {
	v, err := s.c.Get(ctx, key).Result()
	if errors.Is(err, goredis.Nil) {
		return "", nil
	}
	return v, err
}

// cachedPointer is pointer through the Store's pointer cache (kind "b").
func (s *Store) cachedPointer(ctx context.Context, kind, id, key string) (string, error) {
	if m, ok := s.ptrs.get(kind + ":" + id); ok {
		return m, nil
	}
	m, err := s.pointer(ctx, key)
	if err == nil && m != "" {
		s.ptrs.put(kind+":"+id, m)
	}
	return m, err
}

// Booking returns the booking with the id.
func (s *Store) Booking(ctx context.Context, id string) (booking.Booking, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	merchant, err := s.cachedPointer(ctx, "b", id, s.bookingPtr(id))
	if err != nil {
		return booking.Booking{}, fmt.Errorf("booking/redis: booking: %w", err)
	}
	if merchant == "" {
		return booking.Booking{}, booking.Errorf(booking.CodeNotFound, "no booking with this id")
	}
	js, err := s.c.HGet(ctx, s.mk(merchant).bj(), id).Result()
	if errors.Is(err, goredis.Nil) {
		return booking.Booking{}, booking.Errorf(booking.CodeNotFound, "no booking with this id")
	}
	if err != nil {
		return booking.Booking{}, fmt.Errorf("booking/redis: booking: %w", err)
	}
	if js, err = bookingJSON(js); err != nil {
		return booking.Booking{}, fmt.Errorf("booking/redis: booking: %w", err)
	}
	b, err := s.decodeBooking(js)
	if err != nil {
		return booking.Booking{}, fmt.Errorf("booking/redis: %w", err)
	}
	return b, nil
}

// decodeBooking decodes a stored booking's JSON, through the Store's cache of decoded bookings.
func (s *Store) decodeBooking(js string) (booking.Booking, error) {
	if b, ok := s.decoded.get(js); ok {
		return b, nil
	}
	var b booking.Booking
	if err := json.Unmarshal([]byte(js), &b); err != nil {
		return booking.Booking{}, fmt.Errorf("decode booking: %w", err)
	}
	s.decoded.put(js, b)
	return b, nil
}

// Hold returns the merchant's hold with the id, expired or not (a hold record is kept for a day after it expires).
func (s *Store) Hold(ctx context.Context, merchantID, id string) (booking.Hold, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	js, err := s.c.Get(ctx, s.mk(merchantID).hold(id)).Result()
	if errors.Is(err, goredis.Nil) {
		return booking.Hold{}, booking.Errorf(booking.CodeNotFound, "no hold with this id")
	}
	if err != nil {
		return booking.Hold{}, fmt.Errorf("booking/redis: hold: %w", err)
	}
	var h booking.Hold
	if err := json.Unmarshal([]byte(js), &h); err != nil {
		return booking.Hold{}, fmt.Errorf("booking/redis: decode hold: %w", err)
	}
	return h, nil
}

// decodeBookings decodes the booking records of a script reply, skipping nils.
func (s *Store) decodeBookings(reply any, keep func(*booking.Booking) bool, out []booking.Booking) ([]booking.Booking, error) {
	vals, present, err := replyStrings(reply)
	if err != nil {
		return nil, err
	}
	for i, v := range vals {
		if !present[i] {
			continue
		}
		js, err := bookingJSON(v)
		if err != nil {
			return nil, err
		}
		b, err := s.decodeBooking(js)
		if err != nil {
			return nil, err
		}
		if keep(&b) {
			out = append(out, b)
		}
	}
	return out, nil
}

func byStart(a, b booking.Booking) int {
	return cmp.Or(a.Start.Compare(b.Start), strings.Compare(a.ID, b.ID))
}

// BookingsByUser returns the user's bookings with End after since, of every merchant, by Start.
func (s *Store) BookingsByUser(ctx context.Context, userID string, since time.Time) ([]booking.Booking, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	userCall := func(m string) scriptCall {
		k := s.mk(m)
		return scriptCall{keys: []string{k.x(), k.bj()}, args: []any{"u" + userID}}
	}
	// The user's merchants come from the registry; the merchants this Store already wrote to (usually the only
	// ones) are read in the same round trip, before the registry answers, and only merchants it names beyond
	// those cost a second round trip.
	guess := s.knownMerchants(maxGuessedMerchants)
	merchants, replies, err := s.smembersWith(ctx, s.userKey(userID), s.sc.lexBookings, len(guess), func(i int) scriptCall {
		return userCall(guess[i])
	})
	if err != nil {
		return nil, fmt.Errorf("booking/redis: bookings by user: %w", err)
	}
	out := []booking.Booking{}
	keep := func(b *booking.Booking) bool { return b.Customer.UserID == userID && b.End.After(since) }
	var rest []scriptCall
	for _, m := range merchants {
		if i := slices.Index(guess, m); i >= 0 {
			if out, err = s.decodeBookings(replies[i], keep, out); err != nil {
				return nil, fmt.Errorf("booking/redis: bookings by user: %w", err)
			}
			continue
		}
		rest = append(rest, userCall(m))
	}
	if len(rest) > 0 {
		more, err := s.runMany(ctx, s.sc.lexBookings, rest)
		if err != nil {
			return nil, fmt.Errorf("booking/redis: bookings by user: %w", err)
		}
		for _, r := range more {
			if out, err = s.decodeBookings(r, keep, out); err != nil {
				return nil, fmt.Errorf("booking/redis: bookings by user: %w", err)
			}
		}
	}
	slices.SortFunc(out, byStart)
	return out, nil
}

// maxGuessedMerchants bounds how many known merchants BookingsByUser reads speculatively.
const maxGuessedMerchants = 4

// knownMerchants returns up to n merchant IDs this Store has committed to, or none when it knows more than n
// (then guessing would cost more than the round trip it saves).
func (s *Store) knownMerchants(n int) []string {
	var out []string
	s.merchants.Range(func(k, _ any) bool {
		if len(out) == n {
			out = nil
			return false
		}
		out = append(out, k.(string))
		return true
	})
	return out
}

// smembersWith reads the set at key and, in the same pipeline, runs sc once per call(i) for i < n (no-op
// when n is 0). It returns the members and the n script replies. A NOSCRIPT reply loads the script and runs
// the calls again.
func (s *Store) smembersWith(ctx context.Context, key string, sc *goredis.Script, n int, call func(i int) scriptCall) ([]string, []any, error) {
	if n == 0 {
		members, err := s.c.SMembers(ctx, key).Result()
		return members, nil, err
	}
	pipe := s.c.Pipeline()
	sm := pipe.SMembers(ctx, key)
	calls := make([]scriptCall, n)
	cmds := make([]*goredis.Cmd, n)
	for i := range n {
		calls[i] = call(i)
		cmds[i] = sc.EvalSha(ctx, pipe, calls[i].keys, calls[i].args...)
	}
	_, _ = pipe.Exec(ctx) // errors are read per command below
	members, err := sm.Result()
	if err != nil {
		return nil, nil, err
	}
	replies := make([]any, n)
	for i, cmd := range cmds {
		v, err := cmd.Result()
		if isNoScript(err) {
			replies, err := s.runMany(ctx, sc, calls)
			return members, replies, err
		}
		if err != nil {
			return nil, nil, err
		}
		replies[i] = v
	}
	return members, replies, nil
}

// BookingsByDay returns the merchant's bookings of the local day, by Start.
func (s *Store) BookingsByDay(ctx context.Context, merchantID, day string) ([]booking.Booking, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	k := s.mk(merchantID)
	reply, err := s.sc.lexBookings.Run(ctx, s.c, []string{k.x(), k.bj()}, "d"+day).Result()
	if err != nil {
		return nil, fmt.Errorf("booking/redis: bookings by day: %w", err)
	}
	out, err := s.decodeBookings(reply, func(b *booking.Booking) bool { return b.Day == day }, []booking.Booking{})
	if err != nil {
		return nil, fmt.Errorf("booking/redis: bookings by day: %w", err)
	}
	slices.SortFunc(out, byStart)
	return out, nil
}

// BookingsEndedBefore returns up to limit active bookings of every merchant whose End is before t, oldest End
// first.
func (s *Store) BookingsEndedBefore(ctx context.Context, t time.Time, limit int) ([]booking.Booking, error) {
	out := []booking.Booking{}
	if limit == 0 {
		return out, nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	merchants, err := s.c.SMembers(ctx, s.merchantsKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("booking/redis: bookings ended before: %w", err)
	}
	if len(merchants) == 0 {
		return out, nil
	}
	perMerchant := -1 // all
	if limit > 0 {
		// +16: bookings ending in t's own millisecond but after t are filtered out below.
		perMerchant = limit + 16
	}
	calls := make([]scriptCall, len(merchants))
	for i, m := range merchants {
		k := s.mk(m)
		calls[i] = scriptCall{keys: []string{k.act(), k.bj()}, args: []any{t.UnixMilli(), perMerchant}}
	}
	replies, err := s.runMany(ctx, s.sc.activeBefore, calls)
	if err != nil {
		return nil, fmt.Errorf("booking/redis: bookings ended before: %w", err)
	}
	keep := func(b *booking.Booking) bool { return b.Active() && b.End.Before(t) }
	for _, r := range replies {
		if out, err = s.decodeBookings(r, keep, out); err != nil {
			return nil, fmt.Errorf("booking/redis: bookings ended before: %w", err)
		}
	}
	slices.SortFunc(out, func(a, b booking.Booking) int {
		return cmp.Or(a.End.Compare(b.End), strings.Compare(a.ID, b.ID))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Idempotency returns the merchant's record under key and whether it exists unexpired at now.
func (s *Store) Idempotency(ctx context.Context, merchantID, key string, now time.Time) (booking.IdempotencyRecord, bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	v, err := s.c.Get(ctx, s.mk(merchantID).idem(key)).Result()
	if errors.Is(err, goredis.Nil) {
		return booking.IdempotencyRecord{}, false, nil
	}
	if err != nil {
		return booking.IdempotencyRecord{}, false, fmt.Errorf("booking/redis: idempotency: %w", err)
	}
	js, err := idempotencyJSON(v)
	if err != nil {
		return booking.IdempotencyRecord{}, false, fmt.Errorf("booking/redis: idempotency: %w", err)
	}
	var rec booking.IdempotencyRecord
	if err := json.Unmarshal([]byte(js), &rec); err != nil {
		return booking.IdempotencyRecord{}, false, fmt.Errorf("booking/redis: decode idempotency record: %w", err)
	}
	if !now.Before(rec.ExpiresAt) {
		return booking.IdempotencyRecord{}, false, nil
	}
	return rec, true, nil
}

// Allocations returns the allocations of the merchant's service overlapping [from, to), by Start. Holds that
// expired but were not swept yet are included (callers filter with Allocation.Live).
func (s *Store) Allocations(ctx context.Context, merchantID, serviceID string, from, to time.Time) ([]booking.Allocation, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	k := s.mk(merchantID)
	reply, err := s.sc.allocations.Run(ctx, s.c, []string{k.al(), k.ad()}, from.UnixMilli(), to.UnixMilli()).Result()
	if err != nil {
		return nil, fmt.Errorf("booking/redis: allocations: %w", err)
	}
	vals, _, err := replyStrings(reply)
	if err != nil {
		return nil, fmt.Errorf("booking/redis: allocations: %w", err)
	}
	out := make([]booking.Allocation, 0, len(vals))
	for _, v := range vals {
		a, err := parseAllocValue(merchantID, v)
		if err != nil {
			return nil, fmt.Errorf("booking/redis: allocations: %w", err)
		}
		if a.ServiceID == serviceID && a.Start.Before(to) && a.End.After(from) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b booking.Allocation) int {
		return cmp.Or(a.Start.Compare(b.Start), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}
