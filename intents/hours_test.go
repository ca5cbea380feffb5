package intents

import (
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
)

func TestSeatingsAndEveningClock(t *testing.T) {
	inv := booking.SampleInventory()
	m := &inv.Merchants[0]
	m.ClosedDates = []string{"2026-12-25"}
	// Saturdays also open for lunch, 11:30–14:00, to check several periods and the evening rule.
	m.Hours = append(m.Hours, booking.OpeningHours{Day: time.Saturday, Open: "11:30", Close: "14:00"})
	sv := m.Default()
	loc := merchantLoc(m)
	day := func(d string) time.Time { t, _ := combine(d, "12:00", loc); return t }

	ss := seatings(m, sv, day("2026-11-23"))
	if len(ss) != 1 || ss[0].First.Format("15:04") != "17:00" || ss[0].Last.Format("15:04") != "20:30" {
		t.Fatalf("Monday seatings = %+v, want 17:00 to 20:30", ss)
	}
	if got := seatings(m, sv, day("2026-12-25")); got != nil {
		t.Errorf("closed date has seatings %+v", got)
	}
	if got := seatings(m, sv, day("2026-11-28")); len(got) != 2 || got[0].First.Format("15:04") != "11:30" || got[0].Last.Format("15:04") != "12:30" {
		t.Errorf("Saturday seatings = %+v, want lunch 11:30–12:30 then dinner", got)
	}

	tests := []struct {
		date, clock, want string
	}{
		{"2026-11-23", "07:00", "19:00"}, // "at 7": the evening
		{"2026-11-23", "08:30", "20:30"},
		{"2026-11-23", "09:00", "09:00"}, // 21:00 is past the last seating: left alone
		{"2026-11-23", "19:00", "19:00"},
		{"2026-11-23", "12:00", "12:00"},
		{"2026-11-28", "11:30", "11:30"}, // open for lunch: the morning is meant
		{"2026-11-28", "06:00", "18:00"},
		{"2026-12-25", "07:00", "07:00"}, // closed all day: nothing to prefer
	}
	for _, tc := range tests {
		if got := eveningClock(m, sv, tc.date, tc.clock); got != tc.want {
			t.Errorf("eveningClock(%s, %s) = %s, want %s", tc.date, tc.clock, got, tc.want)
		}
	}
}

func TestParamHelpers(t *testing.T) {
	ints := []struct {
		in   any
		want int
		ok   bool
	}{
		{4.0, 4, true}, {"6", 6, true}, {4.5, 0, false}, {0.0, 0, false}, {-2.0, 0, false}, {"", 0, false}, {nil, 0, false}, {true, 0, false},
	}
	for _, tc := range ints {
		if got, ok := paramInt(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("paramInt(%#v) = %d, %v", tc.in, got, ok)
		}
	}
	names := []struct {
		in   any
		want string
	}{
		{map[string]any{"name": " Jane Doe "}, "Jane Doe"}, {"Sam", "Sam"}, {map[string]any{}, ""}, {42.0, ""},
	}
	for _, tc := range names {
		if got := personName(tc.in); got != tc.want {
			t.Errorf("personName(%#v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
