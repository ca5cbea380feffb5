// Package orderv3 is the Actions on Google OrderV3 wire model for reservations: orders, line items, the
// reservation extension, order updates, their JSON and the limits Google documents. It imports nothing of this
// module, so the wire protocol (package fulfillment) can use it without knowing the booking core; package orders
// builds these values from bookings and sends them to the Orders API.
//
// The types mirror google.actions.transactions.v3 / google.actions.orders.v3 as the Assistant and the Orders
// API write them in JSON (proto3 lowerCamelCase). No Go types for them exist anywhere (the AoG types are only
// generated for Node.js and Java), so they are written by hand here, with the limits Google documents enforced
// by [Order.Validate]. Enums are typed strings so unknown future values still decode.
//
// Orders echoed back by Google (the accepted order in a TransactionDecisionValue) can carry fields this model
// does not name, such as fields added after this was written. [Order] keeps such top-level fields in Extra and
// writes them back unchanged, so an echoed order loses nothing there; the parts Google adds that this service
// does not use (paymentData, promotions, the purchase vertical…) are kept verbatim as json.RawMessage. Line
// items name every field Google documents and have no Extra: a custom encoder on every line item would make
// each response noticeably slower to write.
package orderv3

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ReservationStatus is the state of a reservation line item (google.actions.orders.v3.verticals.reservation.
// ReservationStatus).
type ReservationStatus string

// Reservation statuses. CANCELLED means cancelled by the user or the merchant after confirmation; REJECTED
// means the integrator could not confirm it (or it expired).
const (
	ReservationStatusUnspecified ReservationStatus = "RESERVATION_STATUS_UNSPECIFIED"
	ReservationPending           ReservationStatus = "PENDING"
	ReservationConfirmed         ReservationStatus = "CONFIRMED"
	ReservationCancelled         ReservationStatus = "CANCELLED"
	ReservationFulfilled         ReservationStatus = "FULFILLED"
	ReservationChangeRequested   ReservationStatus = "CHANGE_REQUESTED"
	ReservationRejected          ReservationStatus = "REJECTED"
)

// ReservationType is the kind of reservation.
type ReservationType string

// Reservation types. Google defines no type for other businesses: leave Type empty for them.
const (
	ReservationTypeUnspecified ReservationType = "RESERVATION_TYPE_UNSPECIFIED"
	ReservationRestaurant      ReservationType = "RESTAURANT"
	ReservationHairdresser     ReservationType = "HAIRDRESSER"
)

// ActionType is what a follow-up action does.
type ActionType string

// Follow-up action types.
const (
	ActionTypeUnspecified ActionType = "TYPE_UNSPECIFIED"
	ActionViewDetails     ActionType = "VIEW_DETAILS"
	ActionModify          ActionType = "MODIFY"
	ActionCancel          ActionType = "CANCEL"
	ActionReturn          ActionType = "RETURN"
	ActionExchange        ActionType = "EXCHANGE"
	ActionEmail           ActionType = "EMAIL"
	ActionCall            ActionType = "CALL"
	ActionReorder         ActionType = "REORDER"
	ActionReview          ActionType = "REVIEW"
	ActionCustomerService ActionType = "CUSTOMER_SERVICE"
	ActionFixIssue        ActionType = "FIX_ISSUE"
	ActionDirection       ActionType = "DIRECTION"
)

// URLTypeHint tells the Assistant what kind of page an OpenURLAction opens.
type URLTypeHint string

// URL type hints.
const (
	URLTypeHintUnspecified URLTypeHint = "URL_TYPE_HINT_UNSPECIFIED"
	URLTypeAMPContent      URLTypeHint = "AMP_CONTENT"
)

// PriceType is what a price attribute stands for.
type PriceType string

// Price attribute types.
const (
	PriceTypeUnspecified PriceType = "TYPE_UNSPECIFIED"
	PriceRegular         PriceType = "REGULAR"
	PriceDiscount        PriceType = "DISCOUNT"
	PriceTax             PriceType = "TAX"
	PriceDelivery        PriceType = "DELIVERY"
	PriceSubtotal        PriceType = "SUBTOTAL"
	PriceFee             PriceType = "FEE"
	PriceGratuity        PriceType = "GRATUITY"
	PriceTotal           PriceType = "TOTAL"
)

// PriceState says whether a price is final.
type PriceState string

// Price attribute states.
const (
	PriceStateUnspecified PriceState = "STATE_UNSPECIFIED"
	PriceEstimate         PriceState = "ESTIMATE"
	PriceActual           PriceState = "ACTUAL"
)

// OrderUpdateType is the deprecated kind of an order update. Receipts sent in the conversation use SNAPSHOT;
// Orders API updates use UpdateMask instead (ORDER_STATUS only covers purchase statuses).
type OrderUpdateType string

// Order update types.
const (
	OrderUpdateTypeUnspecified OrderUpdateType = "TYPE_UNSPECIFIED"
	OrderUpdateOrderStatus     OrderUpdateType = "ORDER_STATUS"
	OrderUpdateSnapshot        OrderUpdateType = "SNAPSHOT"
)

// Order is an OrderV3: what the Assistant shows on the order preview card and the receipt, and what the Orders
// API updates.
type Order struct {
	// GoogleOrderID is set by Google on an accepted order.
	GoogleOrderID string `json:"googleOrderId,omitempty"`
	// MerchantOrderID is required, unique per order and at most 64 characters; every later update uses it.
	MerchantOrderID    string `json:"merchantOrderId,omitempty"`
	UserVisibleOrderID string `json:"userVisibleOrderId,omitempty"`
	// UserVisibleStateLabel is deprecated by Google in favour of the line items' status labels.
	UserVisibleStateLabel string           `json:"userVisibleStateLabel,omitempty"`
	BuyerInfo             *UserInfo        `json:"buyerInfo,omitempty"`
	Image                 *Image           `json:"image,omitempty"`
	CreateTime            Timestamp        `json:"createTime,omitzero"`
	LastUpdateTime        Timestamp        `json:"lastUpdateTime,omitzero"`
	TransactionMerchant   *Merchant        `json:"transactionMerchant,omitempty"`
	Contents              *Contents        `json:"contents,omitempty"`
	PriceAttributes       []PriceAttribute `json:"priceAttributes,omitzero"`
	FollowUpActions       []Action         `json:"followUpActions,omitzero"`
	TermsOfServiceURL     string           `json:"termsOfServiceUrl,omitempty"`
	Note                  string           `json:"note,omitempty"`

	// Parts of an order a reservation does not use, kept verbatim: payment data added by Google, promotions,
	// disclosures, the purchase and ticket verticals and the deprecated vertical Any.
	PaymentData json.RawMessage `json:"paymentData,omitempty"`
	Promotions  json.RawMessage `json:"promotions,omitempty"`
	Disclosures json.RawMessage `json:"disclosures,omitempty"`
	Purchase    json.RawMessage `json:"purchase,omitempty"`
	Ticket      json.RawMessage `json:"ticket,omitempty"`
	Vertical    json.RawMessage `json:"vertical,omitempty"`

	// Extra holds fields this model does not name, written back unchanged (see the package doc).
	Extra map[string]json.RawMessage `json:"-"`
}

// Contents are the line items of an order.
type Contents struct {
	// LineItems are 1 to 50 items of one vertical.
	LineItems []LineItem `json:"lineItems,omitzero"`
}

// LineItem is one thing ordered: for a reservation, the reservation itself.
type LineItem struct {
	// ID is required, at most 64 characters, and matches line items in partial updates.
	ID string `json:"id,omitempty"`
	// Name is at most 100 characters.
	Name                  string           `json:"name,omitempty"`
	UserVisibleStateLabel string           `json:"userVisibleStateLabel,omitempty"`
	Provider              *Merchant        `json:"provider,omitempty"`
	PriceAttributes       []PriceAttribute `json:"priceAttributes,omitzero"`
	FollowUpActions       []Action         `json:"followUpActions,omitzero"`
	Recipients            []UserInfo       `json:"recipients,omitzero"`
	Image                 *Image           `json:"image,omitempty"`
	Description           string           `json:"description,omitempty"`
	Notes                 []string         `json:"notes,omitzero"`
	Disclosures           json.RawMessage  `json:"disclosures,omitempty"`
	Vertical              json.RawMessage  `json:"vertical,omitempty"`
	// Purchase is the physical-goods vertical, kept verbatim; a reservation order never sets it.
	Purchase json.RawMessage `json:"purchase,omitempty"`
	// Reservation is the reservation vertical.
	Reservation *Reservation `json:"reservation,omitempty"`
}

// Reservation is the reservation vertical of a line item (ReservationItemExtension).
type Reservation struct {
	// Status is required.
	Status ReservationStatus `json:"status,omitempty"`
	// UserVisibleStatusLabel is required and at most 50 characters.
	UserVisibleStatusLabel  string             `json:"userVisibleStatusLabel,omitempty"`
	Type                    ReservationType    `json:"type,omitempty"`
	ReservationTime         *Time              `json:"reservationTime,omitempty"`
	UserAcceptableTimeRange *Time              `json:"userAcceptableTimeRange,omitempty"`
	ConfirmationCode        string             `json:"confirmationCode,omitempty"`
	PartySize               int                `json:"partySize,omitempty"`
	StaffFacilitators       []StaffFacilitator `json:"staffFacilitators,omitzero"`
	Location                *Location          `json:"location,omitempty"`
	// Extension is a vertical-specific protobuf Any, kept verbatim.
	Extension json.RawMessage `json:"extension,omitempty"`
}

// Time is an OrderV3 time: an ISO 8601 date-time, date, duration or interval ("2020-01-15/2020-01-17").
type Time struct {
	TimeISO8601 string `json:"timeIso8601,omitempty"`
}

// StaffFacilitator is a person serving the reservation (a stylist).
type StaffFacilitator struct {
	Name  string `json:"name,omitempty"`
	Image *Image `json:"image,omitempty"`
}

// Merchant is the business behind an order or a line item.
type Merchant struct {
	ID           string        `json:"id,omitempty"`
	Name         string        `json:"name,omitempty"`
	Image        *Image        `json:"image,omitempty"`
	PhoneNumbers []PhoneNumber `json:"phoneNumbers,omitzero"`
	Address      *Location     `json:"address,omitempty"`
}

// PhoneNumber is a telephone number.
type PhoneNumber struct {
	E164PhoneNumber              string `json:"e164PhoneNumber,omitempty"`
	Extension                    string `json:"extension,omitempty"`
	PreferredDomesticCarrierCode string `json:"preferredDomesticCarrierCode,omitempty"`
}

// UserInfo is a person: the buyer of an order or a recipient. Every field is personal data: never log it.
type UserInfo struct {
	Email        string        `json:"email,omitempty"`
	FirstName    string        `json:"firstName,omitempty"`
	LastName     string        `json:"lastName,omitempty"`
	DisplayName  string        `json:"displayName,omitempty"`
	PhoneNumbers []PhoneNumber `json:"phoneNumbers,omitzero"`
}

// Name returns the person's display name, or the first and last names joined.
func (u *UserInfo) Name() string {
	if u == nil {
		return ""
	}
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// Image is a picture with its alt text.
type Image struct {
	URL               string `json:"url,omitempty"`
	AccessibilityText string `json:"accessibilityText,omitempty"`
	Height            int    `json:"height,omitempty"`
	Width             int    `json:"width,omitempty"`
}

// Location is a place (the AoG v2 Location type).
type Location struct {
	Coordinates      *LatLng        `json:"coordinates,omitempty"`
	FormattedAddress string         `json:"formattedAddress,omitempty"`
	ZipCode          string         `json:"zipCode,omitempty"`
	City             string         `json:"city,omitempty"`
	PostalAddress    *PostalAddress `json:"postalAddress,omitempty"`
	Name             string         `json:"name,omitempty"`
	PhoneNumber      string         `json:"phoneNumber,omitempty"`
	Notes            string         `json:"notes,omitempty"`
	PlaceID          string         `json:"placeId,omitempty"`
}

// LatLng is a point in degrees.
type LatLng struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// PostalAddress is a google.type.PostalAddress.
type PostalAddress struct {
	Revision           int      `json:"revision,omitempty"`
	RegionCode         string   `json:"regionCode,omitempty"`
	LanguageCode       string   `json:"languageCode,omitempty"`
	PostalCode         string   `json:"postalCode,omitempty"`
	SortingCode        string   `json:"sortingCode,omitempty"`
	AdministrativeArea string   `json:"administrativeArea,omitempty"`
	Locality           string   `json:"locality,omitempty"`
	Sublocality        string   `json:"sublocality,omitempty"`
	AddressLines       []string `json:"addressLines,omitzero"`
	Recipients         []string `json:"recipients,omitzero"`
	Organization       string   `json:"organization,omitempty"`
}

// Action is a follow-up action offered on the receipt (call the merchant, email it, view details).
type Action struct {
	// Type is required.
	Type ActionType `json:"type,omitempty"`
	// Title is at most 100 characters.
	Title          string          `json:"title,omitempty"`
	OpenURLAction  *OpenURLAction  `json:"openUrlAction,omitempty"`
	ActionMetadata *ActionMetadata `json:"actionMetadata,omitempty"`
}

// OpenURLAction opens a URL (https:, tel:, mailto:).
type OpenURLAction struct {
	URL         string          `json:"url,omitempty"`
	AndroidApp  json.RawMessage `json:"androidApp,omitempty"`
	URLTypeHint URLTypeHint     `json:"urlTypeHint,omitempty"`
}

// ActionMetadata says until when an action is offered.
type ActionMetadata struct {
	ExpireTime Timestamp `json:"expireTime,omitzero"`
}

// PriceAttribute is a price shown on the order (a deposit, a total).
type PriceAttribute struct {
	// Type, Name and State are required.
	Type   PriceType  `json:"type,omitempty"`
	Name   string     `json:"name,omitempty"`
	ID     string     `json:"id,omitempty"`
	State  PriceState `json:"state,omitempty"`
	Amount *Money     `json:"amount,omitempty"`
	// AmountMillipercentage is a percentage in 1/1000 of a percent (being deprecated by Google).
	AmountMillipercentage int  `json:"amountMillipercentage,omitempty"`
	TaxIncluded           bool `json:"taxIncluded,omitempty"`
}

// Money is an amount in micros of a currency unit.
type Money struct {
	CurrencyCode   string `json:"currencyCode,omitempty"`
	AmountInMicros Micros `json:"amountInMicros,omitempty"`
}

// Micros is an int64 amount in millionths of a currency unit. Per the proto3 JSON rule for int64 it is written
// as a JSON string ("3990000"); reading accepts a string or a number, as Google's samples send numbers.
type Micros int64

// MarshalJSON writes the amount as a quoted decimal.
func (m Micros) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 22)
	b = append(b, '"')
	b = strconv.AppendInt(b, int64(m), 10)
	return append(b, '"'), nil
}

