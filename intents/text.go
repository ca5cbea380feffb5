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
// needs its words here too. When the words are unclear it reads nothing, and the question is asked again.

// numberWords are the party sizes said as words.
var numberWords = map[string]int{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}

const (
	numberPattern = `(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)`
	monthPattern  = `(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)`
)

var (
	partyRe = regexp.MustCompile(`\b(?:for|party of|table for)\s+` + numberPattern + `\b|\b` + numberPattern +
		`\s+(?:people|persons|guests|of us)\b`)
	adultsRe     = regexp.MustCompile(`\b` + numberPattern + `\s+(?:adults?|grown-?ups?)\b`)
	childrenRe   = regexp.MustCompile(`\b` + numberPattern + `\s+(?:kids?|children|child|babies|baby)\b`)
	onlyNumberRe = regexp.MustCompile(`^\s*` + numberPattern + `\s*(?:people|persons|guests)?\s*\.?$`)
	clockRe      = regexp.MustCompile(`(?:\bat\s+)?\b(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\.?|p\.?m\.?)(?:\s|$|[,!?])|(?:\bat\s+)?\b(\d{1,2})[:.](\d{2})\b|\bat\s+(\d{1,2})\b`)
	isoDateRe    = regexp.MustCompile(`\b(\d{4}-\d{2}-\d{2})\b`)
	monthDayRe   = regexp.MustCompile(`\b` + monthPattern + `\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b|\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?` + monthPattern + `\b`)
	relDayRe     = regexp.MustCompile(`\b(?:the\s+)?day after tomorrow\b|\btoday\b|\btonight\b|\btomorrow\b`)
	cancelRe     = regexp.MustCompile(`\bcancel\b`)
	listRe       = regexp.MustCompile(`\bmy (?:reservations?|bookings?)\b|\b(?:what|show|list|any|have|check)\b.*\breservations?\b`)
	bookRe       = regexp.MustCompile(`\bbook\b|\btable\b|\breserve\b|\breservation\b`)
	eveningRe    = regexp.MustCompile(`\btonight\b|\bevening\b|\bnight\b|\bdinner\b`)
	monthStartRe = regexp.MustCompile(`^` + monthPattern + `\b`)
	namePrefixRe = regexp.MustCompile(`^(?:my name is|my name's|name is|it's|it is|this is|i am|i'm|under)\s+`)
	digitsRe     = regexp.MustCompile(`\d`)
	lettersRe    = regexp.MustCompile(`\pL`)
)

// weekdayRes match the weekdays' names, Sunday first (as time.Weekday).
var weekdayRes = func() []*regexp.Regexp {
	out := make([]*regexp.Regexp, 7)
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		out[wd] = regexp.MustCompile(`\b(next\s+|this\s+)?` + strings.ToLower(wd.String()) + `s?\b`)
	}
	return out
}()

var months = map[string]time.Month{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
	"sep": 9, "oct": 10, "nov": 11, "dec": 12}

// readDetails fills t.params with the party size, the day and the time found in the words, as Dialogflow's
// parameters would carry them, and reports whether it found any.
func (f *flow) readDetails(t *turn, words string) bool {
	found := false
	if n, ok := readParty(words); ok {
		t.params[paramParty] = float64(n)
		found = true
	} else if t.cart.Stage == stageAssembling && t.cart.missing() == detailParty {
		if m := onlyNumberRe.FindStringSubmatch(words); m != nil {
			if n, ok := number(m[1]); ok {
				t.params[paramParty] = float64(n)
				found = true
			}
		}
	}
	if d, ok := f.readDate(words); ok {
		t.params[paramDate] = d
		found = true
	}
	if c, ok := readClock(words); ok {
		t.params[paramTime] = c
		found = true
	}
	return found
}

