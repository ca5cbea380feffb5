package booking

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"time"
)

// MaxAvailabilityWindow is the longest window one availability search may cover.
const MaxAvailabilityWindow = 31 * 24 * time.Hour

// nearestReach is how far Nearest looks on each side of the wanted time.
const nearestReach = 7 * 24 * time.Hour

// Slot is a bookable start time of a service.
type Slot struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Remaining is the capacity left for this start time: the service's capacity minus the peak usage over
	// [Start, End). It is at least the party size asked for.
	Remaining int `json:"remaining"`
}

// AvailabilityQuery asks for the open start times of a service for a party, in [From, To).
type AvailabilityQuery struct {
	MerchantID string
	ServiceID  string // empty: the merchant's default service
	PartySize  int
	From, To   time.Time
}

// Availability returns the start times in [q.From, q.To) that can be booked now for q.PartySize, in time
// order: on the service's grid (every Interval from each opening, start + duration ≤ close, not on a closed
// date), within [now+MinLead, now+MaxLead], and with the peak usage over [start, start+duration) of
// overlapping bookings and unexpired holds, plus the party, within capacity. The window may span at most 31
// days. Allocations are read from the store once for the whole window.
func (s *Core) Availability(ctx context.Context, q AvailabilityQuery) ([]Slot, error) {
	m, sv, err := s.lookup(q.MerchantID, q.ServiceID)
	if err != nil {
		return nil, err
	}
	if err := checkParty(sv, q.PartySize); err != nil {
		return nil, err
	}
	if q.From.IsZero() || q.To.IsZero() {
		return nil, InvalidArgument("window", "from and to are required")
	}
	if !q.To.After(q.From) {
		return nil, InvalidArgument("window", "to must be after from")
	}
	if q.To.Sub(q.From) > MaxAvailabilityWindow {
		return nil, InvalidArgument("window", "the window may span at most 31 days")
	}
	return s.available(ctx, m, sv, q.PartySize, q.From, q.To)
}

// available computes the free start times in [from, to) for party; arguments are already validated.
func (s *Core) available(ctx context.Context, m *Merchant, sv *Service, party int, from, to time.Time) ([]Slot, error) {
	now := s.Now()
	dur := sv.Duration.D()
	if earliest := now.Add(m.Policy.MinLead.D()); from.Before(earliest) {
		from = earliest
	}
	if latest := now.Add(m.Policy.MaxLead.D()).Add(time.Nanosecond); to.After(latest) {
		to = latest
	}
	if !to.After(from) {
		return []Slot{}, nil
	}
	starts := m.startTimes(sv, dur, from, to)
	if len(starts) == 0 {
		return []Slot{}, nil
	}
	allocs, err := s.store.Allocations(ctx, m.ID, sv.ID, starts[0], starts[len(starts)-1].Add(dur))
	if err != nil {
		return nil, fmt.Errorf("booking: read allocations: %w", err)
	}
	prof := buildProfile(allocs, now)
	out := make([]Slot, 0, len(starts))
	for _, st := range starts {
		end := st.Add(dur)
		peak := prof.peak(st.UnixNano(), end.UnixNano())
		if peak+party <= sv.Capacity {
			out = append(out, Slot{Start: st, End: end, Remaining: sv.Capacity - peak})
		}
	}
	return out, nil
}

// profile is the usage of a service over time, a step function: use[i] covers [at[i], at[i+1]) (unix
// nanoseconds), and usage is 0 before at[0] and from the last point on.
type profile struct {
	at  []int64
	use []int
}

// buildProfile sums the allocations that are live at now into a usage profile.
func buildProfile(allocs []Allocation, now time.Time) profile {
	type event struct {
		at    int64
		delta int
	}
	events := make([]event, 0, 2*len(allocs))
	for _, a := range allocs {
		if a.Live(now) && a.Party != 0 && a.End.After(a.Start) {
			events = append(events, event{a.Start.UnixNano(), a.Party}, event{a.End.UnixNano(), -a.Party})
		}
	}
	slices.SortFunc(events, func(x, y event) int { return cmp.Compare(x.at, y.at) })
	p := profile{at: make([]int64, 0, len(events)), use: make([]int, 0, len(events))}
	cur := 0
	for i, e := range events {
		cur += e.delta
		if i+1 < len(events) && events[i+1].at == e.at {
			continue // fold every change at the same instant into one step
		}
		p.at = append(p.at, e.at)
		p.use = append(p.use, cur)
	}
	return p
}

