package booking_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
)

func TestMerchantSeatings(t *testing.T) {
	inv := booking.SampleInventory()
	m := &inv.Merchants[0] // dinner: 90 min, every 15 min; Sample Bistro opens 17:00–22:00 every day
	m.ClosedDates = []string{"2026-12-25"}
	m.Hours = append(m.Hours,
		booking.OpeningHours{Day: time.Saturday, Open: "11:30", Close: "14:00"}, // lunch too
		booking.OpeningHours{Day: time.Friday, Open: "23:00", Close: "02:00"},   // a late opening past midnight
		booking.OpeningHours{Day: time.Thursday, Open: "12:00", Close: "13:00"}, // shorter than a dinner
	)
	sv := m.Default()
	tests := []struct {
		name string
		day  time.Time
		want string
	}{
		{"a weekday", lt(2026, 11, 23, "12:00"), "17:00-20:30"},
		{"any instant of the day", lt(2026, 11, 23, "23:59"), "17:00-20:30"},
		{"two openings, sorted", lt(2026, 11, 28, "12:00"), "11:30-12:30 17:00-20:30"},
		{"past midnight belongs to the day it opens", lt(2026, 11, 27, "12:00"), "17:00-20:30 23:00-00:30"},
		{"the next day does not repeat it", lt(2026, 11, 28, "01:00"), "11:30-12:30 17:00-20:30"},
		{"an opening too short is skipped", lt(2026, 11, 26, "12:00"), "17:00-20:30"},
		{"closed date", lt(2026, 12, 25, "12:00"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, s := range m.Seatings(sv, tc.day) {
				if s.First.Location().String() != m.TimeZone || s.Last.Location().String() != m.TimeZone {
					t.Errorf("seating %v not in the merchant's zone", s)
				}
				got = append(got, fmt.Sprintf("%s-%s", s.First.Format("15:04"), s.Last.Format("15:04")))
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("Seatings(%s) = %q, want %q", tc.day, g, tc.want)
			}
		})
	}
	// An opening across a clock change: start times step in absolute time, as the availability grid's do, and
	// the last one leaves the service's 90 minutes of real time before the close.
	late := *m
	late.Hours = []booking.OpeningHours{{Day: time.Saturday, Open: "23:00", Close: "03:00"}}
	for _, tc := range []struct {
		name string
		day  time.Time
		want string
	}{
		{"the clocks go forward (02:00 → 03:00): 3 real hours", lt(2026, 3, 7, "12:00"), "23:00 PST-00:30 PST"},
		{"the clocks go back (02:00 → 01:00): 5 real hours", lt(2026, 10, 31, "12:00"), "23:00 PDT-01:30 PST"},
	} {
		ss := late.Seatings(sv, tc.day)
		if len(ss) != 1 {
			t.Fatalf("%s: seatings %v", tc.name, ss)
		}
		if got := ss[0].First.Format("15:04 MST") + "-" + ss[0].Last.Format("15:04 MST"); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	if got := m.Seatings(&booking.Service{Duration: sv.Duration}, lt(2026, 11, 23, "12:00")); got != nil {
		t.Errorf("a service without an interval has seatings %v", got)
	}
}