// readParty finds a party size: "for 4", "party of six", "4 people", "2 adults and 2 kids"; not "for 7 pm" (a
// time), "for 8.30", "for 12/24" or "for 5 december" (dates).
func readParty(words string) (int, bool) {
	adults, children := sumOf(adultsRe, words), sumOf(childrenRe, words)
	if adults+children > 0 {
		return adults + children, true
	}
	for _, m := range partyRe.FindAllStringSubmatchIndex(words, -1) {
		g := 2
		if m[2] < 0 {
			g = 4
		}
		rest := strings.TrimLeft(words[m[1]:], " ")
		if startsWithAny(rest, "am", "pm", "a.m", "p.m", ":", ".", "/", "o'clock", "st", "nd", "rd", "th") ||
			monthAt(rest) {
			continue
		}
		if n, ok := number(words[m[g]:m[g+1]]); ok {
			return n, true
		}
	}
	return 0, false
}

// sumOf adds up the numbers re's first group finds.
func sumOf(re *regexp.Regexp, words string) int {
	total := 0
	for _, m := range re.FindAllStringSubmatch(words, -1) {
		if n, ok := number(m[1]); ok {
			total += n
		}
	}
	return total
}

func startsWithAny(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// monthAt reports whether s begins with a month's name.
func monthAt(s string) bool { return monthStartRe.MatchString(s) }

// number reads a party size said in digits or as a word.
func number(s string) (int, bool) {
	if n, ok := numberWords[s]; ok {
		return n, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

// readDate finds a day in the words, as "YYYY-MM-DD" in the merchant's zone: today, tonight, tomorrow, the day
// after tomorrow, a weekday (the coming one, today included; "next Friday" is never today), a month and day
// (this year, or next year once passed) or an ISO date. When several are said, the last one counts ("not
// today, tomorrow"), and one right after "not" does not.
func (f *flow) readDate(words string) (string, bool) {
	now := f.now().In(merchantLoc(f.merchant))
	today := time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, now.Location())
	best, at := "", -1
	consider := func(start int, date time.Time) {
		if start > at && !strings.HasSuffix(strings.TrimRight(words[:start], " ,"), "not") {
			best, at = date.Format(time.DateOnly), start
		}
	}
	for _, m := range relDayRe.FindAllStringIndex(words, -1) {
		switch w := words[m[0]:m[1]]; {
		case strings.HasSuffix(w, "day after tomorrow"):
			consider(m[0], today.AddDate(0, 0, 2))
		case w == "tomorrow":
			consider(m[0], today.AddDate(0, 0, 1))
		default:
			consider(m[0], today)
		}
	}
	for _, m := range isoDateRe.FindAllStringSubmatchIndex(words, -1) {
		if d, err := time.ParseInLocation(time.DateOnly, words[m[2]:m[3]], today.Location()); err == nil {
			consider(m[0], d.Add(12*time.Hour))
		}
	}
	for _, m := range monthDayRe.FindAllStringSubmatchIndex(words, -1) {
		mon, day := "", ""
		if m[2] >= 0 {
			mon, day = words[m[2]:m[3]], words[m[4]:m[5]]
		} else {
			day, mon = words[m[6]:m[7]], words[m[8]:m[9]]
		}
		d, _ := strconv.Atoi(day)
		month := months[mon[:3]]
		if date, ok := dateOn(today.Year(), month, d, today.Location()); ok {
			if date.Before(today) {
				if date, ok = dateOn(today.Year()+1, month, d, today.Location()); !ok {
					continue
				}
			}
			consider(m[0], date)
		}
	}
	for wd, re := range weekdayRes {
		for _, m := range re.FindAllStringSubmatchIndex(words, -1) {
			ahead := (wd - int(today.Weekday()) + 7) % 7
			if ahead == 0 && m[2] >= 0 && strings.HasPrefix(words[m[2]:m[3]], "next") {
				ahead = 7
			}
			consider(m[0], today.AddDate(0, 0, ahead))
		}
	}
	return best, at >= 0
}

// dateOn returns noon of the date, or false when it does not exist (February 30, February 29 of a common year).
func dateOn(year int, month time.Month, day int, loc *time.Location) (time.Time, bool) {
	d := time.Date(year, month, day, 12, 0, 0, 0, loc)
	return d, d.Month() == month && d.Day() == day
}

// readClock finds a time of day in the words: "7 pm", "7:30pm", "7.30 pm", "19:30", "at 7", "noon"; as
// "HH:MM". Without am or pm, an hour from 1 to 11 said with "tonight", "evening" or "dinner" is the evening;
// otherwise the conversation reads it as the evening only when only the evening is open.
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
		if h == 12 {
			h = 0
		}
		if strings.HasPrefix(m[3], "p") {
			h += 12
		}
	case m[4] != "":
		h, _ = strconv.Atoi(m[4])
		min, _ = strconv.Atoi(m[5])
		if h >= 1 && h <= 11 && eveningRe.MatchString(words) {
			h += 12
		}
	default:
		h, _ = strconv.Atoi(m[6])
		if h >= 1 && h <= 11 && eveningRe.MatchString(words) {
			h += 12
		}
	}
	if h > 23 || min > 59 {
		return "", false
	}
	return time.Date(2000, 1, 1, h, min, 0, 0, time.UTC).Format("15:04"), true
}

