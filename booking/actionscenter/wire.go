package actionscenter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// Int64 is a proto3 int64: read from a JSON number or a JSON string holding an integer, written as a number.
type Int64 int64

// UnmarshalJSON accepts 1606473000, "1606473000", 1.606473e9 (integral values only) and null (zero).
func (n *Int64) UnmarshalJSON(data []byte) error {
	v, err := parseInteger(data, math.MinInt64, math.MaxInt64)
	if err != nil {
		return err
	}
	*n = Int64(v)
	return nil
}

// Int32 is a proto3 int32: read from a JSON number or a JSON string holding an integer, written as a number.
type Int32 int32

// UnmarshalJSON accepts 2, "2", 2.0 and null (zero); values outside the int32 range are refused.
func (n *Int32) UnmarshalJSON(data []byte) error {
	v, err := parseInteger(data, math.MinInt32, math.MaxInt32)
	if err != nil {
		return err
	}
	*n = Int32(v)
	return nil
}

// parseInteger reads a proto3 JSON integer: a number or a string holding one, integral, within [lo, hi].
func parseInteger(data []byte, lo, hi int64) (int64, error) {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		return 0, nil
	}
	text := string(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return 0, fmt.Errorf("integer: %w", err)
		}
		text = strings.TrimSpace(s)
		if text != s || text == "" {
			return 0, fmt.Errorf("integer: %q is not a number", s)
		}
	}
	if v, err := strconv.ParseInt(text, 10, 64); err == nil {
		if v < lo || v > hi {
			return 0, fmt.Errorf("integer: %s is out of range", text)
		}
		return v, nil
	}
	// Exponent or fraction notation: allowed when the value is integral (proto3 JSON accepts 1e3).
	f, _, err := big.ParseFloat(text, 10, 128, big.ToNearestEven)
	if err != nil || !isJSONNumber(text) {
		return 0, fmt.Errorf("integer: %q is not a number", text)
	}
	if !f.IsInt() {
		return 0, fmt.Errorf("integer: %s is not integral", text)
	}
	i, acc := f.Int64()
	if acc != big.Exact || i < lo || i > hi {
		return 0, fmt.Errorf("integer: %s is out of range", text)
	}
	return i, nil
}

// isJSONNumber reports whether s is a JSON number literal (no hex, no "Inf", no leading '+').
func isJSONNumber(s string) bool {
	return json.Valid([]byte(s)) && s != "" && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9'))
}

// enumTable maps an enum's names to numbers; it decodes a proto3 JSON enum given by name or by number.
type enumTable struct {
	kind    string
	numbers map[string]int32
	// nameOnly lists values whose number no source confirms: they are read by name only.
	nameOnly []string
}

func (t enumTable) decode(data []byte) (string, error) {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		return "", nil
	}
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return "", fmt.Errorf("%s: %w", t.kind, err)
		}
		if _, ok := t.numbers[s]; ok || slices.Contains(t.nameOnly, s) {
			return s, nil
		}
		// A number in a string ("3"), as protobuf's own JSON parsers accept.
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return "", fmt.Errorf("%s: unknown value %q", t.kind, s)
		}
		return t.byNumber(n)
	}
	n, err := parseInteger(data, math.MinInt32, math.MaxInt32)
	if err != nil {
		return "", fmt.Errorf("%s: %w", t.kind, err)
	}
	return t.byNumber(n)
}

func (t enumTable) byNumber(n int64) (string, error) {
	for name, num := range t.numbers {
		if int64(num) == n {
			return name, nil
		}
	}
	return "", fmt.Errorf("%s: unknown number %d", t.kind, n)
}

// BookingStatus is the Actions Center's status of a booking (note CANCELED with one L).
type BookingStatus string

// Booking statuses.
const (
	BookingStatusUnspecified     BookingStatus = "BOOKING_STATUS_UNSPECIFIED"
	BookingStatusConfirmed       BookingStatus = "CONFIRMED"
	BookingStatusPending         BookingStatus = "PENDING_MERCHANT_CONFIRMATION"
	BookingStatusCanceled        BookingStatus = "CANCELED"
	BookingStatusNoShow          BookingStatus = "NO_SHOW"
	BookingStatusNoShowPenalized BookingStatus = "NO_SHOW_PENALIZED"
	BookingStatusFailed          BookingStatus = "FAILED"
	BookingStatusDeclined        BookingStatus = "DECLINED_BY_MERCHANT"
)

