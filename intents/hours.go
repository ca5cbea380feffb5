package intents

import (
	"time"

	"github.com/reservations/reservations/booking"
)

// seatings returns the merchant's openings on the local date of day as the first and last start times of the
// service (booking.Merchant.Seatings: the booking core's grid), or nil when the merchant is closed that day.
func seatings(m *booking.Merchant, sv *booking.Service, day time.Time) []booking.Seating {
	return m.Seatings(sv, day)
}

// within reports whether clock ("HH:MM") on the day falls inside one of the day's seatings.
func within(ss []booking.Seating, day time.Time, clock string) bool {
	h, m, ok := splitClock(clock)
	if !ok {
		return false
	}
	t := clockAt(day.In(day.Location()), h*60+m)
	for _, s := range ss {
		if !t.Before(s.First) && !t.After(s.Last) {
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