// UnmarshalJSON reads a quoted or bare integer.
func (m *Micros) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("amountInMicros: %q is not an int64", s)
	}
	*m = Micros(n)
	return nil
}

// OrderUpdate is an update of an order: a receipt in the conversation (structuredResponse.orderUpdateV3, type
// SNAPSHOT) or the body of an Orders API PATCH (with UpdateMask).
type OrderUpdate struct {
	// Type is deprecated by Google except for SNAPSHOT receipts in the conversation.
	Type  OrderUpdateType `json:"type,omitempty"`
	Order *Order          `json:"order,omitempty"`
	// UpdateMask is a comma-separated list of the camelCase field paths that changed.
	UpdateMask       string            `json:"updateMask,omitempty"`
	UserNotification *UserNotification `json:"userNotification,omitempty"`
	Reason           string            `json:"reason,omitempty"`
}

// UserNotification is a push notification that may accompany an update (Google decides whether it shows).
type UserNotification struct {
	// Title is at most 30 characters.
	Title string `json:"title,omitempty"`
	// Text is at most 100 characters.
	Text string `json:"text,omitempty"`
}

// Timestamp is a google.protobuf.Timestamp: RFC 3339 in JSON, written in UTC with 0, 3, 6 or 9 fractional
// digits as protobuf writes it. The zero value is omitted by omitzero fields.
type Timestamp struct {
	time.Time
}

