package booking_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/booking/storetest"
	"github.com/reservations/reservations/internal/testsupport"
)

var la = func() *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		panic(err)
	}
	return loc
}()

// lt is a Los Angeles wall time.
func lt(y int, mo time.Month, d int, hhmm string) time.Time {
	t, err := time.Parse("15:04", hhmm)
	if err != nil {
		panic(err)
	}
	return time.Date(y, mo, d, t.Hour(), t.Minute(), 0, 0, la)
}

type fixture struct {
	t     *testing.T
	ctx   context.Context
	st    *memory.Store
	clock *testsupport.Clock
	core  *booking.Core
}

// newFixture runs the core over a memory store with the clock at now and the inventory (nil: the suite's).
func newFixture(t *testing.T, now time.Time, inv *booking.Inventory) *fixture {
	t.Helper()
	if inv == nil {
		inv = storetest.TestInventory()
	}
	st := memory.New()
	clock := testsupport.NewClock(now)
	n := 0
	core, err := booking.NewService(booking.Config{Store: st, Inventory: inv, Now: clock.Now,
		NewID: func() string { n++; return fmt.Sprintf("id%03d", n) }})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: context.Background(), st: st, clock: clock, core: core}
}

func (f *fixture) book(start time.Time, party int, user string) booking.Booking {
	f.t.Helper()
	b, err := f.core.CreateBooking(f.ctx, booking.CreateRequest{MerchantID: "sample-bistro", Start: start, PartySize: party,
		Customer: booking.Customer{Name: "Guest", UserID: user}, Source: booking.SourceAdmin})
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *fixture) avail(from, to time.Time, party int) map[string]int {
	f.t.Helper()
	slots, err := f.core.Availability(f.ctx, booking.AvailabilityQuery{MerchantID: "sample-bistro", PartySize: party, From: from, To: to})
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]int{}
	for i, s := range slots {
		if i > 0 && !s.Start.After(slots[i-1].Start) {
			f.t.Fatalf("slots out of order: %v", slots)
		}
		if !s.End.Equal(s.Start.Add(90 * time.Minute)) {
			f.t.Fatalf("slot %v ends at %v", s.Start, s.End)
		}
		out[s.Start.In(la).Format("01-02 15:04")] = s.Remaining
	}
	return out
}

func keys(m map[string]int) []string { return slices.Sorted(maps.Keys(m)) }

// monday is the fixtures' usual clock: Monday 2 March 2026, 09:00 in Los Angeles.
var monday = lt(2026, 3, 2, "09:00")

func TestAvailabilityGrid(t *testing.T) {
	f := newFixture(t, monday, nil)
	got := f.avail(lt(2026, 3, 3, "00:00"), lt(2026, 3, 4, "00:00"), 2)
	var want []string
	for m := 17 * 60; m <= 20*60+30; m += 15 {
		want = append(want, fmt.Sprintf("03-03 %02d:%02d", m/60, m%60))
	}
	if fmt.Sprint(keys(got)) != fmt.Sprint(want) {
		t.Fatalf("starts:\n got  %v\n want %v", keys(got), want)
	}
	for k, r := range got {
		if r != 40 {
			t.Fatalf("%s has %d left, want 40", k, r)
		}
	}
}

func TestAvailabilityCapacity(t *testing.T) {
	f := newFixture(t, monday, nil)
	day := func(hhmm string) time.Time { return lt(2026, 3, 3, hhmm) }
	f.book(day("18:00"), 8, "a") // 18:00–19:30
	f.book(day("19:00"), 8, "b") // 19:00–20:30
	f.book(day("19:00"), 8, "c")
	h, err := f.core.PlaceHold(f.ctx, booking.HoldRequest{MerchantID: "sample-bistro", Start: day("20:30"), PartySize: 8})
	if err != nil {
		t.Fatal(err)
	}
	got := f.avail(day("00:00"), day("23:59"), 1)
	// a 18:00–19:30 (8), b and c 19:00–20:30 (16), the hold 20:30–22:00 (8); ends are exclusive.
	want := map[string]int{
		"03-03 17:00": 32, "03-03 17:15": 32, "03-03 17:30": 32, // meet a only
		"03-03 17:45": 16, "03-03 18:00": 16, "03-03 18:15": 16, "03-03 18:30": 16, "03-03 18:45": 16, "03-03 19:00": 16,
		"03-03 19:15": 16,                                                          // a, b and c from 19:00 to 19:30
		"03-03 19:30": 24, "03-03 19:45": 24, "03-03 20:00": 24, "03-03 20:15": 24, // b and c, then the hold alone
		"03-03 20:30": 32, // the hold
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %d left, want %d", k, got[k], w)
		}
	}
	// The hold stops counting when it expires.
	f.clock.Advance(15 * time.Minute)
	if r := f.avail(day("00:00"), day("23:59"), 1)["03-03 20:30"]; r != 40 {
		t.Errorf("20:30 after the hold %s expired: %d left, want 40", h.ID, r)
	}
	// A party that does not fit is not offered the time at all.
	got = f.avail(day("00:00"), day("23:59"), 8)
	if _, ok := got["03-03 19:00"]; !ok {
		t.Errorf("19:00 for 8 should fit exactly (16 + 8 + 8 ≤ 40): %v", got)
	}
	f.book(day("19:00"), 8, "d")
	f.book(day("19:00"), 8, "e")
	got = f.avail(day("00:00"), day("23:59"), 1)
	if _, ok := got["03-03 19:00"]; ok {
		t.Errorf("19:00 offered with 40 of 40 covers in use: %v", got)
	}
}

