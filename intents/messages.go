package intents

import (
	"fmt"
	"strings"
	"time"
)

// MsgID names a user-facing message in the catalog. Every word the conversation says or shows comes from the
// catalog, so a second language is one more entry in [languages].
type MsgID string

// Message ids. Placeholders in the texts are {name} and are filled from [Args].
const (
	MsgWelcome            MsgID = "welcome"
	MsgWelcomeReprompt    MsgID = "welcome.reprompt"
	MsgFallback           MsgID = "fallback"
	MsgFallbackInFlow     MsgID = "fallback.in_flow"
	MsgUnavailable        MsgID = "unavailable"
	MsgGoodbye            MsgID = "goodbye"
	MsgHowCanIHelp        MsgID = "help"
	MsgHoldDropped        MsgID = "hold.dropped"
	MsgApology            MsgID = "apology"
	MsgGuestName          MsgID = "guest.name"
	MsgCancelReason       MsgID = "cancel.reason"
	MsgAskParty           MsgID = "ask.party"
	MsgAskPartyReprompt   MsgID = "ask.party.reprompt"
	MsgAskDate            MsgID = "ask.date"
	MsgAskDateReprompt    MsgID = "ask.date.reprompt"
	MsgAskTime            MsgID = "ask.time"
	MsgAskTimeReprompt    MsgID = "ask.time.reprompt"
	MsgPast               MsgID = "refuse.past"
	MsgClosedDay          MsgID = "refuse.closed_day"
	MsgClosedHours        MsgID = "refuse.closed_hours"
	MsgTooSoon            MsgID = "refuse.too_soon"
	MsgTooFar             MsgID = "refuse.too_far"
	MsgPartyBounds        MsgID = "refuse.party_bounds"
	MsgAlreadyBooked      MsgID = "refuse.already_booked"
	MsgFull               MsgID = "refuse.full"
	MsgAlternatives       MsgID = "alternatives"
	MsgAlternativesTitle  MsgID = "alternatives.title"
	MsgAlternativesNone   MsgID = "alternatives.none"
	MsgAlternativesAsk    MsgID = "alternatives.reprompt"
	MsgSlotItem           MsgID = "alternatives.item"
	MsgHoldLost           MsgID = "hold.lost"
	MsgPropose            MsgID = "propose"
	MsgRequirementsFailed MsgID = "requirements.failed"
	MsgReceiptConfirmed   MsgID = "receipt.confirmed"
	MsgReceiptPending     MsgID = "receipt.pending"
	MsgOrderRejected      MsgID = "decision.rejected"
	MsgChangeWhat         MsgID = "decision.change"
	MsgChangeReprompt     MsgID = "decision.change.reprompt"
	MsgUserCannotTransact MsgID = "decision.cannot_transact"
	MsgDecisionUnknown    MsgID = "decision.unknown"
	MsgAskName            MsgID = "contact.ask_name"
	MsgAskPhone           MsgID = "contact.ask_phone"
	MsgSummary            MsgID = "contact.summary"
	MsgSummaryReprompt    MsgID = "contact.summary.reprompt"
	MsgBookedConfirmed    MsgID = "booked.confirmed"
	MsgBookedPending      MsgID = "booked.pending"
	MsgNotBooked          MsgID = "booked.declined"
	MsgNothingToConfirm   MsgID = "confirm.nothing"
	MsgYesOrNo            MsgID = "confirm.yes_or_no"
	MsgListNone           MsgID = "list.none"
	MsgListOne            MsgID = "list.one"
	MsgListMany           MsgID = "list.many"
	MsgListItem           MsgID = "list.item"
	MsgListItemPending    MsgID = "list.item.pending"
	MsgListTitle          MsgID = "list.title"
	MsgCancelNone         MsgID = "cancel.none"
	MsgCancelWhich        MsgID = "cancel.which"
	MsgCancelConfirm      MsgID = "cancel.confirm"
	MsgCancelled          MsgID = "cancel.done"
	MsgCancelKept         MsgID = "cancel.kept"
	MsgCancelWindow       MsgID = "cancel.window"
	MsgCancelAlready      MsgID = "cancel.already"
	MsgCancelNotAllowed   MsgID = "cancel.not_cancellable"
	MsgCancelChanged      MsgID = "cancel.changed"
	MsgAnythingElse       MsgID = "anything_else"
	MsgBookTable          MsgID = "book.table"
	MsgBookOther          MsgID = "book.appointment"
	MsgWhatTable          MsgID = "what.table"
	MsgWhatService        MsgID = "what.service"
	MsgWhatServiceParty   MsgID = "what.service.party"
	MsgChipBook           MsgID = "chip.book"
	MsgChipBookOther      MsgID = "chip.book.appointment"
	MsgChipList           MsgID = "chip.list"
	MsgChipCancel         MsgID = "chip.cancel"
	MsgChipYes            MsgID = "chip.yes"
	MsgChipNo             MsgID = "chip.no"
	MsgChipParty          MsgID = "chip.party"
	MsgChipDate           MsgID = "chip.date"
	MsgChipTime           MsgID = "chip.time"
	MsgChipToday          MsgID = "chip.today"
	MsgChipTomorrow       MsgID = "chip.tomorrow"
	MsgChipPeople         MsgID = "chip.people"
	MsgChipOtherDay       MsgID = "chip.other_day"
	MsgChipNoThanks       MsgID = "chip.no_thanks"
)

