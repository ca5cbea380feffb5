package orders

import (
	"encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/reservations/reservations/booking"
)

// ReservationStatusMask is the updateMask of an Orders API update that changes a reservation's status: the
// comma-joined camelCase paths Google's samples send.
const ReservationStatusMask = "lastUpdateTime,contents.lineItems.reservation.status," +
	"contents.lineItems.reservation.userVisibleStatusLabel"

// NoShowLabel is the status label of a booking whose guests did not come. OrderV3 has no no-show status, so
// booking.StatusNoShow is reported to Google as CANCELLED with this label.
const NoShowLabel = "No-show"

// shortIDLen is how many characters of a booking id userVisibleOrderId shows when there is no confirmation code.
const shortIDLen = 8

// StatusOf maps a booking status to the reservation status Google knows and a user-visible label (≤ 50
// characters). PENDING, CONFIRMED, CANCELLED, FULFILLED, REJECTED and CHANGE_REQUESTED map to themselves;
// NO_SHOW maps to CANCELLED labelled "No-show"; anything else to PENDING.
func StatusOf(s booking.Status) (ReservationStatus, string) {
	switch s {
	case booking.StatusConfirmed:
		return ReservationConfirmed, "Reservation confirmed"
	case booking.StatusCancelled:
		return ReservationCancelled, "Reservation cancelled"
	case booking.StatusFulfilled:
		return ReservationFulfilled, "Reservation fulfilled"
	case booking.StatusRejected:
		return ReservationRejected, "Reservation declined"
	case booking.StatusChangeRequested:
		return ReservationChangeRequested, "Change requested"
	case booking.StatusNoShow:
		return ReservationCancelled, NoShowLabel
	default:
		return ReservationPending, "Reservation pending"
	}
}

// FromHold builds the order proposed to the user for a hold (TRANSACTION_DECISION): status PENDING, the hold id
// as merchantOrderId (confirming the hold makes the booking with the same id, so later updates find the order),
// and no confirmation code yet. Nil m or s are treated as empty.
func FromHold(m *booking.Merchant, s *booking.Service, h booking.Hold) Order {
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
func FromBooking(m *booking.Merchant, s *booking.Service, b booking.Booking) Order {
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
		o.BuyerInfo = &UserInfo{DisplayName: c.Name, Email: c.Email}
	}
	return o
}

type orderInput struct {
	id, code         string
	start            time.Time
	partySize        int
	status           ReservationStatus
	label            string
	created, updated time.Time
}

func build(m *booking.Merchant, s *booking.Service, in orderInput) Order {
	if m == nil {
		m = &booking.Merchant{}
	}
	if s == nil {
		s = &booking.Service{}
	}
	if in.updated.IsZero() {
		in.updated = in.created
	}
	res := &Reservation{
		Status:                 in.status,
		UserVisibleStatusLabel: in.label,
		Type:                   reservationTypeOf(s.Type),
		PartySize:              in.partySize,
		ConfirmationCode:       in.code,
		Location:               merchantLocation(m),
	}
	if !in.start.IsZero() {
		res.ReservationTime = &Time{TimeISO8601: in.start.In(merchantZone(m)).Format(time.RFC3339)}
	}
	name := s.Name
	if name == "" {
		name = "Reservation"
	}
	desc := s.Description
	if desc == "" && m.Name != "" {
		desc = name + " at " + m.Name
	}
	o := Order{
		MerchantOrderID:    in.id,
		UserVisibleOrderID: shortID(in.id),
		CreateTime:         Timestamp{in.created.UTC()},
		LastUpdateTime:     Timestamp{in.updated.UTC()},
		TransactionMerchant: &Merchant{
			ID:   m.ID,
			Name: m.Name,
		},
		Contents: &Contents{LineItems: []LineItem{{
			// The line item keeps the order's id: it never changes, even if the booking moves to another
			// service, so partial updates always match it.
			ID:          in.id,
			Name:        clip(name, MaxLineItemNameLen),
			Description: desc,
			Reservation: res,
		}}},
		FollowUpActions:   followUpActions(m),
		TermsOfServiceURL: m.TermsOfServiceURL,
	}
	if m.Phone != "" {
		o.TransactionMerchant.PhoneNumbers = []PhoneNumber{{E164PhoneNumber: telNumber(m.Phone)}}
	}
	return o
}

// Snapshot returns the receipt for o as the conversation sends it after ORDER_ACCEPTED
// (structuredResponse.orderUpdateV3): type SNAPSHOT with the full order and a reason for the change.
func Snapshot(o Order, reason string) OrderUpdate {
	return OrderUpdate{Type: OrderUpdateSnapshot, Order: &o, Reason: reason}
}

// Echo returns current (the order as this service builds it now, for instance with status CONFIRMED) carrying
// over what Google added to the accepted order: googleOrderId, paymentData, the buyerInfo when current has
// none, and fields this model does not name. Google asks for the accepted order to be echoed back in the
// receipt rather than rebuilt; this keeps both rules.
func Echo(accepted, current Order) Order {
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

func reservationTypeOf(t booking.ReservationType) ReservationType {
	switch t {
	case booking.TypeRestaurant:
		return ReservationRestaurant
	case booking.TypeHairdresser:
		return ReservationHairdresser
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

func merchantLocation(m *booking.Merchant) *Location {
	a := m.Address
	loc := &Location{
		Name:        m.Name,
		PhoneNumber: m.Phone,
		City:        a.Locality,
		ZipCode:     a.PostalCode,
	}
	if a.RegionCode != "" || a.PostalCode != "" || a.AdministrativeArea != "" || a.Locality != "" ||
		len(a.AddressLines) > 0 {
		loc.PostalAddress = &PostalAddress{
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
	if *loc == (Location{}) {
		return nil
	}
	return loc
}

func followUpActions(m *booking.Merchant) []Action {
	var acts []Action
	if m.URL != "" {
		acts = append(acts, Action{Type: ActionViewDetails, Title: "View details",
			OpenURLAction: &OpenURLAction{URL: m.URL}})
	}
	if m.Phone != "" {
		acts = append(acts, Action{Type: ActionCall, Title: clip("Call "+orDefault(m.Name, "us"), MaxActionTitleLen),
			OpenURLAction: &OpenURLAction{URL: "tel:" + telNumber(m.Phone)}})
	}
	if m.Email != "" {
		acts = append(acts, Action{Type: ActionEmail, Title: clip("Email "+orDefault(m.Name, "us"), MaxActionTitleLen),
			OpenURLAction: &OpenURLAction{URL: "mailto:" + m.Email}})
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
