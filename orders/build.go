package orders

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/orders/orderv3"
)

// StatusOf maps a booking status to the reservation status Google knows and a user-visible label (≤ 50
// characters, from the order's words in words.go). PENDING, CONFIRMED, CANCELLED, FULFILLED, REJECTED and
// CHANGE_REQUESTED map to themselves; NO_SHOW maps to CANCELLED labelled "No-show" (OrderV3 has no no-show
// status); anything else to PENDING.
func StatusOf(s booking.Status) (orderv3.ReservationStatus, string) {
	label := english.label(s)
	switch s {
	case booking.StatusConfirmed:
		return orderv3.ReservationConfirmed, label
	case booking.StatusCancelled, booking.StatusNoShow:
		return orderv3.ReservationCancelled, label
	case booking.StatusFulfilled:
		return orderv3.ReservationFulfilled, label
	case booking.StatusRejected:
		return orderv3.ReservationRejected, label
	case booking.StatusChangeRequested:
		return orderv3.ReservationChangeRequested, label
	default:
		return orderv3.ReservationPending, label
	}
}

// shortIDLen is how many characters of a booking id userVisibleOrderId shows when there is no confirmation code.
const shortIDLen = 8

// FromHold builds the order proposed to the user for a hold (TRANSACTION_DECISION): status PENDING, the hold id
// as merchantOrderId (confirming the hold makes the booking with the same id, so later updates find the order),
// and no confirmation code yet. Nil m or s are treated as empty.
func FromHold(m *booking.Merchant, s *booking.Service, h booking.Hold) orderv3.Order {
	status, label := StatusOf(booking.StatusPending)
	return build(m, s, orderInput{
		id:        h.ID,
		start:     h.Start,
		partySize: h.PartySize,
		status:    status,
		label:     label,
		created:   h.CreatedAt,
		updated:   h.CreatedAt,
	})
}

// FromBooking builds the order for a booking, as the receipt and every Orders API update show it: the booking id
// as merchantOrderId, the confirmation code as userVisibleOrderId and reservation.confirmationCode (the code
// only once the booking was confirmed: it is left out while PENDING or after REJECTED), the status mapped by
// [StatusOf], createTime and lastUpdateTime from the booking, and the customer's name and email as buyerInfo.
// Nil m or s are treated as empty.
func FromBooking(m *booking.Merchant, s *booking.Service, b booking.Booking) orderv3.Order {
	status, label := StatusOf(b.Status)
	in := orderInput{
		id:        b.ID,
		code:      b.ConfirmationCode,
		start:     b.Start,
		partySize: b.PartySize,
		status:    status,
		label:     label,
		created:   b.CreatedAt,
		updated:   b.UpdatedAt,
	}
	if b.Status == booking.StatusPending || b.Status == booking.StatusRejected {
		in.code = ""
	}
	o := build(m, s, in)
	if b.ConfirmationCode != "" {
		o.UserVisibleOrderID = b.ConfirmationCode
	}
	if c := b.Customer; c.Name != "" || c.Email != "" {
		o.BuyerInfo = &orderv3.UserInfo{DisplayName: c.Name, Email: c.Email}
	}
	return o
}

type orderInput struct {
	id, code         string
	start            time.Time
	partySize        int
	status           orderv3.ReservationStatus
	label            string
	created, updated time.Time
}

func build(m *booking.Merchant, s *booking.Service, in orderInput) orderv3.Order {
	if m == nil {
		m = &booking.Merchant{}
	}
	if s == nil {
		s = &booking.Service{}
	}
	if in.updated.IsZero() {
		in.updated = in.created
	}
	res := &orderv3.Reservation{
		Status:                 in.status,
		UserVisibleStatusLabel: in.label,
		Type:                   reservationTypeOf(s.Type),
		PartySize:              in.partySize,
		ConfirmationCode:       in.code,
		Location:               merchantLocation(m),
	}
	if !in.start.IsZero() {
		res.ReservationTime = &orderv3.Time{TimeISO8601: in.start.In(merchantZone(m)).Format(time.RFC3339)}
	}
	name := s.Name
	if name == "" {
		name = english.Reservation
	}
	desc := s.Description
	if desc == "" && m.Name != "" {
		desc = fill(english.ServiceAt, m.Name, name, "")
	}
	o := orderv3.Order{
		MerchantOrderID:    in.id,
		UserVisibleOrderID: shortID(in.id),
		CreateTime:         orderv3.TimestampOf(in.created.UTC()),
		LastUpdateTime:     orderv3.TimestampOf(in.updated.UTC()),
		TransactionMerchant: &orderv3.Merchant{
			ID:   m.ID,
			Name: m.Name,
		},
		Contents: &orderv3.Contents{LineItems: []orderv3.LineItem{{
			// The line item keeps the order's id: it never changes, even if the booking moves to another
			// service, so partial updates always match it.
			ID:          in.id,
			Name:        clip(name, orderv3.MaxLineItemNameLen),
			Description: desc,
			Reservation: res,
		}}},
		FollowUpActions:   followUpActions(m),
		TermsOfServiceURL: m.TermsOfServiceURL,
	}
	if m.Phone != "" {
		o.TransactionMerchant.PhoneNumbers = []orderv3.PhoneNumber{{E164PhoneNumber: telNumber(m.Phone)}}
	}
	return o
}

