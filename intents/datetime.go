package intents

import (
	"strconv"
	"strings"
	"time"
)

// Dialogflow resolves @sys.date and @sys.time to ISO 8601 date-times in the agent's time zone, e.g.
// "2026-11-23T12:00:00-08:00" for "tomorrow" and "2026-11-22T19:00:00-08:00" for "at 7 PM" (the date of a time is
// today's and means nothing). The conversation keeps the date part of one and the clock part of the other, and
// combines them as a wall-clock time in the merchant's zone.

// parseDate returns the calendar date of a @sys.date value ("2026-11-23T12:00:00-08:00" or "2026-11-23") as
// "YYYY-MM-DD".
func parseDate(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if len(v) < len(time.DateOnly) {
		return "", false
	}
	d := v[:len(time.DateOnly)]
	if _, err := time.Parse(time.DateOnly, d); err != nil {
		return "", false
	}
	if rest := v[len(time.DateOnly):]; rest != "" && rest[0] != 'T' && rest[0] != ' ' {
		return "", false
	}
	return d, true
}

// parseClock returns the wall-clock time of a @sys.time value ("2026-11-22T19:00:00-08:00", "19:00:00" or
// "19:00") as "HH:MM".
func parseClock(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, 'T'); i >= 0 {
		v = v[i+1:]
	}
	if len(v) < 5 || v[2] != ':' {
		return "", false
	}
	h, err1 := strconv.Atoi(v[:2])
	m, err2 := strconv.Atoi(v[3:5])
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return "", false
	}
	if rest := v[5:]; rest != "" && rest[0] != ':' && rest[0] != '+' && rest[0] != '-' && rest[0] != 'Z' && rest[0] != '.' {
		return "", false
	}
	return v[:5], true
}

// combine returns the instant of date ("YYYY-MM-DD") at clock ("HH:MM") as a wall-clock time in loc.
func combine(date, clock string, loc *time.Location) (time.Time, bool) {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return time.Time{}, false
	}
	h, m, ok := splitClock(clock)
	if !ok {
		return time.Time{}, false
	}
	return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, loc), true
}

func splitClock(clock string) (int, int, bool) {
	if len(clock) != 5 || clock[2] != ':' {
		return 0, 0, false
	}
	h, err1 := strconv.Atoi(clock[:2])
	m, err2 := strconv.Atoi(clock[3:])
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, 0, false
	}
	return h, m, true
}

// clockAt returns the time of day given in minutes after midnight on the date of day, in day's location.
func clockAt(day time.Time, minutes int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, minutes, 0, 0, day.Location())
}
