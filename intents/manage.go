package intents

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/reservations/reservations/booking"
)

// List and cancel: the user's upcoming reservations read out, and one of them cancelled after a yes. Its
// transitions:
//
//	from             turn                             to
//	any              reservation.list, none           offer_book (a booking in progress ended first)
//	any              reservation.list, some           anything_else (a booking in progress ended first)
//	offer_book       yes / no                         a fresh cart (cart.go) / idle, closed
//	any              reservation.cancel, none left    idle
//	any              reservation.cancel, one left     cancel_confirm ("Cancel … on …?")
//	any              reservation.cancel, several      cancel_choose (which one: a list or a spoken day)
//	cancel_choose    a pick, a day or a time          as reservation.cancel, among the offered ones
//	cancel_confirm   a day or a time                  as reservation.cancel ("no, the one on Monday")
//	cancel_confirm   yes                              idle, closed; refused (failureTable): anything_else
//	cancel_confirm   no                               anything_else (kept)

// endBooking drops a reservation in progress before another request (a list of the user's reservations):
// its hold is released, and said so, and the cart forgets what it collected, so that a later yes cannot book
// what the user was not asked about again. It reports false when it answered with an apology instead.
func (f *flow) endBooking(t *turn) bool {
	switch t.cart.Stage {
	case stageIdle, stageBooked, stageOfferBook, stageAnythingElse:
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
			t.say(msgHoldDropped, msgArgs{"what": what, "when": when})
		}
	}
	t.cart = cart{Checked: t.cart.Checked, CanTransact: t.cart.CanTransact, Attempt: t.cart.Attempt,
		Ref: t.cart.Ref, Name: t.cart.Name, Phone: t.cart.Phone}
	return true
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
	t.cart.Stage = stageIdle
	if len(bs) == 0 {
		t.say(msgListNone, f.args(t))
		t.cart.Stage = stageOfferBook
		t.chips(msgChipYes, msgChipNoThanks)
		return
	}
	items := make([]string, len(bs))
	for i, b := range bs {
		items[i] = f.describe(t, b)
	}
	if len(bs) == 1 {
		t.say(msgListOne, msgArgs{"items": items[0]})
	} else {
		t.say(msgListMany, msgArgs{"count": strconv.Itoa(len(bs)), "items": t.msg.And(items)})
	}
	f.anythingElse(t)
	f.menuChips(t, msgChipCancel, msgChipNoThanks)
}

// describe says one booking: "a table for 4 at Sample Bistro on Monday, November 23 at 7 PM".
func (f *flow) describe(t *turn, b booking.Booking) string {
	args := msgArgs{"what": f.what(t, b.ServiceID, b.PartySize), "merchant": f.merchant.Name,
		"when": t.msg.When(b.Start.In(merchantLoc(f.merchant)))}
	if m, ok := f.core.Inventory().Merchant(b.MerchantID); ok {
		args["merchant"] = m.Name
		args["when"] = t.msg.When(b.Start.In(merchantLoc(m)))
	}
	if b.Status == booking.StatusPending || b.Status == booking.StatusChangeRequested {
		return t.msg.Say(msgListItemPending, args)
	}
	return t.msg.Say(msgListItem, args)
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
	if d, ok := parseDate(paramString(t.params[paramDate])); ok {
		if kept := slices.DeleteFunc(slices.Clone(bs), func(b booking.Booking) bool {
			return b.Start.In(loc).Format(time.DateOnly) != d
		}); len(kept) > 0 {
			bs = kept
		}
	}
	if c, ok := parseClock(paramString(t.params[paramTime])); ok {
		if kept := slices.DeleteFunc(slices.Clone(bs), func(b booking.Booking) bool {
			local := b.Start.In(loc).Format("15:04")
			return local != c && local != eveningClock(f.merchant, f.merchant.Default(), b.Start.In(loc).Format(time.DateOnly), c)
		}); len(kept) > 0 {
			bs = kept
		}
	}
	switch len(bs) {
	case 0:
		t.cart.Stage = stageIdle
		t.cart.Choices = nil
		t.say(msgCancelNone, nil)
		f.menuChips(t, msgChipList)
	case 1:
		b := bs[0]
		t.cart.Stage = stageCancelConfirm
		t.cart.BookingID = b.ID
		t.cart.Choices = nil
		t.say(msgCancelConfirm, msgArgs{"what": f.what(t, b.ServiceID, b.PartySize), "when": t.msg.When(b.Start.In(loc))})
		t.chips(msgChipYes, msgChipNo)
	default:
		t.cart.Stage = stageCancelChoose
		t.cart.Choices = nil
		items := make([]string, len(bs))
		list := &optionList{title: t.msg.Say(msgListTitle, nil)}
		for i, b := range bs {
			t.cart.Choices = append(t.cart.Choices, b.ID)
			items[i] = t.msg.When(b.Start.In(loc))
			list.items = append(list.items, optionItem{key: bookingKeyPrefix + b.ID, title: items[i],
				description: f.describe(t, b)})
		}
		t.say(msgCancelWhich, msgArgs{"items": t.msg.Or(items)})
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
			Reason:         t.msg.Say(msgCancelReason, nil),
			IdempotencyKey: key("cancel", t.convID, id),
		})
	}
	t.cart.Stage = stageIdle
	t.cart.BookingID = ""
	loc := merchantLoc(f.merchant)
	if err == nil {
		t.say(msgCancelled, msgArgs{"what": f.what(t, b.ServiceID, b.PartySize), "when": t.msg.When(b.Start.In(loc))})
		t.reply.close = true
		return
	}
	words, ok := failureWords(callCancel, err)
	if !ok {
		f.unavailable(t, err)
		return
	}
	args := f.args(t)
	if words == msgCancelWindow {
		args["deadline"] = t.msg.When(b.Start.Add(-f.merchant.Policy.CancelBefore.D()).In(loc))
	}
	t.say(words, args)
	f.anythingElse(t)
	t.chips(msgChipList, msgChipNoThanks)
}

// cancelAnswer takes the answer to "Cancel … on …?".
func (f *flow) cancelAnswer(t *turn, a answer) {
	switch a {
	case answerYes:
		f.doCancel(t)
	case answerNo:
		t.cart.Stage = stageIdle
		t.cart.BookingID = ""
		t.say(msgCancelKept, nil)
		f.anythingElse(t)
		f.menuChips(t, msgChipList, msgChipNoThanks)
	default:
		f.askYesNo(t)
	}
}

// offerBookAnswer takes the answer to "You have no upcoming reservations. Would you like to book a table?".
func (f *flow) offerBookAnswer(t *turn, a answer) {
	switch a {
	case answerYes:
		f.start(t)
	case answerNo:
		f.goodbye(t)
	default:
		f.askYesNo(t)
	}
}
