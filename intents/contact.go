package intents

import (
	"github.com/reservations/reservations/booking"
)

// Contact and confirmation, where there is no Assistant transaction (the console, other channels, speakers): the
// hold is placed as on the Assistant, then a name and a phone number are asked, the summary is read back and a yes
// books. Its transitions:
//
//	from             turn                             to
//	after the hold   name or phone missing            contact, the missing one asked
//	after the hold   both known                       confirm, the summary read back
//	contact          reservation.contact              contact or confirm, as above
//	confirm          yes                              booked, closed
//	confirm          yes, contact refused by the core contact, the name asked again
//	confirm          yes, hold lost or already booked choose_slot (free times) or anything_else: see failureTable
//	confirm          no                               anything_else (hold released)

// contact collects the name and phone number where there is no Assistant transaction.
func (f *flow) contact(t *turn) {
	if name := personName(t.params[paramName]); name != "" {
		t.cart.Name = name
	}
	if phone := paramString(t.params[paramPhone]); phone != "" {
		t.cart.Phone = phone
	}
	switch t.cart.Stage {
	case stageContact, stageConfirm:
		f.askContact(t)
	case stageIdle, stageBooked, stageRequirements, stageOfferBook, stageAnythingElse:
		f.start(t)
	default:
		f.advance(t)
	}
}

// askContact asks for the missing contact detail, or reads the summary back.
func (f *flow) askContact(t *turn) {
	switch {
	case t.cart.Name == "":
		t.cart.Stage = stageContact
		t.say(msgAskName, nil)
		t.reprompt(msgAskName, nil)
	case t.cart.Phone == "":
		t.cart.Stage = stageContact
		t.say(msgAskPhone, f.args(t))
		t.reprompt(msgAskPhone, f.args(t))
	default:
		t.cart.Stage = stageConfirm
		start, _ := t.cart.start(f.merchant)
		args := f.args(t)
		args["what"] = f.what(t, t.cart.ServiceID, t.cart.PartySize)
		args["when"] = t.msg.When(start)
		args["name"] = t.cart.Name
		args["phone"] = t.cart.Phone
		t.say(msgSummary, args)
		t.reprompt(msgSummaryReprompt, nil)
		t.chips(msgChipYes, msgChipNo)
	}
}

// notBooked releases the hold of a reservation the user declined, says so and asks whether there is anything
// else.
func (f *flow) notBooked(t *turn) {
	if err := f.release(t); err != nil {
		f.unavailable(t, err)
		return
	}
	t.say(msgNotBooked, nil)
	t.cart.Stage = stageAnythingElse
	f.menuChips(t, msgChipList, msgChipNoThanks)
}

// book confirms the hold with the collected contact details (no Assistant transaction).
func (f *flow) book(t *turn) {
	if t.cart.HoldID == "" {
		t.cart.Stage = stageAssembling
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
		if words, _ := failureWords(callConfirm, err); words == msgAskName {
			// A name or phone number the core refuses (too long): ask again.
			t.cart.Name, t.cart.Phone = "", ""
			f.askContact(t)
			return
		}
		f.confirmFailed(t, err, false) // no Assistant order here
		return
	}
	f.booked(t, b, msgBookedConfirmed, msgBookedPending)
}

// summaryAnswer takes the answer to the summary read back ("Shall I book it?").
func (f *flow) summaryAnswer(t *turn, a answer) {
	switch a {
	case answerYes:
		f.book(t)
	case answerNo:
		f.notBooked(t)
	default:
		f.askYesNo(t)
	}
}
