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
//
// Everything is written by encoding/json from the struct tags; only Micros, Timestamp and Order (for its
// Extra fields) have MarshalJSON methods.
package orderv3

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
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
	b = t.AppendFormat(b, "2006-01-02T15:04:05")
	switch ns := t.Nanosecond(); {
	case ns == 0:
		return append(b, 'Z')
	case ns%1e6 == 0:
		return fmt.Appendf(b, ".%03dZ", ns/1e6)
	case ns%1e3 == 0:
		return fmt.Appendf(b, ".%06dZ", ns/1e3)
	default:
		return fmt.Appendf(b, ".%09dZ", ns)
	}
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

// Snapshot returns the receipt for o as the conversation sends it after ORDER_ACCEPTED
// (structuredResponse.orderUpdateV3): type SNAPSHOT with the full order and a reason for the change.
func Snapshot(o Order, reason string) OrderUpdate {
	return OrderUpdate{Type: OrderUpdateSnapshot, Order: &o, Reason: reason}
}

// ReservationStatusMask is the updateMask of an Orders API update that changes a reservation's status: the
// comma-joined camelCase paths Google's samples send.
const ReservationStatusMask = "lastUpdateTime,contents.lineItems.reservation.status," +
	"contents.lineItems.reservation.userVisibleStatusLabel"
