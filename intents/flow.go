package intents

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/orders"
	"github.com/reservations/reservations/orders/orderv3"
)

// maxAlternatives is how many nearest free start times are offered when the requested one is not free.
const maxAlternatives = 5

// Option keys of the lists the conversation shows; the OPTION argument brings one back.
const (
	slotKeyPrefix    = "slot:"
	bookingKeyPrefix = "booking:"
)

// Decision values of TRANSACTION_DECISION_VALUE (transactions v3).
const (
	decisionAccepted       = "ORDER_ACCEPTED"
	decisionRejected       = "ORDER_REJECTED"
	decisionCartChange     = "CART_CHANGE_REQUESTED"
	decisionCannotTransact = "USER_CANNOT_TRANSACT"
)

// canTransact is the requirements check result that lets the transaction go on.
const canTransact = "CAN_TRANSACT"

// turn is one webhook call as the conversation sees it: what the user said or chose, and the answer being built.
// The adapter in handlers.go fills it from a *fulfillment.Conv and writes the reply back.
type turn struct {
	ctx context.Context
	msg Messages

	// Inputs.
	params      map[string]any
	query       string
	convID      string
	turnID      string // repeated by a re-sent webhook call
	raw         bool   // the words arrived without Dialogflow (Actions SDK actions.intent.TEXT): see understand
	transacting bool   // the surface can run Assistant transactions
	screen      bool
	reqResult   string         // TRANSACTION_REQUIREMENTS_CHECK_RESULT resultType
	decision    string         // TRANSACTION_DECISION_VALUE transactionDecision
	accepted    *orderv3.Order // the order of an ORDER_ACCEPTED decision
	option      string         // the OPTION key
	userID      func() (string, error)

	// State and answer.
	cart  Cart
	reply reply
	// failed records an infrastructure failure already answered with an apology, for the log line.
	failed error
}

// reply is the answer of a turn, independent of the envelope.
type reply struct {
	speech    []string // simple responses, said and shown
	reprompts []string // said when the user says nothing
	chips     []string
	list      *optionList
	// requirements asks the transaction requirements check.
	requirements bool
	// proposal asks TRANSACTION_DECISION for the order.
	proposal *orderv3.Order
	// receipt is the orderUpdateV3 SNAPSHOT sent after ORDER_ACCEPTED.
	receipt *orderv3.OrderUpdate
	close   bool
}

type optionList struct {
	title string
	items []optionItem
}

type optionItem struct {
	key, title, description string
}

func (t *turn) say(id MsgID, args Args) { t.reply.speech = append(t.reply.speech, t.msg.Say(id, args)) }

func (t *turn) reprompt(id MsgID, args Args) {
	t.reply.reprompts = append(t.reply.reprompts, t.msg.Say(id, args))
}

func (t *turn) chips(ids ...MsgID) {
	for _, id := range ids {
		t.reply.chips = append(t.reply.chips, t.msg.Say(id, nil))
	}
}

// flow is the reservation conversation over the booking core.
type flow struct {
	core     *booking.Core
	merchant *booking.Merchant
	now      func() time.Time
	log      *slog.Logger
	timeout  time.Duration
}

// service returns the cart's service, or the merchant's default.
func (f *flow) service(c Cart) *booking.Service {
	if sv, ok := f.merchant.Service(c.ServiceID); ok {
		return sv
	}
	return f.merchant.Default()
}

// args returns the placeholders any message may use: the merchant, its phone number, and how booking with it
// is said ("book a table", "book an appointment").
func (f *flow) args(t *turn) Args {
	book := MsgBookOther
	if f.merchant.Default().Type == booking.TypeRestaurant {
		book = MsgBookTable
	}
	return Args{"merchant": f.merchant.Name, "phone": f.merchant.Phone, "book": t.msg.Say(book, nil)}
}

// what says what is booked: "a table for 4", "a haircut appointment".
func (f *flow) what(t *turn, serviceID string, party int) string {
	sv, ok := f.merchant.Service(serviceID)
	if !ok {
		sv = f.merchant.Default()
	}
	n := strconv.Itoa(party)
	switch {
	case sv.Type == booking.TypeRestaurant:
		return t.msg.Say(MsgWhatTable, Args{"party": n})
	case sv.MaxParty <= 1:
		return t.msg.Say(MsgWhatService, Args{"service": strings.ToLower(sv.Name)})
	}
	return t.msg.Say(MsgWhatServiceParty, Args{"service": strings.ToLower(sv.Name), "party": n})
}

// menuChips offers booking (worded for the merchant) and the other chips.
func (f *flow) menuChips(t *turn, others ...MsgID) {
	book := MsgChipBookOther
	if f.merchant.Default().Type == booking.TypeRestaurant {
		book = MsgChipBook
	}
	t.chips(append([]MsgID{book}, others...)...)
}

// unavailable answers a failure of the store or another infrastructure error: an apology, and the end of the
// conversation (the user retries later).
func (f *flow) unavailable(t *turn, err error) {
	t.failed = err
	t.reply = reply{close: true}
	t.say(MsgUnavailable, nil)
}

