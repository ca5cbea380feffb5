package intents

import (
	"time"

	"github.com/reservations/reservations/booking"
)

// Stage is where the conversation is in a reservation flow; it says what the user's next words answer.
type Stage string

// Stages of the conversation.
const (
	StageIdle          Stage = ""               // nothing in progress
	StageRequirements  Stage = "requirements"   // the transaction requirements check was asked
	StageAssembling    Stage = "assembling"     // collecting party size, day and time
	StageChooseSlot    Stage = "choose_slot"    // nearest free times were offered
	StageProposed      Stage = "proposed"       // a hold is placed and the order proposed (TRANSACTION_DECISION)
	StageChange        Stage = "change"         // the user asked to change the proposed cart
	StageContact       Stage = "contact"        // no transaction surface: collecting name and phone
	StageConfirm       Stage = "confirm"        // no transaction surface: summary read back, waiting for yes/no
	StageBooked        Stage = "booked"         // the reservation is made
	StageCancelChoose  Stage = "cancel_choose"  // several reservations: which one to cancel?
	StageCancelConfirm Stage = "cancel_confirm" // waiting for yes/no to cancel Cart.BookingID
	StageOfferBook     Stage = "offer_book"     // the user, who has no reservations, was asked whether to book
	StageAnythingElse  Stage = "anything_else"  // a request is done and the user was asked "anything else?"
)

// Cart is the reservation being assembled, kept in the conversation data between turns (key "cart").
// It holds only what the next turns need; the booking core keeps everything else.
type Cart struct {
	MerchantID string `json:"merchant,omitempty"`
	ServiceID  string `json:"service,omitempty"`
	PartySize  int    `json:"party,omitempty"`
	Date       string `json:"date,omitempty"` // merchant-local, YYYY-MM-DD
	Time       string `json:"time,omitempty"` // merchant-local, HH:MM
	HoldID     string `json:"hold,omitempty"`
	Stage      Stage  `json:"stage,omitempty"`
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

// missing returns the first detail the cart still lacks ("party", "date", "time") or "".
func (c Cart) missing() string {
	switch {
	case c.PartySize == 0:
		return "party"
	case c.Date == "":
		return "date"
	case c.Time == "":
		return "time"
	}
	return ""
}

// start returns the requested start in the merchant's zone.
func (c Cart) start(m *booking.Merchant) (time.Time, bool) {
	return combine(c.Date, c.Time, merchantLoc(m))
}

// setStart sets the date and time from an instant, in the merchant's zone.
func (c *Cart) setStart(t time.Time, m *booking.Merchant) {
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
