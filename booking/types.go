package booking

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// ReservationType is the kind of reservation a service takes, named as the OrderV3 ReservationType enum names it.
type ReservationType string

// Reservation types.
const (
	TypeRestaurant  ReservationType = "RESTAURANT"
	TypeHairdresser ReservationType = "HAIRDRESSER"
	TypeOther       ReservationType = "OTHER"
)

// Money is an amount in a currency, in micros (1/1,000,000 of the unit), as OrderV3 and the Actions Center write it.
type Money struct {
	CurrencyCode string `json:"currencyCode"`
	AmountMicros int64  `json:"amountMicros"`
}

// PostalAddress is a merchant's location in the shape of google.type.PostalAddress.
type PostalAddress struct {
	RegionCode         string   `json:"regionCode"`
	PostalCode         string   `json:"postalCode,omitempty"`
	AdministrativeArea string   `json:"administrativeArea,omitempty"`
	Locality           string   `json:"locality,omitempty"`
	AddressLines       []string `json:"addressLines,omitempty"`
}

// Merchant is a business that takes reservations: a restaurant, a salon.
type Merchant struct {
	ID                string        `json:"id"`
	Name              string        `json:"name"`
	URL               string        `json:"url,omitempty"`
	Phone             string        `json:"phone,omitempty"`
	Email             string        `json:"email,omitempty"`
	TermsOfServiceURL string        `json:"termsOfServiceUrl,omitempty"`
	Address           PostalAddress `json:"address"`
	// TimeZone is an IANA name such as America/Los_Angeles; Location is loaded from it when the inventory is.
	TimeZone string         `json:"timeZone"`
	Location *time.Location `json:"-"`
	// Hours are the weekly opening hours in the merchant's time zone; ClosedDates (YYYY-MM-DD) override them.
	Hours          []OpeningHours `json:"hours"`
	ClosedDates    []string       `json:"closedDates,omitempty"`
	Policy         Policy         `json:"policy"`
	Services       []Service      `json:"services"`
	DefaultService string         `json:"defaultService,omitempty"` // a service ID; the first service when empty
}

// OpeningHours is one opening period on a weekday, as local wall-clock times "HH:MM". Close may be "24:00";
// a period that closes before it opens runs past midnight into the next day.
type OpeningHours struct {
	Day   time.Weekday `json:"day"` // 0 = Sunday, as time.Weekday
	Open  string       `json:"open"`
	Close string       `json:"close"`
}

// Service is something a merchant takes reservations for: dinner, a haircut.
type Service struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Type        ReservationType `json:"type"`
	Duration    Duration        `json:"duration"`
	Price       *Money          `json:"price,omitempty"`
	MinParty    int             `json:"minPartySize"`
	MaxParty    int             `json:"maxPartySize"`
	// Capacity is how many covers (restaurants) or spots (appointments) can be in use at any moment.
	Capacity int `json:"capacity"`
	// Interval is the spacing of start times from the opening time (15 minutes: 17:00, 17:15, ...).
	Interval Duration `json:"interval"`
}

// Policy holds a merchant's booking rules.
type Policy struct {
	Hold         Duration `json:"hold"`         // how long a hold keeps its capacity
	MinLead      Duration `json:"minLead"`      // earliest bookable: now + MinLead
	MaxLead      Duration `json:"maxLead"`      // latest bookable: now + MaxLead
	CancelBefore Duration `json:"cancelBefore"` // cancellable until Start - CancelBefore
	// ManualConfirm makes new bookings PENDING until staff confirm them.
	ManualConfirm bool `json:"manualConfirm"`
	// FulfillAfter is the grace period after a booking's end before it becomes FULFILLED on its own.
	FulfillAfter Duration `json:"fulfillAfter"`
}

