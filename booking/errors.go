package booking

import (
	"errors"
	"fmt"
)

// Code names a failure a caller can switch on. The values double as the wire names used in logs, JSON errors
// and the Actions Center failure mapping.
type Code string

// The failure vocabulary of the core.
const (
	CodeSlotUnavailable           Code = "SLOT_UNAVAILABLE"
	CodeSlotAlreadyBookedByUser   Code = "SLOT_ALREADY_BOOKED_BY_USER"
	CodeHoldExpired               Code = "HOLD_EXPIRED"
	CodeOutsideCancellationWindow Code = "OUTSIDE_CANCELLATION_WINDOW"
	CodeBookingAlreadyCancelled   Code = "BOOKING_ALREADY_CANCELLED"
	CodeBookingNotCancellable     Code = "BOOKING_NOT_CANCELLABLE"
	CodeVersionMismatch           Code = "VERSION_MISMATCH"
	CodeIdempotencyConflict       Code = "IDEMPOTENCY_CONFLICT"
	CodeIllegalTransition         Code = "ILLEGAL_TRANSITION"
	CodeInvalidArgument           Code = "INVALID_ARGUMENT"
	CodeNotFound                  Code = "NOT_FOUND"
	// CodeAlreadyExists: a record that must be new (a merchant created with POST) already exists.
	CodeAlreadyExists Code = "ALREADY_EXISTS"
)

// Error is a business failure of the core. Callers inspect it with [errors.As] or [CodeOf]; stores return it
// for the failures they detect atomically (capacity, versions, idempotency, missing records).
type Error struct {
	Code    Code   `json:"code"`
	Field   string `json:"field,omitempty"`   // the offending field (CodeInvalidArgument, CodeNotFound), or the reason for CodeSlotUnavailable: closed, too_soon, too_far, full
	Message string `json:"message,omitempty"` // a sentence for logs and API errors; never personal data
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", e.Code, e.Field, e.Message)
	}
	if e.Message != "" {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return string(e.Code)
}

// Is reports whether target is an *Error with the same Code, so errors.Is(err, booking.ErrNotFound) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Field == "" || t.Field == e.Field)
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidArgument returns a CodeInvalidArgument error naming the field.
func InvalidArgument(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidArgument, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Sentinel values for errors.Is; they carry only a code.
var (
	ErrSlotUnavailable           = &Error{Code: CodeSlotUnavailable}
	ErrSlotAlreadyBookedByUser   = &Error{Code: CodeSlotAlreadyBookedByUser}
	ErrHoldExpired               = &Error{Code: CodeHoldExpired}
	ErrOutsideCancellationWindow = &Error{Code: CodeOutsideCancellationWindow}
	ErrBookingAlreadyCancelled   = &Error{Code: CodeBookingAlreadyCancelled}
	ErrBookingNotCancellable     = &Error{Code: CodeBookingNotCancellable}
	ErrVersionMismatch           = &Error{Code: CodeVersionMismatch}
	ErrIdempotencyConflict       = &Error{Code: CodeIdempotencyConflict}
	ErrIllegalTransition         = &Error{Code: CodeIllegalTransition}
	ErrInvalidArgument           = &Error{Code: CodeInvalidArgument}
	ErrNotFound                  = &Error{Code: CodeNotFound}
)

// CodeOf returns the Code of a core failure in err's chain, or "" for any other error (an infrastructure
// failure such as a store that cannot be reached).
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
