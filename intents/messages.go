package intents

import (
	"fmt"
	"strings"
	"time"
)

// msgID names a user-facing message in the catalog. Every word the conversation says or shows comes from the
// catalog, so a second language is one more entry in [languages].
type msgID string

// Message ids. Placeholders in the texts are {name} and are filled from [msgArgs].
const (
	msgWelcome            msgID = "welcome"
	msgWelcomeReprompt    msgID = "welcome.reprompt"
	msgFallback           msgID = "fallback"
	msgFallbackInFlow     msgID = "fallback.in_flow"
	msgUnavailable        msgID = "unavailable"
	msgGoodbye            msgID = "goodbye"
	msgHowCanIHelp        msgID = "help"
	msgHoldDropped        msgID = "hold.dropped"
	msgApology            msgID = "apology"
	msgGuestName          msgID = "guest.name"
	msgCancelReason       msgID = "cancel.reason"
	msgAskParty           msgID = "ask.party"
	msgAskPartyReprompt   msgID = "ask.party.reprompt"
	msgAskDate            msgID = "ask.date"
	msgAskDateReprompt    msgID = "ask.date.reprompt"
	msgAskTime            msgID = "ask.time"
	msgAskTimeReprompt    msgID = "ask.time.reprompt"
	msgPast               msgID = "refuse.past"
	msgClosedDay          msgID = "refuse.closed_day"
	msgClosedHours        msgID = "refuse.closed_hours"
	msgTooSoon            msgID = "refuse.too_soon"
	msgTooFar             msgID = "refuse.too_far"
	msgPartyBounds        msgID = "refuse.party_bounds"
	msgAlreadyBooked      msgID = "refuse.already_booked"
	msgFull               msgID = "refuse.full"
	msgAlternatives       msgID = "alternatives"
	msgAlternativesTitle  msgID = "alternatives.title"
	msgAlternativesNone   msgID = "alternatives.none"
	msgAlternativesAsk    msgID = "alternatives.reprompt"
	msgSlotItem           msgID = "alternatives.item"
	msgHoldLost           msgID = "hold.lost"
	msgPropose            msgID = "propose"
	msgRequirementsFailed msgID = "requirements.failed"
	msgReceiptConfirmed   msgID = "receipt.confirmed"
	msgReceiptPending     msgID = "receipt.pending"
	msgOrderRejected      msgID = "decision.rejected"
	msgChangeWhat         msgID = "decision.change"
	msgChangeReprompt     msgID = "decision.change.reprompt"
	msgUserCannotTransact msgID = "decision.cannot_transact"
	msgDecisionUnknown    msgID = "decision.unknown"
	msgAskName            msgID = "contact.ask_name"
	msgAskPhone           msgID = "contact.ask_phone"
	msgSummary            msgID = "contact.summary"
	msgSummaryReprompt    msgID = "contact.summary.reprompt"
	msgBookedConfirmed    msgID = "booked.confirmed"
	msgBookedPending      msgID = "booked.pending"
	msgNotBooked          msgID = "booked.declined"
	msgNothingToConfirm   msgID = "confirm.nothing"
	msgYesOrNo            msgID = "confirm.yes_or_no"
	msgListNone           msgID = "list.none"
	msgListOne            msgID = "list.one"
	msgListMany           msgID = "list.many"
	msgListItem           msgID = "list.item"
	msgListItemPending    msgID = "list.item.pending"
	msgListTitle          msgID = "list.title"
	msgCancelNone         msgID = "cancel.none"
	msgCancelWhich        msgID = "cancel.which"
	msgCancelConfirm      msgID = "cancel.confirm"
	msgCancelled          msgID = "cancel.done"
	msgCancelKept         msgID = "cancel.kept"
	msgCancelWindow       msgID = "cancel.window"
	msgCancelAlready      msgID = "cancel.already"
	msgCancelNotAllowed   msgID = "cancel.not_cancellable"
	msgCancelChanged      msgID = "cancel.changed"
	msgAnythingElse       msgID = "anything_else"
	msgBookTable          msgID = "book.table"
	msgBookOther          msgID = "book.appointment"
	msgWhatTable          msgID = "what.table"
	msgWhatService        msgID = "what.service"
	msgWhatServiceParty   msgID = "what.service.party"
	msgChipBook           msgID = "chip.book"
	msgChipBookOther      msgID = "chip.book.appointment"
	msgChipList           msgID = "chip.list"
	msgChipCancel         msgID = "chip.cancel"
	msgChipYes            msgID = "chip.yes"
	msgChipNo             msgID = "chip.no"
	msgChipParty          msgID = "chip.party"
	msgChipDate           msgID = "chip.date"
	msgChipTime           msgID = "chip.time"
	msgChipToday          msgID = "chip.today"
	msgChipTomorrow       msgID = "chip.tomorrow"
	msgChipPeople         msgID = "chip.people"
	msgChipOtherDay       msgID = "chip.other_day"
	msgChipNoThanks       msgID = "chip.no_thanks"
)