// Duration is a time.Duration that reads and writes JSON as a Go duration string ("90m", "1h30m").
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Status is a booking's state, named as the Orders API's ReservationStatus names it, plus NO_SHOW (which the
// orders package reports to Google as CANCELLED with a user-visible label "No-show").
type Status string

// Booking statuses. [Transitions] lists which changes are allowed.
const (
	StatusPending         Status = "PENDING"
	StatusConfirmed       Status = "CONFIRMED"
	StatusCancelled       Status = "CANCELLED"
	StatusFulfilled       Status = "FULFILLED"
	StatusNoShow          Status = "NO_SHOW"
	StatusRejected        Status = "REJECTED"
	StatusChangeRequested Status = "CHANGE_REQUESTED"
)

// Source says through which channel a booking was made.
type Source string

// Booking sources.
const (
	SourceAssistant     Source = "ASSISTANT"      // an Assistant transaction: has a Google order and receipt
	SourceConversation  Source = "CONVERSATION"   // Dialogflow console or another channel without transactions
	SourceActionsCenter Source = "ACTIONS_CENTER" // Google's Actions Center booking server API
	SourceAdmin         Source = "ADMIN"          // merchant staff
)

// Customer is who the booking is for. Every field is personal data: never log it.
type Customer struct {
	// Name is the guest's name as one string, as the conversation and the staff page take it; where a channel
	// sends the given and family names apart (the Actions Center), Name joins them and GivenName and FamilyName
	// keep them as given.
	Name       string `json:"name,omitempty"`
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	// UserID is an opaque, stable id of the user: the Assistant's anonymous user-storage id, or the Actions
	// Center user_id. Bookings are listed by it.
	UserID string `json:"userId,omitempty"`
}

// Hold keeps capacity for a proposed booking until ExpiresAt. Confirming it makes the booking with the same ID.
type Hold struct {
	ID         string    `json:"id"`
	MerchantID string    `json:"merchantId"`
	ServiceID  string    `json:"serviceId"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	PartySize  int       `json:"partySize"`
	UserID     string    `json:"userId,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
}

// Booking is a reservation. Its ID is at most 64 characters of [A-Za-z0-9-], usable as a Google merchantOrderId.
type Booking struct {
	ID               string    `json:"id"`
	ConfirmationCode string    `json:"confirmationCode"` // short, human: read out and shown on the receipt
	MerchantID       string    `json:"merchantId"`
	ServiceID        string    `json:"serviceId"`
	Customer         Customer  `json:"customer"`
	PartySize        int       `json:"partySize"`
	Start            time.Time `json:"start"`
	End              time.Time `json:"end"`
	// Day is the merchant-local date of Start (YYYY-MM-DD), set by the core; stores index bookings by it.
	Day     string `json:"day"`
	Status  Status `json:"status"`
	Version int64  `json:"version"` // 1 on creation, +1 on every change
	Source  Source `json:"source"`
	// GoogleOrderID is the Assistant's order id when the booking has a Google receipt (see HasGoogleOrder).
	GoogleOrderID string `json:"googleOrderId,omitempty"`
	Reason        string `json:"reason,omitempty"` // why the last status change happened, for staff
	// Notes is free text about the booking: staff notes, the guest's special request, the Actions Center's
	// additional_request. Personal data: never log it.
	Notes string `json:"notes,omitempty"`
	// Locale is the guest's language as a BCP 47 tag ("en-US", "fr") where the channel said it; messages to the
	// guest use it.
	Locale string `json:"locale,omitempty"`
	// AvailabilityTag is the Actions Center slot's opaque availability_tag, kept to echo back to Google.
	AvailabilityTag string `json:"availabilityTag,omitempty"`
	// InSandbox records whether the Assistant conversation that made the booking was in the sandbox; nil when it
	// never said (the service's --sandbox setting is then the default for its Orders API updates).
	InSandbox *bool     `json:"inSandbox,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// HasGoogleOrder reports whether the booking has an order in the guest's Google account: it was made through an
// Assistant transaction (Source ASSISTANT, whose accepted order usually carries a GoogleOrderID), or carries the
// Google order id of one. Only such bookings' changes are sent to Google's Orders API.
func (b *Booking) HasGoogleOrder() bool {
	return b.GoogleOrderID != "" || b.Source == SourceAssistant
}

// Active reports whether the booking still holds capacity (it is neither cancelled, rejected nor over).
func (b *Booking) Active() bool {
	return b.Status == StatusPending || b.Status == StatusConfirmed || b.Status == StatusChangeRequested
}

// ChangeKind says what an outbox entry reports.
type ChangeKind string

// Change kinds.
const (
	ChangeCreated    ChangeKind = "CREATED"
	ChangeStatus     ChangeKind = "STATUS"
	ChangeReschedule ChangeKind = "RESCHEDULE"
	ChangePartySize  ChangeKind = "PARTY_SIZE"
)

// DeliveryState is where an outbox entry is in its delivery.
type DeliveryState string

// Delivery states.
const (
	DeliveryPending   DeliveryState = "PENDING"   // waiting for its due time or its turn
	DeliveryInFlight  DeliveryState = "IN_FLIGHT" // claimed by a consumer under a lease
	DeliveryDelivered DeliveryState = "DELIVERED" // acknowledged
	DeliveryDead      DeliveryState = "DEAD"      // failed permanently; LastError says why
)

// Channel names where an outbox entry is delivered. Stored entries written before channels existed have an
// empty Channel and are Orders API entries ([OutboxEntry.ChannelOrDefault]).
type Channel string

// Outbox channels.
const (
	ChannelOrders       Channel = "ORDERS"       // the guest's Google receipt, through the Orders API
	ChannelEmail        Channel = "EMAIL"        // mail to the guest or the merchant's staff
	ChannelWebhook      Channel = "WEBHOOK"      // the merchant's signed webhooks
	ChannelMapsBooking  Channel = "MAPS_BOOKING" // the Actions Center's BookingNotification
	ChannelAvailability Channel = "AVAILABILITY" // the Actions Center's availability:replace
)

// OutboxEntry records one change to a booking for one channel, written in the same atomic step as the change.
// Entries of one booking and one lane ([OutboxEntry.Lane]) are delivered in Seq order (Seq is the booking's
// Version after the change); entries of different lanes do not wait for each other. docs/outbox.md describes
// the channels, lanes and IDs.
type OutboxEntry struct {
	// ID is unique: bookingID + "." + Seq for ORDERS entries, bookingID + "." + Seq + "." + lane for the others
	// ([OutboxID]).
	ID        string `json:"id"`
	BookingID string `json:"bookingId"`
	// Channel is where the entry is delivered; empty means ChannelOrders.
	Channel Channel    `json:"channel,omitempty"`
	Seq     int64      `json:"seq"`
	Kind    ChangeKind `json:"kind"`
	// Event names what the entry tells on channels that tell several things (a mail's message, a webhook's
	// event type); empty for ORDERS.
	Event string `json:"event,omitempty"`
	// Target is the destination on channels with several (a webhook's URL); empty otherwise.
	Target string `json:"target,omitempty"`
	// PreviousStatus is the booking's status before the change when the change moved it; empty otherwise.
	PreviousStatus Status `json:"previousStatus,omitempty"`
	// Booking is the booking as it was right after the change.
	Booking   Booking   `json:"booking"`
	Reason    string    `json:"reason,omitempty"`
	CreatedAt time.Time `json:"createdAt"`

	State         DeliveryState `json:"state"`
	Attempts      int           `json:"attempts"`
	NextAttemptAt time.Time     `json:"nextAttemptAt"`
	LeaseOwner    string        `json:"leaseOwner,omitempty"`
	LeaseUntil    time.Time     `json:"leaseUntil,omitempty"`
	LastError     string        `json:"lastError,omitempty"`
	DeliveredAt   time.Time     `json:"deliveredAt,omitempty"`
}

// ChannelOrDefault returns the entry's Channel, ChannelOrders when it is empty.
func (e *OutboxEntry) ChannelOrDefault() Channel {
	if e.Channel == "" {
		return ChannelOrders
	}
	return e.Channel
}

// Lane is the entry's ordering key within its booking: the part of its ID after bookingID + "." + Seq + ".",
// empty for ORDERS entries (and for any ID without a second dot). An entry is never delivered while an entry of
// the same booking and lane with a lower Seq is PENDING or IN_FLIGHT. Booking IDs hold no dots (see [NewID]),
// so the lane is everything after the ID's second dot.
func (e *OutboxEntry) Lane() string { return OutboxLane(e.ID) }

// OutboxLane returns the lane of an outbox entry ID (see [OutboxEntry.Lane]). The Redis store's claim script
// computes the same with a Lua pattern.
func OutboxLane(id string) string {
	_, rest, ok := strings.Cut(id, ".")
	if !ok {
		return ""
	}
	_, lane, _ := strings.Cut(rest, ".")
	return lane
}

// OutboxID is the ID of a booking's outbox entry of version seq in lane ("" for ORDERS).
func OutboxID(bookingID string, seq int64, lane string) string {
	id := bookingID + "." + strconv.FormatInt(seq, 10)
	if lane != "" {
		id += "." + lane
	}
	return id
}

// Channels lists every outbox channel, in the order the documentation and metrics name them.
func Channels() []Channel {
	return []Channel{ChannelOrders, ChannelEmail, ChannelWebhook, ChannelMapsBooking, ChannelAvailability}
}

// WantsChannel reports whether an entry of channel ch is among channels; no channels means every channel
// ([Outbox.ClaimOutbox]'s filter). ch empty is ChannelOrders.
func WantsChannel(channels []Channel, ch Channel) bool {
	if ch == "" {
		ch = ChannelOrders
	}
	return len(channels) == 0 || slices.Contains(channels, ch)
}

// Allocation is capacity in use by a hold or a booking: Party covers from Start to End. A hold's allocation
// has ExpiresAt set and stops counting at that instant; a booking's has a zero ExpiresAt.
type Allocation struct {
	ID         string    `json:"id"` // the hold or booking ID
	MerchantID string    `json:"merchantId"`
	ServiceID  string    `json:"serviceId"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Party      int       `json:"party"`
	ExpiresAt  time.Time `json:"expiresAt,omitzero"`
}

// Live reports whether the allocation counts against capacity at now.
func (a Allocation) Live(now time.Time) bool { return a.ExpiresAt.IsZero() || now.Before(a.ExpiresAt) }

// IdempotencyRecord remembers the outcome of a mutating call made with an idempotency key.
type IdempotencyRecord struct {
	Key         string `json:"key"`
	RequestHash string `json:"requestHash"` // a hash of the request; another request under the same key conflicts
	// Result is the first outcome as the core encoded it (a booking, or an *Error), returned again on replay.
	Result    []byte    `json:"result"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}
