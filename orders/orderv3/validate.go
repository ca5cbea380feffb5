package orderv3

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits Google documents for OrderV3 (in characters, counted as Unicode code points).
const (
	MaxMerchantOrderIDLen = 64
	MaxLineItemIDLen      = 64
	MaxLineItemNameLen    = 100
	MaxStatusLabelLen     = 50
	MaxActionTitleLen     = 100
	MaxNotificationTitle  = 30
	MaxNotificationText   = 100
	MaxLineItems          = 50
)

const (
	verticalReservation    = "reservation"
	verticalPurchase       = "purchase"
	fieldLongerThanMessage = "longer than %d characters"
)

// FieldError is one violated rule, naming the field by its JSON path ("contents.lineItems[0].name").
type FieldError struct {
	Field   string
	Problem string
}

// Error returns "field: problem".
func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// validator collects FieldErrors. Field paths are built only for failed checks: validating a valid order
// allocates nothing.
type validator struct{ errs []error }

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

func (v *validator) required(field, value string) { v.req(field, "", value) }

func (v *validator) maxLen(field, value string, n int) { v.long(field, "", value, n) }

// req checks that value is not blank; the field is prefix+name.
func (v *validator) req(prefix, name, value string) {
	if strings.TrimSpace(value) == "" {
		v.add(prefix+name, "required")
	}
}

// long checks that value has at most n characters; the field is prefix+name.
func (v *validator) long(prefix, name, value string, n int) {
	if len(value) > n && utf8.RuneCountInString(value) > n {
		v.add(prefix+name, fieldLongerThanMessage, n)
	}
}

func (v *validator) err() error { return errors.Join(v.errs...) }

// indexed is the path of element i of the array at p.
func indexed(p string, i int) string { return p + "[" + strconv.Itoa(i) + "]" }

// Validate checks the order against the limits and required fields Google documents: merchantOrderId
// (required, ≤ 64), createTime, transactionMerchant.name, 1 to 50 line items all of one vertical, each with an
// id (≤ 64) and a name (≤ 100), and for reservations a known status and a status label (≤ 50); follow-up action
// types and titles (≤ 100); price attributes' type, name and state. It returns nil or the joined *FieldError
// values, each naming the field, such as "contents.lineItems[0].name: longer than 100 characters".
func (o *Order) Validate() error {
	var v validator
	o.validate(&v, "")
	return v.err()
}

func (o *Order) validate(v *validator, prefix string) {
	v.req(prefix, "merchantOrderId", o.MerchantOrderID)
	v.long(prefix, "merchantOrderId", o.MerchantOrderID, MaxMerchantOrderIDLen)
	if o.CreateTime.IsZero() {
		v.add(prefix+"createTime", "required")
	}
	if o.TransactionMerchant == nil {
		v.add(prefix+"transactionMerchant", "required")
	} else {
		v.req(prefix, "transactionMerchant.name", o.TransactionMerchant.Name)
	}
	validateActions(v, prefix, "followUpActions", o.FollowUpActions)
	validatePrices(v, prefix, "priceAttributes", o.PriceAttributes)

	var items []LineItem
	if o.Contents != nil {
		items = o.Contents.LineItems
	}
	switch {
	case len(items) == 0:
		v.add(prefix+"contents.lineItems", "at least 1 line item required")
	case len(items) > MaxLineItems:
		v.add(prefix+"contents.lineItems", "more than %d line items", MaxLineItems)
	}
	vertical := ""
	for i := range items {
		li := &items[i]
		// A line item is checked with an empty path first, so a valid one costs no path strings; the checks
		// run again with its path only when one failed.
		var probe validator
		kind := validateLineItem(&probe, "", li)
		if len(probe.errs) > 0 {
			kind = validateLineItem(v, indexed(prefix+"contents.lineItems", i), li)
		}
		switch {
		case kind == "":
		case vertical == "":
			vertical = kind
		case kind != vertical:
			v.add(indexed(prefix+"contents.lineItems", i),
				"is a %s but line item 0 is a %s: all line items must be of one vertical", kind, vertical)
		}
	}
}

// validateLineItem checks one line item whose path is p, and returns its vertical ("" when it has none or
// both).
func validateLineItem(v *validator, p string, li *LineItem) string {
	v.req(p, ".id", li.ID)
	v.long(p, ".id", li.ID, MaxLineItemIDLen)
	v.req(p, ".name", li.Name)
	v.long(p, ".name", li.Name, MaxLineItemNameLen)
	validateActions(v, p, ".followUpActions", li.FollowUpActions)
	validatePrices(v, p, ".priceAttributes", li.PriceAttributes)
	switch {
	case li.Reservation != nil && len(li.Purchase) > 0:
		v.add(p, "has both a reservation and a purchase")
		return ""
	case li.Reservation != nil:
		validateReservation(v, p+".reservation", li.Reservation)
		return verticalReservation
	case len(li.Purchase) > 0:
		return verticalPurchase
	default:
		v.add(p+".reservation", "required")
		return ""
	}
}