func TestAvailabilityLeadTimes(t *testing.T) {
	// 16:30 on Tuesday: the earliest start is 17:30 (MinLead 1 h).
	f := newFixture(t, lt(2026, 3, 3, "16:30"), nil)
	got := f.avail(lt(2026, 3, 3, "00:00"), lt(2026, 3, 4, "00:00"), 2)
	if ks := keys(got); ks[0] != "03-03 17:30" || len(ks) != 13 {
		t.Fatalf("starts after 16:30: %v", ks)
	}
	// 60 days ahead at most, counted as elapsed time: 3 March 17:10 PST + 1440 h is 2 May 18:10 PDT.
	f = newFixture(t, lt(2026, 3, 3, "17:10"), nil)
	got = f.avail(lt(2026, 5, 1, "00:00"), lt(2026, 5, 3, "00:00"), 2)
	ks := keys(got)
	if ks[0] != "05-01 17:00" || ks[len(ks)-1] != "05-02 18:00" {
		t.Fatalf("starts near the 60-day limit: first %s last %s, want 05-01 17:00 and 05-02 18:00", ks[0], ks[len(ks)-1])
	}
}

func TestAvailabilityArguments(t *testing.T) {
	f := newFixture(t, monday, nil)
	from := lt(2026, 3, 3, "00:00")
	cases := []struct {
		name  string
		q     booking.AvailabilityQuery
		code  booking.Code
		field string
	}{
		{"window over 31 days", booking.AvailabilityQuery{MerchantID: "sample-bistro", PartySize: 2, From: from, To: from.Add(31*24*time.Hour + time.Second)}, booking.CodeInvalidArgument, "window"},
		{"empty window", booking.AvailabilityQuery{MerchantID: "sample-bistro", PartySize: 2, From: from, To: from}, booking.CodeInvalidArgument, "window"},
		{"no window", booking.AvailabilityQuery{MerchantID: "sample-bistro", PartySize: 2}, booking.CodeInvalidArgument, "window"},
		{"party too big", booking.AvailabilityQuery{MerchantID: "sample-bistro", PartySize: 9, From: from, To: from.Add(time.Hour)}, booking.CodeInvalidArgument, "party_size"},
		{"party 0", booking.AvailabilityQuery{MerchantID: "sample-bistro", PartySize: 0, From: from, To: from.Add(time.Hour)}, booking.CodeInvalidArgument, "party_size"},
		{"unknown merchant", booking.AvailabilityQuery{MerchantID: "nope", PartySize: 2, From: from, To: from.Add(time.Hour)}, booking.CodeNotFound, "merchant_id"},
		{"unknown service", booking.AvailabilityQuery{MerchantID: "sample-bistro", ServiceID: "lunch", PartySize: 2, From: from, To: from.Add(time.Hour)}, booking.CodeNotFound, "service_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.core.Availability(f.ctx, tc.q)
			if e, ok := err.(*booking.Error); !ok || e.Code != tc.code || e.Field != tc.field {
				t.Fatalf("got %v, want %s on %s", err, tc.code, tc.field)
			}
		})
	}
	// Exactly 31 days is allowed.
	if _, err := f.core.Availability(f.ctx, booking.AvailabilityQuery{MerchantID: "sample-bistro", PartySize: 2, From: from, To: from.Add(booking.MaxAvailabilityWindow)}); err != nil {
		t.Fatal(err)
	}
}

