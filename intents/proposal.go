package intents

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/orders"
	"github.com/reservations/reservations/orders/orderv3"
)

// Proposal and decision: the hold placed for a complete cart (which checks everything an availability check
// would), the order proposed on a transacting surface, the nearest free times when the start is refused, and
// the answer to TRANSACTION_DECISION. Its transitions:
//
//	from             turn                             to
//	hold             held, transacting                proposed (TRANSACTION_DECISION asked)
//	hold             held, text channel               contact or confirm: see contact.go
//	hold             check asked, not answered        requirements (asked again)
//	hold             refused (failureTable)           assembling (asked again), choose_slot (free times) or
//	                                                  anything_else (already booked then)
//	choose_slot      an offered time picked           assembling, then the hold
//	proposed         ORDER_ACCEPTED                   booked, closed with the receipt
//	proposed         ORDER_ACCEPTED, hold lost        choose_slot (free times), REJECTED receipt
//	proposed         ORDER_ACCEPTED, already booked   anything_else (hold released), REJECTED receipt
//	proposed         ORDER_REJECTED                   anything_else (hold released)
//	proposed         CART_CHANGE_REQUESTED            change
//	proposed         USER_CANNOT_TRANSACT, other      idle, closed (hold released)
//	change           a chip: people, day, time        assembling, that question (hold released)
//	change           a detail, or yes                 the cart proposed again (hold released)
//	change           no                               anything_else (hold released)

// maxAlternatives is how many nearest free start times are offered when the requested one is not free.
const maxAlternatives = 5

// decision is the user's answer to the proposed order: the transactionDecision of TRANSACTION_DECISION_VALUE
// (transactions v3).
type decision string

// The decisions the conversation tells apart; any other is answered as msgDecisionUnknown.
const (
	decisionAccepted       decision = "ORDER_ACCEPTED"
	decisionRejected       decision = "ORDER_REJECTED"
	decisionCartChange     decision = "CART_CHANGE_REQUESTED"
	decisionCannotTransact decision = "USER_CANNOT_TRANSACT"
)

// selectSlot takes a choice from the offered alternatives: the OPTION key of the list, or a spoken time.
// The same event also carries the choice among reservations to cancel.
func (f *flow) selectSlot(t *turn) {
	switch {
	case strings.HasPrefix(t.option, bookingKeyPrefix):
		f.cancelChoose(t, strings.TrimPrefix(t.option, bookingKeyPrefix))
		return
	case t.cart.Stage == stageCancelChoose:
		f.cancelChoose(t, "")
		return
	case t.cart.Stage == stageCancelConfirm:
		f.cancel(t)
		return
	case strings.HasPrefix(t.option, slotKeyPrefix):
		start, err := time.Parse(time.RFC3339, strings.TrimPrefix(t.option, slotKeyPrefix))
		if err != nil || t.cart.MerchantID == "" {
			f.fallback(t)
			return
		}
		if t.cart.HoldID != "" {
			if err := f.release(t); err != nil {
				f.unavailable(t, err)
				return
			}
		}
		t.cart.setStart(start, f.merchant)
		t.cart.Slots = nil
		t.cart.Stage = stageAssembling
		f.advance(t)
		return
	}
	if t.cart.MerchantID == "" {
		f.start(t)
		return
	}
	f.details(t)
}

// decision handles the user's answer to the proposed order.
func (f *flow) decision(t *turn) {
	switch t.decision {
	case decisionAccepted:
		f.accept(t)
	case decisionCartChange:
		t.cart.Stage = stageChange
		f.askChange(t)
	case decisionRejected:
		if err := f.release(t); err != nil {
			f.unavailable(t, err)
			return
		}
		t.say(msgOrderRejected, nil)
		t.cart.Stage = stageAnythingElse
		f.menuChips(t, msgChipList, msgChipNoThanks)
	case decisionCannotTransact:
		f.endDecision(t, msgUserCannotTransact)
	default:
		f.endDecision(t, msgDecisionUnknown)
	}
}

// endDecision gives the proposal's hold back and ends the conversation with the words.
func (f *flow) endDecision(t *turn, words msgID) {
	if err := f.release(t); err != nil {
		f.unavailable(t, err)
		return
	}
	t.cart.Stage = stageIdle
	t.say(words, f.args(t))
	t.reply.close = true
}