func validateReservation(v *validator, p string, r *Reservation) {
	switch r.Status {
	case ReservationPending, ReservationConfirmed, ReservationCancelled, ReservationFulfilled,
		ReservationChangeRequested, ReservationRejected:
	case "", ReservationStatusUnspecified:
		v.add(p+".status", "required")
	default:
		v.add(p+".status", "unknown status %q", string(r.Status))
	}
	v.req(p, ".userVisibleStatusLabel", r.UserVisibleStatusLabel)
	v.long(p, ".userVisibleStatusLabel", r.UserVisibleStatusLabel, MaxStatusLabelLen)
	switch r.Type {
	case "", ReservationTypeUnspecified, ReservationRestaurant, ReservationHairdresser:
	default:
		v.add(p+".type", "unknown type %q", string(r.Type))
	}
	if r.PartySize < 0 {
		v.add(p+".partySize", "negative")
	}
	if r.ReservationTime != nil {
		v.req(p, ".reservationTime.timeIso8601", r.ReservationTime.TimeISO8601)
	}
	if r.UserAcceptableTimeRange != nil {
		v.req(p, ".userAcceptableTimeRange.timeIso8601", r.UserAcceptableTimeRange.TimeISO8601)
	}
}

func validateActions(v *validator, prefix, name string, actions []Action) {
	for i, a := range actions {
		switch a.Type {
		case ActionViewDetails, ActionModify, ActionCancel, ActionReturn, ActionExchange, ActionEmail, ActionCall,
			ActionReorder, ActionReview, ActionCustomerService, ActionFixIssue, ActionDirection:
		case "", ActionTypeUnspecified:
			v.add(indexed(prefix+name, i)+".type", "required")
		default:
			v.add(indexed(prefix+name, i)+".type", "unknown type %q", string(a.Type))
		}
		if len(a.Title) > MaxActionTitleLen && utf8.RuneCountInString(a.Title) > MaxActionTitleLen {
			v.add(indexed(prefix+name, i)+".title", fieldLongerThanMessage, MaxActionTitleLen)
		}
		if a.OpenURLAction != nil && strings.TrimSpace(a.OpenURLAction.URL) == "" {
			v.add(indexed(prefix+name, i)+".openUrlAction.url", "required")
		}
	}
}

func validatePrices(v *validator, prefix, name string, prices []PriceAttribute) {
	for i, pa := range prices {
		// The path is built only for a failed check.
		pp := func() string { return indexed(prefix+name, i) }
		if pa.Type == "" || pa.Type == PriceTypeUnspecified {
			v.add(pp()+".type", "required")
		}
		if strings.TrimSpace(pa.Name) == "" {
			v.add(pp()+".name", "required")
		}
		if pa.State == "" || pa.State == PriceStateUnspecified {
			v.add(pp()+".state", "required")
		}
		if pa.Amount != nil && utf8.RuneCountInString(pa.Amount.CurrencyCode) != 3 {
			v.add(pp()+".amount.currencyCode", "not a 3-letter ISO 4217 code")
		}
	}
}

// Validate checks an update: its order is complete and valid (see [Order.Validate]; a SNAPSHOT and every
// update this service sends carry the full order), lastUpdateTime is set, and a user notification's title
// (≤ 30) and text (≤ 100) fit.
func (u *OrderUpdate) Validate() error {
	var v validator
	if u.Order == nil {
		v.add("order", "required")
	} else {
		u.Order.validate(&v, "order.")
		if u.Order.LastUpdateTime.IsZero() {
			v.add("order.lastUpdateTime", "required")
		}
	}
	if u.Type != OrderUpdateSnapshot && strings.TrimSpace(u.UpdateMask) == "" {
		v.add("updateMask", "required unless type is SNAPSHOT")
	}
	if n := u.UserNotification; n != nil {
		v.maxLen("userNotification.title", n.Title, MaxNotificationTitle)
		v.maxLen("userNotification.text", n.Text, MaxNotificationText)
	}
	return v.err()
}

// ValidatePatch enforces the documented limits on a partial update, the body of an Orders API PATCH: the order
// carries only merchantOrderId, lastUpdateTime and one line item with the fields its updateMask names (a full
// order would be checked with [Order.Validate]). Errors name the field.
func (u *OrderUpdate) ValidatePatch() error {
	var v validator
	o := u.Order
	v.required("order.merchantOrderId", o.MerchantOrderID)
	v.maxLen("order.merchantOrderId", o.MerchantOrderID, MaxMerchantOrderIDLen)
	if o.LastUpdateTime.IsZero() {
		v.add("order.lastUpdateTime", "required")
	}
	li := o.Contents.LineItems[0]
	v.required("order.contents.lineItems[0].id", li.ID)
	v.maxLen("order.contents.lineItems[0].id", li.ID, MaxLineItemIDLen)
	validateReservation(&v, "order.contents.lineItems[0].reservation", li.Reservation)
	if n := u.UserNotification; n != nil {
		v.maxLen("userNotification.title", n.Title, MaxNotificationTitle)
		v.maxLen("userNotification.text", n.Text, MaxNotificationText)
	}
	return v.err()
}