var bookingStatusEnum = enumTable{kind: "booking status", numbers: map[string]int32{
	"BOOKING_STATUS_UNSPECIFIED": 0, "CONFIRMED": 1, "PENDING_MERCHANT_CONFIRMATION": 2, "CANCELED": 3,
	"NO_SHOW": 4, "NO_SHOW_PENALIZED": 5, "FAILED": 6, "DECLINED_BY_MERCHANT": 7,
}}

// UnmarshalJSON reads the status by name or number.
func (s *BookingStatus) UnmarshalJSON(data []byte) error {
	v, err := bookingStatusEnum.decode(data)
	*s = BookingStatus(v)
	return err
}

// PrepaymentStatus says whether a booking was paid for in advance.
type PrepaymentStatus string

// Prepayment statuses.
const (
	PrepaymentUnspecified PrepaymentStatus = "PREPAYMENT_STATUS_UNSPECIFIED"
	PrepaymentProvided    PrepaymentStatus = "PREPAYMENT_PROVIDED"
	PrepaymentNotProvided PrepaymentStatus = "PREPAYMENT_NOT_PROVIDED"
	PrepaymentRefunded    PrepaymentStatus = "PREPAYMENT_REFUNDED"
	PrepaymentCredited    PrepaymentStatus = "PREPAYMENT_CREDITED"
)

var prepaymentEnum = enumTable{kind: "prepayment status", numbers: map[string]int32{
	"PREPAYMENT_STATUS_UNSPECIFIED": 0, "PREPAYMENT_PROVIDED": 1, "PREPAYMENT_NOT_PROVIDED": 2,
	"PREPAYMENT_REFUNDED": 3, "PREPAYMENT_CREDITED": 4,
}}

// UnmarshalJSON reads the status by name or number.
func (s *PrepaymentStatus) UnmarshalJSON(data []byte) error {
	v, err := prepaymentEnum.decode(data)
	*s = PrepaymentStatus(v)
	return err
}

// ConfirmationMode says whether a booking is confirmed synchronously.
type ConfirmationMode string

// Confirmation modes.
const (
	ConfirmationUnspecified ConfirmationMode = "CONFIRMATION_MODE_UNSPECIFIED"
	ConfirmationSync        ConfirmationMode = "CONFIRMATION_MODE_SYNCHRONOUS"
	ConfirmationAsync       ConfirmationMode = "CONFIRMATION_MODE_ASYNCHRONOUS"
)

var confirmationEnum = enumTable{kind: "confirmation mode", numbers: map[string]int32{
	"CONFIRMATION_MODE_UNSPECIFIED": 0, "CONFIRMATION_MODE_SYNCHRONOUS": 1, "CONFIRMATION_MODE_ASYNCHRONOUS": 2,
}}

// UnmarshalJSON reads the mode by name or number.
func (m *ConfirmationMode) UnmarshalJSON(data []byte) error {
	v, err := confirmationEnum.decode(data)
	*m = ConfirmationMode(v)
	return err
}

// FailureCause is why a CreateBooking or UpdateBooking failed for a business reason.
type FailureCause string

// Failure causes. CAUSE_UNSPECIFIED is never sent by this server.
const (
	CauseUnspecified                FailureCause = "CAUSE_UNSPECIFIED"
	CauseSlotUnavailable            FailureCause = "SLOT_UNAVAILABLE"
	CauseSlotAlreadyBookedByUser    FailureCause = "SLOT_ALREADY_BOOKED_BY_USER"
	CauseLeaseExpired               FailureCause = "LEASE_EXPIRED"
	CauseOutsideCancellationWindow  FailureCause = "OUTSIDE_CANCELLATION_WINDOW"
	CausePaymentCardTypeRejected    FailureCause = "PAYMENT_ERROR_CARD_TYPE_REJECTED"
	CausePaymentCardDeclined        FailureCause = "PAYMENT_ERROR_CARD_DECLINED"
	CausePaymentOptionNotValid      FailureCause = "PAYMENT_OPTION_NOT_VALID"
	CausePaymentError               FailureCause = "PAYMENT_ERROR"
	CauseUserCannotUsePaymentOption FailureCause = "USER_CANNOT_USE_PAYMENT_OPTION"
	CauseBookingAlreadyCancelled    FailureCause = "BOOKING_ALREADY_CANCELLED"
	CauseBookingNotCancellable      FailureCause = "BOOKING_NOT_CANCELLABLE"
	CauseOverlappingReservation     FailureCause = "OVERLAPPING_RESERVATION"
	CauseUserOverBookingLimit       FailureCause = "USER_OVER_BOOKING_LIMIT"
	CauseDealUnavailable            FailureCause = "DEAL_UNAVAILABLE"
	CausePaymentRequires3DS1        FailureCause = "PAYMENT_REQUIRES_3DS1"
	CauseOfferUnavailable           FailureCause = "OFFER_UNAVAILABLE"
)

