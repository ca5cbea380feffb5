package intents

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/orders/orderv3"
)

// The menu: what every room shares (the turn, its reply, the words of the merchant and the booking), the welcome,
// the fallback and the routing of a yes or a no by stage. Its transitions:
//
//	from             turn                             to
//	any              welcome                          idle (a hold in progress released)
//	anything_else    no                               idle, closed ("goodbye")
//	anything_else    yes                              idle ("what would you like?")
//	any              words not understood             the pending question asked again (its reprompt)

// Option keys of the lists the conversation shows; the OPTION argument brings one back.
const (
	slotKeyPrefix    = "slot:"
	bookingKeyPrefix = "booking:"
)

// turn is one webhook call as the conversation sees it: what the user said or chose, and the answer being built.
// The adapter in handlers.go fills it from a *fulfillment.Conv and writes the reply back.
type turn struct {
	ctx context.Context
	msg messages

	// Inputs.
	params      map[string]any
	query       string
	convID      string
	turnID      string // repeated by a re-sent webhook call
	raw         bool   // the words arrived without Dialogflow (Actions SDK actions.intent.TEXT): see understand
	transacting bool   // the surface can run Assistant transactions
	screen      bool
	sandbox     bool               // the conversation's isInSandbox: its orders are sandbox orders
	reqResult   requirementsResult // TRANSACTION_REQUIREMENTS_CHECK_RESULT resultType
	decision    decision           // TRANSACTION_DECISION_VALUE transactionDecision
	accepted    *orderv3.Order     // the order of an ORDER_ACCEPTED decision
	option      string             // the OPTION key
	userID      func() (string, error)

	// State and answer.
	cart  cart
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

func (t *turn) say(id msgID, args msgArgs) {
	t.reply.speech = append(t.reply.speech, t.msg.Say(id, args))
}

func (t *turn) reprompt(id msgID, args msgArgs) {
	t.reply.reprompts = append(t.reply.reprompts, t.msg.Say(id, args))
}

func (t *turn) chips(ids ...msgID) {
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
func (f *flow) service(c cart) *booking.Service {
	if sv, ok := f.merchant.Service(c.ServiceID); ok {
		return sv
	}
	return f.merchant.Default()
}

// args returns the placeholders any message may use: the merchant, its phone number, and how booking with it
// is said ("book a table", "book an appointment").
func (f *flow) args(t *turn) msgArgs {
	book := msgBookOther
	if f.merchant.Default().Type == booking.TypeRestaurant {
		book = msgBookTable
	}
	return msgArgs{"merchant": f.merchant.Name, "phone": f.merchant.Phone, "book": t.msg.Say(book, nil)}
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
		return t.msg.Say(msgWhatTable, msgArgs{"party": n})
	case sv.MaxParty <= 1:
		return t.msg.Say(msgWhatService, msgArgs{"service": strings.ToLower(sv.Name)})
	}
	return t.msg.Say(msgWhatServiceParty, msgArgs{"service": strings.ToLower(sv.Name), "party": n})
}

// menu says the words and offers the three things the conversation can do.
func (f *flow) menu(t *turn, words msgID) {
	t.say(words, f.args(t))
	f.menuChips(t, msgChipList, msgChipCancel)
}

// menuChips offers booking (worded for the merchant) and the other chips.
func (f *flow) menuChips(t *turn, others ...msgID) {
	book := msgChipBookOther
	if f.merchant.Default().Type == booking.TypeRestaurant {
		book = msgChipBook
	}
	t.chips(append([]msgID{book}, others...)...)
}

// unavailable answers a failure of the store or another infrastructure error: an apology, and the end of the
// conversation (the user retries later).
func (f *flow) unavailable(t *turn, err error) {
	t.failed = err
	t.reply = reply{close: true}
	t.say(msgUnavailable, nil)
}

// key derives an idempotency key from the conversation and the parts that identify one operation in it.
func key(kind string, parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return kind + ":" + hex.EncodeToString(h[:16])
}

// welcome greets and offers what the conversation can do; a reservation left half-way is given up.
func (f *flow) welcome(t *turn) {
	if t.cart.HoldID != "" {
		// A reservation left half-way: give its table back now rather than when the hold expires.
		if err := f.release(t); err != nil {
			f.log.LogAttrs(t.ctx, slog.LevelWarn, "releasing an abandoned hold failed; it expires by itself",
				slog.String("error", err.Error()))
		}
	}
	t.cart = cart{Checked: t.cart.Checked, CanTransact: t.cart.CanTransact, Attempt: t.cart.Attempt, Ref: t.cart.Ref}
	t.say(msgWelcome, f.args(t))
	t.reprompt(msgWelcomeReprompt, f.args(t))
	f.menuChips(t, msgChipList, msgChipCancel)
}

// fallback answers words no intent matched: raw words are read first (text.go); otherwise the question the
// stage says is pending is asked again, or the menu offered.
func (f *flow) fallback(t *turn) {
	if t.raw {
		if step := f.understand(t); step != nil {
			step(t)
			return
		}
	}
	switch t.cart.Stage {
	case stageConfirm, stageCancelConfirm:
		if t.msg.YesNo(t.query) != answerUnknown {
			f.confirm(t)
			return
		}
		f.askYesNo(t)
	case stageChange:
		if f.changeChoice(t) {
			return
		}
		t.say(msgFallbackInFlow, nil)
		t.say(msgChangeReprompt, nil)
		f.changeChips(t)
	case stageAssembling:
		f.advance(t)
		f.rephrase(t)
	case stageChooseSlot:
		f.reoffer(t)
		f.rephrase(t)
	case stageContact:
		f.askContact(t)
		f.rephrase(t)
	case stageCancelChoose:
		f.cancel(t)
		f.rephrase(t)
	case stageAnythingElse, stageOfferBook:
		if t.msg.YesNo(t.query) != answerUnknown { // "no, thanks" to "anything else?", "yes" to "would you like to book?"
			f.confirm(t)
			return
		}
		f.menu(t, msgFallback)
	default:
		f.menu(t, msgFallback)
	}
}

// rephrase turns the question a step just asked into its reprompt after "Sorry, I didn't get that.": the
// user did not understand or was not understood, so the second wording explains more.
func (f *flow) rephrase(t *turn) {
	r := &t.reply
	if r.proposal != nil || r.receipt != nil || r.close {
		return
	}
	sorry := t.msg.Say(msgFallbackInFlow, nil)
	if len(r.reprompts) > 0 {
		r.speech = append([]string{sorry}, r.reprompts...)
		return
	}
	r.speech = append([]string{sorry}, r.speech...)
}

// booked records the booking in the cart and says so; the conversation ends.
func (f *flow) booked(t *turn, b booking.Booking, confirmed, pending msgID) {
	t.cart.HoldID = ""
	t.cart.Slots = nil
	t.cart.BookingID = b.ID
	t.cart.Stage = stageBooked
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

// confirm takes a yes or a no. The stage says which question it answers, and so which room goes on.
func (f *flow) confirm(t *turn) {
	a := t.msg.YesNo(t.query)
	switch t.cart.Stage {
	case stageConfirm:
		f.summaryAnswer(t, a) // contact.go
	case stageCancelConfirm:
		f.cancelAnswer(t, a) // manage.go
	case stageOfferBook:
		f.offerBookAnswer(t, a) // manage.go
	case stageChange:
		f.changeAnswer(t, a) // proposal.go
	case stageAnythingElse:
		f.anythingElseAnswer(t, a)
	case stageAssembling, stageChooseSlot, stageContact:
		f.fallback(t) // a yes or no is no answer to the question pending: ask it again
	default:
		f.menu(t, msgNothingToConfirm)
	}
}

// anythingElseAnswer takes the answer to "Is there anything else I can do for you?".
func (f *flow) anythingElseAnswer(t *turn, a answer) {
	switch a {
	case answerNo:
		f.goodbye(t)
	case answerYes:
		t.cart.Stage = stageIdle
		f.menu(t, msgHowCanIHelp)
	default:
		f.fallback(t)
	}
}

// askYesNo asks again for the yes or no a question is waiting for.
func (f *flow) askYesNo(t *turn) {
	t.say(msgYesOrNo, nil)
	t.chips(msgChipYes, msgChipNo)
}

// anythingElse asks whether there is anything else; the user's yes or no answers it.
func (f *flow) anythingElse(t *turn) {
	t.say(msgAnythingElse, nil)
	t.cart.Stage = stageAnythingElse
}

// goodbye ends the conversation at the user's "no, thanks".
func (f *flow) goodbye(t *turn) {
	if err := f.release(t); err != nil {
		f.log.LogAttrs(t.ctx, slog.LevelWarn, "releasing a hold at goodbye failed; it expires by itself",
			slog.String("error", err.Error()))
	}
	t.cart.Stage = stageIdle
	t.say(msgGoodbye, f.args(t))
	t.reply.close = true
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
