package booking_test

import (
	"testing"

	"github.com/reservations/reservations/booking"
)

func TestHasGoogleOrder(t *testing.T) {
	tests := []struct {
		source booking.Source
		order  string
		want   bool
	}{
		{booking.SourceAssistant, "G-1", true},
		{booking.SourceAssistant, "", true}, // an accepted order without a Google id still has a Google order
		{booking.SourceAdmin, "G-2", true},
		{booking.SourceAdmin, "", false},
		{booking.SourceConversation, "", false},
	}
	for _, tc := range tests {
		b := booking.Booking{Source: tc.source, GoogleOrderID: tc.order}
		if got := b.HasGoogleOrder(); got != tc.want {
			t.Errorf("%s with order %q: HasGoogleOrder = %v, want %v", tc.source, tc.order, got, tc.want)
		}
	}
}
