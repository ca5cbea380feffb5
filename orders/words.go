package orders

import (
	"strings"
	"unicode/utf8"

	"github.com/reservations/reservations/booking"
)

// Words are every text of an order a user sees: the reservation's status labels, the line item's default name
// and description, the follow-up actions' titles, the reasons of updates and the push notifications. Templates
// name their values in braces: {merchant}, {service}, {when}. This file holds the only copy (English); a second
// language is a second Words value, chosen where the order is built (the merchant's language or the user's:
// the inventory records neither yet).
type Words struct {
	// Status labels (userVisibleStatusLabel, ≤ 50 characters) by booking status; Pending is also the label of
	// a status Google does not know.
	Confirmed, Cancelled, Fulfilled, Declined, ChangeRequested, NoShow, Pending string
	// Reservation names the line item of a service without a name; ServiceAt describes it when the service has
	// no description ("{service} at {merchant}").
	Reservation, ServiceAt string
	// Follow-up action titles; Us stands for a merchant without a name ("Call us").
	ViewDetails, Call, Email, Us string
	// Reasons of updates that are not a status change.
	Rescheduled, PartySizeChanged string
	// When is the Go layout of the reservation time in notifications; ThePlace stands for a merchant without a
	// name.
	When, ThePlace string
	// Push notifications (title ≤ 30, text ≤ 100 characters) by what happened.
	NoShowTitle, NoShowText       string
	CancelledTitle, CancelledText string
	FulfilledTitle, FulfilledText string
	DeclinedTitle, DeclinedText   string
}

// english are the order's words in English.
var english = Words{
	Confirmed:        "Reservation confirmed",
	Cancelled:        "Reservation cancelled",
	Fulfilled:        "Reservation fulfilled",
	Declined:         "Reservation declined",
	ChangeRequested:  "Change requested",
	NoShow:           "No-show",
	Pending:          "Reservation pending",
	Reservation:      "Reservation",
	ServiceAt:        "{service} at {merchant}",
	ViewDetails:      "View details",
	Call:             "Call {merchant}",
	Email:            "Email {merchant}",
	Us:               "us",
	Rescheduled:      "Reservation rescheduled",
	PartySizeChanged: "Party size changed",
	When:             "Mon, Jan 2 at 3:04 PM",
	ThePlace:         "the restaurant",
	NoShowTitle:      "Marked as a no-show",
	NoShowText:       "Your reservation at {merchant} on {when} was marked as a no-show.",
	CancelledTitle:   "Reservation cancelled",
	CancelledText:    "Your reservation at {merchant} on {when} was cancelled.",
	FulfilledTitle:   "Thanks for visiting",
	FulfilledText:    "We hope you enjoyed your visit to {merchant}.",
	DeclinedTitle:    "Reservation declined",
	DeclinedText:     "{merchant} could not accept your reservation on {when}.",
}

// label returns the status label of a booking status.
func (w *Words) label(s booking.Status) string {
	switch s {
	case booking.StatusConfirmed:
		return w.Confirmed
	case booking.StatusCancelled:
		return w.Cancelled
	case booking.StatusFulfilled:
		return w.Fulfilled
	case booking.StatusRejected:
		return w.Declined
	case booking.StatusChangeRequested:
		return w.ChangeRequested
	case booking.StatusNoShow:
		return w.NoShow
	default:
		return w.Pending
	}
}

// fill replaces the template's {merchant}, {service} and {when}.
func fill(template, merchant, service, when string) string {
	return strings.NewReplacer("{merchant}", merchant, "{service}", service, "{when}", when).Replace(template)
}

// fit fills template, shortening the merchant's name so that the text stays within limit characters.
func fit(template, merchant, when string, limit int) string {
	text := fill(template, merchant, "", when)
	over := utf8.RuneCountInString(text) - limit
	if over <= 0 || !strings.Contains(template, "{merchant}") {
		return text
	}
	keep := max(utf8.RuneCountInString(merchant)-over, 2)
	return fill(template, clip(merchant, keep), "", when)
}
