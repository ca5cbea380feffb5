package intents

import (
	"errors"

	"github.com/reservations/reservations/booking"
)

// The conversation's one table from core failures to words. A booking-core call that fails with a
// *booking.Error the table names is a business failure: the user hears its sentence, and the room that made the
// call goes on from there (offers other times, asks again, asks whether there is anything else). Every other
// failure (a store that cannot be reached, a deadline, CodeIdempotencyConflict, CodeIllegalTransition, a code
// the call does not explain) is answered with msgUnavailable, the apology that closes the conversation; the core
// itself resolves a replayed idempotency key (*booking.ReplayError), so a replay never reaches the conversation.

// call names the booking-core call a failure came from: one code means different things after different calls
// (NOT_FOUND after a confirmation is a hold that is gone, after a cancellation a reservation that is not there).
type call int

// The calls whose failures the conversation explains.
const (
	callHold    call = iota + 1 // PlaceHold: the requested start cannot be held
	callConfirm                 // ConfirmHold: the hold cannot become a booking
	callCancel                  // Cancel: the reservation cannot be cancelled
)

// reason is the Field of a booking.Error: why a start is refused (CodeSlotUnavailable) or which argument the
// core refused (CodeInvalidArgument).
type reason string

// Reasons the conversation explains; see booking.Core.Check.
const (
	reasonAny       reason = ""           // in a failure row: whatever the reason
	reasonPartySize reason = "party_size" // the party size is outside the service's bounds
	reasonClosed    reason = "closed"     // outside opening hours, a closed day, off the start-time grid
	reasonTooSoon   reason = "too_soon"   // before the minimum lead time
	reasonTooFar    reason = "too_far"    // beyond the maximum lead time
)

// failureRow is one row of failureTable.
type failureRow struct {
	call   call
	code   booking.Code
	reason reason
	words  msgID
}

// failureTable maps core failures to what the conversation says, by call; the first matching row wins. It is a
// constant table, never modified.
var failureTable = [...]failureRow{
	// PlaceHold. Too soon, closed hours and full are followed by the nearest free times; a closed day (no
	// hours at all) says msgClosedDay instead of msgClosedHours; any other reason is said as full.
	{callHold, booking.CodeInvalidArgument, reasonPartySize, msgPartyBounds},
	{callHold, booking.CodeSlotUnavailable, reasonTooFar, msgTooFar},
	{callHold, booking.CodeSlotUnavailable, reasonTooSoon, msgTooSoon},
	{callHold, booking.CodeSlotUnavailable, reasonClosed, msgClosedHours},
	{callHold, booking.CodeSlotUnavailable, reasonAny, msgFull},
	{callHold, booking.CodeSlotAlreadyBookedByUser, reasonAny, msgAlreadyBooked},

	// ConfirmHold. A hold expired and taken, or gone, is followed by the nearest free times. A name or phone
	// number the core refuses (too long), on text channels, is asked again; an accepted Assistant order
	// carries neither, so there it is the apology.
	{callConfirm, booking.CodeHoldExpired, reasonAny, msgHoldLost},
	{callConfirm, booking.CodeSlotUnavailable, reasonAny, msgHoldLost},
	{callConfirm, booking.CodeNotFound, reasonAny, msgHoldLost},
	{callConfirm, booking.CodeSlotAlreadyBookedByUser, reasonAny, msgAlreadyBooked},
	{callConfirm, booking.CodeInvalidArgument, reasonAny, msgAskName},

	// Cancel. NOT_FOUND is also another guest's reservation.
	{callCancel, booking.CodeOutsideCancellationWindow, reasonAny, msgCancelWindow},
	{callCancel, booking.CodeBookingAlreadyCancelled, reasonAny, msgCancelAlready},
	{callCancel, booking.CodeBookingNotCancellable, reasonAny, msgCancelNotAllowed},
	{callCancel, booking.CodeNotFound, reasonAny, msgCancelNone},
	{callCancel, booking.CodeVersionMismatch, reasonAny, msgCancelChanged},
}

// failureWords returns what the conversation says about err, the failure of call, and whether it is a business
// failure the table explains; otherwise msgUnavailable and false.
func failureWords(c call, err error) (msgID, bool) {
	var be *booking.Error
	if !errors.As(err, &be) {
		return msgUnavailable, false
	}
	for _, r := range failureTable {
		if r.call == c && r.code == be.Code && (r.reason == reasonAny || r.reason == reason(be.Field)) {
			return r.words, true
		}
	}
	return msgUnavailable, false
}