// Args fills a message's {placeholders}.
type Args map[string]string

// language is one locale's catalog: message texts, how dates, times and lists are said, and the words that
// mean yes and no.
type language struct {
	texts map[MsgID]string
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
	texts: map[MsgID]string{
		MsgWelcome:            "Welcome to {merchant}! I can {book}, tell you about your reservations or cancel one. What would you like to do?",
		MsgWelcomeReprompt:    "You can say: {book} for tomorrow at 7, or: what are my reservations?",
		MsgFallback:           "Sorry, I didn't get that. I can {book}, tell you about your reservations or cancel one.",
		MsgFallbackInFlow:     "Sorry, I didn't get that.",
		MsgUnavailable:        "Sorry, I can't reach the reservation book right now. Please try again in a few minutes.",
		MsgApology:            "Sorry, something went wrong on our side. Please try again in a little while.",
		MsgGoodbye:            "Alright, goodbye!",
		MsgHowCanIHelp:        "Sure. I can {book}, tell you about your reservations or cancel one. What would you like to do?",
		MsgHoldDropped:        "I've let go of {what} on {when} that I was holding for you.",
		MsgGuestName:          "Google Assistant guest",
		MsgCancelReason:       "cancelled by the guest in the conversation",
		MsgAskParty:           "For how many people?",
		MsgAskPartyReprompt:   "How many people will be joining? For example: four people.",
		MsgAskDate:            "For which day?",
		MsgAskDateReprompt:    "Which day would you like? For example: tomorrow, or Friday.",
		MsgAskTime:            "At what time? {merchant} takes reservations from {first} to {last}.",
		MsgAskTimeReprompt:    "What time would you like? For example: 7 PM.",
		MsgPast:               "{when} has already passed. What other time would you like?",
		MsgClosedDay:          "{merchant} is closed on {day}. Which other day would you like?",
		MsgClosedHours:        "On {weekdays}, {merchant} takes reservations from {first} to {last}.",
		MsgTooSoon:            "Reservations need to be made at least {lead} ahead.",
		MsgTooFar:             "{merchant} takes reservations up to {days} days ahead. Which day would you like?",
		MsgPartyBounds:        "{merchant} takes reservations for {min} to {max} people; for a larger group, please call {phone}. For how many people?",
		MsgAlreadyBooked:      "You already have a reservation at {merchant} around {when}.",
		MsgFull:               "{when} is fully booked.",
		MsgAlternatives:       "The nearest free times are {list}. Which one would you like?",
		MsgAlternativesTitle:  "Free times",
		MsgAlternativesNone:   "I couldn't find a free time around then. Which other day would you like?",
		MsgAlternativesAsk:    "Which time would you like: {list}?",
		MsgSlotItem:           "{when}",
		MsgHoldLost:           "Sorry, that time was taken while we were talking.",
		MsgPropose:            "Here's {what} at {merchant} on {when}.",
		MsgRequirementsFailed: "Sorry, reservations can't be made through the Assistant on this device, but you can call {merchant} at {phone} to book.",
		MsgReceiptConfirmed:   "You're all set: {what} at {merchant} on {when}. Your confirmation code is {code}.",
		MsgReceiptPending:     "Thanks! {merchant} will confirm {what} on {when} shortly. Your reference is {code}.",
		MsgOrderRejected:      "Okay, I haven't booked it. Is there anything else I can do for you?",
		MsgChangeWhat:         "Sure. What would you like to change: the number of people, the day or the time?",
		MsgChangeReprompt:     "You can say, for example: make it six people, or: Saturday at 8 PM.",
		MsgUserCannotTransact: "Sorry, the reservation can't be completed on this device. You can call {merchant} at {phone} to book.",
		MsgDecisionUnknown:    "Sorry, something went wrong with that reservation and I haven't booked it. Please try again.",
		MsgAskName:            "What name should I put the reservation under?",
		MsgAskPhone:           "And a phone number where {merchant} can reach you?",
		MsgSummary:            "That's {what} at {merchant} on {when}, under the name {name}, phone {phone}. Shall I book it?",
		MsgSummaryReprompt:    "Shall I book it? Please say yes or no.",
		MsgBookedConfirmed:    "Done! I've booked {what} on {when}. Your confirmation code is {code}.",
		MsgBookedPending:      "Thanks! {merchant} will confirm {what} on {when} shortly. Your reference is {code}.",
		MsgNotBooked:          "Okay, I haven't booked it. Is there anything else I can do for you?",
		MsgNothingToConfirm:   "There's nothing waiting for a yes or no right now. I can {book}, tell you about your reservations or cancel one.",
		MsgYesOrNo:            "Sorry, was that a yes or a no?",
		MsgListNone:           "You have no upcoming reservations. Would you like to {book}?",
		MsgListOne:            "You have one upcoming reservation: {items}.",
		MsgListMany:           "You have {count} upcoming reservations: {items}.",
		MsgListItem:           "{what} at {merchant} on {when}",
		MsgListItemPending:    "{what} at {merchant} on {when}, waiting for confirmation",
		MsgListTitle:          "Your reservations",
		MsgCancelNone:         "You have no upcoming reservations to cancel.",
		MsgCancelWhich:        "Which reservation would you like to cancel: {items}?",
		MsgCancelConfirm:      "Cancel {what} on {when}?",
		MsgCancelled:          "I've cancelled {what} on {when}.",
		MsgCancelKept:         "Okay, I'll keep your reservation.",
		MsgCancelWindow:       "That reservation could only be cancelled here until {deadline}. Please call {merchant} at {phone}.",
		MsgCancelAlready:      "That reservation is already cancelled.",
		MsgCancelNotAllowed:   "That reservation can't be cancelled any more. Please call {merchant} at {phone}.",
		MsgCancelChanged:      "That reservation changed in the meantime, so I haven't cancelled it. Please ask me again.",
		MsgAnythingElse:       "Is there anything else I can do for you?",
		MsgBookTable:          "book a table",
		MsgBookOther:          "book an appointment",
		MsgWhatTable:          "a table for {party}",
		MsgWhatService:        "a {service} appointment",
		MsgWhatServiceParty:   "a {service} appointment for {party}",
		MsgChipBook:           "Book a table",
		MsgChipBookOther:      "Book an appointment",
		MsgChipList:           "My reservations",
		MsgChipCancel:         "Cancel a reservation",
		MsgChipYes:            "Yes",
		MsgChipNo:             "No",
		MsgChipParty:          "Number of people",
		MsgChipDate:           "Day",
		MsgChipTime:           "Time",
		MsgChipToday:          "Today",
		MsgChipTomorrow:       "Tomorrow",
		MsgChipPeople:         "{count} people",
		MsgChipOtherDay:       "Another day",
		MsgChipNoThanks:       "No, thanks",
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

// Messages says things in one language. The zero value speaks English.
type Messages struct {
	lang *language
}

// MessagesFor returns the catalog for a locale such as "en-US" (matched on its language; English when the
// language has no catalog).
func MessagesFor(locale string) Messages {
	base, _, _ := strings.Cut(strings.ToLower(strings.ReplaceAll(locale, "_", "-")), "-")
	if l, ok := languages[base]; ok {
		return Messages{lang: l}
	}
	return Messages{lang: &english}
}

func (m Messages) l() *language {
	if m.lang == nil {
		return &english
	}
	return m.lang
}

// Say returns the message with its placeholders filled. A message missing from a language falls back to English.
func (m Messages) Say(id MsgID, args Args) string {
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
func (m Messages) Day(t time.Time) string { return t.Format(m.l().dayLayout) }

// Clock says a time of day, e.g. "7 PM" or "7:30 PM".
func (m Messages) Clock(t time.Time) string {
	if t.Minute() == 0 {
		return t.Format(m.l().hourLayout)
	}
	return t.Format(m.l().timeLayout)
}

// When says a day and a time, e.g. "Monday, November 23 at 7 PM", in t's location.
func (m Messages) When(t time.Time) string {
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
func (m Messages) Weekdays(d time.Weekday) string { return m.l().weekdayPlural(d) }

// Duration says a length of time, e.g. "1 hour", "2 hours", "30 minutes", "60 days".
func (m Messages) Duration(d time.Duration) string { return m.l().duration(d) }

// Or joins alternatives: "a, b or c".
func (m Messages) Or(items []string) string { return joinList(items, m.l().or) }

// And joins items: "a, b and c".
func (m Messages) And(items []string) string { return joinList(items, m.l().and) }

func joinList(items []string, last string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + last + items[len(items)-1]
}

// Answer classifies a reply to a yes/no question.
type Answer int

// Answers.
const (
	AnswerUnknown Answer = iota
	AnswerYes
	AnswerNo
)

// YesNo classifies what the user said as yes, no, or neither. Negative words win ("no, don't book it"), and
// words are matched whole ("nothing" is not "no").
func (m Messages) YesNo(text string) Answer {
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
		return AnswerNo
	case has(m.l().yes):
		return AnswerYes
	}
	return AnswerUnknown
}
