package intents

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Turns without Dialogflow. On the Actions SDK envelope nothing has understood the user's words before the
// webhook: an utterance no custom intent of the action package matched arrives as actions.intent.TEXT, with the
// raw query and no parameters. understand reads the few things this conversation needs from the words (what
// the user asks for, a party size, a day, a time, a name or a phone number when they are asked for) and picks
// the step a Dialogflow intent would have picked. It reads English only, like the catalog; a second language
// needs its words here too.

// numberWords are the party sizes said as words.
var numberWords = map[string]int{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}

const numberPattern = `(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)`

var (
	partyRe = regexp.MustCompile(`\b(?:for|party of|table for)\s+` + numberPattern + `\b|\b` + numberPattern +
		`\s+(?:people|persons|guests|of us|adults)\b`)
	onlyNumberRe = regexp.MustCompile(`^\s*` + numberPattern + `\s*(?:people|persons|guests)?\s*\.?$`)
	clockRe      = regexp.MustCompile(`(?:\bat\s+)?\b(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)(?:\s|$|[.,!?])|(?:\bat\s+)?\b(\d{1,2}):(\d{2})\b|\bat\s+(\d{1,2})\b`)
	isoDateRe    = regexp.MustCompile(`\b(\d{4}-\d{2}-\d{2})\b`)
	monthDayRe   = regexp.MustCompile(`\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b|\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b`)
	digitsRe     = regexp.MustCompile(`\d`)
	lettersRe    = regexp.MustCompile(`\pL`)
)

// weekdayRes match the weekdays' names, Sunday first (as time.Weekday).
var weekdayRes = func() []*regexp.Regexp {
	out := make([]*regexp.Regexp, 7)
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		out[wd] = regexp.MustCompile(`\b` + strings.ToLower(wd.String()) + `s?\b`)
	}
	return out
}()

var months = map[string]time.Month{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
	"sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12}

// readDetails fills t.params with the party size, the day and the time found in the words, as Dialogflow's
// parameters would carry them, and reports whether it found any.
func (f *flow) readDetails(t *turn, words string) bool {
	found := false
	if n, ok := readParty(words); ok {
		t.params["party_size"] = float64(n)
		found = true
	} else if t.cart.Stage == StageAssembling && t.cart.missing() == "party" {
		if m := onlyNumberRe.FindStringSubmatch(words); m != nil {
			if n, ok := number(m[1]); ok {
				t.params["party_size"] = float64(n)
				found = true
			}
		}
	}
	if d, ok := f.readDate(words); ok {
		t.params["date"] = d
		found = true
	}
	if c, ok := readClock(words); ok {
		t.params["time"] = c
		found = true
	}
	return found
}

// readParty finds a party size: "for 4", "party of six", "4 people"; not "for 7 pm", which is a time.
func readParty(words string) (int, bool) {
	for _, m := range partyRe.FindAllStringSubmatchIndex(words, -1) {
		g := 2
		if m[2] < 0 {
			g = 4
		}
		rest := strings.TrimLeft(words[m[1]:], " ")
		if strings.HasPrefix(rest, "am") || strings.HasPrefix(rest, "pm") || strings.HasPrefix(rest, "a.m") ||
			strings.HasPrefix(rest, "p.m") || strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, "o'clock") {
			continue
		}
		if n, ok := number(words[m[g]:m[g+1]]); ok {
			return n, true
		}
	}
	return 0, false
}

// number reads a party size said in digits or as a word.
func number(s string) (int, bool) {
	if n, ok := numberWords[s]; ok {
		return n, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

// readDate finds a day in the words: today, tonight, tomorrow, a weekday (the next one, today included), a
// month and day (this year, or next year once passed) or an ISO date; as "YYYY-MM-DD" in the merchant's zone.
func (f *flow) readDate(words string) (string, bool) {
	now := f.now().In(merchantLoc(f.merchant))
	today := time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, now.Location())
	switch {
	case strings.Contains(words, "today"), strings.Contains(words, "tonight"):
		return today.Format(time.DateOnly), true
	case strings.Contains(words, "tomorrow"):
		return today.AddDate(0, 0, 1).Format(time.DateOnly), true
	}
	if m := isoDateRe.FindStringSubmatch(words); m != nil {
		if _, err := time.Parse(time.DateOnly, m[1]); err == nil {
			return m[1], true
		}
	}
	if m := monthDayRe.FindStringSubmatch(words); m != nil {
		mon, day := m[1], m[2]
		if mon == "" {
			mon, day = m[4], m[3]
		}
		d, _ := strconv.Atoi(day)
		month := months[mon]
		date := time.Date(today.Year(), month, d, 12, 0, 0, 0, today.Location())
		if date.Month() != month { // February 30
			return "", false
		}
		if date.Before(today) {
			date = date.AddDate(1, 0, 0)
		}
		return date.Format(time.DateOnly), true
	}
	for wd, re := range weekdayRes {
		if re.MatchString(words) {
			return today.AddDate(0, 0, (wd-int(today.Weekday())+7)%7).Format(time.DateOnly), true
		}
	}
	return "", false
}

// readClock finds a time of day in the words: "7 pm", "7:30pm", "19:30", "at 7" (which the conversation reads
// as the evening when only the evening is open), "noon"; as "HH:MM".
func readClock(words string) (string, bool) {
	if strings.Contains(words, "noon") {
		return "12:00", true
	}
	m := clockRe.FindStringSubmatch(words)
	if m == nil {
		return "", false
	}
	h, min := 0, 0
	switch {
	case m[1] != "":
		h, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			min, _ = strconv.Atoi(m[2])
		}
		if h < 1 || h > 12 {
			return "", false
		}
		pm := strings.HasPrefix(m[3], "p")
		if h == 12 {
			h = 0
		}
		if pm {
			h += 12
		}
	case m[4] != "":
		h, _ = strconv.Atoi(m[4])
		min, _ = strconv.Atoi(m[5])
	default:
		h, _ = strconv.Atoi(m[6])
	}
	if h > 23 || min > 59 {
		return "", false
	}
	return time.Date(2000, 1, 1, h, min, 0, 0, time.UTC).Format("15:04"), true
}

// understand picks the step for a turn that arrived as raw words, after filling t.params from them; nil when
// the words say nothing this conversation understands (the fallback answers).
func (f *flow) understand(t *turn) func(*turn) {
	words := strings.ToLower(strings.TrimSpace(t.query))
	if words == "" {
		return nil
	}
	switch t.cart.Stage {
	case StageContact:
		// The question was the name or the phone number: a reply with several digits is the number.
		if len(digitsRe.FindAllString(words, -1)) >= 7 {
			t.params["phone"] = strings.TrimSpace(t.query)
			return f.contact
		}
		if t.msg.YesNo(words) == AnswerUnknown && lettersRe.MatchString(words) && !strings.Contains(words, "book") {
			t.params["name"] = strings.TrimSpace(t.query)
			return f.contact
		}
	case StageConfirm, StageCancelConfirm, StageAnythingElse, StageOfferBook, StageChange:
		if t.msg.YesNo(words) != AnswerUnknown {
			return f.confirm
		}
	}
	details := f.readDetails(t, words)
	switch {
	case strings.Contains(words, "cancel"):
		return f.cancel
	case strings.Contains(words, "reservation") && !strings.Contains(words, "make") && !details:
		return f.list
	case strings.Contains(words, "book") || strings.Contains(words, "table") || strings.Contains(words, "reserv"):
		return f.start
	case details:
		return f.details
	}
	return nil
}