func TestAvailabilityDST(t *testing.T) {
	f := newFixture(t, lt(2026, 3, 1, "09:00"), nil)
	// 8 March 2026 and 1 November 2026 are the DST changes in Los Angeles.
	for _, tc := range []struct {
		day      time.Time
		wantUTC  string
		prevUTC  string
		hoursGap time.Duration
	}{
		{lt(2026, 3, 8, "00:00"), "2026-03-09T00:00:00Z", "2026-03-08T01:00:00Z", 23 * time.Hour},
		{lt(2026, 11, 1, "00:00"), "2026-11-02T01:00:00Z", "2026-11-01T00:00:00Z", 25 * time.Hour},
	} {
		if tc.day.Month() == 11 {
			f.clock.Set(lt(2026, 10, 1, "09:00"))
		}
		slots, err := f.core.Availability(f.ctx, booking.AvailabilityQuery{MerchantID: "sample-bistro", PartySize: 2,
			From: tc.day.AddDate(0, 0, -1), To: tc.day.AddDate(0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		if len(slots) != 30 {
			t.Fatalf("%s: %d slots over two days, want 30", tc.day.Format(time.DateOnly), len(slots))
		}
		prev, first := slots[0].Start, slots[15].Start
		if got := first.UTC().Format(time.RFC3339); got != tc.wantUTC {
			t.Errorf("first start on %s: %s UTC, want %s (17:00 local)", tc.day.Format(time.DateOnly), got, tc.wantUTC)
		}
		if got := prev.UTC().Format(time.RFC3339); got != tc.prevUTC {
			t.Errorf("first start the day before: %s UTC, want %s", got, tc.prevUTC)
		}
		if first.In(la).Format("15:04") != "17:00" || first.Sub(prev) != tc.hoursGap {
			t.Errorf("DST day: first start %s local, %v after the day before's", first.In(la).Format("15:04"), first.Sub(prev))
		}
		// A booking at 17:00 on the DST day reads back as 17:00 local, on that day.
		if err := f.core.Check(f.ctx, "sample-bistro", "", first, 2); err != nil {
			t.Errorf("Check of 17:00 on the DST day: %v", err)
		}
	}
}

func TestOvernightAndClosedDates(t *testing.T) {
	inv := &booking.Inventory{Merchants: []booking.Merchant{{
		ID: "night-bar", Name: "Night Bar", TimeZone: "America/Los_Angeles",
		// Saturday night into Sunday, across the spring-forward hour (02:00 → 03:00 on 8 March 2026).
		Hours:       []booking.OpeningHours{{Day: time.Saturday, Open: "22:00", Close: "04:00"}, {Day: time.Friday, Open: "22:00", Close: "24:00"}},
		ClosedDates: []string{"2026-03-13"},
		Policy:      booking.Policy{Hold: booking.Duration(5 * time.Minute), MaxLead: booking.Duration(30 * 24 * time.Hour)},
		Services: []booking.Service{{ID: "table", Name: "Table", Type: booking.TypeOther, Duration: booking.Duration(time.Hour),
			MinParty: 1, MaxParty: 4, Capacity: 4, Interval: booking.Duration(time.Hour)}},
	}}}
	f := newFixture(t, lt(2026, 3, 1, "12:00"), inv)
	slots, err := f.core.Availability(f.ctx, booking.AvailabilityQuery{MerchantID: "night-bar", PartySize: 1,
		From: lt(2026, 3, 6, "00:00"), To: lt(2026, 3, 15, "00:00")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range slots {
		got = append(got, s.Start.In(la).Format("01-02 15:04"))
	}
	// Friday 6th: 22:00, 23:00 (closes 24:00). Saturday 7th: 22:00 ... the DST night has one hour less:
	// 22:00, 23:00, 00:00, 01:00, then 03:00 PDT is 02:00 PST + 1 h and the last start ends by 04:00 PDT.
	// Friday 13th is closed; Saturday 14th is a normal night: 22:00 … 03:00.
	want := []string{"03-06 22:00", "03-06 23:00", "03-07 22:00", "03-07 23:00", "03-08 00:00", "03-08 01:00", "03-08 03:00",
		"03-14 22:00", "03-14 23:00", "03-15 00:00", "03-15 01:00", "03-15 02:00", "03-15 03:00"}
	// The window ends at 15 March 00:00, so the 14th's starts after midnight are out of it.
	want = want[:len(want)-4]
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("overnight starts:\n got  %v\n want %v", got, want)
	}
	err = f.core.Check(f.ctx, "night-bar", "table", lt(2026, 3, 13, "22:00"), 1)
	if e, ok := err.(*booking.Error); !ok || e.Code != booking.CodeSlotUnavailable || e.Field != "closed" {
		t.Fatalf("Check on a closed date: %v", err)
	}
}

func TestCheckReasons(t *testing.T) {
	f := newFixture(t, monday, nil)
	tue := func(hhmm string) time.Time { return lt(2026, 3, 3, hhmm) }
	for range 5 {
		f.book(tue("19:00"), 8, "")
	}
	cases := []struct {
		name  string
		start time.Time
		party int
		svc   string
		code  booking.Code
		field string
	}{
		{"free", tue("17:00"), 2, "dinner", "", ""},
		{"default service", tue("17:00"), 2, "", "", ""},
		{"last start, after the full time ends", tue("20:30"), 8, "dinner", "", ""},
		{"before opening", tue("16:45"), 2, "dinner", booking.CodeSlotUnavailable, "closed"},
		{"too late to finish before closing", tue("20:45"), 2, "dinner", booking.CodeSlotUnavailable, "closed"},
		{"off the grid", tue("17:10"), 2, "dinner", booking.CodeSlotUnavailable, "closed"},
		{"morning", lt(2026, 3, 2, "09:30"), 2, "dinner", booking.CodeSlotUnavailable, "closed"},
		{"past and off hours", monday.Add(-time.Hour), 2, "dinner", booking.CodeSlotUnavailable, "closed"},
		{"past evening", lt(2026, 3, 1, "19:00"), 2, "dinner", booking.CodeSlotUnavailable, "too_soon"},
		{"within the hour", lt(2026, 3, 2, "17:00"), 2, "dinner", "", ""},
		{"too far", lt(2026, 5, 2, "17:00"), 2, "dinner", booking.CodeSlotUnavailable, "too_far"},
		{"full", tue("19:00"), 1, "dinner", booking.CodeSlotUnavailable, "full"},
		{"overlaps a full time", tue("18:00"), 1, "dinner", booking.CodeSlotUnavailable, "full"},
		{"party too big", tue("17:00"), 9, "dinner", booking.CodeInvalidArgument, "party_size"},
		{"unknown service", tue("17:00"), 2, "brunch", booking.CodeNotFound, "service_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := f.core.Check(f.ctx, "sample-bistro", tc.svc, tc.start, tc.party)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("got %v, want bookable", err)
				}
				return
			}
			if e, ok := err.(*booking.Error); !ok || e.Code != tc.code || e.Field != tc.field {
				t.Fatalf("got %v, want %s/%s", err, tc.code, tc.field)
			}
		})
	}
	// too_soon needs a grid time within the lead: the clock at 16:30 makes 17:00 too soon.
	f.clock.Set(lt(2026, 3, 3, "16:30"))
	err := f.core.Check(f.ctx, "sample-bistro", "", tue("17:00"), 2)
	if e, ok := err.(*booking.Error); !ok || e.Field != "too_soon" {
		t.Fatalf("17:00 at 16:30: %v, want too_soon", err)
	}
}

func TestNearest(t *testing.T) {
	f := newFixture(t, monday, nil)
	tue := func(hhmm string) time.Time { return lt(2026, 3, 3, hhmm) }
	for range 5 {
		f.book(tue("19:00"), 8, "")
	}
	slots, err := f.core.Nearest(f.ctx, "sample-bistro", "", tue("19:00"), 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range slots {
		got = append(got, s.Start.In(la).Format("01-02 15:04"))
	}
	// 17:45–20:15 overlap the full 19:00–20:30; 17:30 and 20:30 are both 90 minutes away: earlier first.
	want := []string{"03-03 17:30", "03-03 20:30", "03-03 17:15", "03-03 17:00"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("nearest: %v, want %v", got, want)
	}
	// A whole evening full: the neighbouring evenings are offered.
	for _, hhmm := range []string{"17:00", "18:30", "20:00"} {
		for range 5 {
			f.book(lt(2026, 3, 4, hhmm), 8, "")
		}
	}
	slots, err = f.core.Nearest(f.ctx, "sample-bistro", "dinner", lt(2026, 3, 4, "19:00"), 8, 3)
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, s := range slots {
		got = append(got, s.Start.In(la).Format("01-02 15:04"))
	}
	// Thursday 17:00 is 22 h away, Tuesday 20:30 22.5 h (a tie with Thursday 17:30, broken by time).
	want = []string{"03-05 17:00", "03-05 17:15", "03-03 20:30"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("nearest around a full evening: %v, want %v", got, want)
	}
	if _, err := f.core.Nearest(f.ctx, "sample-bistro", "", tue("19:00"), 2, 0); booking.CodeOf(err) != booking.CodeInvalidArgument {
		t.Fatalf("n = 0: %v", err)
	}
}