// key derives an idempotency key from the conversation and the parts that identify one operation in it.
func key(kind string, parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return kind + ":" + hex.EncodeToString(h[:16])
}

// --- intents ---

func (f *flow) welcome(t *turn) {
	if t.cart.HoldID != "" {
		// A reservation left half-way: give its table back now rather than when the hold expires.
		if err := f.release(t); err != nil {
			f.log.LogAttrs(t.ctx, slog.LevelWarn, "releasing an abandoned hold failed; it expires by itself",
				slog.String("error", err.Error()))
		}
	}
	t.cart = Cart{Checked: t.cart.Checked, CanTransact: t.cart.CanTransact, Attempt: t.cart.Attempt, Ref: t.cart.Ref}
	t.say(MsgWelcome, f.args(t))
	t.reprompt(MsgWelcomeReprompt, f.args(t))
	f.menuChips(t, MsgChipList, MsgChipCancel)
}

func (f *flow) fallback(t *turn) {
	if t.raw {
		if step := f.understand(t); step != nil {
			step(t)
			return
		}
	}
	switch t.cart.Stage {
	case StageConfirm, StageCancelConfirm:
		if t.msg.YesNo(t.query) != AnswerUnknown {
			f.confirm(t)
			return
		}
		f.askYesNo(t)
	case StageChange:
		if f.changeChoice(t) {
			return
		}
		t.say(MsgFallbackInFlow, nil)
		t.say(MsgChangeReprompt, nil)
		f.changeChips(t)
	case StageAssembling:
		f.advance(t)
		f.rephrase(t)
	case StageChooseSlot:
		f.reoffer(t)
		f.rephrase(t)
	case StageContact:
		f.askContact(t)
		f.rephrase(t)
	case StageCancelChoose:
		f.cancel(t)
		f.rephrase(t)
	case StageAnythingElse, StageOfferBook:
		if t.msg.YesNo(t.query) != AnswerUnknown { // "no, thanks" to "anything else?", "yes" to "would you like to book?"
			f.confirm(t)
			return
		}
		t.say(MsgFallback, f.args(t))
		f.menuChips(t, MsgChipList, MsgChipCancel)
	default:
		t.say(MsgFallback, f.args(t))
		f.menuChips(t, MsgChipList, MsgChipCancel)
	}
}

// rephrase turns the question a step just asked into its reprompt after "Sorry, I didn't get that.": the
// user did not understand or was not understood, so the second wording explains more.
func (f *flow) rephrase(t *turn) {
	r := &t.reply
	if r.proposal != nil || r.receipt != nil || r.close {
		return
	}
	sorry := t.msg.Say(MsgFallbackInFlow, nil)
	if len(r.reprompts) > 0 {
		r.speech = append([]string{sorry}, r.reprompts...)
		return
	}
	r.speech = append([]string{sorry}, r.speech...)
}

// start begins a reservation: a fresh cart (keeping what this conversation learnt about the surface), filled
// from the parameters; the requirements check first on an Assistant surface that can transact.
func (f *flow) start(t *turn) {
	if t.cart.HoldID != "" {
		if err := f.release(t); err != nil {
			f.unavailable(t, err)
			return
		}
	}
	t.cart = Cart{Checked: t.cart.Checked, CanTransact: t.cart.CanTransact, Attempt: t.cart.Attempt,
		Ref: t.cart.Ref, Name: t.cart.Name, Phone: t.cart.Phone}
	f.begin(t)
}

// begin fills a fresh or idle cart and asks the requirements check once per conversation.
func (f *flow) begin(t *turn) {
	t.cart.MerchantID = f.merchant.ID
	t.cart.ServiceID = f.merchant.Default().ID
	t.cart.Stage = StageAssembling
	f.merge(t)
	if t.transacting && !t.cart.Checked {
		t.cart.Checked = true
		t.cart.Stage = StageRequirements
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
		t.cart.Stage = StageIdle
		t.say(MsgRequirementsFailed, f.args(t))
		t.reply.close = true
		return
	}
	t.cart.Checked = true
	t.cart.CanTransact = true
	if t.cart.MerchantID == "" {
		t.cart.MerchantID = f.merchant.ID
		t.cart.ServiceID = f.merchant.Default().ID
	}
	t.cart.Stage = StageAssembling
	f.advance(t)
}

