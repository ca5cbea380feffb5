package intents

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/reservations/reservations/booking"
)

// The booking cart: a fresh cart filled from the parameters, the requirements check once per conversation on a
// surface that transacts, then one question at a time for what is still missing. Its transitions:
//
//	from             turn                             to
//	any              reservation.start                requirements (first on a transacting surface), else as advance
//	requirements     CAN_TRANSACT                     as advance
//	requirements     any other result                 idle, closed (the hold, if any, released)
//	requirements     a detail (cart kept)             as advance; the hold asks the check again
//	in a booking     reservation.details              as advance (a held proposal released first)
//	idle, booked     reservation.details              as reservation.start (also from offer_book, anything_else)
//	advance          party, day or time missing       assembling, the question asked
//	advance          a closed day, a past time        assembling, another day or time asked
//	advance          everything known                 the hold: see proposal.go

// cart is the reservation being assembled, kept in the conversation data between turns (key "cart").
// It holds only what the next turns need; the booking core keeps everything else.
type cart struct {
	MerchantID string `json:"merchant,omitempty"`
	ServiceID  string `json:"service,omitempty"`
	PartySize  int    `json:"party,omitempty"`
	Date       string `json:"date,omitempty"` // merchant-local, YYYY-MM-DD
	Time       string `json:"time,omitempty"` // merchant-local, HH:MM
	HoldID     string `json:"hold,omitempty"`
	Stage      stage  `json:"stage,omitempty"`
	// Checked is set once the transaction requirements check was asked in this conversation; CanTransact
	// records its result.
	Checked     bool `json:"checked,omitempty"`
	CanTransact bool `json:"canTransact,omitempty"`
	// Attempt counts the hold calls of this conversation, successful or not; it keeps hold idempotency keys
	// unique per call while a retried webhook call (same conversation data) repeats the same key.
	Attempt int `json:"attempt,omitempty"`
	// Ref is the turn id (Dialogflow's responseId) of the turn that placed the conversation data's first hold;
	// it is part of hold idempotency keys too. Dialogflow drops the conversation data after about 20 idle
	// minutes while the session, which is the conversation id off the Assistant, goes on: Attempt then starts
	// over, and without Ref a new hold would reuse an earlier hold's key (idempotency records last 24 hours).
	Ref string `json:"ref,omitempty"`
	// Slots are the start times offered as alternatives (RFC 3339), in the order offered.
	Slots []string `json:"slots,omitempty"`
	// Name and Phone are collected where there is no Assistant transaction (the console, other channels).
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	// BookingID is the reservation made in this conversation, or the one about to be cancelled.
	BookingID string `json:"booking,omitempty"`
	// Choices are the bookings offered for cancellation.
	Choices []string `json:"choices,omitempty"`
}

// cartKey is the conversation-data key under which the cart is kept.
const cartKey = "cart"

// detail is one of the things a booking needs that the conversation asks for, one at a time.
type detail string

// The details, in the order they are asked.
const (
	detailNone  detail = "" // nothing is missing
	detailParty detail = "party"
	detailDate  detail = "date"
	detailTime  detail = "time"
)

// missing returns the first detail the cart still lacks, or detailNone.
func (c cart) missing() detail {
	switch {
	case c.PartySize == 0:
		return detailParty
	case c.Date == "":
		return detailDate
	case c.Time == "":
		return detailTime
	}
	return detailNone
}

// start returns the requested start in the merchant's zone.
func (c cart) start(m *booking.Merchant) (time.Time, bool) {
	return combine(c.Date, c.Time, merchantLoc(m))
}

// setStart sets the date and time from an instant, in the merchant's zone.
func (c *cart) setStart(t time.Time, m *booking.Merchant) {
	t = t.In(merchantLoc(m))
	c.Date = t.Format(time.DateOnly)
	c.Time = t.Format("15:04")
}

