package actionscenter_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/actionscenter"
)

// fidelityCreate is a CreateBooking request with names of several words, an additional request and an
// availability tag.
const fidelityCreate = `{"idempotency_token":"fid-1",
 "slot":{"merchant_id":"1234","service_id":"5678","start_sec":"1606467600","duration_sec":"1800",
         "availability_tag":"feed-tag-7","resources":{"party_size":2}},
 "user_information":{"user_id":"u-fid","given_name":" Mary Ann ","family_name":"van der Berg",
                     "email":"mary@example.com","telephone":"+12095550123"},
 "additional_request":" window seat, please "}`

// TestBookingFidelity checks that CreateBooking keeps the given and family names as sent, the
// additional_request (as the booking's notes) and the availability_tag, and that later answers echo them.
func TestBookingFidelity(t *testing.T) {
	e := newEnv(t, envOptions{ids: []string{"fid"}})
	created := bookingOf(t, e.postOK("CreateBooking", fidelityCreate))
	b, err := e.core.Booking(context.Background(), "fid")
	if err != nil {
		t.Fatal(err)
	}
	wantCustomer := booking.Customer{Name: "Mary Ann van der Berg", GivenName: "Mary Ann", FamilyName: "van der Berg",
		Email: "mary@example.com", Phone: "+12095550123", UserID: "u-fid"}
	if diff := cmp.Diff(wantCustomer, b.Customer); diff != "" {
		t.Errorf("stored customer (-want +got):\n%s", diff)
	}
	if b.Notes != "window seat, please" || b.AvailabilityTag != "feed-tag-7" {
		t.Errorf("stored notes %q, availability tag %q", b.Notes, b.AvailabilityTag)
	}
	if created.Slot.AvailabilityTag != "feed-tag-7" {
		t.Errorf("CreateBooking answered availability_tag %q", created.Slot.AvailabilityTag)
	}
	wantUser := &actionscenter.UserInformation{UserID: "u-fid", GivenName: "Mary Ann", FamilyName: "van der Berg",
		Email: "mary@example.com", Telephone: "+12095550123"}
	var list actionscenter.ListBookingsResponse
	decode(t, e.postOK("ListBookings", `{"user_id":"u-fid"}`), &list)
	if len(list.Bookings) != 1 {
		t.Fatalf("ListBookings = %+v", list)
	}
	if diff := cmp.Diff(wantUser, list.Bookings[0].UserInformation); diff != "" {
		t.Errorf("ListBookings user (-want +got):\n%s", diff)
	}
	if got := list.Bookings[0].Slot.AvailabilityTag; got != "feed-tag-7" {
		t.Errorf("ListBookings availability_tag %q", got)
	}
	moved := bookingOf(t, e.postOK("UpdateBooking", `{"booking":{"booking_id":"fid","slot":{"resources":{"party_size":3}}}}`))
	if diff := cmp.Diff(wantUser, moved.UserInformation); diff != "" || moved.Slot.AvailabilityTag != "feed-tag-7" {
		t.Errorf("UpdateBooking user (-want +got):\n%s\navailability_tag %q", diff, moved.Slot.AvailabilityTag)
	}
}

// TestAsynchronousConfirmation runs a manual-confirmation merchant through the Actions Center: its slots are
// offered as asynchronous, CreateBooking answers PENDING_MERCHANT_CONFIRMATION, a modification is refused (the
// asynchronous add-on does not allow it) while a cancellation goes through, and the feed says asynchronous.
func TestAsynchronousConfirmation(t *testing.T) {
	inv := testInventory(t)
	inv.Merchants[0].Policy.ManualConfirm = true
	e := newEnv(t, envOptions{inventory: inv, ids: []string{"async-1"}})

	var bal actionscenter.BatchAvailabilityLookupResponse
	decode(t, e.postOK("BatchAvailabilityLookup", fixture(t, "batch_availability_lookup_request.json")), &bal)
	for i, sa := range bal.SlotTimeAvailability {
		if sa.SlotTime.ConfirmationMode != actionscenter.ConfirmationAsync {
			t.Errorf("slot_time_availability[%d] confirmation_mode %q", i, sa.SlotTime.ConfirmationMode)
		}
	}

	created := bookingOf(t, e.postOK("CreateBooking", fixture(t, "create_booking_request.json")))
	if created.Status != actionscenter.BookingStatusPending || created.Slot.ConfirmationMode != actionscenter.ConfirmationAsync {
		t.Fatalf("CreateBooking answered status %q, confirmation_mode %q", created.Status, created.Slot.ConfirmationMode)
	}

	for _, tc := range []struct{ name, body string }{
		{"reschedule", `{"booking":{"booking_id":"async-1","slot":{"start_sec":"1606469400","duration_sec":"1800"}}}`},
		{"party size", `{"booking":{"booking_id":"async-1","slot":{"resources":{"party_size":3}}}}`},
	} {
		code, body := e.post("UpdateBooking", tc.body)
		if code != http.StatusOK || failureCause(t, body) != actionscenter.CauseSlotUnavailable {
			t.Errorf("%s of a pending async booking: HTTP %d %s, want a SLOT_UNAVAILABLE booking_failure", tc.name, code, body)
		}
	}
	if b, _ := e.core.Booking(context.Background(), "async-1"); b.Version != 1 || b.Status != booking.StatusPending {
		t.Errorf("refused modifications changed the booking: version %d, status %s", b.Version, b.Status)
	}
	cancelled := bookingOf(t, e.postOK("UpdateBooking", `{"booking":{"booking_id":"async-1","status":"CANCELED"}}`))
	if cancelled.Status != actionscenter.BookingStatusCanceled {
		t.Errorf("cancel answered %q", cancelled.Status)
	}

	feeds, err := actionscenter.BuildFeeds(context.Background(), e.core, actionscenter.FeedOptions{Days: 2, Nonce: 7})
	if err != nil {
		t.Fatal(err)
	}
	for _, sa := range feeds.Availability.ServiceAvailability {
		for _, a := range sa.Availability {
			m, _ := e.core.Inventory().Merchant(a.MerchantID)
			want := actionscenter.ConfirmationSync
			if m.Policy.ManualConfirm { // 1234 here, and the sample salon
				want = actionscenter.ConfirmationAsync
			}
			if a.ConfirmationMode != want {
				t.Fatalf("feed entry %+v: confirmation_mode %q, want %q", a, a.ConfirmationMode, want)
			}
		}
	}
}

// decode unmarshals an answer into v, failing the test when it is not that JSON.
func decode(t testing.TB, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
}