// peak returns the largest usage at any instant of [start, end).
func (p profile) peak(start, end int64) int {
	i := sort.Search(len(p.at), func(i int) bool { return p.at[i] > start }) - 1
	peak := 0
	if i >= 0 {
		peak = p.use[i]
	}
	for j := i + 1; j < len(p.at) && p.at[j] < end; j++ {
		peak = max(peak, p.use[j])
	}
	return peak
}

// Check reports nil when start can be booked for party with the service, else an *Error: CodeSlotUnavailable
// with Field "closed" (outside opening hours, on a closed date or off the start-time grid), "too_soon" (before
// now+MinLead), "too_far" (after now+MaxLead) or "full" (not enough capacity); CodeInvalidArgument with Field
// "party_size" for a party outside the service's bounds; CodeNotFound for an unknown merchant or service.
func (s *Core) Check(ctx context.Context, merchantID, serviceID string, start time.Time, party int) error {
	m, sv, err := s.lookup(merchantID, serviceID)
	if err != nil {
		return err
	}
	if err := checkParty(sv, party); err != nil {
		return err
	}
	now := s.Now()
	if err := checkStart(m, sv, sv.Duration.D(), start, now); err != nil {
		return err
	}
	end := start.Add(sv.Duration.D())
	allocs, err := s.store.Allocations(ctx, m.ID, sv.ID, start, end)
	if err != nil {
		return fmt.Errorf("booking: read allocations: %w", err)
	}
	if PeakUsage(allocs, start, end, now, "")+party > sv.Capacity {
		return slotError(ErrSlotUnavailable)
	}
	return nil
}

// checkStart applies the rules that need no store: the grid and opening hours, then the lead times.
func checkStart(m *Merchant, sv *Service, dur time.Duration, start, now time.Time) error {
	if start.IsZero() {
		return InvalidArgument("start", "a start time is required")
	}
	if !m.onGrid(sv, dur, start) {
		return &Error{Code: CodeSlotUnavailable, Field: "closed",
			Message: "not a start time: outside opening hours, on a closed date or off the start-time grid"}
	}
	if start.Before(now.Add(m.Policy.MinLead.D())) {
		return &Error{Code: CodeSlotUnavailable, Field: "too_soon",
			Message: fmt.Sprintf("bookings must be made at least %s ahead", m.Policy.MinLead)}
	}
	if start.After(now.Add(m.Policy.MaxLead.D())) {
		return &Error{Code: CodeSlotUnavailable, Field: "too_far",
			Message: fmt.Sprintf("bookings can be made at most %s ahead", m.Policy.MaxLead)}
	}
	return nil
}

// Nearest returns up to n free start times for party closest to around, looking at most 7 days before and
// after it, ordered by distance from around and then by time (the earlier of two equally distant times first).
func (s *Core) Nearest(ctx context.Context, merchantID, serviceID string, around time.Time, party, n int) ([]Slot, error) {
	m, sv, err := s.lookup(merchantID, serviceID)
	if err != nil {
		return nil, err
	}
	if err := checkParty(sv, party); err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, InvalidArgument("n", "must be ≥ 1")
	}
	if around.IsZero() {
		return nil, InvalidArgument("around", "a time is required")
	}
	slots, err := s.available(ctx, m, sv, party, around.Add(-nearestReach), around.Add(nearestReach+time.Nanosecond))
	if err != nil {
		return nil, err
	}
	dist := func(t time.Time) time.Duration {
		d := t.Sub(around)
		if d < 0 {
			return -d
		}
		return d
	}
	slices.SortStableFunc(slots, func(a, b Slot) int {
		if da, db := dist(a.Start), dist(b.Start); da != db {
			if da < db {
				return -1
			}
			return 1
		}
		return a.Start.Compare(b.Start)
	})
	if len(slots) > n {
		slots = slots[:n]
	}
	return slots, nil
}