// details takes what the user adds or changes: party size, day, time, service.
func (f *flow) details(t *turn) {
	switch t.cart.Stage {
	case StageCancelChoose:
		f.cancelChoose(t, "")
		return
	case StageCancelConfirm:
		f.cancel(t) // "no, the one on Monday": which reservation, again
		return
	case StageIdle, StageBooked, StageOfferBook, StageAnythingElse:
		f.start(t)
		return
	case StageRequirements:
		// The check is pending and the user added a detail: keep the cart (hold asks the check again).
		if t.cart.MerchantID == "" {
			f.start(t)
			return
		}
	case StageChange:
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
	t.cart.Stage = StageAssembling
	f.advance(t)
}

// selectSlot takes a choice from the offered alternatives: the OPTION key of the list, or a spoken time.
// The same event also carries the choice among reservations to cancel.
func (f *flow) selectSlot(t *turn) {
	switch {
	case strings.HasPrefix(t.option, bookingKeyPrefix):
		f.cancelChoose(t, strings.TrimPrefix(t.option, bookingKeyPrefix))
		return
	case t.cart.Stage == StageCancelChoose:
		f.cancelChoose(t, "")
		return
	case t.cart.Stage == StageCancelConfirm:
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
		t.cart.Stage = StageAssembling
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
		t.cart.Stage = StageChange
		t.say(MsgChangeWhat, nil)
		t.reprompt(MsgChangeReprompt, nil)
		f.changeChips(t)
	case decisionRejected:
		if err := f.release(t); err != nil {
			f.unavailable(t, err)
			return
		}
		t.say(MsgOrderRejected, nil)
		t.cart.Stage = StageAnythingElse
		f.menuChips(t, MsgChipList, MsgChipNoThanks)
	case decisionCannotTransact:
		if err := f.release(t); err != nil {
			f.unavailable(t, err)
			return
		}
		t.cart.Stage = StageIdle
		t.say(MsgUserCannotTransact, f.args(t))
		t.reply.close = true
	default:
		if err := f.release(t); err != nil {
			f.unavailable(t, err)
			return
		}
		t.cart.Stage = StageIdle
		t.say(MsgDecisionUnknown, nil)
		t.reply.close = true
	}
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
		if err := f.release(t); err != nil {
			f.unavailable(t, err)
			return
		}
		t.cart.Stage = StageIdle
		t.say(MsgDecisionUnknown, nil)
		// No receipt: the order is not the one this conversation proposed, and its merchantOrderId may name
		// another order (a REJECTED receipt would then speak for that one).
		t.reply.close = true
		return
	}
	uid, err := t.userID()
	if err != nil {
		f.unavailable(t, err)
		return
	}
	customer := booking.Customer{UserID: uid}
	if t.accepted != nil && t.accepted.BuyerInfo != nil {
		customer.Name = t.accepted.BuyerInfo.Name()
		customer.Email = t.accepted.BuyerInfo.Email
	}
	if customer.Name == "" {
		customer.Name = customer.Email
	}
	if customer.Name == "" {
		customer.Name = t.msg.Say(MsgGuestName, nil) // an accepted order with neither a name nor an email
	}
	req := booking.ConfirmRequest{
		MerchantID:     f.merchant.ID,
		HoldID:         holdID,
		Customer:       customer,
		Source:         booking.SourceAssistant,
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
	f.booked(t, b, MsgReceiptConfirmed, MsgReceiptPending)
}

// booked records the booking in the cart and says so; the conversation ends.
func (f *flow) booked(t *turn, b booking.Booking, confirmed, pending MsgID) {
	t.cart.HoldID = ""
	t.cart.Slots = nil
	t.cart.BookingID = b.ID
	t.cart.Stage = StageBooked
	args := f.args(t)
	args["what"] = f.what(t, b.ServiceID, b.PartySize)
	args["when"] = t.msg.When(b.Start.In(merchantLoc(f.merchant)))
	args["code"] = b.ConfirmationCode
	if b.Status == booking.StatusPending {
		t.say(pending, args)
	} else {
		t.say(confirmed, args)
	}
	t.reply.close = true
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
	switch booking.CodeOf(err) {
	case booking.CodeHoldExpired, booking.CodeSlotUnavailable, booking.CodeNotFound:
		// The hold expired and its time was taken (or the hold is gone): offer what is free around it.
		t.cart.HoldID = ""
		t.cart.Stage = StageChooseSlot
		start, ok := t.cart.start(f.merchant)
		if !ok {
			t.cart.Stage = StageAssembling
			t.say(MsgHoldLost, nil)
			f.advance(t)
		} else {
			f.alternatives(t, start, []string{t.msg.Say(MsgHoldLost, nil)})
		}
		decline()
	case booking.CodeSlotAlreadyBookedByUser:
		if err := f.release(t); err != nil { // the hold stays stored: give its capacity back
			f.unavailable(t, err)
			return
		}
		t.cart.Stage = StageIdle
		start, _ := t.cart.start(f.merchant)
		args := f.args(t)
		args["when"] = t.msg.When(start)
		t.say(MsgAlreadyBooked, args)
		f.anythingElse(t)
		t.chips(MsgChipList, MsgChipNoThanks)
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

// contact collects the name and phone number where there is no Assistant transaction.
func (f *flow) contact(t *turn) {
	if name := personName(t.params["name"]); name != "" {
		t.cart.Name = name
	}
	if phone := paramString(t.params["phone"]); phone != "" {
		t.cart.Phone = phone
	}
	switch t.cart.Stage {
	case StageContact, StageConfirm:
		f.askContact(t)
	case StageIdle, StageBooked, StageRequirements, StageOfferBook, StageAnythingElse:
		f.start(t)
	default:
		f.advance(t)
	}
}

// askContact asks for the missing contact detail, or reads the summary back.
func (f *flow) askContact(t *turn) {
	switch {
	case t.cart.Name == "":
		t.cart.Stage = StageContact
		t.say(MsgAskName, nil)
		t.reprompt(MsgAskName, nil)
	case t.cart.Phone == "":
		t.cart.Stage = StageContact
		t.say(MsgAskPhone, f.args(t))
		t.reprompt(MsgAskPhone, f.args(t))
	default:
		t.cart.Stage = StageConfirm
		start, _ := t.cart.start(f.merchant)
		args := f.args(t)
		args["what"] = f.what(t, t.cart.ServiceID, t.cart.PartySize)
		args["when"] = t.msg.When(start)
		args["name"] = t.cart.Name
		args["phone"] = t.cart.Phone
		t.say(MsgSummary, args)
		t.reprompt(MsgSummaryReprompt, nil)
		t.chips(MsgChipYes, MsgChipNo)
	}
}

// confirm takes a yes or a no: to book the summarised reservation, or to cancel the chosen one.
func (f *flow) confirm(t *turn) {
	answer := t.msg.YesNo(t.query)
	switch t.cart.Stage {
	case StageConfirm:
		switch answer {
		case AnswerYes:
			f.book(t)
		case AnswerNo:
			f.notBooked(t)
		default:
			f.askYesNo(t)
		}
	case StageCancelConfirm:
		switch answer {
		case AnswerYes:
			f.doCancel(t)
		case AnswerNo:
			t.cart.Stage = StageIdle
			t.cart.BookingID = ""
			t.say(MsgCancelKept, nil)
			f.anythingElse(t)
			f.menuChips(t, MsgChipList, MsgChipNoThanks)
		default:
			f.askYesNo(t)
		}
	case StageChange:
		switch answer {
		case AnswerYes: // "book it after all": propose the cart again
			f.details(t)
		case AnswerNo: // "never mind"
			f.notBooked(t)
		default:
			t.say(MsgChangeWhat, nil)
			t.reprompt(MsgChangeReprompt, nil)
			f.changeChips(t)
		}
	case StageOfferBook:
		switch answer {
		case AnswerYes:
			f.start(t)
		case AnswerNo:
			f.goodbye(t)
		default:
			f.askYesNo(t)
		}
	case StageAnythingElse:
		switch answer {
		case AnswerNo:
			f.goodbye(t)
		case AnswerYes:
			t.cart.Stage = StageIdle
			t.say(MsgHowCanIHelp, f.args(t))
			f.menuChips(t, MsgChipList, MsgChipCancel)
		default:
			f.fallback(t)
		}
	case StageAssembling, StageChooseSlot, StageContact:
		f.fallback(t) // a yes or no is no answer to the question pending: ask it again
	default:
		t.say(MsgNothingToConfirm, f.args(t))
		f.menuChips(t, MsgChipList, MsgChipCancel)
	}
}

// askYesNo asks again for the yes or no a question is waiting for.
func (f *flow) askYesNo(t *turn) {
	t.say(MsgYesOrNo, nil)
	t.chips(MsgChipYes, MsgChipNo)
}

// notBooked releases the hold of a reservation the user declined, says so and asks whether there is anything
// else.
func (f *flow) notBooked(t *turn) {
	if err := f.release(t); err != nil {
		f.unavailable(t, err)
		return
	}
	t.say(MsgNotBooked, nil)
	t.cart.Stage = StageAnythingElse
	f.menuChips(t, MsgChipList, MsgChipNoThanks)
}

// anythingElse asks whether there is anything else; the user's yes or no answers it.
func (f *flow) anythingElse(t *turn) {
	t.say(MsgAnythingElse, nil)
	t.cart.Stage = StageAnythingElse
}

// goodbye ends the conversation at the user's "no, thanks".
func (f *flow) goodbye(t *turn) {
	if err := f.release(t); err != nil {
		f.log.LogAttrs(t.ctx, slog.LevelWarn, "releasing a hold at goodbye failed; it expires by itself",
			slog.String("error", err.Error()))
	}
	t.cart.Stage = StageIdle
	t.say(MsgGoodbye, f.args(t))
	t.reply.close = true
}

// endBooking drops a reservation in progress before another request (a list of the user's reservations):
// its hold is released, and said so, and the cart forgets what it collected, so that a later yes cannot book
// what the user was not asked about again. It reports false when it answered with an apology instead.
func (f *flow) endBooking(t *turn) bool {
	switch t.cart.Stage {
	case StageIdle, StageBooked, StageOfferBook, StageAnythingElse:
		return true
	}
	if t.cart.HoldID != "" {
		what, when := f.what(t, t.cart.ServiceID, t.cart.PartySize), ""
		if start, ok := t.cart.start(f.merchant); ok {
			when = t.msg.When(start)
		}
		if err := f.release(t); err != nil {
			f.unavailable(t, err)
			return false
		}
		if when != "" {
			t.say(MsgHoldDropped, Args{"what": what, "when": when})
		}
	}
	t.cart = Cart{Checked: t.cart.Checked, CanTransact: t.cart.CanTransact, Attempt: t.cart.Attempt,
		Ref: t.cart.Ref, Name: t.cart.Name, Phone: t.cart.Phone}
	return true
}

// hasDetails reports whether the turn names a party size, day, time or service.
func (f *flow) hasDetails(t *turn) bool {
	for _, p := range []string{"party_size", "date", "time", "service"} {
		if v, ok := t.params[p]; ok && v != nil && v != "" {
			return true
		}
	}
	return false
}

// changeChips offers what can be changed: the number of people (unless the service takes one size only), the
// day, the time.
func (f *flow) changeChips(t *turn) {
	if sv := f.service(t.cart); sv.MinParty != sv.MaxParty {
		t.chips(MsgChipParty)
	}
	t.chips(MsgChipDate, MsgChipTime)
}

// changeChoice answers a tap on one of the change question's chips ("Number of people", "Day", "Time"): the
// hold is released and that question asked again. It reports whether the turn was such a choice.
func (f *flow) changeChoice(t *turn) bool {
	q := strings.TrimSpace(t.query)
	var clear func(*Cart)
	switch {
	case strings.EqualFold(q, t.msg.Say(MsgChipParty, nil)):
		if sv := f.service(t.cart); sv.MinParty == sv.MaxParty {
			return false // one size only: nothing to ask
		}
		clear = func(c *Cart) { c.PartySize = 0 }
	case strings.EqualFold(q, t.msg.Say(MsgChipDate, nil)):
		clear = func(c *Cart) { c.Date = "" }
	case strings.EqualFold(q, t.msg.Say(MsgChipTime, nil)):
		clear = func(c *Cart) { c.Time = "" }
	default:
		return false
	}
	if err := f.release(t); err != nil {
		f.unavailable(t, err)
		return true
	}
	clear(&t.cart)
	t.cart.Slots = nil
	t.cart.Stage = StageAssembling
	f.advance(t)
	return true
}

// book confirms the hold with the collected contact details (no Assistant transaction).
func (f *flow) book(t *turn) {
	if t.cart.HoldID == "" {
		t.cart.Stage = StageAssembling
		f.advance(t)
		return
	}
	uid, err := t.userID()
	if err != nil {
		f.unavailable(t, err)
		return
	}
	b, err := f.core.ConfirmHold(t.ctx, booking.ConfirmRequest{
		MerchantID:     f.merchant.ID,
		HoldID:         t.cart.HoldID,
		Customer:       booking.Customer{Name: t.cart.Name, Phone: t.cart.Phone, UserID: uid},
		Source:         booking.SourceConversation,
		IdempotencyKey: key("confirm", t.convID, t.cart.HoldID),
	})
	if err != nil {
		if booking.CodeOf(err) == booking.CodeInvalidArgument {
			// A name or phone number the core refuses (too long): ask again.
			t.cart.Name, t.cart.Phone = "", ""
			f.askContact(t)
			return
		}
		f.confirmFailed(t, err, false) // no Assistant order here
		return
	}
	f.booked(t, b, MsgBookedConfirmed, MsgBookedPending)
}

// list says the user's upcoming reservations.
func (f *flow) list(t *turn) {
	bs, err := f.upcoming(t)
	if err != nil {
		f.unavailable(t, err)
		return
	}
	if !f.endBooking(t) {
		return
	}
	t.cart.Stage = StageIdle
	if len(bs) == 0 {
		t.say(MsgListNone, f.args(t))
		t.cart.Stage = StageOfferBook
		t.chips(MsgChipYes, MsgChipNoThanks)
		return
	}
	items := make([]string, len(bs))
	for i, b := range bs {
		items[i] = f.describe(t, b)
	}
	if len(bs) == 1 {
		t.say(MsgListOne, Args{"items": items[0]})
	} else {
		t.say(MsgListMany, Args{"count": strconv.Itoa(len(bs)), "items": t.msg.And(items)})
	}
	f.anythingElse(t)
	f.menuChips(t, MsgChipCancel, MsgChipNoThanks)
}

// describe says one booking: "a table for 4 at Sample Bistro on Monday, November 23 at 7 PM".
func (f *flow) describe(t *turn, b booking.Booking) string {
	args := Args{"what": f.what(t, b.ServiceID, b.PartySize), "merchant": f.merchant.Name,
		"when": t.msg.When(b.Start.In(merchantLoc(f.merchant)))}
	if m, ok := f.core.Inventory().Merchant(b.MerchantID); ok {
		args["merchant"] = m.Name
		args["when"] = t.msg.When(b.Start.In(merchantLoc(m)))
	}
	if b.Status == booking.StatusPending || b.Status == booking.StatusChangeRequested {
		return t.msg.Say(MsgListItemPending, args)
	}
	return t.msg.Say(MsgListItem, args)
}

// upcoming returns the user's active upcoming bookings.
func (f *flow) upcoming(t *turn) ([]booking.Booking, error) {
	uid, err := t.userID()
	if err != nil {
		return nil, err
	}
	bs, err := f.core.Upcoming(t.ctx, uid)
	if err != nil {
		return nil, fmt.Errorf("list upcoming reservations: %w", err)
	}
	return slices.DeleteFunc(bs, func(b booking.Booking) bool { return !b.Active() }), nil
}

// cancel finds the reservation the user means: the only one, the one on the named day, or asks which.
func (f *flow) cancel(t *turn) {
	if t.cart.HoldID != "" {
		if err := f.release(t); err != nil {
			f.unavailable(t, err)
			return
		}
	}
	bs, err := f.upcoming(t)
	if err != nil {
		f.unavailable(t, err)
		return
	}
	t.cart.Choices = nil
	for _, b := range bs {
		t.cart.Choices = append(t.cart.Choices, b.ID)
	}
	f.narrow(t, bs)
}

// cancelChoose takes the choice among the offered reservations: an id from the list, or a spoken day/time.
// The choices come back in the conversation data, which the request carries: only the user's own bookings are
// read back.
func (f *flow) cancelChoose(t *turn, id string) {
	uid, err := t.userID()
	if err != nil {
		f.unavailable(t, err)
		return
	}
	var bs []booking.Booking
	for _, cid := range t.cart.Choices {
		if id != "" && cid != id {
			continue
		}
		b, err := f.core.Booking(t.ctx, cid)
		if booking.CodeOf(err) == booking.CodeNotFound {
			continue
		}
		if err != nil {
			f.unavailable(t, err)
			return
		}
		if b.Active() && b.Customer.UserID == uid {
			bs = append(bs, b)
		}
	}
	f.narrow(t, bs)
}

// narrow filters the candidates by the spoken day and time, then confirms the one left or asks which.
func (f *flow) narrow(t *turn, bs []booking.Booking) {
	loc := merchantLoc(f.merchant)
	if d, ok := parseDate(paramString(t.params["date"])); ok {
		if kept := slices.DeleteFunc(slices.Clone(bs), func(b booking.Booking) bool {
			return b.Start.In(loc).Format(time.DateOnly) != d
		}); len(kept) > 0 {
			bs = kept
		}
	}
	if c, ok := parseClock(paramString(t.params["time"])); ok {
		if kept := slices.DeleteFunc(slices.Clone(bs), func(b booking.Booking) bool {
			local := b.Start.In(loc).Format("15:04")
			return local != c && local != eveningClock(f.merchant, f.merchant.Default(), b.Start.In(loc).Format(time.DateOnly), c)
		}); len(kept) > 0 {
			bs = kept
		}
	}
	switch len(bs) {
	case 0:
		t.cart.Stage = StageIdle
		t.cart.Choices = nil
		t.say(MsgCancelNone, nil)
		f.menuChips(t, MsgChipList)
	case 1:
		b := bs[0]
		t.cart.Stage = StageCancelConfirm
		t.cart.BookingID = b.ID
		t.cart.Choices = nil
		t.say(MsgCancelConfirm, Args{"what": f.what(t, b.ServiceID, b.PartySize), "when": t.msg.When(b.Start.In(loc))})
		t.chips(MsgChipYes, MsgChipNo)
	default:
		t.cart.Stage = StageCancelChoose
		t.cart.Choices = nil
		items := make([]string, len(bs))
		list := &optionList{title: t.msg.Say(MsgListTitle, nil)}
		for i, b := range bs {
			t.cart.Choices = append(t.cart.Choices, b.ID)
			items[i] = t.msg.When(b.Start.In(loc))
			list.items = append(list.items, optionItem{key: bookingKeyPrefix + b.ID, title: items[i],
				description: f.describe(t, b)})
		}
		t.say(MsgCancelWhich, Args{"items": t.msg.Or(items)})
		if t.screen {
			t.reply.list = list
		}
	}
}

// doCancel cancels the chosen reservation after the user's yes.
func (f *flow) doCancel(t *turn) {
	id := t.cart.BookingID
	uid, err := t.userID()
	if err != nil {
		f.unavailable(t, err)
		return
	}
	b, err := f.core.Booking(t.ctx, id)
	if err == nil && b.Customer.UserID != uid {
		err = booking.ErrNotFound // not this user's: say there is nothing to cancel
	}
	if err == nil {
		_, err = f.core.Cancel(t.ctx, booking.CancelRequest{
			BookingID:      id,
			Reason:         t.msg.Say(MsgCancelReason, nil),
			IdempotencyKey: key("cancel", t.convID, id),
		})
	}
	t.cart.Stage = StageIdle
	t.cart.BookingID = ""
	args := f.args(t)
	loc := merchantLoc(f.merchant)
	switch booking.CodeOf(err) {
	case "":
		if err != nil {
			f.unavailable(t, err)
			return
		}
		t.say(MsgCancelled, Args{"what": f.what(t, b.ServiceID, b.PartySize), "when": t.msg.When(b.Start.In(loc))})
		t.reply.close = true
		return
	case booking.CodeOutsideCancellationWindow:
		args["deadline"] = t.msg.When(b.Start.Add(-f.merchant.Policy.CancelBefore.D()).In(loc))
		t.say(MsgCancelWindow, args)
	case booking.CodeBookingAlreadyCancelled:
		t.say(MsgCancelAlready, nil)
	case booking.CodeBookingNotCancellable:
		t.say(MsgCancelNotAllowed, args)
	case booking.CodeNotFound:
		t.say(MsgCancelNone, nil)
	case booking.CodeVersionMismatch:
		t.say(MsgCancelChanged, nil)
	default:
		f.unavailable(t, err)
		return
	}
	f.anythingElse(t)
	t.chips(MsgChipList, MsgChipNoThanks)
}

// --- cart assembly ---

// merge copies the parameters the user gave into the cart.
func (f *flow) merge(t *turn) {
	if n, ok := paramInt(t.params["party_size"]); ok {
		t.cart.PartySize = n
	}
	if d, ok := parseDate(paramString(t.params["date"])); ok {
		t.cart.Date = d
	}
	if c, ok := parseClock(paramString(t.params["time"])); ok {
		t.cart.Time = c
	}
	if s := strings.TrimSpace(paramString(t.params["service"])); s != "" {
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
		f.refuse(t, sv, time.Time{}, booking.InvalidArgument("party_size", "outside the service's bounds"))
		return
	}
	switch t.cart.missing() {
	case "party":
		t.cart.Stage = StageAssembling
		t.say(MsgAskParty, nil)
		t.reprompt(MsgAskPartyReprompt, nil)
		t.reply.chips = append(t.reply.chips, t.msg.Say(MsgChipPeople, Args{"count": "2"}), t.msg.Say(MsgChipPeople, Args{"count": "4"}))
		return
	case "date":
		t.cart.Stage = StageAssembling
		t.say(MsgAskDate, nil)
		t.reprompt(MsgAskDateReprompt, nil)
		t.chips(MsgChipToday, MsgChipTomorrow)
		return
	case "time":
		day, _ := combine(t.cart.Date, "12:00", loc)
		ss := seatings(m, sv, day)
		if len(ss) == 0 {
			f.closedDay(t, day)
			return
		}
		t.cart.Stage = StageAssembling
		args := f.args(t)
		args["first"], args["last"] = t.msg.Clock(ss[0].First), t.msg.Clock(ss[len(ss)-1].Last)
		t.say(MsgAskTime, args)
		t.reprompt(MsgAskTimeReprompt, nil)
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
		t.cart.Stage = StageAssembling
		t.say(MsgPast, Args{"when": t.msg.When(start)})
		t.reprompt(MsgAskTimeReprompt, nil)
		if ss := seatings(m, sv, start); len(ss) > 0 {
			f.timeChips(t, sv, ss)
		}
		if len(t.reply.chips) == 0 {
			t.chips(MsgChipTomorrow, MsgChipOtherDay) // nothing left today
		}
		return
	}
	// No availability check first: placing the hold checks everything a check would (party size, opening hours,
	// lead times, capacity, the guest's other bookings) in one round trip, and its refusal is explained the same
	// way. A re-sent webhook call then replays its hold instead of finding the time taken by it.
	f.hold(t, sv, start)
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
		t.cart.Stage = StageRequirements
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
		t.cart.Stage = StageProposed
		order := orders.FromHold(f.merchant, sv, h)
		t.reply.proposal = &order
		args := f.args(t)
		args["what"] = f.what(t, h.ServiceID, h.PartySize)
		args["when"] = t.msg.When(h.Start.In(merchantLoc(f.merchant)))
		t.say(MsgPropose, args)
		return
	}
	f.askContact(t)
}

// refuse explains why the start cannot be booked, in words, and offers what is possible.
func (f *flow) refuse(t *turn, sv *booking.Service, start time.Time, err error) {
	var be *booking.Error
	if !errors.As(err, &be) {
		f.unavailable(t, err)
		return
	}
	m := f.merchant
	args := f.args(t)
	switch {
	case be.Code == booking.CodeInvalidArgument && be.Field == "party_size":
		t.cart.PartySize = 0
		t.cart.Stage = StageAssembling
		args["min"] = strconv.Itoa(sv.MinParty)
		args["max"] = strconv.Itoa(sv.MaxParty)
		t.say(MsgPartyBounds, args)
		t.reprompt(MsgAskPartyReprompt, nil)
	case be.Code == booking.CodeSlotUnavailable && be.Field == "too_far":
		t.cart.Date, t.cart.Time = "", ""
		t.cart.Stage = StageAssembling
		args["days"] = strconv.Itoa(int(m.Policy.MaxLead.D() / (24 * time.Hour)))
		t.say(MsgTooFar, args)
		t.reprompt(MsgAskDateReprompt, nil)
		t.chips(MsgChipToday, MsgChipTomorrow)
	case be.Code == booking.CodeSlotUnavailable && be.Field == "too_soon":
		f.alternatives(t, start, []string{t.msg.Say(MsgTooSoon, Args{"lead": t.msg.Duration(m.Policy.MinLead.D())})})
	case be.Code == booking.CodeSlotUnavailable && be.Field == "closed":
		ss := seatings(m, sv, start)
		if len(ss) == 0 {
			f.closedDay(t, start)
			return
		}
		args["weekdays"] = t.msg.Weekdays(start.In(merchantLoc(m)).Weekday())
		args["first"] = t.msg.Clock(ss[0].First)
		args["last"] = t.msg.Clock(ss[len(ss)-1].Last)
		f.alternatives(t, start, []string{t.msg.Say(MsgClosedHours, args)})
	case be.Code == booking.CodeSlotUnavailable:
		f.alternatives(t, start, []string{t.msg.Say(MsgFull, Args{"when": t.msg.When(start)})})
	case be.Code == booking.CodeSlotAlreadyBookedByUser:
		t.cart.Stage = StageIdle
		args["when"] = t.msg.When(start)
		t.say(MsgAlreadyBooked, args)
		f.anythingElse(t)
		t.chips(MsgChipList, MsgChipNoThanks)
	default:
		f.unavailable(t, err)
	}
}

// closedDay says the merchant is closed on the day and asks for another.
func (f *flow) closedDay(t *turn, day time.Time) {
	t.cart.Date, t.cart.Time = "", ""
	t.cart.Stage = StageAssembling
	args := f.args(t)
	args["day"] = t.msg.Day(day.In(merchantLoc(f.merchant)))
	t.say(MsgClosedDay, args)
	t.reprompt(MsgAskDateReprompt, nil)
	t.chips(MsgChipToday, MsgChipTomorrow)
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
		t.cart.Stage = StageAssembling
		t.say(MsgAlternativesNone, nil)
		t.reprompt(MsgAskDateReprompt, nil)
		t.chips(MsgChipTomorrow, MsgChipOtherDay)
		return
	}
	slices.SortFunc(slots, func(a, b booking.Slot) int { return a.Start.Compare(b.Start) })
	t.cart.Slots = make([]string, len(slots))
	for i, s := range slots {
		t.cart.Slots[i] = s.Start.UTC().Format(time.RFC3339)
	}
	t.cart.Stage = StageChooseSlot
	f.offer(t, start)
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

// offer presents the offered slots: spoken, and as a list on screens (chips when there is only one).
func (f *flow) offer(t *turn, around time.Time) {
	loc := merchantLoc(f.merchant)
	day := around.In(loc).Format(time.DateOnly)
	spoken := make([]string, 0, len(t.cart.Slots))
	list := &optionList{title: t.msg.Say(MsgAlternativesTitle, nil)}
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
	t.say(MsgAlternatives, Args{"list": t.msg.Or(spoken)})
	t.reprompt(MsgAlternativesAsk, Args{"list": t.msg.Or(spoken)})
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
		t.cart.Stage = StageAssembling
		f.advance(t)
		return
	}
	f.offer(t, start)
}

// release gives the cart's hold back, if any.
func (f *flow) release(t *turn) error {
	if t.cart.HoldID == "" {
		return nil
	}
	if err := f.core.ReleaseHold(t.ctx, f.merchant.ID, t.cart.HoldID); err != nil && booking.CodeOf(err) != booking.CodeNotFound {
		return fmt.Errorf("release hold: %w", err) // NOT_FOUND: expired and swept, or confirmed: nothing to give back
	}
	t.cart.HoldID = ""
	return nil
}

// --- parameters ---

// paramString returns a string parameter ("" when absent or of another type).
func paramString(v any) string {
	s, _ := v.(string)
	return s
}

// paramInt returns a positive whole-number parameter (@sys.number-integer arrives as a JSON number, sometimes
// as a string).
func paramInt(v any) (int, bool) {
	switch n := v.(type) {
	case float64:
		if n >= 1 && n <= 1e6 && n == float64(int(n)) {
			return int(n), true
		}
	case string:
		if i, err := strconv.Atoi(strings.TrimSpace(n)); err == nil && i >= 1 && i <= 1e6 {
			return i, true
		}
	case int:
		if n >= 1 && n <= 1e6 {
			return n, true
		}
	}
	return 0, false
}

// personName returns the name of a @sys.person value: {"name": "Jane Doe"} in Dialogflow v2, or a plain string.
func personName(v any) string {
	switch p := v.(type) {
	case string:
		return strings.TrimSpace(p)
	case map[string]any:
		s, _ := p["name"].(string)
		return strings.TrimSpace(s)
	}
	return ""
}