// accept turns the hold of an accepted order into a booking and answers with the receipt.
func (f *flow) accept(t *turn) {
	holdID := t.cart.HoldID
	if t.accepted != nil && t.accepted.MerchantOrderID != "" {
		// The accepted order must be the one proposed in this conversation; the cart may be gone (an expired
		// context), and then the order's id names the hold.
		if holdID != "" && holdID != t.accepted.MerchantOrderID {
			holdID = ""
		} else {
			holdID = t.accepted.MerchantOrderID
		}
	}
	if holdID == "" {
		// No receipt: the order is not the one this conversation proposed, and its merchantOrderId may name
		// another order (a REJECTED receipt would then speak for that one).
		f.endDecision(t, msgDecisionUnknown)
		return
	}
	uid, err := t.userID()
	if err != nil {
		f.unavailable(t, err)
		return
	}
	req := booking.ConfirmRequest{
		MerchantID:     f.merchant.ID,
		HoldID:         holdID,
		Customer:       f.buyer(t, uid),
		Source:         booking.SourceAssistant,
		InSandbox:      &t.sandbox,
		IdempotencyKey: key("confirm", t.convID, holdID),
	}
	if t.accepted != nil {
		req.GoogleOrderID = t.accepted.GoogleOrderID
	}
	// The conversation data names the hold it proposed; without it (Dialogflow dropped the contexts) the order's
	// id is only the client's word, and the core checks the hold or booking belongs to this user.
	proposedHere := t.cart.HoldID != "" && t.cart.HoldID == holdID
	b, err := f.core.ConfirmHold(t.ctx, req)
	if err != nil {
		f.confirmFailed(t, err, proposedHere)
		return
	}
	sv, _ := f.merchant.Service(b.ServiceID)
	current := orders.FromBooking(f.merchant, sv, b)
	order := current
	if t.accepted != nil {
		order = orders.Echo(*t.accepted, current)
	}
	_, label := orders.StatusOf(b.Status)
	snap := orderv3.Snapshot(order, label)
	t.reply.receipt = &snap
	f.booked(t, b, msgReceiptConfirmed, msgReceiptPending)
}

// buyer is the customer of an accepted order: the buyer's name and email from the order (the email stands for a
// missing name, and the catalog's guest name for both), under the user's anonymous id.
func (f *flow) buyer(t *turn, uid string) booking.Customer {
	customer := booking.Customer{UserID: uid}
	if t.accepted != nil && t.accepted.BuyerInfo != nil {
		customer.Name = t.accepted.BuyerInfo.Name()
		customer.Email = t.accepted.BuyerInfo.Email
	}
	if customer.Name == "" {
		customer.Name = customer.Email
	}
	if customer.Name == "" {
		customer.Name = t.msg.Say(msgGuestName, nil) // an accepted order with neither a name nor an email
	}
	return customer
}

// confirmFailed explains why a hold could not become a booking. An accepted order this conversation proposed
// gets its receipt, REJECTED, whatever the conversation offers next; one it cannot vouch for (the conversation
// data is gone, so only the client names the order) gets none, as its merchantOrderId may name another order.
func (f *flow) confirmFailed(t *turn, err error, proposedHere bool) {
	decline := func() {
		if proposedHere {
			f.decline(t)
		}
	}
	words, _ := failureWords(callConfirm, err)
	switch words {
	case msgHoldLost:
		// The hold expired and its time was taken (or the hold is gone): offer what is free around it.
		t.cart.HoldID = ""
		t.cart.Stage = stageChooseSlot
		start, ok := t.cart.start(f.merchant)
		if !ok {
			t.cart.Stage = stageAssembling
			t.say(words, nil)
			f.advance(t)
		} else {
			f.alternatives(t, start, []string{t.msg.Say(words, nil)})
		}
		decline()
	case msgAlreadyBooked:
		if err := f.release(t); err != nil { // the hold stays stored: give its capacity back
			f.unavailable(t, err)
			return
		}
		start, _ := t.cart.start(f.merchant)
		f.alreadyBooked(t, start)
		decline()
	default:
		f.unavailable(t, err)
	}
}

// decline adds the receipt of an accepted order that will not be booked: the order as accepted, REJECTED (the
// status for an order the integrator declines). Google gets an answer to every ORDER_ACCEPTED, and the order
// does not stay pending in the user's order history.
func (f *flow) decline(t *turn) {
	if t.accepted == nil || t.accepted.MerchantOrderID == "" || len(t.reply.speech) == 0 {
		return
	}
	_, label := orders.StatusOf(booking.StatusRejected)
	snap := orderv3.Snapshot(orders.Rejected(*t.accepted, f.now()), label)
	t.reply.receipt = &snap
}

// changeChips offers what can be changed: the number of people (unless the service takes one size only), the
// day, the time.
func (f *flow) changeChips(t *turn) {
	if sv := f.service(t.cart); sv.MinParty != sv.MaxParty {
		t.chips(msgChipParty)
	}
	t.chips(msgChipDate, msgChipTime)
}