// failureEnum lists the causes by number. OFFER_UNAVAILABLE has no confirmed number and is read by name only.
var failureEnum = enumTable{kind: "failure cause", numbers: map[string]int32{
	"CAUSE_UNSPECIFIED": 0, "SLOT_UNAVAILABLE": 1, "SLOT_ALREADY_BOOKED_BY_USER": 2, "LEASE_EXPIRED": 3,
	"OUTSIDE_CANCELLATION_WINDOW": 4, "PAYMENT_ERROR_CARD_TYPE_REJECTED": 5, "PAYMENT_ERROR_CARD_DECLINED": 6,
	"PAYMENT_OPTION_NOT_VALID": 7, "PAYMENT_ERROR": 8, "USER_CANNOT_USE_PAYMENT_OPTION": 9,
	"BOOKING_ALREADY_CANCELLED": 10, "BOOKING_NOT_CANCELLABLE": 11, "OVERLAPPING_RESERVATION": 12,
	"USER_OVER_BOOKING_LIMIT": 13, "DEAL_UNAVAILABLE": 14, "PAYMENT_REQUIRES_3DS1": 15,
}, nameOnly: []string{"OFFER_UNAVAILABLE"}}

// UnmarshalJSON reads the cause by name or number.
func (c *FailureCause) UnmarshalJSON(data []byte) error {
	v, err := failureEnum.decode(data)
	*c = FailureCause(v)
	return err
}

// ResourceIDs names the resources of a slot; dining uses only the party size.
type ResourceIDs struct {
	StaffID   string `json:"staff_id,omitempty"`
	RoomID    string `json:"room_id,omitempty"`
	PartySize Int32  `json:"party_size,omitempty"`
}

// Slot is an inventory slot: a service of a merchant at a start time for a duration.
type Slot struct {
	MerchantID       string           `json:"merchant_id,omitempty"`
	ServiceID        string           `json:"service_id,omitempty"`
	StartSec         Int64            `json:"start_sec,omitempty"`
	DurationSec      Int64            `json:"duration_sec,omitempty"`
	AvailabilityTag  string           `json:"availability_tag,omitempty"`
	Resources        *ResourceIDs     `json:"resources,omitempty"`
	ConfirmationMode ConfirmationMode `json:"confirmation_mode,omitempty"`
}

// PostalAddress is a user's address as the Actions Center sends it; this server does not store it.
type PostalAddress struct {
	Country       string `json:"country,omitempty"`
	Locality      string `json:"locality,omitempty"`
	Region        string `json:"region,omitempty"`
	PostalCode    string `json:"postal_code,omitempty"`
	StreetAddress string `json:"street_address,omitempty"`
}

// UserInformation is the person a booking is for. Every field except UserID is personal data: never log it.
type UserInformation struct {
	UserID       string         `json:"user_id,omitempty"`
	GivenName    string         `json:"given_name,omitempty"`
	FamilyName   string         `json:"family_name,omitempty"`
	Address      *PostalAddress `json:"address,omitempty"`
	Telephone    string         `json:"telephone,omitempty"`
	Email        string         `json:"email,omitempty"`
	LanguageCode string         `json:"language_code,omitempty"`
}

// PaymentInformation describes payment for a booking; this server takes no payments.
type PaymentInformation struct {
	PrepaymentStatus PrepaymentStatus `json:"prepayment_status,omitempty"`
}

// OfferInfo names the offer a booking used.
type OfferInfo struct {
	OfferID string `json:"offer_id,omitempty"`
}