// Rejected returns the accepted order as the receipt reports it when it cannot be booked after all (the hold
// expired and its time was taken, or the order is not one this service proposed): every reservation line item
// REJECTED with its label and no confirmation code, lastUpdateTime at. The accepted order is copied, never
// modified. An accepted order must get a receipt; REJECTED is the status for an order the integrator declines.
func Rejected(accepted orderv3.Order, at time.Time) orderv3.Order {
	status, label := StatusOf(booking.StatusRejected)
	o := accepted
	o.LastUpdateTime = orderv3.TimestampOf(at.UTC())
	if o.CreateTime.IsZero() {
		o.CreateTime = o.LastUpdateTime
	}
	if accepted.Contents != nil {
		contents := *accepted.Contents
		contents.LineItems = slices.Clone(accepted.Contents.LineItems)
		for i := range contents.LineItems {
			if r := contents.LineItems[i].Reservation; r != nil {
				rr := *r
				rr.Status, rr.UserVisibleStatusLabel, rr.ConfirmationCode = status, label, ""
				contents.LineItems[i].Reservation = &rr
			}
		}
		o.Contents = &contents
	}
	return o
}

// Echo returns current (the order as this service builds it now, for instance with status CONFIRMED) carrying
// over what Google added to the accepted order: googleOrderId, paymentData, the buyerInfo when current has
// none, and fields this model does not name. Google asks for the accepted order to be echoed back in the
// receipt rather than rebuilt; this keeps both rules.
func Echo(accepted, current orderv3.Order) orderv3.Order {
	if accepted.GoogleOrderID != "" {
		current.GoogleOrderID = accepted.GoogleOrderID
	}
	if len(accepted.PaymentData) > 0 && len(current.PaymentData) == 0 {
		current.PaymentData = accepted.PaymentData
	}
	if current.BuyerInfo == nil && accepted.BuyerInfo != nil {
		b := *accepted.BuyerInfo
		current.BuyerInfo = &b
	}
	if len(accepted.Extra) > 0 {
		extra := make(map[string]json.RawMessage, len(accepted.Extra)+len(current.Extra))
		for k, v := range accepted.Extra {
			extra[k] = v
		}
		for k, v := range current.Extra {
			extra[k] = v
		}
		current.Extra = extra
	}
	return current
}

func reservationTypeOf(t booking.ReservationType) orderv3.ReservationType {
	switch t {
	case booking.TypeRestaurant:
		return orderv3.ReservationRestaurant
	case booking.TypeHairdresser:
		return orderv3.ReservationHairdresser
	default:
		// Google has no type for other businesses; leaving it out means unspecified.
		return ""
	}
}

// merchantZone returns the merchant's time zone: Location when loaded, else TimeZone, else UTC.
func merchantZone(m *booking.Merchant) *time.Location {
	if m.Location != nil {
		return m.Location
	}
	if m.TimeZone != "" {
		if loc, err := time.LoadLocation(m.TimeZone); err == nil {
			return loc
		}
	}
	return time.UTC
}

func merchantLocation(m *booking.Merchant) *orderv3.Location {
	a := m.Address
	loc := &orderv3.Location{
		Name:        m.Name,
		PhoneNumber: m.Phone,
		City:        a.Locality,
		ZipCode:     a.PostalCode,
	}
	if a.RegionCode != "" || a.PostalCode != "" || a.AdministrativeArea != "" || a.Locality != "" ||
		len(a.AddressLines) > 0 {
		loc.PostalAddress = &orderv3.PostalAddress{
			RegionCode:         a.RegionCode,
			PostalCode:         a.PostalCode,
			AdministrativeArea: a.AdministrativeArea,
			Locality:           a.Locality,
			AddressLines:       append([]string(nil), a.AddressLines...),
		}
		parts := append(append([]string(nil), a.AddressLines...), strings.TrimSpace(a.Locality+" "+
			strings.TrimSpace(a.AdministrativeArea+" "+a.PostalCode)))
		loc.FormattedAddress = strings.Join(nonEmpty(parts), ", ")
	}
	if *loc == (orderv3.Location{}) {
		return nil
	}
	return loc
}

func followUpActions(m *booking.Merchant) []orderv3.Action {
	var acts []orderv3.Action
	who := orDefault(m.Name, english.Us)
	if m.URL != "" {
		acts = append(acts, orderv3.Action{Type: orderv3.ActionViewDetails, Title: english.ViewDetails,
			OpenURLAction: &orderv3.OpenURLAction{URL: m.URL}})
	}
	if m.Phone != "" {
		acts = append(acts, orderv3.Action{Type: orderv3.ActionCall, Title: clip(fill(english.Call, who, "", ""), orderv3.MaxActionTitleLen),
			OpenURLAction: &orderv3.OpenURLAction{URL: "tel:" + telNumber(m.Phone)}})
	}
	if m.Email != "" {
		acts = append(acts, orderv3.Action{Type: orderv3.ActionEmail, Title: clip(fill(english.Email, who, "", ""), orderv3.MaxActionTitleLen),
			OpenURLAction: &orderv3.OpenURLAction{URL: "mailto:" + m.Email}})
	}
	return acts
}

// telNumber keeps the leading + and the digits of a phone number ("+1 (650) 111-2222" → "+16501112222").
func telNumber(phone string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(phone) {
		if unicode.IsDigit(r) || (i == 0 && r == '+') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// shortID is the last shortIDLen letters and digits of an id, upper-cased: something a person can read.
func shortID(id string) string {
	var keep []rune
	for _, r := range id {
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			keep = append(keep, unicode.ToUpper(r))
		}
	}
	if len(keep) == 0 {
		return id
	}
	if len(keep) > shortIDLen {
		keep = keep[len(keep)-shortIDLen:]
	}
	return string(keep)
}

// clip cuts s to at most n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func nonEmpty(ss []string) []string {
	out := ss[:0]
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