// changeChoice answers a tap on one of the change question's chips ("Number of people", "Day", "Time"): the
// hold is released and that question asked again. It reports whether the turn was such a choice.
func (f *flow) changeChoice(t *turn) bool {
	q := strings.TrimSpace(t.query)
	var clear func(*cart)
	switch {
	case strings.EqualFold(q, t.msg.Say(msgChipParty, nil)):
		if sv := f.service(t.cart); sv.MinParty == sv.MaxParty {
			return false // one size only: nothing to ask
		}
		clear = func(c *cart) { c.PartySize = 0 }
	case strings.EqualFold(q, t.msg.Say(msgChipDate, nil)):
		clear = func(c *cart) { c.Date = "" }
	case strings.EqualFold(q, t.msg.Say(msgChipTime, nil)):
		clear = func(c *cart) { c.Time = "" }
	default:
		return false
	}
	if err := f.release(t); err != nil {
		f.unavailable(t, err)
		return true
	}
	clear(&t.cart)
	t.cart.Slots = nil
	t.cart.Stage = stageAssembling
	f.advance(t)
	return true
}

// hold places the hold for the cart and goes on: the order proposal, or the contact questions.
func (f *flow) hold(t *turn, sv *booking.Service, start time.Time) {
	if err := f.release(t); err != nil {
		f.unavailable(t, err)
		return
	}
	uid, err := t.userID()
	if err != nil {
		f.unavailable(t, err)
		return
	}
	if t.transacting && !t.cart.CanTransact {
		// The requirements check was asked but not answered (the user spoke instead): ask it again rather than
		// take the booking without an Assistant order.
		t.cart.Checked = true
		t.cart.Stage = stageRequirements
		t.reply.requirements = true
		return
	}
	if t.cart.Ref == "" {
		t.cart.Ref = t.turnID
	}
	// The key is the same for a re-sent webhook call (same conversation data, same request) and different for
	// every other: Attempt counts every call, successful or not (a failed one is recorded under its key too),
	// and the request itself is part of the key, so that even a turn whose answer was lost (the next turn then
	// carries the old Attempt) cannot reuse a key for another start.
	attempt := strconv.Itoa(t.cart.Attempt)
	t.cart.Attempt++
	h, err := f.core.PlaceHold(t.ctx, booking.HoldRequest{
		MerchantID: f.merchant.ID,
		ServiceID:  sv.ID,
		Start:      start,
		PartySize:  t.cart.PartySize,
		UserID:     uid,
		IdempotencyKey: key("hold", t.convID, t.cart.Ref, attempt, sv.ID,
			strconv.FormatInt(start.Unix(), 10), strconv.Itoa(t.cart.PartySize)),
	})
	if err != nil {
		f.refuse(t, sv, start, err)
		return
	}
	t.cart.HoldID = h.ID
	t.cart.Slots = nil
	if t.cart.CanTransact {
		t.cart.Stage = stageProposed
		order := orders.FromHold(f.merchant, sv, h)
		t.reply.proposal = &order
		args := f.args(t)
		args["what"] = f.what(t, h.ServiceID, h.PartySize)
		args["when"] = t.msg.When(h.Start.In(merchantLoc(f.merchant)))
		t.say(msgPropose, args)
		return
	}
	f.askContact(t)
}

// refuse explains why the start cannot be held, in the words of failureTable, and offers what is possible.
func (f *flow) refuse(t *turn, sv *booking.Service, start time.Time, err error) {
	words, ok := failureWords(callHold, err)
	if !ok {
		f.unavailable(t, err)
		return
	}
	m := f.merchant
	args := f.args(t)
	switch words {
	case msgPartyBounds:
		t.cart.PartySize = 0
		t.cart.Stage = stageAssembling
		args["min"] = strconv.Itoa(sv.MinParty)
		args["max"] = strconv.Itoa(sv.MaxParty)
		t.say(words, args)
		t.reprompt(msgAskPartyReprompt, nil)
	case msgTooFar:
		t.cart.Date, t.cart.Time = "", ""
		t.cart.Stage = stageAssembling
		args["days"] = strconv.Itoa(int(m.Policy.MaxLead.D() / (24 * time.Hour)))
		t.say(words, args)
		t.reprompt(msgAskDateReprompt, nil)
		t.chips(msgChipToday, msgChipTomorrow)
	case msgTooSoon:
		f.alternatives(t, start, []string{t.msg.Say(words, msgArgs{"lead": t.msg.Duration(m.Policy.MinLead.D())})})
	case msgClosedHours:
		ss := seatings(m, sv, start)
		if len(ss) == 0 {
			f.closedDay(t, start)
			return
		}
		args["weekdays"] = t.msg.Weekdays(start.In(merchantLoc(m)).Weekday())
		args["first"] = t.msg.Clock(ss[0].First)
		args["last"] = t.msg.Clock(ss[len(ss)-1].Last)
		f.alternatives(t, start, []string{t.msg.Say(words, args)})
	case msgFull:
		f.alternatives(t, start, []string{t.msg.Say(words, msgArgs{"when": t.msg.When(start)})})
	case msgAlreadyBooked:
		f.alreadyBooked(t, start)
	default:
		f.unavailable(t, err)
	}
}