// Booking is a reservation as the Actions Center sees it.
type Booking struct {
	BookingID          string              `json:"booking_id,omitempty"`
	Slot               *Slot               `json:"slot,omitempty"`
	UserInformation    *UserInformation    `json:"user_information,omitempty"`
	Status             BookingStatus       `json:"status,omitempty"`
	PaymentInformation *PaymentInformation `json:"payment_information,omitempty"`
	OfferInfo          *OfferInfo          `json:"offer_info,omitempty"`
}

// BookingFailure reports a business failure with HTTP 200.
type BookingFailure struct {
	Cause FailureCause `json:"cause"`
	// Description is for debugging only; it never carries personal data.
	Description string `json:"description,omitempty"`
}

// LeaseReference names a lease (a hold) that CreateBooking consumes.
type LeaseReference struct {
	LeaseID string `json:"lease_id,omitempty"`
}

// CreateBookingRequest asks for a booking of a slot.
type CreateBookingRequest struct {
	Slot               *Slot               `json:"slot,omitempty"`
	LeaseRef           *LeaseReference     `json:"lease_ref,omitempty"`
	UserInformation    *UserInformation    `json:"user_information,omitempty"`
	PaymentInformation *PaymentInformation `json:"payment_information,omitempty"`
	IdempotencyToken   string              `json:"idempotency_token,omitempty"`
	AdditionalRequest  string              `json:"additional_request,omitempty"`
	OfferID            string              `json:"offer_id,omitempty"`
	DealID             string              `json:"deal_id,omitempty"`
}

// CreateBookingResponse carries the booking, or the business failure.
type CreateBookingResponse struct {
	Booking        *Booking        `json:"booking,omitempty"`
	BookingFailure *BookingFailure `json:"booking_failure,omitempty"`
}

// UpdateBookingRequest cancels a booking (status CANCELED), moves it (slot.start_sec, slot.duration_sec) or
// changes its party size (slot.resources.party_size).
type UpdateBookingRequest struct {
	Booking *Booking `json:"booking,omitempty"`
}

// UpdateBookingResponse carries the updated booking, or the business failure.
type UpdateBookingResponse struct {
	Booking        *Booking        `json:"booking,omitempty"`
	BookingFailure *BookingFailure `json:"booking_failure,omitempty"`
}

// GetBookingStatusRequest asks for a booking's status.
type GetBookingStatusRequest struct {
	BookingID string `json:"booking_id,omitempty"`
}

// GetBookingStatusResponse reports a booking's status.
type GetBookingStatusResponse struct {
	BookingID        string           `json:"booking_id"`
	BookingStatus    BookingStatus    `json:"booking_status"`
	PrepaymentStatus PrepaymentStatus `json:"prepayment_status"`
}

// ListBookingsRequest asks for a user's bookings.
type ListBookingsRequest struct {
	UserID string `json:"user_id,omitempty"`
}

// ListBookingsResponse lists a user's future, non-cancelled bookings.
type ListBookingsResponse struct {
	Bookings []Booking `json:"bookings"`
}

// SlotTime is one start time of one service asked about in a BatchAvailabilityLookup. ResourceIDs is read from
// "resource_ids" or, as some clients send it, "resources"; it is echoed as "resource_ids".
type SlotTime struct {
	ServiceID        string           `json:"service_id,omitempty"`
	StartSec         Int64            `json:"start_sec,omitempty"`
	DurationSec      Int64            `json:"duration_sec,omitempty"`
	AvailabilityTag  string           `json:"availability_tag,omitempty"`
	ResourceIDs      *ResourceIDs     `json:"resource_ids,omitempty"`
	Resources        *ResourceIDs     `json:"resources,omitempty"`
	ConfirmationMode ConfirmationMode `json:"confirmation_mode,omitempty"`
}

// BatchAvailabilityLookupRequest asks whether each slot time of one merchant is available.
type BatchAvailabilityLookupRequest struct {
	MerchantID string     `json:"merchant_id,omitempty"`
	SlotTime   []SlotTime `json:"slot_time,omitempty"`
}

// SlotTimeAvailability answers for one SlotTime, echoing it.
type SlotTimeAvailability struct {
	SlotTime  SlotTime `json:"slot_time"`
	Available bool     `json:"available"`
}

// BatchAvailabilityLookupResponse has exactly one entry per requested SlotTime, in request order.
type BatchAvailabilityLookupResponse struct {
	SlotTimeAvailability []SlotTimeAvailability `json:"slot_time_availability"`
}
