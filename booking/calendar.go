package booking

import (
	"slices"
	"time"
)

// period is one opening of a merchant on one local date, as absolute instants.
type period struct {
	open, close time.Time
}

// localDate returns the merchant-local calendar date of t, as YYYY-MM-DD.
func (m *Merchant) localDate(t time.Time) string { return t.In(m.loc()).Format(time.DateOnly) }

func (m *Merchant) loc() *time.Location {
	if m.Location == nil {
		return time.UTC
	}
	return m.Location
}

// periods returns the merchant's openings that begin on the local dates from the date of from, minus one day
// (an opening past midnight reaches into from's date), to the date of to, skipping closed dates. Wall-clock
// times are built with time.Date in the merchant's Location, so 17:00 is 17:00 local on DST days too.
func (m *Merchant) periods(from, to time.Time) []period {
	loc := m.loc()
	f := from.In(loc)
	l := to.In(loc)
	day := time.Date(f.Year(), f.Month(), f.Day()-1, 0, 0, 0, 0, loc)
	last := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	var out []period
	for ; !day.After(last); day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc) {
		if slices.Contains(m.ClosedDates, day.Format(time.DateOnly)) {
			continue
		}
		for _, h := range m.Hours {
			if h.Day != day.Weekday() {
				continue
			}
			openMin, ok1 := parseClock(h.Open)
			closeMin, ok2 := parseClock(h.Close)
			if !ok1 || !ok2 || openMin == closeMin {
				continue // rejected by Validate
			}
			y, mo, d := day.Date()
			open := time.Date(y, mo, d, openMin/60, openMin%60, 0, 0, loc)
			if closeMin <= openMin {
				closeMin += 24 * 60 // runs past midnight
			}
			closing := time.Date(y, mo, d, 0, closeMin, 0, 0, loc)
			out = append(out, period{open: open, close: closing})
		}
	}
	slices.SortFunc(out, func(a, b period) int { return a.open.Compare(b.open) })
	return out
}

// startTimes returns the grid start times of the service, in [from, to), for a booking of length dur: every
// Interval from each opening, as long as start + dur ≤ close. Sorted, without duplicates.
func (m *Merchant) startTimes(s *Service, dur time.Duration, from, to time.Time) []time.Time {
	step := s.Interval.D()
	if step <= 0 || dur <= 0 {
		return nil
	}
	var out []time.Time
	for _, p := range m.periods(from, to) {
		for t := p.open; !t.Add(dur).After(p.close) && t.Before(to); t = t.Add(step) {
			if !t.Before(from) {
				out = append(out, t)
			}
		}
	}
	slices.SortFunc(out, time.Time.Compare)
	return slices.CompactFunc(out, time.Time.Equal)
}

// Seating is one opening of a merchant as guests hear it: the first and the last start time of a service in it,
// in the merchant's time zone.
type Seating struct{ First, Last time.Time }

// Seatings returns the openings that begin on the merchant-local date of day, each as the first and the last
// start time the service has in it (every Interval from the opening while the service's Duration still ends by
// the close), sorted. It is nil when the merchant is closed that date or the service fits in none of its
// openings. The conversation explains opening hours with it; availability uses the same grid.
func (m *Merchant) Seatings(s *Service, day time.Time) []Seating {
	loc := m.loc()
	date := day.In(loc).Format(time.DateOnly)
	step, dur := s.Interval.D(), s.Duration.D()
	if step <= 0 || dur <= 0 {
		return nil
	}
	var out []Seating
	for _, p := range m.periods(day, day) {
		if p.open.In(loc).Format(time.DateOnly) != date || p.open.Add(dur).After(p.close) {
			continue // the previous day's opening, or too short for the service
		}
		n := p.close.Sub(p.open.Add(dur)) / step
		out = append(out, Seating{First: p.open.In(loc), Last: p.open.Add(n * step).In(loc)})
	}
	return out
}

// onGrid reports whether start is a start time of the service for a booking of length dur.
func (m *Merchant) onGrid(s *Service, dur time.Duration, start time.Time) bool {
	return len(m.startTimes(s, dur, start, start.Add(time.Nanosecond))) == 1
}
