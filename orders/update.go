package orders

import (
	"errors"
	"fmt"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/orders/orderv3"
)

// Update mask paths (the camelCase field paths of an Orders API updateMask).
const (
	maskLastUpdateTime  = "lastUpdateTime"
	maskStatus          = "contents.lineItems.reservation.status"
	maskLabel           = "contents.lineItems.reservation.userVisibleStatusLabel"
	maskReservationTime = "contents.lineItems.reservation.reservationTime"
	maskPartySize       = "contents.lineItems.reservation.partySize"
)

// RescheduleMask is the updateMask of an update that moves a reservation or changes its party size: the status
// paths of [ReservationStatusMask] plus the reservation's time and party size.
const RescheduleMask = maskLastUpdateTime + "," + maskStatus + "," + maskLabel + "," + maskReservationTime + "," +
	maskPartySize

// PatchRequest is the body of PATCH {base}/v3/orders/{merchantOrderId}.
type PatchRequest struct {
	Header      PatchHeader         `json:"header"`
	OrderUpdate orderv3.OrderUpdate `json:"orderUpdate"`
}

// PatchHeader says whether the order is a sandbox order; it must match how the order was made.
type PatchHeader struct {
	IsInSandbox bool `json:"isInSandbox"`
}

// NewPatch builds the Orders API update for one outbox entry of a booking made in merchant m for service s.
//
// The order is partial, as the update mask allows: merchantOrderId (the booking id), lastUpdateTime (given:
// see the worker for how it is kept increasing), and the one line item, matched by its id, with the
// reservation's status and user-visible label (NO_SHOW is CANCELLED labelled "No-show"); a RESCHEDULE or
// PARTY_SIZE change also carries reservationTime and partySize and names them in the mask. A change to
// CANCELLED, FULFILLED or REJECTED (as Google sees the status) carries a user notification (title ≤ 30, text ≤
// 100 characters). The reason is the entry's, or a short default.
//
// sandbox is the service's default for header.isInSandbox: a booking that recorded its conversation's flag
// ([booking.Booking.InSandbox]) says that instead (see [SandboxOf]).
func NewPatch(m *booking.Merchant, s *booking.Service, e booking.OutboxEntry, lastUpdate time.Time, sandbox bool) (*PatchRequest, error) {
	if m == nil {
		return nil, errors.New("order update: no merchant")
	}
	full := FromBooking(m, s, e.Booking)
	if full.Contents == nil || len(full.Contents.LineItems) != 1 || full.Contents.LineItems[0].Reservation == nil {
		return nil, errors.New("order update: the booking's order has no reservation line item")
	}
	li := full.Contents.LineItems[0]
	res := li.Reservation
	part := &orderv3.Reservation{Status: res.Status, UserVisibleStatusLabel: res.UserVisibleStatusLabel}
	mask := orderv3.ReservationStatusMask
	if e.Kind == booking.ChangeReschedule || e.Kind == booking.ChangePartySize {
		part.ReservationTime = res.ReservationTime
		part.PartySize = res.PartySize
		mask = RescheduleMask
	}
	u := orderv3.OrderUpdate{
		Order: &orderv3.Order{
			MerchantOrderID: full.MerchantOrderID,
			LastUpdateTime:  orderv3.TimestampOf(lastUpdate.UTC()),
			Contents:        &orderv3.Contents{LineItems: []orderv3.LineItem{{ID: li.ID, Reservation: part}}},
		},
		UpdateMask:       mask,
		Reason:           reasonFor(e, part.UserVisibleStatusLabel),
		UserNotification: notificationFor(m, e.Booking, part.Status),
	}
	if err := u.ValidatePatch(); err != nil {
		return nil, fmt.Errorf("order update for %s: %w", e.BookingID, err)
	}
	return &PatchRequest{Header: PatchHeader{IsInSandbox: SandboxOf(e.Booking, sandbox)}, OrderUpdate: u}, nil
}

// SandboxOf is header.isInSandbox for the updates of b: what its conversation said when the booking recorded it,
// otherwise def (the service's --sandbox setting). Google refuses an update whose flag differs from the order's.
func SandboxOf(b booking.Booking, def bool) bool {
	if b.InSandbox != nil {
		return *b.InSandbox
	}
	return def
}

// reasonFor is the entry's reason, or a default naming the change.
func reasonFor(e booking.OutboxEntry, label string) string {
	if e.Reason != "" {
		return clip(e.Reason, 200)
	}
	switch e.Kind {
	case booking.ChangeReschedule:
		return english.Rescheduled
	case booking.ChangePartySize:
		return english.PartySizeChanged
	default:
		return label
	}
}

// notificationFor is the push notification for a change to a status Google notifies about, or nil.
func notificationFor(m *booking.Merchant, b booking.Booking, status orderv3.ReservationStatus) *orderv3.UserNotification {
	w := &english
	name := orDefault(m.Name, w.ThePlace)
	when := b.Start.In(merchantZone(m)).Format(w.When)
	note := func(title, text string) *orderv3.UserNotification {
		return &orderv3.UserNotification{Title: clip(title, orderv3.MaxNotificationTitle),
			Text: fit(text, name, when, orderv3.MaxNotificationText)}
	}
	switch {
	case b.Status == booking.StatusNoShow:
		return note(w.NoShowTitle, w.NoShowText)
	case status == orderv3.ReservationCancelled:
		return note(w.CancelledTitle, w.CancelledText)
	case status == orderv3.ReservationFulfilled:
		return note(w.FulfilledTitle, w.FulfilledText)
	case status == orderv3.ReservationRejected:
		return note(w.DeclinedTitle, w.DeclinedText)
	}
	return nil
}