// TimestampOf returns t as a Timestamp.
func TimestampOf(t time.Time) Timestamp { return Timestamp{t} }

// MarshalJSON writes the proto3 JSON form.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return nil, fmt.Errorf("timestamp year %d out of range", y)
	}
	b := make([]byte, 0, 32)
	b = append(b, '"')
	b = appendProtoTime(b, t.Time)
	return append(b, '"'), nil
}

// String returns the proto3 JSON form without quotes.
func (t Timestamp) String() string { return string(appendProtoTime(nil, t.Time)) }

func appendProtoTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	// "2006-01-02T15:04:05", written digit by digit for the years JSON allows (AppendFormat interprets its
	// layout on every call, and pads such years to 4 digits the same way).
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	if year < 0 || year > 9999 {
		b = t.AppendFormat(b, "2006-01-02T15:04:05")
	} else {
		b = append(b, byte('0'+year/1000%10), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
			byte('0'+int(month)/10), byte('0'+int(month)%10), '-', byte('0'+day/10), byte('0'+day%10), 'T',
			byte('0'+hour/10), byte('0'+hour%10), ':', byte('0'+minute/10), byte('0'+minute%10), ':',
			byte('0'+sec/10), byte('0'+sec%10))
	}
	ns := t.Nanosecond()
	digits := 9
	switch {
	case ns == 0:
		return append(b, 'Z')
	case ns%1e6 == 0:
		ns, digits = ns/1e6, 3
	case ns%1e3 == 0:
		ns, digits = ns/1e3, 6
	}
	b = append(b, '.')
	var frac [9]byte
	for i := digits - 1; i >= 0; i-- {
		frac[i] = byte('0' + ns%10)
		ns /= 10
	}
	b = append(b, frac[:digits]...)
	return append(b, 'Z')
}