// idle reports whether no reservation is being made or cancelled in the cart's stage.
func idle(s stage) bool {
	switch s {
	case stageIdle, stageBooked, stageAnythingElse, stageOfferBook, stageRequirements:
		return true
	}
	return false
}

// understand picks the step for a turn that arrived as raw words, after filling t.params from them; nil when
// the words say nothing this conversation understands (the fallback answers and asks again).
func (f *flow) understand(t *turn) func(*turn) {
	words := strings.ToLower(strings.Join(strings.Fields(t.query), " "))
	if words == "" {
		return nil
	}
	if cancelRe.MatchString(words) {
		details := f.readDetails(t, words) // "cancel the one on Monday"
		if !details && t.msg.YesNo(words) != answerUnknown &&
			(t.cart.Stage == stageConfirm || t.cart.Stage == stageCancelConfirm) {
			return f.confirm // "no, cancel that" to the summary; "yes, cancel it" to "Cancel …?"
		}
		return f.cancel
	}
	if t.cart.Stage == stageContact {
		return f.contactWords(t, words)
	}
	details := f.readDetails(t, words)
	answer := t.msg.YesNo(words)
	switch {
	case details && (!idle(t.cart.Stage) || t.cart.Stage == stageRequirements && t.cart.MerchantID != ""):
		return f.details // "yes, but make it 8 pm": the change, not the yes; a detail while the check is pending
	case answer != answerUnknown && (t.cart.Stage == stageConfirm || t.cart.Stage == stageCancelConfirm ||
		t.cart.Stage == stageChange || t.cart.Stage == stageAnythingElse || t.cart.Stage == stageOfferBook):
		if t.cart.Stage == stageOfferBook && answer == answerYes && details {
			return f.start
		}
		return f.confirm
	case idle(t.cart.Stage) && listRe.MatchString(words) && !details:
		return f.list
	case idle(t.cart.Stage) && (bookRe.MatchString(words) || details):
		return f.start
	}
	return nil
}

// contactWords reads the answer to the name or phone question: a reply with seven digits or more carries the
// phone number (and the name, when letters come with it), other words the name ("my name is" left out);
// details ("make it 4 people") change the reservation instead.
func (f *flow) contactWords(t *turn, words string) func(*turn) {
	if f.readDetails(t, words) {
		return f.details
	}
	reply := strings.Join(strings.Fields(t.query), " ") // words is reply, lower-cased
	if i := namePrefixRe.FindStringIndex(words); i != nil {
		reply = reply[i[1]:]
	}
	if len(digitsRe.FindAllString(reply, -1)) >= 7 {
		i := strings.IndexFunc(reply, func(r rune) bool { return r == '+' || (r >= '0' && r <= '9') })
		t.params[paramPhone] = strings.TrimSpace(reply[i:])
		if name := strings.Trim(reply[:i], " ,;-"); lettersRe.MatchString(name) {
			t.params[paramName] = name
		}
		return f.contact
	}
	if t.msg.YesNo(words) == answerUnknown && lettersRe.MatchString(reply) {
		t.params[paramName] = reply
		return f.contact
	}
	return nil
}
