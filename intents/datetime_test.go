package intents

import (
	"testing"
	"time"
)

func TestParseDateAndClock(t *testing.T) {
	dates := []struct {
		in   string
		want string
		ok   bool
	}{
		{"2026-11-23T12:00:00-08:00", "2026-11-23", true},
		{"2026-11-23", "2026-11-23", true},
		{" 2026-03-08T12:00:00-07:00 ", "2026-03-08", true},
		{"2026-02-30T12:00:00-08:00", "", false},
		{"2026-11-23X", "", false},
		{"tomorrow", "", false},
		{"", "", false},
	}
	for _, tc := range dates {
		got, ok := parseDate(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseDate(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	clocks := []struct {
		in   string
		want string
		ok   bool
	}{
		{"2026-11-22T19:00:00-08:00", "19:00", true},
		{"2026-11-22T19:30:00Z", "19:30", true},
		{"19:45:00", "19:45", true},
		{"07:05", "07:05", true},
		{"24:00:00", "", false},
		{"19:60:00", "", false},
		{"7pm", "", false},
		{"19:00x", "", false},
		{"", "", false},
	}
	for _, tc := range clocks {
		got, ok := parseClock(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseClock(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCombineUsesMerchantWallClock(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		date, clock string
		want        string
	}{
		// The agent's date value carries noon and the time value today's date: only their parts count.
		{"2026-11-23", "19:00", "2026-11-24T03:00:00Z"},
		// DST starts in Los Angeles on 2026-03-08: 17:00 local is 00:00 UTC the next day (UTC-7).
		{"2026-03-08", "17:00", "2026-03-09T00:00:00Z"},
		{"2026-03-07", "17:00", "2026-03-08T01:00:00Z"},
	}
	for _, tc := range tests {
		got, ok := combine(tc.date, tc.clock, la)
		if !ok || got.UTC().Format(time.RFC3339) != tc.want {
			t.Errorf("combine(%s, %s) = %v, %v; want %s", tc.date, tc.clock, got.UTC(), ok, tc.want)
		}
	}
	if _, ok := combine("2026-11-23", "7pm", la); ok {
		t.Error("combine accepted a malformed clock")
	}
}

func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{"2026-11-23T12:00:00-08:00", "2026-11-22T19:00:00-08:00", "19:00:00", "", "T", "2026-11-23T"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseDate(s)
		if ok {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				t.Fatalf("parseDate(%q) = %q, not a date", s, d)
			}
		}
		c, ok := parseClock(s)
		if ok {
			if _, _, ok := splitClock(c); !ok {
				t.Fatalf("parseClock(%q) = %q, not a clock", s, c)
			}
		}
	})
}
