package actionscenter

import (
	"net/http"
	"strings"

	"github.com/reservations/reservations/booking"
)

// outcome is how a core failure is answered: a business failure (HTTP 200 with a booking_failure naming
// Cause) on CreateBooking and UpdateBooking, otherwise the HTTP error Status (400 when zero) with the google.rpc
// reason of the status (httperr.Reason) and Message (the failure's text when empty).
type outcome struct {
	Cause   FailureCause
	Status  int
	Message string
}

// failures is the one table from core failures to the Actions Center wire. Handlers refine it where the
// context decides (see [refinement]): NOT_FOUND of the booking an RPC names is 404 ([bookingLookup]), of the
// merchant or service 400, of the lease LEASE_EXPIRED; ILLEGAL_TRANSITION depends on the booking's status
// ([illegalTransitionCause]). A code missing here is answered 503, as an infrastructure error.
var failures = map[booking.Code]outcome{
	booking.CodeSlotUnavailable:           {Cause: CauseSlotUnavailable},
	booking.CodeSlotAlreadyBookedByUser:   {Cause: CauseSlotAlreadyBookedByUser},
	booking.CodeHoldExpired:               {Cause: CauseLeaseExpired},
	booking.CodeOutsideCancellationWindow: {Cause: CauseOutsideCancellationWindow},
	booking.CodeBookingAlreadyCancelled:   {Cause: CauseBookingAlreadyCancelled},
	booking.CodeBookingNotCancellable:     {Cause: CauseBookingNotCancellable},
	booking.CodeIllegalTransition:         {Cause: CauseBookingNotCancellable},
	booking.CodeVersionMismatch:           {Status: http.StatusConflict},
	booking.CodeIdempotencyConflict:       {Status: http.StatusConflict},
	booking.CodeInvalidArgument:           {Status: http.StatusBadRequest},
	booking.CodeNotFound:                  {Status: http.StatusBadRequest},
}

// refinement overrides the outcome of [failures] for one failure, when it returns true.
type refinement func(be *booking.Error) (outcome, bool)

// bookingLookup answers a lookup of the booking an RPC names: 404 when it does not exist.
func bookingLookup(be *booking.Error) (outcome, bool) {
	if be.Code == booking.CodeNotFound {
		return outcome{Status: http.StatusNotFound, Message: "booking id not found"}, true
	}
	return outcome{}, false
}

// bookingStatuses maps the core's status to the Actions Center's. FULFILLED (the reservation took place) has no
// Actions Center value and stays CONFIRMED; a change waiting for the merchant reads as pending confirmation.
var bookingStatuses = map[booking.Status]BookingStatus{
	booking.StatusPending:         BookingStatusPending,
	booking.StatusConfirmed:       BookingStatusConfirmed,
	booking.StatusChangeRequested: BookingStatusPending,
	booking.StatusCancelled:       BookingStatusCanceled,
	booking.StatusFulfilled:       BookingStatusConfirmed,
	booking.StatusNoShow:          BookingStatusNoShow,
	booking.StatusRejected:        BookingStatusDeclined,
}

// statusOf returns the Actions Center status of a core status.
func statusOf(s booking.Status) BookingStatus {
	if v, ok := bookingStatuses[s]; ok {
		return v
	}
	return BookingStatusUnspecified
}

// illegalTransitionCause names the failure of a change to a booking that is over: a cancelled booking answers
// BOOKING_ALREADY_CANCELLED, any other ended booking (fulfilled, no-show, declined) BOOKING_NOT_CANCELLABLE.
func illegalTransitionCause(current booking.Status) FailureCause {
	if current == booking.StatusCancelled {
		return CauseBookingAlreadyCancelled
	}
	return CauseBookingNotCancellable
}

// customerOf turns the Actions Center's user into the core's customer: the given and family names are kept
// as sent (trimmed), and Name joins them for the staff page and the conversation.
func customerOf(u *UserInformation) booking.Customer {
	if u == nil {
		return booking.Customer{}
	}
	given, family := strings.TrimSpace(u.GivenName), strings.TrimSpace(u.FamilyName)
	return booking.Customer{
		UserID:     u.UserID,
		Name:       strings.TrimSpace(given + " " + family),
		GivenName:  given,
		FamilyName: family,
		Email:      strings.TrimSpace(u.Email),
		Phone:      strings.TrimSpace(u.Telephone),
	}
}

// userOf turns a stored customer back into the Actions Center's user: the given and family names as the
// Actions Center sent them; for a booking of another channel, which keeps one name, it is split at the last
// space (given names may have several words; a family name of several words comes back split).
func userOf(c booking.Customer) *UserInformation {
	u := &UserInformation{UserID: c.UserID, Email: c.Email, Telephone: c.Phone}
	if c.GivenName != "" || c.FamilyName != "" {
		u.GivenName, u.FamilyName = c.GivenName, c.FamilyName
		return u
	}
	name := strings.TrimSpace(c.Name)
	if i := strings.LastIndexByte(name, ' '); i > 0 {
		u.GivenName, u.FamilyName = strings.TrimSpace(name[:i]), name[i+1:]
	} else {
		u.GivenName = name
	}
	return u
}

// ConfirmationModeOf is how the merchant's slots are offered: CONFIRMATION_MODE_ASYNCHRONOUS when staff confirm
// each booking by hand (Policy.ManualConfirm: CreateBooking answers PENDING_MERCHANT_CONFIRMATION and the staff's
// decision is notified later), else CONFIRMATION_MODE_SYNCHRONOUS. Lookups, booking answers and the
// availability feed all say the same.
func ConfirmationModeOf(m *booking.Merchant) ConfirmationMode {
	if m != nil && m.Policy.ManualConfirm {
		return ConfirmationAsync
	}
	return ConfirmationSync
}

// asyncBooking reports whether b is an asynchronous booking, which the Actions Center does not let users modify
// (Google's asynchronous booking add-on): its merchant confirms by hand, or it still waits for the merchant.
func asyncBooking(m *booking.Merchant, b booking.Booking) bool {
	return ConfirmationModeOf(m) == ConfirmationAsync || b.Status == booking.StatusPending || b.Status == booking.StatusChangeRequested
}

// wireBooking renders a core booking for the Actions Center, with the slot's confirmation mode and
// availability_tag. user, when not nil, is echoed instead of the stored customer (CreateBooking answers with
// the user exactly as Google sent it).
func wireBooking(b booking.Booking, user *UserInformation, mode ConfirmationMode) *Booking {
	if user == nil {
		user = userOf(b.Customer)
	}
	return &Booking{
		BookingID: b.ID,
		Slot: &Slot{
			MerchantID:       b.MerchantID,
			ServiceID:        b.ServiceID,
			StartSec:         Int64(b.Start.Unix()),
			DurationSec:      Int64(b.End.Sub(b.Start).Seconds()),
			AvailabilityTag:  b.AvailabilityTag,
			Resources:        &ResourceIDs{PartySize: Int32(b.PartySize)},
			ConfirmationMode: mode,
		},
		UserInformation:    user,
		Status:             statusOf(b.Status),
		PaymentInformation: &PaymentInformation{PrepaymentStatus: PrepaymentNotProvided},
	}
}