// msgArgs fills a message's {placeholders}.
type msgArgs map[string]string

// language is one locale's catalog: message texts, how dates, times and lists are said, and the words that
// mean yes and no.
type language struct {
	texts map[msgID]string
	// dayLayout and the time layouts are Go reference layouts.
	dayLayout     string // "Monday, January 2"
	timeLayout    string // "3:04 PM"
	hourLayout    string // "3 PM", used on the hour
	weekdayPlural func(time.Weekday) string
	when          string // joins a day and a time: "{day} at {time}"
	or, and       string // the last separator of a list
	duration      func(time.Duration) string
	yes, no       []string
}

// languages is the catalog: one entry per language (the part of a locale before "-"). English is the default.
// It is a constant table, never modified.
var languages = map[string]*language{"en": &english}

var english = language{
	dayLayout:     "Monday, January 2",
	timeLayout:    "3:04 PM",
	hourLayout:    "3 PM",
	weekdayPlural: func(d time.Weekday) string { return d.String() + "s" },
	when:          "{day} at {time}",
	or:            " or ",
	and:           " and ",
	duration:      englishDuration,
	yes: []string{"yes", "yeah", "yep", "yup", "sure", "correct", "right", "ok", "okay", "confirm", "go ahead",
		"book it", "do it", "please do", "absolutely", "of course", "affirmative", "that's right"},
	no: []string{"no", "nope", "nah", "don't", "do not", "not", "never mind", "nevermind", "wrong", "stop",
		"negative", "keep it"},
	texts: map[msgID]string{
		msgWelcome:            "Welcome to {merchant}! I can {book}, tell you about your reservations or cancel one. What would you like to do?",
		msgWelcomeReprompt:    "You can say: {book} for tomorrow at 7, or: what are my reservations?",
		msgFallback:           "Sorry, I didn't get that. I can {book}, tell you about your reservations or cancel one.",
		msgFallbackInFlow:     "Sorry, I didn't get that.",
		msgUnavailable:        "Sorry, I can't reach the reservation book right now. Please try again in a few minutes.",
		msgApology:            "Sorry, something went wrong on our side. Please try again in a little while.",
		msgGoodbye:            "Alright, goodbye!",
		msgHowCanIHelp:        "Sure. I can {book}, tell you about your reservations or cancel one. What would you like to do?",
		msgHoldDropped:        "I've let go of {what} on {when} that I was holding for you.",
		msgGuestName:          "Google Assistant guest",
		msgCancelReason:       "cancelled by the guest in the conversation",
		msgAskParty:           "For how many people?",
		msgAskPartyReprompt:   "How many people will be joining? For example: four people.",
		msgAskDate:            "For which day?",
		msgAskDateReprompt:    "Which day would you like? For example: tomorrow, or Friday.",
		msgAskTime:            "At what time? {merchant} takes reservations from {first} to {last}.",
		msgAskTimeReprompt:    "What time would you like? For example: 7 PM.",
		msgPast:               "{when} has already passed. What other time would you like?",
		msgClosedDay:          "{merchant} is closed on {day}. Which other day would you like?",
		msgClosedHours:        "On {weekdays}, {merchant} takes reservations from {first} to {last}.",
		msgTooSoon:            "Reservations need to be made at least {lead} ahead.",
		msgTooFar:             "{merchant} takes reservations up to {days} days ahead. Which day would you like?",
		msgPartyBounds:        "{merchant} takes reservations for {min} to {max} people; for a larger group, please call {phone}. For how many people?",
		msgAlreadyBooked:      "You already have a reservation at {merchant} around {when}.",
		msgFull:               "{when} is fully booked.",
		msgAlternatives:       "The nearest free times are {list}. Which one would you like?",
		msgAlternativesTitle:  "Free times",
		msgAlternativesNone:   "I couldn't find a free time around then. Which other day would you like?",
		msgAlternativesAsk:    "Which time would you like: {list}?",
		msgSlotItem:           "{when}",
		msgHoldLost:           "Sorry, that time was taken while we were talking.",
		msgPropose:            "Here's {what} at {merchant} on {when}.",
		msgRequirementsFailed: "Sorry, reservations can't be made through the Assistant on this device, but you can call {merchant} at {phone} to book.",
		msgReceiptConfirmed:   "You're all set: {what} at {merchant} on {when}. Your confirmation code is {code}.",
		msgReceiptPending:     "Thanks! {merchant} will confirm {what} on {when} shortly. Your reference is {code}.",
		msgOrderRejected:      "Okay, I haven't booked it. Is there anything else I can do for you?",
		msgChangeWhat:         "Sure. What would you like to change: the number of people, the day or the time?",
		msgChangeReprompt:     "You can say, for example: make it six people, or: Saturday at 8 PM.",
		msgUserCannotTransact: "Sorry, the reservation can't be completed on this device. You can call {merchant} at {phone} to book.",
		msgDecisionUnknown:    "Sorry, something went wrong with that reservation and I haven't booked it. Please try again.",
		msgAskName:            "What name should I put the reservation under?",
		msgAskPhone:           "And a phone number where {merchant} can reach you?",
		msgSummary:            "That's {what} at {merchant} on {when}, under the name {name}, phone {phone}. Shall I book it?",
		msgSummaryReprompt:    "Shall I book it? Please say yes or no.",
		msgBookedConfirmed:    "Done! I've booked {what} on {when}. Your confirmation code is {code}.",
		msgBookedPending:      "Thanks! {merchant} will confirm {what} on {when} shortly. Your reference is {code}.",
		msgNotBooked:          "Okay, I haven't booked it. Is there anything else I can do for you?",
		msgNothingToConfirm:   "There's nothing waiting for a yes or no right now. I can {book}, tell you about your reservations or cancel one.",
		msgYesOrNo:            "Sorry, was that a yes or a no?",
		msgListNone:           "You have no upcoming reservations. Would you like to {book}?",
		msgListOne:            "You have one upcoming reservation: {items}.",
		msgListMany:           "You have {count} upcoming reservations: {items}.",
		msgListItem:           "{what} at {merchant} on {when}",
		msgListItemPending:    "{what} at {merchant} on {when}, waiting for confirmation",
		msgListTitle:          "Your reservations",
		msgCancelNone:         "You have no upcoming reservations to cancel.",
		msgCancelWhich:        "Which reservation would you like to cancel: {items}?",
		msgCancelConfirm:      "Cancel {what} on {when}?",
		msgCancelled:          "I've cancelled {what} on {when}.",
		msgCancelKept:         "Okay, I'll keep your reservation.",
		msgCancelWindow:       "That reservation could only be cancelled here until {deadline}. Please call {merchant} at {phone}.",
		msgCancelAlready:      "That reservation is already cancelled.",
		msgCancelNotAllowed:   "That reservation can't be cancelled any more. Please call {merchant} at {phone}.",
		msgCancelChanged:      "That reservation changed in the meantime, so I haven't cancelled it. Please ask me again.",
		msgAnythingElse:       "Is there anything else I can do for you?",
		msgBookTable:          "book a table",
		msgBookOther:          "book an appointment",
		msgWhatTable:          "a table for {party}",
		msgWhatService:        "a {service} appointment",
		msgWhatServiceParty:   "a {service} appointment for {party}",
		msgChipBook:           "Book a table",
		msgChipBookOther:      "Book an appointment",
		msgChipList:           "My reservations",
		msgChipCancel:         "Cancel a reservation",
		msgChipYes:            "Yes",
		msgChipNo:             "No",
		msgChipParty:          "Number of people",
		msgChipDate:           "Day",
		msgChipTime:           "Time",
		msgChipToday:          "Today",
		msgChipTomorrow:       "Tomorrow",
		msgChipPeople:         "{count} people",
		msgChipOtherDay:       "Another day",
		msgChipNoThanks:       "No, thanks",
	},
}

func englishDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0 && d >= 24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day", "days")
	case d%time.Hour == 0 && d >= time.Hour:
		return plural(int(d/time.Hour), "hour", "hours")
	default:
		return plural(int(d/time.Minute), "minute", "minutes")
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// messages says things in one language. The zero value speaks English.
type messages struct {
	lang *language
}

// messagesFor returns the catalog for a locale such as "en-US" (matched on its language; English when the
// language has no catalog).
func messagesFor(locale string) messages {
	base, _, _ := strings.Cut(strings.ToLower(strings.ReplaceAll(locale, "_", "-")), "-")
	if l, ok := languages[base]; ok {
		return messages{lang: l}
	}
	return messages{lang: &english}
}

func (m messages) l() *language {
	if m.lang == nil {
		return &english
	}
	return m.lang
}

// Say returns the message with its placeholders filled. A message missing from a language falls back to English.
func (m messages) Say(id msgID, args msgArgs) string {
	text, ok := m.l().texts[id]
	if !ok {
		text = english.texts[id]
	}
	if len(args) == 0 {
		return text
	}
	for k := range args {
		if strings.ContainsAny(k, "{}") {
			// Not a placeholder name fill can find: let a Replacer match it as written.
			pairs := make([]string, 0, 2*len(args))
			for k, v := range args {
				pairs = append(pairs, "{"+k+"}", v)
			}
			return strings.NewReplacer(pairs...).Replace(text)
		}
	}
	return fill(text, func(name string) (string, bool) {
		v, ok := args[name]
		return v, ok
	})
}