// UnmarshalJSON reads an RFC 3339 string; null leaves the zero time.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	t.Time = v
	return nil
}

// orderFields is Order without its methods, for the default encoding.
type orderFields Order

// knownOrderKeys are the JSON names Order declares (a constant table built once).
var knownOrderKeys = jsonFieldNames(reflect.TypeFor[Order]())

func jsonFieldNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names[name] = true
		}
	}
	return names
}

// UnmarshalJSON decodes an order, keeping unnamed fields in Extra.
func (o *Order) UnmarshalJSON(b []byte) error {
	var f orderFields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	extra, err := unknownJSONFields(b, knownOrderKeys)
	if err != nil {
		return err
	}
	*o = Order(f)
	o.Extra = extra
	return nil
}

// JSONValue returns o in the form to hand to encoding/json when o is part of a larger document: o itself when
// it has Extra fields, otherwise a view of the same fields without the MarshalJSON method. Both encode the same;
// the view is faster because encoding/json re-scans whatever a MarshalJSON method returns, and an order is most
// of a proposal's bytes.
func (o *Order) JSONValue() any {
	if len(o.Extra) > 0 {
		return o
	}
	return (*orderFields)(o)
}

// MarshalJSON encodes an order with its Extra fields.
func (o Order) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(orderFields(o))
	if err != nil {
		return nil, err
	}
	return appendExtraFields(b, o.Extra, knownOrderKeys)
}

// unknownJSONFields returns the members of the JSON object b whose names are not in known (nil if none).
// Names are matched exactly; encoding/json's case-insensitive match may also have filled a named field from
// such a member, which is harmless since Extra members are written back as they came.
func unknownJSONFields(b []byte, known map[string]bool) (map[string]json.RawMessage, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	var extra map[string]json.RawMessage
	for k, v := range all {
		if known[k] {
			continue
		}
		if extra == nil {
			extra = map[string]json.RawMessage{}
		}
		extra[k] = v
	}
	return extra, nil
}

