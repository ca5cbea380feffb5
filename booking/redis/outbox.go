package redis

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reservations/reservations/booking"
)

// decodeEntry joins an entry's JSON (as committed) and its delivery state.
func decodeEntry(entryJSON, stateJSON string) (booking.OutboxEntry, error) {
	var e booking.OutboxEntry
	if err := json.Unmarshal([]byte(entryJSON), &e); err != nil {
		return e, fmt.Errorf("decode outbox entry: %w", err)
	}
	var st deliveryState
	if err := json.Unmarshal([]byte(stateJSON), &st); err != nil {
		return e, fmt.Errorf("decode outbox state: %w", err)
	}
	var err error
	e.State = booking.DeliveryState(st.S)
	e.Attempts = st.A
	e.LeaseOwner = st.O
	e.LastError = st.E
	if e.NextAttemptAt, err = parseTS(st.N); err != nil {
		return e, err
	}
	if e.LeaseUntil, err = parseTS(st.L); err != nil {
		return e, err
	}
	if e.DeliveredAt, err = parseTS(st.D); err != nil {
		return e, err
	}
	return e, nil
}

// decodeTriples decodes a {id, entryJSON, stateJSON, ...} reply.
func decodeTriples(reply any, out []booking.OutboxEntry) ([]booking.OutboxEntry, error) {
	vals, present, err := replyStrings(reply)
	if err != nil {
		return nil, err
	}
	if len(vals)%3 != 0 {
		return nil, fmt.Errorf("malformed outbox reply of %d elements", len(vals))
	}
	for i := 0; i < len(vals); i += 3 {
		if !present[i+1] || !present[i+2] {
			continue
		}
		e, err := decodeEntry(vals[i+1], vals[i+2])
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// parkFor is how long a due entry of a channel a claim does not take is left out of the claims' scans (see
// lua/claim.lua): a worker that delivers the channel finds it at most this much later.
const parkFor = time.Minute

// ClaimOutbox leases up to n due entries of channels (every channel when none) to owner, oldest CreatedAt first,
// across every merchant. With one merchant it is one script run; with several, a first pass names each
// merchant's candidates (writing only the park of entries of other channels), the oldest n are chosen, and a
// second pass claims exactly those (re-checking each atomically, so an entry another worker took in between is
// skipped).
func (s *Store) ClaimOutbox(ctx context.Context, owner string, n int, lease time.Duration, now time.Time, channels ...booking.Channel) ([]booking.OutboxEntry, error) {
	out := []booking.OutboxEntry{}
	if n <= 0 {
		return out, nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	merchants, err := s.c.SMembers(ctx, s.merchantsKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("booking/redis: claim outbox: %w", err)
	}
	until := now.Add(lease)
	var chans strings.Builder
	for _, c := range channels {
		chans.WriteString(string(c) + ",")
	}
	// mode is inserted at base[5]: ARGV[6] mode, ARGV[7] channels, ARGV[8] park.
	base := []any{ms(now), n, ms(until), ts(until), owner}
	tail := []any{chans.String(), ms(now.Add(parkFor))}
	withMode := func(mode string) []any { return append(append(slices.Clone(base), mode), tail...) }
	claimKeys := func(m string) []string {
		k := s.mk(m)
		return []string{k.oe(), k.op(), k.oi(), k.ob()}
	}
	switch len(merchants) {
	case 0:
		return out, nil
	case 1:
		reply, err := s.sc.claim.Run(ctx, s.c, claimKeys(merchants[0]), withMode("select")...).Result()
		if err != nil {
			return nil, fmt.Errorf("booking/redis: claim outbox: %w", err)
		}
		if out, err = decodeTriples(reply, out); err != nil {
			return nil, fmt.Errorf("booking/redis: claim outbox: %w", err)
		}
	default:
		type cand struct {
			merchant, id string
			created, seq int64
		}
		calls := make([]scriptCall, len(merchants))
		for i, m := range merchants {
			calls[i] = scriptCall{keys: claimKeys(m), args: withMode("peek")}
		}
		replies, err := s.runMany(ctx, s.sc.claim, calls)
		if err != nil {
			return nil, fmt.Errorf("booking/redis: claim outbox: %w", err)
		}
		var cands []cand
		for i, r := range replies {
			vals, _, err := replyStrings(r)
			if err != nil || len(vals)%3 != 0 {
				return nil, fmt.Errorf("booking/redis: claim outbox: malformed peek reply: %w", err)
			}
			for j := 0; j < len(vals); j += 3 {
				c, _ := strconv.ParseInt(vals[j+1], 10, 64)
				q, _ := strconv.ParseInt(vals[j+2], 10, 64)
				cands = append(cands, cand{merchant: merchants[i], id: vals[j], created: c, seq: q})
			}
		}
		slices.SortFunc(cands, func(a, b cand) int {
			return cmp.Or(cmp.Compare(a.created, b.created), strings.Compare(a.merchant, b.merchant), cmp.Compare(a.seq, b.seq))
		})
		if len(cands) > n {
			cands = cands[:n]
		}
		picked := map[string][]any{}
		for _, c := range cands {
			picked[c.merchant] = append(picked[c.merchant], c.id)
		}
		calls = calls[:0]
		for _, m := range merchants {
			if ids := picked[m]; len(ids) > 0 {
				calls = append(calls, scriptCall{keys: claimKeys(m), args: append(withMode("ids"), ids...)})
			}
		}
		if len(calls) == 0 {
			return out, nil
		}
		replies, err = s.runMany(ctx, s.sc.claim, calls)
		if err != nil {
			return nil, fmt.Errorf("booking/redis: claim outbox: %w", err)
		}
		for _, r := range replies {
			if out, err = decodeTriples(r, out); err != nil {
				return nil, fmt.Errorf("booking/redis: claim outbox: %w", err)
			}
		}
	}
	// The scripts order by CreatedAt in ms, then commit order; refine to the exact instant, keeping that order.
	slices.SortStableFunc(out, func(a, b booking.OutboxEntry) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// entryMerchants names the merchants that may hold the entry: the one its booking points to when the ID is
// bookingID.seq or bookingID.seq.lane, and the one its own pointer names (entries with other IDs).
func (s *Store) entryMerchants(ctx context.Context, id string) ([]string, error) {
	var out []string
	if bid, seq, ok := strings.Cut(id, "."); ok && bid != "" {
		seq, _, _ = strings.Cut(seq, ".")
		if _, err := strconv.ParseInt(seq, 10, 64); err == nil {
			m, err := s.cachedPointer(ctx, "b", bid, s.bookingPtr(bid))
			if err != nil {
				return nil, err
			}
			if m != "" {
				out = append(out, m)
			}
		}
	}
	m, err := s.pointer(ctx, s.entryPtr(id))
	if err != nil {
		return nil, err
	}
	if m != "" && !slices.Contains(out, m) {
		out = append(out, m)
	}
	return out, nil
}

// settle runs lua/settle.lua for the entry in whichever merchant holds it.
func (s *Store) settle(ctx context.Context, op, id, owner, at string, atMs int64, lastErr string) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	merchants, err := s.entryMerchants(ctx, id)
	if err != nil {
		return fmt.Errorf("booking/redis: %s outbox entry: %w", op, err)
	}
	for _, m := range merchants {
		k := s.mk(m)
		res, err := s.sc.settle.Run(ctx, s.c, []string{k.oe(), k.oi(), k.op(), k.ob(), k.oc()},
			id, owner, op, at, atMs, lastErr).Text()
		if err != nil {
			return fmt.Errorf("booking/redis: %s outbox entry: %w", op, err)
		}
		if res == "OK" {
			return nil
		}
	}
	return booking.Errorf(booking.CodeNotFound, "no outbox entry %s leased to this owner", id)
}

// AckOutbox marks the entry DELIVERED at now; owner must hold its lease.
func (s *Store) AckOutbox(ctx context.Context, id, owner string, now time.Time) error {
	return s.settle(ctx, "ack", id, owner, ts(now), ms(now), "")
}

// RetryOutbox makes the entry PENDING again, due at at, recording lastErr; owner must hold its lease.
func (s *Store) RetryOutbox(ctx context.Context, id, owner string, at time.Time, lastErr string) error {
	return s.settle(ctx, "retry", id, owner, ts(at), ms(at), lastErr)
}

// DeadOutbox marks the entry DEAD with lastErr, unblocking the booking's later entries; owner must hold its lease.
func (s *Store) DeadOutbox(ctx context.Context, id, owner string, lastErr string) error {
	return s.settle(ctx, "dead", id, owner, "", 0, lastErr)
}

// OutboxByBooking returns every entry of the booking in Seq order.
func (s *Store) OutboxByBooking(ctx context.Context, bookingID string) ([]booking.OutboxEntry, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	merchant, err := s.cachedPointer(ctx, "b", bookingID, s.bookingPtr(bookingID))
	if err != nil {
		return nil, fmt.Errorf("booking/redis: outbox by booking: %w", err)
	}
	if merchant == "" {
		return []booking.OutboxEntry{}, nil
	}
	k := s.mk(merchant)
	reply, err := s.sc.outboxByBooking.Run(ctx, s.c, []string{k.ob(), k.oe()}, bookingID).Result()
	if err != nil {
		return nil, fmt.Errorf("booking/redis: outbox by booking: %w", err)
	}
	out, err := decodeTriples(reply, []booking.OutboxEntry{})
	if err != nil {
		return nil, fmt.Errorf("booking/redis: outbox by booking: %w", err)
	}
	return out, nil
}

// OutboxStats counts PENDING and IN_FLIGHT entries of every merchant and finds the oldest CreatedAt among them.
func (s *Store) OutboxStats(ctx context.Context) (int, time.Time, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	merchants, err := s.c.SMembers(ctx, s.merchantsKey()).Result()
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("booking/redis: outbox stats: %w", err)
	}
	if len(merchants) == 0 {
		return 0, time.Time{}, nil
	}
	calls := make([]scriptCall, len(merchants))
	for i, m := range merchants {
		k := s.mk(m)
		calls[i] = scriptCall{keys: []string{k.oc(), k.oe()}}
	}
	replies, err := s.runMany(ctx, s.sc.outboxStats, calls)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("booking/redis: outbox stats: %w", err)
	}
	depth := 0
	var oldest time.Time
	for _, r := range replies {
		vals, present, err := replyStrings(r)
		if err != nil || len(vals) == 0 {
			return 0, time.Time{}, fmt.Errorf("booking/redis: outbox stats: %w", errors.Join(err, errors.New("empty reply")))
		}
		c, err := strconv.Atoi(vals[0])
		if err != nil {
			return 0, time.Time{}, fmt.Errorf("booking/redis: outbox stats: count: %w", err)
		}
		depth += c
		for i := 1; i < len(vals); i++ {
			if !present[i] {
				continue
			}
			var e booking.OutboxEntry
			if err := json.Unmarshal([]byte(vals[i]), &e); err != nil {
				return 0, time.Time{}, fmt.Errorf("booking/redis: outbox stats: decode entry: %w", err)
			}
			if oldest.IsZero() || e.CreatedAt.Before(oldest) {
				oldest = e.CreatedAt
			}
		}
	}
	return depth, oldest, nil
}