// alreadyBooked says the user already has a reservation around start and asks whether there is anything else.
func (f *flow) alreadyBooked(t *turn, start time.Time) {
	t.cart.Stage = stageIdle
	args := f.args(t)
	args["when"] = t.msg.When(start)
	t.say(msgAlreadyBooked, args)
	f.anythingElse(t)
	t.chips(msgChipList, msgChipNoThanks)
}

// alternatives offers the nearest free start times around start, after the lead sentences.
func (f *flow) alternatives(t *turn, start time.Time, lead []string) {
	sv := f.service(t.cart)
	slots, err := f.core.Nearest(t.ctx, f.merchant.ID, sv.ID, start, t.cart.PartySize, maxAlternatives)
	if err != nil {
		if booking.CodeOf(err) == "" {
			f.unavailable(t, err)
			return
		}
		slots = nil
	}
	t.reply.speech = append(t.reply.speech, lead...)
	if len(slots) == 0 {
		t.cart.Date, t.cart.Time = "", ""
		t.cart.Slots = nil
		t.cart.Stage = stageAssembling
		t.say(msgAlternativesNone, nil)
		t.reprompt(msgAskDateReprompt, nil)
		t.chips(msgChipTomorrow, msgChipOtherDay)
		return
	}
	slices.SortFunc(slots, func(a, b booking.Slot) int { return a.Start.Compare(b.Start) })
	t.cart.Slots = make([]string, len(slots))
	for i, s := range slots {
		t.cart.Slots[i] = s.Start.UTC().Format(time.RFC3339)
	}
	t.cart.Stage = stageChooseSlot
	f.offer(t, start)
}

// offer presents the offered slots: spoken, and as a list on screens (chips when there is only one).
func (f *flow) offer(t *turn, around time.Time) {
	loc := merchantLoc(f.merchant)
	day := around.In(loc).Format(time.DateOnly)
	spoken := make([]string, 0, len(t.cart.Slots))
	list := &optionList{title: t.msg.Say(msgAlternativesTitle, nil)}
	for _, s := range t.cart.Slots {
		st, err := time.Parse(time.RFC3339, s)
		if err != nil {
			continue
		}
		st = st.In(loc)
		label := t.msg.When(st)
		if st.Format(time.DateOnly) == day {
			spoken = append(spoken, t.msg.Clock(st))
		} else {
			spoken = append(spoken, label)
		}
		list.items = append(list.items, optionItem{key: slotKeyPrefix + s, title: label})
	}
	t.say(msgAlternatives, msgArgs{"list": t.msg.Or(spoken)})
	t.reprompt(msgAlternativesAsk, msgArgs{"list": t.msg.Or(spoken)})
	if t.screen && len(list.items) >= 2 {
		t.reply.list = list
		return
	}
	for _, s := range spoken {
		if len(t.reply.chips) < 8 && len(s) <= 25 {
			t.reply.chips = append(t.reply.chips, s)
		}
	}
}

// reoffer repeats the offered alternatives.
func (f *flow) reoffer(t *turn) {
	start, ok := t.cart.start(f.merchant)
	if !ok || len(t.cart.Slots) == 0 {
		t.cart.Stage = stageAssembling
		f.advance(t)
		return
	}
	f.offer(t, start)
}

// changeAnswer takes a yes or a no to the change question after CART_CHANGE_REQUESTED.
func (f *flow) changeAnswer(t *turn, a answer) {
	switch a {
	case answerYes: // "book it after all": propose the cart again
		f.details(t)
	case answerNo: // "never mind"
		f.notBooked(t)
	default:
		f.askChange(t)
	}
}

// askChange asks what to change in the proposed cart.
func (f *flow) askChange(t *turn) {
	t.say(msgChangeWhat, nil)
	t.reprompt(msgChangeReprompt, nil)
	f.changeChips(t)
}
