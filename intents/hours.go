package intents

import (
	"slices"
	"time"

	"github.com/reservations/reservations/booking"
)

// seating is one opening period of a day as the guests hear it: the first and the last start time.
type seating struct{ first, last time.Time }

// seatings returns the opening periods of the merchant on the local date of day (in the merchant's zone) as
// first and last start times for the service, or nil when the merchant is closed that day.
func seatings(m *booking.Merchant, sv *booking.Service, day time.Time) []seating {
	day = day.In(merchantLoc(m))
	if slices.Contains(m.ClosedDates, day.Format(time.DateOnly)) {
		return nil
	}
	var out []seating
	for _, h := range m.Hours {
		if h.Day != day.Weekday() {
			continue
		}
		open, ok1 := minutesOf(h.Open)
		closing, ok2 := minutesOf(h.Close)
		if !ok1 || !ok2 {
			continue
		}
		if closing <= open {
			closing += 24 * 60 // runs past midnight
		}
		dur := int(sv.Duration.D() / time.Minute)
		step := int(sv.Interval.D() / time.Minute)
		if step <= 0 || closing-open < dur {
			continue
		}
		last := open + (closing-dur-open)/step*step
		out = append(out, seating{first: clockAt(day, open), last: clockAt(day, last)})
	}
	slices.SortFunc(out, func(a, b seating) int { return a.first.Compare(b.first) })
	return out
}

// within reports whether clock ("HH:MM") on the day falls inside one of the day's seatings.
func within(ss []seating, day time.Time, clock string) bool {
	h, m, ok := splitClock(clock)
	if !ok {
		return false
	}
	t := clockAt(day.In(day.Location()), h*60+m)
	for _, s := range ss {
		if !t.Before(s.first) && !t.After(s.last) {
			return true
		}
	}
	return false
}

// eveningClock reads an ambiguous morning hour as the evening when only the evening is open: Dialogflow resolves
// "at 7" to 07:00, but a restaurant open 17:00–22:00 means 19:00. Other clocks are returned unchanged.
func eveningClock(m *booking.Merchant, sv *booking.Service, date, clock string) string {
	h, min, ok := splitClock(clock)
	if !ok || h < 1 || h > 11 {
		return clock
	}
	day, ok := combine(date, "12:00", merchantLoc(m))
	if !ok {
		return clock
	}
	ss := seatings(m, sv, day)
	pm := time.Date(2000, 1, 1, h+12, min, 0, 0, time.UTC).Format("15:04")
	if !within(ss, day, clock) && within(ss, day, pm) {
		return pm
	}
	return clock
}