// appendExtraFields adds the extra members to the encoded object b, in name order, skipping names the struct
// declares (the struct's own value wins).
func appendExtraFields(b []byte, extra map[string]json.RawMessage, known map[string]bool) ([]byte, error) {
	if len(extra) == 0 {
		return b, nil
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if !known[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var buf bytes.Buffer
	buf.Grow(len(b) + 64*len(keys))
	buf.Write(b[:len(b)-1]) // without the closing brace
	for i, k := range keys {
		v := extra[k]
		if !json.Valid(v) {
			return nil, fmt.Errorf("extra field %q: invalid JSON", k)
		}
		if i > 0 || len(b) > 2 {
			buf.WriteByte(',')
		}
		name, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// The append encoders below write an order exactly as encoding/json writes it (same field order, omitempty and
// omitzero rules, HTML-safe string escaping, the MarshalJSON forms of Micros and Timestamp, RawMessage members
// compacted), without reflection: a proposal or receipt is mostly an order, and encoding/json spends most of a
// webhook turn's encoding time walking these types. Tests compare them byte for byte with encoding/json.

// AppendJSON appends o's JSON encoding (what json.Marshal(o) writes) to b. On error b is returned unchanged
// in length; the error is the one encoding/json reports in other words (a timestamp out of range, invalid JSON
// in a verbatim member).
func (o *Order) AppendJSON(b []byte) ([]byte, error) {
	if len(o.Extra) > 0 {
		m, err := o.MarshalJSON()
		if err != nil {
			return b, err
		}
		return AppendRawJSON(b, m)
	}
	if !o.finiteCoordinates() {
		return b, errors.New("coordinates: NaN or infinite value")
	}
	start := len(b)
	var err error
	b = append(b, '{')
	b = appendStrField(b, start, `"googleOrderId":`, o.GoogleOrderID)
	b = appendStrField(b, start, `"merchantOrderId":`, o.MerchantOrderID)
	b = appendStrField(b, start, `"userVisibleOrderId":`, o.UserVisibleOrderID)
	b = appendStrField(b, start, `"userVisibleStateLabel":`, o.UserVisibleStateLabel)
	if o.BuyerInfo != nil {
		b = append(sep(b, start), `"buyerInfo":`...)
		b = o.BuyerInfo.appendJSON(b)
	}
	if o.Image != nil {
		b = append(sep(b, start), `"image":`...)
		b = o.Image.appendJSON(b)
	}
	if b, err = appendTimeField(b, start, `"createTime":`, o.CreateTime); err != nil {
		return b[:start], err
	}
	if b, err = appendTimeField(b, start, `"lastUpdateTime":`, o.LastUpdateTime); err != nil {
		return b[:start], err
	}
	if o.TransactionMerchant != nil {
		b = append(sep(b, start), `"transactionMerchant":`...)
		b = o.TransactionMerchant.appendJSON(b)
	}
	if o.Contents != nil {
		b = append(sep(b, start), `"contents":{`...)
		if o.Contents.LineItems != nil {
			b = append(b, `"lineItems":[`...)
			for i := range o.Contents.LineItems {
				if i > 0 {
					b = append(b, ',')
				}
				if b, err = o.Contents.LineItems[i].appendJSON(b); err != nil {
					return b[:start], err
				}
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	if o.PriceAttributes != nil {
		b = append(sep(b, start), `"priceAttributes":`...)
		b = appendPriceAttributes(b, o.PriceAttributes)
	}
	if o.FollowUpActions != nil {
		b = append(sep(b, start), `"followUpActions":`...)
		if b, err = appendActions(b, o.FollowUpActions); err != nil {
			return b[:start], err
		}
	}
	b = appendStrField(b, start, `"termsOfServiceUrl":`, o.TermsOfServiceURL)
	b = appendStrField(b, start, `"note":`, o.Note)
	for _, r := range [...]struct {
		name string
		raw  json.RawMessage
	}{
		{`"paymentData":`, o.PaymentData}, {`"promotions":`, o.Promotions}, {`"disclosures":`, o.Disclosures},
		{`"purchase":`, o.Purchase}, {`"ticket":`, o.Ticket}, {`"vertical":`, o.Vertical},
	} {
		if b, err = appendRawField(b, start, r.name, r.raw); err != nil {
			return b[:start], err
		}
	}
	return append(b, '}'), nil
}

// finiteCoordinates reports whether every coordinate in o is a finite number (encoding/json refuses others).
func (o *Order) finiteCoordinates() bool {
	finite := func(l *Location) bool {
		if l == nil || l.Coordinates == nil {
			return true
		}
		c := l.Coordinates
		return !math.IsNaN(c.Latitude) && !math.IsInf(c.Latitude, 0) && !math.IsNaN(c.Longitude) && !math.IsInf(c.Longitude, 0)
	}
	if m := o.TransactionMerchant; m != nil && !finite(m.Address) {
		return false
	}
	if o.Contents != nil {
		for i := range o.Contents.LineItems {
			li := &o.Contents.LineItems[i]
			if li.Provider != nil && !finite(li.Provider.Address) {
				return false
			}
			if li.Reservation != nil && !finite(li.Reservation.Location) {
				return false
			}
		}
	}
	return true
}

// AppendJSON appends u's JSON encoding (what json.Marshal(u) writes) to b.
func (u *OrderUpdate) AppendJSON(b []byte) ([]byte, error) {
	start := len(b)
	var err error
	b = append(b, '{')
	b = appendStrField(b, start, `"type":`, string(u.Type))
	if u.Order != nil {
		b = append(sep(b, start), `"order":`...)
		if b, err = u.Order.AppendJSON(b); err != nil {
			return b[:start], err
		}
	}
	b = appendStrField(b, start, `"updateMask":`, u.UpdateMask)
	if n := u.UserNotification; n != nil {
		b = append(sep(b, start), `"userNotification":`...)
		s := len(b)
		b = append(b, '{')
		b = appendStrField(b, s, `"title":`, n.Title)
		b = appendStrField(b, s, `"text":`, n.Text)
		b = append(b, '}')
	}
	b = appendStrField(b, start, `"reason":`, u.Reason)
	return append(b, '}'), nil
}

func (li *LineItem) appendJSON(b []byte) ([]byte, error) {
	start := len(b)
	var err error
	b = append(b, '{')
	b = appendStrField(b, start, `"id":`, li.ID)
	b = appendStrField(b, start, `"name":`, li.Name)
	b = appendStrField(b, start, `"userVisibleStateLabel":`, li.UserVisibleStateLabel)
	if li.Provider != nil {
		b = append(sep(b, start), `"provider":`...)
		b = li.Provider.appendJSON(b)
	}
	if li.PriceAttributes != nil {
		b = append(sep(b, start), `"priceAttributes":`...)
		b = appendPriceAttributes(b, li.PriceAttributes)
	}
	if li.FollowUpActions != nil {
		b = append(sep(b, start), `"followUpActions":`...)
		if b, err = appendActions(b, li.FollowUpActions); err != nil {
			return b, err
		}
	}
	if li.Recipients != nil {
		b = append(sep(b, start), `"recipients":[`...)
		for i := range li.Recipients {
			if i > 0 {
				b = append(b, ',')
			}
			b = li.Recipients[i].appendJSON(b)
		}
		b = append(b, ']')
	}
	if li.Image != nil {
		b = append(sep(b, start), `"image":`...)
		b = li.Image.appendJSON(b)
	}
	b = appendStrField(b, start, `"description":`, li.Description)
	if li.Notes != nil {
		b = append(sep(b, start), `"notes":`...)
		b = appendStrings(b, li.Notes)
	}
	if b, err = appendRawField(b, start, `"disclosures":`, li.Disclosures); err != nil {
		return b, err
	}
	if b, err = appendRawField(b, start, `"vertical":`, li.Vertical); err != nil {
		return b, err
	}
	if b, err = appendRawField(b, start, `"purchase":`, li.Purchase); err != nil {
		return b, err
	}
	if r := li.Reservation; r != nil {
		b = append(sep(b, start), `"reservation":`...)
		if b, err = r.appendJSON(b); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func (r *Reservation) appendJSON(b []byte) ([]byte, error) {
	start := len(b)
	b = append(b, '{')
	b = appendStrField(b, start, `"status":`, string(r.Status))
	b = appendStrField(b, start, `"userVisibleStatusLabel":`, r.UserVisibleStatusLabel)
	b = appendStrField(b, start, `"type":`, string(r.Type))
	if r.ReservationTime != nil {
		b = append(sep(b, start), `"reservationTime":`...)
		b = r.ReservationTime.appendJSON(b)
	}
	if r.UserAcceptableTimeRange != nil {
		b = append(sep(b, start), `"userAcceptableTimeRange":`...)
		b = r.UserAcceptableTimeRange.appendJSON(b)
	}
	b = appendStrField(b, start, `"confirmationCode":`, r.ConfirmationCode)
	if r.PartySize != 0 {
		b = append(sep(b, start), `"partySize":`...)
		b = strconv.AppendInt(b, int64(r.PartySize), 10)
	}
	if r.StaffFacilitators != nil {
		b = append(sep(b, start), `"staffFacilitators":[`...)
		for i := range r.StaffFacilitators {
			if i > 0 {
				b = append(b, ',')
			}
			f := &r.StaffFacilitators[i]
			s := len(b)
			b = append(b, '{')
			b = appendStrField(b, s, `"name":`, f.Name)
			if f.Image != nil {
				b = append(sep(b, s), `"image":`...)
				b = f.Image.appendJSON(b)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if r.Location != nil {
		b = append(sep(b, start), `"location":`...)
		b = r.Location.appendJSON(b)
	}
	b, err := appendRawField(b, start, `"extension":`, r.Extension)
	if err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (t *Time) appendJSON(b []byte) []byte {
	start := len(b)
	b = append(b, '{')
	b = appendStrField(b, start, `"timeIso8601":`, t.TimeISO8601)
	return append(b, '}')
}

func (m *Merchant) appendJSON(b []byte) []byte {
	start := len(b)
	b = append(b, '{')
	b = appendStrField(b, start, `"id":`, m.ID)
	b = appendStrField(b, start, `"name":`, m.Name)
	if m.Image != nil {
		b = append(sep(b, start), `"image":`...)
		b = m.Image.appendJSON(b)
	}
	if m.PhoneNumbers != nil {
		b = append(sep(b, start), `"phoneNumbers":`...)
		b = appendPhoneNumbers(b, m.PhoneNumbers)
	}
	if m.Address != nil {
		b = append(sep(b, start), `"address":`...)
		b = m.Address.appendJSON(b)
	}
	return append(b, '}')
}

func appendPhoneNumbers(b []byte, ps []PhoneNumber) []byte {
	b = append(b, '[')
	for i := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		p := &ps[i]
		s := len(b)
		b = append(b, '{')
		b = appendStrField(b, s, `"e164PhoneNumber":`, p.E164PhoneNumber)
		b = appendStrField(b, s, `"extension":`, p.Extension)
		b = appendStrField(b, s, `"preferredDomesticCarrierCode":`, p.PreferredDomesticCarrierCode)
		b = append(b, '}')
	}
	return append(b, ']')
}

func (u *UserInfo) appendJSON(b []byte) []byte {
	start := len(b)
	b = append(b, '{')
	b = appendStrField(b, start, `"email":`, u.Email)
	b = appendStrField(b, start, `"firstName":`, u.FirstName)
	b = appendStrField(b, start, `"lastName":`, u.LastName)
	b = appendStrField(b, start, `"displayName":`, u.DisplayName)
	if u.PhoneNumbers != nil {
		b = append(sep(b, start), `"phoneNumbers":`...)
		b = appendPhoneNumbers(b, u.PhoneNumbers)
	}
	return append(b, '}')
}

func (im *Image) appendJSON(b []byte) []byte {
	start := len(b)
	b = append(b, '{')
	b = appendStrField(b, start, `"url":`, im.URL)
	b = appendStrField(b, start, `"accessibilityText":`, im.AccessibilityText)
	if im.Height != 0 {
		b = append(sep(b, start), `"height":`...)
		b = strconv.AppendInt(b, int64(im.Height), 10)
	}
	if im.Width != 0 {
		b = append(sep(b, start), `"width":`...)
		b = strconv.AppendInt(b, int64(im.Width), 10)
	}
	return append(b, '}')
}

func (l *Location) appendJSON(b []byte) []byte {
	start := len(b)
	b = append(b, '{')
	if c := l.Coordinates; c != nil {
		b = append(sep(b, start), `"coordinates":{"latitude":`...)
		b = AppendJSONFloat(b, c.Latitude)
		b = append(b, `,"longitude":`...)
		b = AppendJSONFloat(b, c.Longitude)
		b = append(b, '}')
	}
	b = appendStrField(b, start, `"formattedAddress":`, l.FormattedAddress)
	b = appendStrField(b, start, `"zipCode":`, l.ZipCode)
	b = appendStrField(b, start, `"city":`, l.City)
	if p := l.PostalAddress; p != nil {
		b = append(sep(b, start), `"postalAddress":`...)
		s := len(b)
		b = append(b, '{')
		if p.Revision != 0 {
			b = append(sep(b, s), `"revision":`...)
			b = strconv.AppendInt(b, int64(p.Revision), 10)
		}
		b = appendStrField(b, s, `"regionCode":`, p.RegionCode)
		b = appendStrField(b, s, `"languageCode":`, p.LanguageCode)
		b = appendStrField(b, s, `"postalCode":`, p.PostalCode)
		b = appendStrField(b, s, `"sortingCode":`, p.SortingCode)
		b = appendStrField(b, s, `"administrativeArea":`, p.AdministrativeArea)
		b = appendStrField(b, s, `"locality":`, p.Locality)
		b = appendStrField(b, s, `"sublocality":`, p.Sublocality)
		if p.AddressLines != nil {
			b = append(sep(b, s), `"addressLines":`...)
			b = appendStrings(b, p.AddressLines)
		}
		if p.Recipients != nil {
			b = append(sep(b, s), `"recipients":`...)
			b = appendStrings(b, p.Recipients)
		}
		b = appendStrField(b, s, `"organization":`, p.Organization)
		b = append(b, '}')
	}
	b = appendStrField(b, start, `"name":`, l.Name)
	b = appendStrField(b, start, `"phoneNumber":`, l.PhoneNumber)
	b = appendStrField(b, start, `"notes":`, l.Notes)
	b = appendStrField(b, start, `"placeId":`, l.PlaceID)
	return append(b, '}')
}

func appendActions(b []byte, as []Action) ([]byte, error) {
	b = append(b, '[')
	for i := range as {
		if i > 0 {
			b = append(b, ',')
		}
		a := &as[i]
		s := len(b)
		b = append(b, '{')
		b = appendStrField(b, s, `"type":`, string(a.Type))
		b = appendStrField(b, s, `"title":`, a.Title)
		if u := a.OpenURLAction; u != nil {
			b = append(sep(b, s), `"openUrlAction":`...)
			us := len(b)
			b = append(b, '{')
			b = appendStrField(b, us, `"url":`, u.URL)
			var err error
			if b, err = appendRawField(b, us, `"androidApp":`, u.AndroidApp); err != nil {
				return b, err
			}
			b = appendStrField(b, us, `"urlTypeHint":`, string(u.URLTypeHint))
			b = append(b, '}')
		}
		if m := a.ActionMetadata; m != nil {
			b = append(sep(b, s), `"actionMetadata":`...)
			ms := len(b)
			b = append(b, '{')
			var err error
			if b, err = appendTimeField(b, ms, `"expireTime":`, m.ExpireTime); err != nil {
				return b, err
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

func appendPriceAttributes(b []byte, ps []PriceAttribute) []byte {
	b = append(b, '[')
	for i := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		p := &ps[i]
		s := len(b)
		b = append(b, '{')
		b = appendStrField(b, s, `"type":`, string(p.Type))
		b = appendStrField(b, s, `"name":`, p.Name)
		b = appendStrField(b, s, `"id":`, p.ID)
		b = appendStrField(b, s, `"state":`, string(p.State))
		if m := p.Amount; m != nil {
			b = append(sep(b, s), `"amount":`...)
			ms := len(b)
			b = append(b, '{')
			b = appendStrField(b, ms, `"currencyCode":`, m.CurrencyCode)
			if m.AmountInMicros != 0 {
				b = append(sep(b, ms), `"amountInMicros":"`...)
				b = strconv.AppendInt(b, int64(m.AmountInMicros), 10)
				b = append(b, '"')
			}
			b = append(b, '}')
		}
		if p.AmountMillipercentage != 0 {
			b = append(sep(b, s), `"amountMillipercentage":`...)
			b = strconv.AppendInt(b, int64(p.AmountMillipercentage), 10)
		}
		if p.TaxIncluded {
			b = append(sep(b, s), `"taxIncluded":true`...)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// sep appends the comma before a member of the object that starts at b[start], unless it is the first member.
func sep(b []byte, start int) []byte {
	if len(b) > start+1 {
		return append(b, ',')
	}
	return b
}

// appendStrField appends an omitempty string member.
func appendStrField(b []byte, start int, name, v string) []byte {
	if v == "" {
		return b
	}
	b = append(sep(b, start), name...)
	return AppendJSONString(b, v)
}

// appendTimeField appends an omitzero Timestamp member.
func appendTimeField(b []byte, start int, name string, t Timestamp) ([]byte, error) {
	if t.IsZero() {
		return b, nil
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return b, fmt.Errorf("timestamp year %d out of range", y)
	}
	b = append(sep(b, start), name...)
	b = append(b, '"')
	b = appendProtoTime(b, t.Time)
	return append(b, '"'), nil
}

// appendRawField appends an omitempty json.RawMessage member.
func appendRawField(b []byte, start int, name string, raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 {
		return b, nil
	}
	n := len(b)
	b = append(sep(b, start), name...)
	out, err := AppendRawJSON(b, raw)
	if err != nil {
		return b[:n], err
	}
	return out, nil
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, s)
	}
	return append(b, ']')
}

// AppendRawJSON appends raw as encoding/json writes a json.RawMessage or a MarshalJSON result inside a
// document: compacted, with <, >, &, U+2028 and U+2029 escaped. It fails when raw is not valid JSON.
func AppendRawJSON(b, raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return b, fmt.Errorf("invalid JSON: %w", err)
	}
	out := bytes.NewBuffer(b)
	json.HTMLEscape(out, buf.Bytes())
	return out.Bytes(), nil
}

// AppendJSONFloat appends f as encoding/json writes a float64 (ES6 number formatting). f must be finite:
// encoding/json refuses NaN and infinities, and callers check for them.
func AppendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 → e-9, as encoding/json writes it.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII bytes encoding/json writes as they are in a string with HTML escaping on: printable,
// and none of " \ < > &. Bytes from utf8.RuneSelf up are false (they need the UTF-8 checks).
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// hasJSONSpecial reports whether any of the 8 bytes of s is one AppendJSONString must look at (not jsonSafe),
// testing them at once in a 64-bit word.
func hasJSONSpecial(s string) bool {
	_ = s[7] // one bounds check for the eight loads below
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	zero := func(x uint64) uint64 { return (x - lo) & ^x & hi } // high bit set in the bytes of x that are 0
	// Bytes ≥ 0x80, bytes < 0x20, and the five characters that are escaped.
	special := w&hi | (w-lo*0x20)&^w&hi |
		zero(w^(lo*'"')) | zero(w^(lo*'\\')) | zero(w^(lo*'<')) | zero(w^(lo*'>')) | zero(w^(lo*'&'))
	return special != 0
}

// AppendJSONString appends s as a JSON string exactly as encoding/json's Marshal writes it: HTML-safe (<, > and
// & as \u003c…), control characters escaped, invalid UTF-8 replaced by \ufffd, U+2028 and U+2029 escaped.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) && !hasJSONSpecial(s[i:i+8]) {
			i += 8
			continue
		}
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Snapshot returns the receipt for o as the conversation sends it after ORDER_ACCEPTED
// (structuredResponse.orderUpdateV3): type SNAPSHOT with the full order and a reason for the change.
func Snapshot(o Order, reason string) OrderUpdate {
	return OrderUpdate{Type: OrderUpdateSnapshot, Order: &o, Reason: reason}
}

// ReservationStatusMask is the updateMask of an Orders API update that changes a reservation's status: the
// comma-joined camelCase paths Google's samples send.
const ReservationStatusMask = "lastUpdateTime,contents.lineItems.reservation.status," +
	"contents.lineItems.reservation.userVisibleStatusLabel"
