package intents

import (
	"errors"
	"fmt"
	"testing"

	"github.com/reservations/reservations/booking"
)

func TestFailureWords(t *testing.T) {
	tests := []struct {
		name   string
		call   call
		err    error
		want   msgID
		wantOK bool
	}{
		{"party size", callHold, booking.InvalidArgument("party_size", "x"), msgPartyBounds, true},
		{"other argument", callHold, booking.InvalidArgument("start", "x"), msgUnavailable, false},
		{"too far", callHold, &booking.Error{Code: booking.CodeSlotUnavailable, Field: "too_far"}, msgTooFar, true},
		{"too soon", callHold, &booking.Error{Code: booking.CodeSlotUnavailable, Field: "too_soon"}, msgTooSoon, true},
		{"closed", callHold, &booking.Error{Code: booking.CodeSlotUnavailable, Field: "closed"}, msgClosedHours, true},
		{"full", callHold, &booking.Error{Code: booking.CodeSlotUnavailable, Field: "full"}, msgFull, true},
		{"unknown reason is full", callHold, booking.ErrSlotUnavailable, msgFull, true},
		{"wrapped", callHold, fmt.Errorf("place hold: %w", booking.ErrSlotAlreadyBookedByUser), msgAlreadyBooked, true},
		{"hold expired", callConfirm, booking.ErrHoldExpired, msgHoldLost, true},
		{"hold taken", callConfirm, booking.ErrSlotUnavailable, msgHoldLost, true},
		{"hold gone", callConfirm, booking.ErrNotFound, msgHoldLost, true},
		{"booked meanwhile", callConfirm, booking.ErrSlotAlreadyBookedByUser, msgAlreadyBooked, true},
		{"contact refused", callConfirm, booking.InvalidArgument("name", "too long"), msgAskName, true},
		{"window", callCancel, booking.ErrOutsideCancellationWindow, msgCancelWindow, true},
		{"already cancelled", callCancel, booking.ErrBookingAlreadyCancelled, msgCancelAlready, true},
		{"not cancellable", callCancel, booking.ErrBookingNotCancellable, msgCancelNotAllowed, true},
		{"not found", callCancel, booking.ErrNotFound, msgCancelNone, true},
		{"changed", callCancel, booking.ErrVersionMismatch, msgCancelChanged, true},
		{"not explained after this call", callCancel, booking.ErrHoldExpired, msgUnavailable, false},
		{"idempotency conflict", callHold, booking.ErrIdempotencyConflict, msgUnavailable, false},
		{"infrastructure", callConfirm, errors.New("connection refused"), msgUnavailable, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := failureWords(tc.call, tc.err)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("failureWords(%d, %v) = %q, %v; want %q, %v", tc.call, tc.err, got, ok, tc.want, tc.wantOK)
			}
		})
	}
	for _, r := range failureTable {
		if english.texts[r.words] == "" {
			t.Errorf("failure row %v: %q has no English text", r, r.words)
		}
	}
}

// TestStageValues pins the stages as stored in the conversation data: a conversation in flight, or a recorded
// transcript, must find its stage again after an upgrade.
func TestStageValues(t *testing.T) {
	want := map[stage]string{
		stageIdle: "", stageRequirements: "requirements", stageAssembling: "assembling", stageChooseSlot: "choose_slot",
		stageProposed: "proposed", stageChange: "change", stageContact: "contact", stageConfirm: "confirm",
		stageBooked: "booked", stageCancelChoose: "cancel_choose", stageCancelConfirm: "cancel_confirm",
		stageOfferBook: "offer_book", stageAnythingElse: "anything_else",
	}
	if len(want) != 13 {
		t.Fatalf("%d distinct stages, want 13", len(want))
	}
	for s, v := range want {
		if string(s) != v {
			t.Errorf("stage %q, want %q", s, v)
		}
	}
}
