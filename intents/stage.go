package intents

// The conversation is a set of rooms, one file each; the stage kept in the cart says which room's question is
// pending, so which room takes the user's next words:
//
//	room                        file         stages
//	the menu                    flow.go      idle, booked, anything_else
//	the booking cart            cart.go      requirements, assembling
//	proposal and decision       proposal.go  choose_slot, proposed, change
//	contact and confirmation    contact.go   contact, confirm
//	list and cancel             manage.go    offer_book, cancel_choose, cancel_confirm
//
// Each room's file opens with the table of its stage transitions. The intents route a turn to a room by stage:
// fallback (words not understood: ask the pending question again) and confirm (a yes or a no) in flow.go,
// details in cart.go, selectSlot in proposal.go, contact in contact.go. failures.go says the core's
// failures in words, for every room.

// stage is where the conversation is in a reservation flow; it says what the user's next words answer.
type stage string

// Stages of the conversation.
const (
	stageIdle          stage = ""               // nothing in progress
	stageRequirements  stage = "requirements"   // the transaction requirements check was asked
	stageAssembling    stage = "assembling"     // collecting party size, day and time
	stageChooseSlot    stage = "choose_slot"    // nearest free times were offered
	stageProposed      stage = "proposed"       // a hold is placed and the order proposed (TRANSACTION_DECISION)
	stageChange        stage = "change"         // the user asked to change the proposed cart
	stageContact       stage = "contact"        // no transaction surface: collecting name and phone
	stageConfirm       stage = "confirm"        // no transaction surface: summary read back, waiting for yes/no
	stageBooked        stage = "booked"         // the reservation is made
	stageCancelChoose  stage = "cancel_choose"  // several reservations: which one to cancel?
	stageCancelConfirm stage = "cancel_confirm" // waiting for yes/no to cancel cart.BookingID
	stageOfferBook     stage = "offer_book"     // the user, who has no reservations, was asked whether to book
	stageAnythingElse  stage = "anything_else"  // a request is done and the user was asked "anything else?"
)