// fill replaces the {name} placeholders of text that lookup knows, in one left-to-right pass (a value is not
// searched for placeholders again), and keeps the others as written. It writes what a strings.Replacer of the
// same "{name}" pairs writes, without building the Replacer's tables on every message.
func fill(text string, lookup func(name string) (string, bool)) string {
	i := strings.IndexByte(text, '{')
	if i < 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text) + 32)
	for i >= 0 {
		b.WriteString(text[:i])
		text = text[i:]
		if j := strings.IndexAny(text[1:], "{}"); j >= 0 && text[1+j] == '}' {
			if v, ok := lookup(text[1 : 1+j]); ok {
				b.WriteString(v)
				text = text[j+2:]
				i = strings.IndexByte(text, '{')
				continue
			}
		}
		b.WriteByte('{')
		text = text[1:]
		i = strings.IndexByte(text, '{')
	}
	b.WriteString(text)
	return b.String()
}

// Day says a date, e.g. "Monday, November 23".
func (m messages) Day(t time.Time) string { return t.Format(m.l().dayLayout) }

// Clock says a time of day, e.g. "7 PM" or "7:30 PM".
func (m messages) Clock(t time.Time) string {
	if t.Minute() == 0 {
		return t.Format(m.l().hourLayout)
	}
	return t.Format(m.l().timeLayout)
}

// When says a day and a time, e.g. "Monday, November 23 at 7 PM", in t's location.
func (m messages) When(t time.Time) string {
	return fill(m.l().when, func(name string) (string, bool) {
		switch name {
		case "day":
			return m.Day(t), true
		case "time":
			return m.Clock(t), true
		}
		return "", false
	})
}

// Weekdays says a weekday in the plural, e.g. "Mondays".
func (m messages) Weekdays(d time.Weekday) string { return m.l().weekdayPlural(d) }

// Duration says a length of time, e.g. "1 hour", "2 hours", "30 minutes", "60 days".
func (m messages) Duration(d time.Duration) string { return m.l().duration(d) }

// Or joins alternatives: "a, b or c".
func (m messages) Or(items []string) string { return joinList(items, m.l().or) }

// And joins items: "a, b and c".
func (m messages) And(items []string) string { return joinList(items, m.l().and) }

func joinList(items []string, last string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + last + items[len(items)-1]
}

// answer classifies a reply to a yes/no question.
type answer int

// Answers.
const (
	answerUnknown answer = iota
	answerYes
	answerNo
)

// YesNo classifies what the user said as yes, no, or neither. Negative words win ("no, don't book it"), and
// words are matched whole ("nothing" is not "no").
func (m messages) YesNo(text string) answer {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '\'' || r == '’' || r > 0x7f)
	})
	norm := " " + strings.ReplaceAll(strings.Join(words, " "), "’", "'") + " "
	has := func(list []string) bool {
		for _, w := range list {
			if strings.Contains(norm, " "+w+" ") {
				return true
			}
		}
		return false
	}
	switch {
	case has(m.l().no):
		return answerNo
	case has(m.l().yes):
		return answerYes
	}
	return answerUnknown
}