// merchantLoc returns the merchant's location, loading it from TimeZone if the inventory did not.
func merchantLoc(m *booking.Merchant) *time.Location {
	if m.Location != nil {
		return m.Location
	}
	if loc, err := time.LoadLocation(m.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// requirementsResult is the resultType of TRANSACTION_REQUIREMENTS_CHECK_RESULT.
type requirementsResult string

// canTransact is the requirements check result that lets the transaction go on.
const canTransact requirementsResult = "CAN_TRANSACT"

// start begins a reservation: a fresh cart (keeping what this conversation learnt about the surface), filled
// from the parameters; the requirements check first on an Assistant surface that can transact.
func (f *flow) start(t *turn) {
	if t.cart.HoldID != "" {
		if err := f.release(t); err != nil {
			f.unavailable(t, err)
			return
		}
	}
	t.cart = cart{Checked: t.cart.Checked, CanTransact: t.cart.CanTransact, Attempt: t.cart.Attempt,
		Ref: t.cart.Ref, Name: t.cart.Name, Phone: t.cart.Phone}
	f.begin(t)
}

// begin fills a fresh or idle cart and asks the requirements check once per conversation.
func (f *flow) begin(t *turn) {
	t.cart.MerchantID = f.merchant.ID
	t.cart.ServiceID = f.merchant.Default().ID
	t.cart.Stage = stageAssembling
	f.merge(t)
	if t.transacting && !t.cart.Checked {
		t.cart.Checked = true
		t.cart.Stage = stageRequirements
		t.reply.requirements = true
		return
	}
	f.advance(t)
}

func (f *flow) requirementsCheck(t *turn) {
	if t.reqResult != canTransact {
		if err := f.release(t); err != nil {
			f.unavailable(t, err)
			return
		}
		t.cart.CanTransact = false
		t.cart.Stage = stageIdle
		t.say(msgRequirementsFailed, f.args(t))
		t.reply.close = true
		return
	}
	t.cart.Checked = true
	t.cart.CanTransact = true
	if t.cart.MerchantID == "" {
		t.cart.MerchantID = f.merchant.ID
		t.cart.ServiceID = f.merchant.Default().ID
	}
	t.cart.Stage = stageAssembling
	f.advance(t)
}

// details takes what the user adds or changes: party size, day, time, service.
func (f *flow) details(t *turn) {
	switch t.cart.Stage {
	case stageCancelChoose:
		f.cancelChoose(t, "")
		return
	case stageCancelConfirm:
		f.cancel(t) // "no, the one on Monday": which reservation, again
		return
	case stageIdle, stageBooked, stageOfferBook, stageAnythingElse:
		f.start(t)
		return
	case stageRequirements:
		// The check is pending and the user added a detail: keep the cart (hold asks the check again).
		if t.cart.MerchantID == "" {
			f.start(t)
			return
		}
	case stageChange:
		if !f.hasDetails(t) && f.changeChoice(t) {
			return
		}
	}
	if t.cart.HoldID != "" {
		if err := f.release(t); err != nil {
			f.unavailable(t, err)
			return
		}
	}
	t.cart.Slots = nil
	f.merge(t)
	t.cart.Stage = stageAssembling
	f.advance(t)
}

// hasDetails reports whether the turn names a party size, day, time or service.
func (f *flow) hasDetails(t *turn) bool {
	for _, p := range []string{paramParty, paramDate, paramTime, paramService} {
		if v, ok := t.params[p]; ok && v != nil && v != "" {
			return true
		}
	}
	return false
}

// merge copies the parameters the user gave into the cart.
func (f *flow) merge(t *turn) {
	if n, ok := paramInt(t.params[paramParty]); ok {
		t.cart.PartySize = n
	}
	if d, ok := parseDate(paramString(t.params[paramDate])); ok {
		t.cart.Date = d
	}
	if c, ok := parseClock(paramString(t.params[paramTime])); ok {
		t.cart.Time = c
	}
	if s := strings.TrimSpace(paramString(t.params[paramService])); s != "" {
		for _, sv := range f.merchant.Services {
			if strings.EqualFold(sv.ID, s) || strings.EqualFold(sv.Name, s) {
				t.cart.ServiceID = sv.ID
			}
		}
	}
}

// advance asks for what the cart still lacks, or checks the requested start and places a hold.
func (f *flow) advance(t *turn) {
	m := f.merchant
	sv := f.service(t.cart)
	t.cart.ServiceID = sv.ID
	loc := merchantLoc(m)
	if t.cart.PartySize == 0 && sv.MinParty == sv.MaxParty {
		t.cart.PartySize = sv.MinParty // one size only (an appointment for one): nothing to ask
	}
	if p := t.cart.PartySize; p != 0 && (p < sv.MinParty || p > sv.MaxParty) {
		f.refuse(t, sv, time.Time{}, booking.InvalidArgument(string(reasonPartySize), "outside the service's bounds"))
		return
	}
	switch t.cart.missing() {
	case detailParty:
		t.cart.Stage = stageAssembling
		t.say(msgAskParty, nil)
		t.reprompt(msgAskPartyReprompt, nil)
		t.reply.chips = append(t.reply.chips, t.msg.Say(msgChipPeople, msgArgs{"count": "2"}), t.msg.Say(msgChipPeople, msgArgs{"count": "4"}))
		return
	case detailDate:
		t.cart.Stage = stageAssembling
		t.say(msgAskDate, nil)
		t.reprompt(msgAskDateReprompt, nil)
		t.chips(msgChipToday, msgChipTomorrow)
		return
	case detailTime:
		day, _ := combine(t.cart.Date, "12:00", loc)
		ss := seatings(m, sv, day)
		if len(ss) == 0 {
			f.closedDay(t, day)
			return
		}
		t.cart.Stage = stageAssembling
		args := f.args(t)
		args["first"], args["last"] = t.msg.Clock(ss[0].First), t.msg.Clock(ss[len(ss)-1].Last)
		t.say(msgAskTime, args)
		t.reprompt(msgAskTimeReprompt, nil)
		f.timeChips(t, sv, ss)
		return
	}
	t.cart.Time = eveningClock(m, sv, t.cart.Date, t.cart.Time)
	start, ok := t.cart.start(m)
	if !ok {
		t.cart.Date, t.cart.Time = "", ""
		f.advance(t)
		return
	}
	if start.Before(f.now()) {
		t.cart.Time = ""
		t.cart.Stage = stageAssembling
		t.say(msgPast, msgArgs{"when": t.msg.When(start)})
		t.reprompt(msgAskTimeReprompt, nil)
		if ss := seatings(m, sv, start); len(ss) > 0 {
			f.timeChips(t, sv, ss)
		}
		if len(t.reply.chips) == 0 {
			t.chips(msgChipTomorrow, msgChipOtherDay) // nothing left today
		}
		return
	}
	// No availability check first: placing the hold checks everything a check would (party size, opening hours,
	// lead times, capacity, the guest's other bookings) in one round trip, and its refusal is explained the same
	// way. A re-sent webhook call then replays its hold instead of finding the time taken by it.
	f.hold(t, sv, start)
}

// closedDay says the merchant is closed on the day and asks for another.
func (f *flow) closedDay(t *turn, day time.Time) {
	t.cart.Date, t.cart.Time = "", ""
	t.cart.Stage = stageAssembling
	args := f.args(t)
	args["day"] = t.msg.Day(day.In(merchantLoc(f.merchant)))
	t.say(msgClosedDay, args)
	t.reprompt(msgAskDateReprompt, nil)
	t.chips(msgChipToday, msgChipTomorrow)
}

// maxTimeChips is how many free start times the time question suggests.
const maxTimeChips = 3

// timeChipsTimeout bounds the store read behind the time question's chips (an availability read takes about a
// millisecond).
const timeChipsTimeout = 300 * time.Millisecond

// timeChips suggests up to maxTimeChips free start times of the day whose opening periods are ss, around the
// middle of its opening hours, in time order. Chips are only a suggestion: when the lookup fails the question
// goes without them.
func (f *flow) timeChips(t *turn, sv *booking.Service, ss []booking.Seating) {
	party := t.cart.PartySize
	if party == 0 {
		party = sv.MinParty
	}
	first, last := ss[0].First, ss[len(ss)-1].Last
	// A suggestion may not hold up the question: a store that is slow now gets a short deadline, not the turn's.
	ctx, cancel := context.WithTimeout(t.ctx, timeChipsTimeout)
	defer cancel()
	slots, err := f.core.Nearest(ctx, f.merchant.ID, sv.ID, first.Add(last.Sub(first)/2), party, maxTimeChips)
	if err != nil {
		if booking.CodeOf(err) == "" {
			f.log.LogAttrs(t.ctx, slog.LevelWarn, "suggesting start times failed; asking without chips",
				slog.String("error", err.Error()))
		}
		return
	}
	slices.SortFunc(slots, func(a, b booking.Slot) int { return a.Start.Compare(b.Start) })
	loc := merchantLoc(f.merchant)
	day := first.In(loc).Format(time.DateOnly)
	for _, s := range slots {
		if st := s.Start.In(loc); st.Format(time.DateOnly) == day && !st.Before(f.now()) {
			t.reply.chips = append(t.reply.chips, t.msg.Clock(st))
		}
	}
}
