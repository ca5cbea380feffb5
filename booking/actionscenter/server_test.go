package actionscenter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/actionscenter"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/httpauth"
	"github.com/reservations/reservations/httperr"
)

// sampleStart is the reference's sample slot: 2020-11-27 09:00 UTC; sampleMove its reschedule target.
var (
	sampleStart = time.Unix(1606467600, 0).UTC()
	sampleMove  = time.Unix(1606473000, 0).UTC()
)

// TestReferenceSamples replays the reference's sample requests (testdata/*_request.json) in the order a user's
// booking goes through them, comparing each answer with the exact wire JSON in testdata/*_response.json.
func TestReferenceSamples(t *testing.T) {
	e := newEnv(t, envOptions{ids: []string{"890"}})
	steps := []struct {
		name, rpc, request, response string
	}{
		{"availability before booking", "BatchAvailabilityLookup", "batch_availability_lookup_request.json", "batch_availability_lookup_response.json"},
		{"create", "CreateBooking", "create_booking_request.json", "create_booking_response.json"},
		{"create replayed", "CreateBooking", "create_booking_request.json", "create_booking_response.json"},
		{"status", "GetBookingStatus", "get_booking_status_request.json", "get_booking_status_response.json"},
		{"list", "ListBookings", "list_bookings_request.json", "list_bookings_response.json"},
		{"reschedule", "UpdateBooking", "update_booking_reschedule_request.json", "update_booking_reschedule_response.json"},
		{"reschedule replayed", "UpdateBooking", "update_booking_reschedule_request.json", "update_booking_reschedule_response.json"},
		{"party size", "UpdateBooking", "update_booking_party_size_request.json", "update_booking_party_size_response.json"},
		{"cancel", "UpdateBooking", "update_booking_cancel_request.json", "update_booking_cancel_response.json"},
		{"cancel again", "UpdateBooking", "update_booking_cancel_request.json", "update_booking_cancel_again_response.json"},
		{"list after cancel", "ListBookings", "list_bookings_request.json", "list_bookings_empty_response.json"},
	}
	for _, s := range steps {
		got := e.postOK(s.rpc, fixture(t, s.request))
		jsonEqual(t, s.name, got, fixture(t, s.response))
	}
	// What was stored: one booking, cancelled, with the user's details and the Actions Center as its source.
	b, err := e.core.Booking(context.Background(), "890")
	if err != nil {
		t.Fatal(err)
	}
	want := booking.Customer{Name: "John Smith", GivenName: "John", FamilyName: "Smith", Email: "john.smith@gmail.com", Phone: "+12091111111", UserID: "1111111111111111111"}
	if b.Customer != want || b.Source != booking.SourceActionsCenter || b.Status != booking.StatusCancelled || b.PartySize != 4 || !b.Start.Equal(sampleMove) {
		t.Errorf("stored booking = %+v", b)
	}
	day, err := e.core.Day(context.Background(), "1234", "2020-11-27")
	if err != nil || len(day) != 1 {
		t.Errorf("bookings on the day = %d (%v), want exactly 1 (the replay made none)", len(day), err)
	}
	// No personal data in the logs.
	for _, secret := range []string{"john.smith@gmail.com", "+12091111111", "Smith", "John"} {
		if strings.Contains(e.logs.String(), secret) {
			t.Errorf("logs contain personal data %q", secret)
		}
	}
}

// TestAvailabilityReflectsBookingsAndHolds checks that BatchAvailabilityLookup answers from the live core.
func TestAvailabilityReflectsBookingsAndHolds(t *testing.T) {
	e := newEnv(t, envOptions{})
	bal := func(party int) bool {
		t.Helper()
		body := e.postOK("BatchAvailabilityLookup", fmt.Sprintf(`{"merchant_id":"1234","slot_time":[{"service_id":"5678","start_sec":%d,"resource_ids":{"party_size":%d}}]}`, sampleStart.Unix(), party))
		var r actionscenter.BatchAvailabilityLookupResponse
		if err := actionscenter.Decode(body, &r); err != nil || len(r.SlotTimeAvailability) != 1 {
			t.Fatalf("decode %s: %v", body, err)
		}
		return r.SlotTimeAvailability[0].Available
	}
	if !bal(8) {
		t.Fatal("party of 8 unavailable on an empty day (capacity 8)")
	}
	e.postOK("CreateBooking", createBody("t1", "u1", sampleStart, 2))
	if bal(7) || !bal(6) {
		t.Errorf("after a booking of 2 (capacity 8): party 7 available=%v, party 6 available=%v; want false, true", bal(7), bal(6))
	}
	// A hold (an Actions Center lease) counts until it expires.
	if _, err := e.core.PlaceHold(context.Background(), booking.HoldRequest{MerchantID: "1234", ServiceID: "5678", Start: sampleStart, PartySize: 6}); err != nil {
		t.Fatal(err)
	}
	if bal(1) {
		t.Error("slot available while a hold of 6 fills it")
	}
	e.clock.Set(refNow.Add(16 * time.Minute))
	if !bal(6) {
		t.Error("slot still unavailable after the hold expired")
	}
}

// TestBatchAvailabilityLookup500 asks about 500 slot times over 20 days and checks every answer against the
// core's own Check, with some start times taken.
func TestBatchAvailabilityLookup500(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	for i := range 10 {
		start := sampleStart.Add(time.Duration(i) * 24 * time.Hour)
		if _, err := e.core.CreateBooking(ctx, booking.CreateRequest{MerchantID: "1234", ServiceID: "5678", Start: start, PartySize: 5 + i%4,
			Customer: booking.Customer{Name: "A B", UserID: fmt.Sprintf("u%d", i)}, Source: booking.SourceAdmin}); err != nil {
			t.Fatal(err)
		}
	}
	req := actionscenter.BatchAvailabilityLookupRequest{MerchantID: "1234"}
	first := time.Date(2020, 11, 27, 7, 0, 0, 0, time.UTC)
	for i := range 500 {
		req.SlotTime = append(req.SlotTime, actionscenter.SlotTime{
			ServiceID: "5678", StartSec: actionscenter.Int64(first.Add(time.Duration(i) * 55 * time.Minute).Unix()),
			DurationSec: 1800, ResourceIDs: &actionscenter.ResourceIDs{PartySize: actionscenter.Int32(1 + i%8)},
		})
	}
	body, _ := json.Marshal(req)
	var resp actionscenter.BatchAvailabilityLookupResponse
	if err := actionscenter.Decode(e.postOK("BatchAvailabilityLookup", string(body)), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.SlotTimeAvailability) != 500 {
		t.Fatalf("%d answers for 500 slot times", len(resp.SlotTimeAvailability))
	}
	avail := 0
	for i, a := range resp.SlotTimeAvailability {
		st := req.SlotTime[i]
		if a.SlotTime.StartSec != st.StartSec || a.SlotTime.ServiceID != st.ServiceID || a.SlotTime.ResourceIDs.PartySize != st.ResourceIDs.PartySize {
			t.Fatalf("entry %d echoes %+v, asked %+v", i, a.SlotTime, st)
		}
		want := e.core.Check(ctx, "1234", "5678", time.Unix(int64(st.StartSec), 0), int(st.ResourceIDs.PartySize)) == nil
		if a.Available != want {
			t.Errorf("entry %d (%s, party %d): available=%v, core says %v", i, time.Unix(int64(st.StartSec), 0).UTC(), st.ResourceIDs.PartySize, a.Available, want)
		}
		if a.Available {
			avail++
		}
	}
	if avail == 0 || avail == 500 {
		t.Errorf("%d of 500 available: the test data should mix both", avail)
	}
}

// TestRequestVariants sends the same requests as proto3 JSON allows them: lowerCamelCase keys, int64 as numbers,
// enums by number, "resources" for "resource_ids".
func TestRequestVariants(t *testing.T) {
	e := newEnv(t, envOptions{ids: []string{"b1"}})
	bal := e.postOK("BatchAvailabilityLookup", fmt.Sprintf(`{"merchantId":"1234","slotTime":[{"serviceId":"5678","startSec":%d,"durationSec":1800.0,"resources":{"partySize":"2"},"confirmationMode":1}]}`, sampleStart.Unix()))
	jsonEqual(t, "camelCase BAL", bal, fmt.Sprintf(`{"slot_time_availability":[{"slot_time":{"service_id":"5678","start_sec":%d,"duration_sec":1800,"resource_ids":{"party_size":2},"confirmation_mode":"CONFIRMATION_MODE_SYNCHRONOUS"},"available":true}]}`, sampleStart.Unix()))

	create := fmt.Sprintf(`{"idempotencyToken":"tok-1","slot":{"merchantId":"1234","serviceId":"5678","startSec":%d,"durationSec":1800,"resources":{"partySize":2},"confirmationMode":"CONFIRMATION_MODE_SYNCHRONOUS"},"userInformation":{"userId":"u-camel","givenName":"Grace","familyName":"Hopper","email":"grace@example.com","telephone":"+1 555 0100"},"paymentInformation":{"prepaymentStatus":2},"someFutureField":{"x":[1,2]}}`, sampleStart.Unix())
	got := e.postOK("CreateBooking", create)
	b := bookingOf(t, got)
	if b.BookingID != "b1" || b.Status != actionscenter.BookingStatusConfirmed || b.UserInformation.GivenName != "Grace" || b.Slot.Resources.PartySize != 2 {
		t.Fatalf("camelCase CreateBooking answered %s", got)
	}
	if !strings.Contains(string(got), `"start_sec":1606467600`) || strings.Contains(string(got), "startSec") {
		t.Errorf("response is not snake_case with numeric int64: %s", got)
	}
	// The replay in the other spelling is the same request: same answer, no second booking.
	snake := fmt.Sprintf(`{"idempotency_token":"tok-1","slot":{"merchant_id":"1234","service_id":"5678","start_sec":"%d","duration_sec":"1800","resources":{"party_size":2}},"user_information":{"user_id":"u-camel","given_name":"Grace","family_name":"Hopper","email":"grace@example.com","telephone":"+1 555 0100"}}`, sampleStart.Unix())
	jsonEqual(t, "snake_case replay", e.postOK("CreateBooking", snake), string(got))

	st := e.postOK("GetBookingStatus", `{"bookingId":"b1"}`)
	jsonEqual(t, "camelCase status", st, `{"booking_id":"b1","booking_status":"CONFIRMED","prepayment_status":"PREPAYMENT_NOT_PROVIDED"}`)
	list := e.postOK("ListBookings", `{"userId":"u-camel"}`)
	if !strings.Contains(string(list), `"booking_id":"b1"`) {
		t.Errorf("camelCase ListBookings: %s", list)
	}
	moved := e.postOK("UpdateBooking", fmt.Sprintf(`{"booking":{"bookingId":"b1","slot":{"startSec":%d,"durationSec":"1800"}}}`, sampleMove.Unix()))
	if b := bookingOf(t, moved); int64(b.Slot.StartSec) != sampleMove.Unix() {
		t.Errorf("camelCase reschedule: %s", moved)
	}
	// status 3 is CANCELED.
	canceled := e.postOK("UpdateBooking", `{"booking":{"bookingId":"b1","status":3}}`)
	if b := bookingOf(t, canceled); b.Status != actionscenter.BookingStatusCanceled {
		t.Errorf("cancel by enum number: %s", canceled)
	}
}

// TestPendingMerchantConfirmation checks the status of a booking at a merchant that confirms by hand.
func TestPendingMerchantConfirmation(t *testing.T) {
	e := newEnv(t, envOptions{ids: []string{"s1"}})
	start := time.Date(2020, 11, 30, 10, 0, 0, 0, time.UTC) // Monday 11:00 in Berlin
	got := e.postOK("CreateBooking", fmt.Sprintf(`{"idempotency_token":"p1","slot":{"merchant_id":"salon-1","service_id":"cut","start_sec":"%d","duration_sec":"1800"},"user_information":{"user_id":"u9","given_name":"Mary Ann","family_name":"Evans"}}`, start.Unix()))
	b := bookingOf(t, got)
	if b.Status != actionscenter.BookingStatusPending || b.Slot.Resources.PartySize != 1 {
		t.Fatalf("booking at a manual-confirmation merchant: %s", got)
	}
	jsonEqual(t, "status", e.postOK("GetBookingStatus", `{"booking_id":"s1"}`), `{"booking_id":"s1","booking_status":"PENDING_MERCHANT_CONFIRMATION","prepayment_status":"PREPAYMENT_NOT_PROVIDED"}`)
	// The core keeps one name; ListBookings splits it at the last space.
	var list actionscenter.ListBookingsResponse
	if err := actionscenter.Decode(e.postOK("ListBookings", `{"user_id":"u9"}`), &list); err != nil || len(list.Bookings) != 1 {
		t.Fatalf("ListBookings: %+v %v", list, err)
	}
	if u := list.Bookings[0].UserInformation; u.GivenName != "Mary Ann" || u.FamilyName != "Evans" || list.Bookings[0].Status != actionscenter.BookingStatusPending {
		t.Errorf("listed booking %+v user %+v", list.Bookings[0], u)
	}
	// Staff decline it.
	if _, err := e.core.SetStatus(context.Background(), booking.StatusRequest{BookingID: "s1", Status: booking.StatusRejected}); err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "declined", e.postOK("GetBookingStatus", `{"booking_id":"s1"}`), `{"booking_id":"s1","booking_status":"DECLINED_BY_MERCHANT","prepayment_status":"PREPAYMENT_NOT_PROVIDED"}`)
	jsonEqual(t, "list without the declined booking", e.postOK("ListBookings", `{"user_id":"u9"}`), `{"bookings":[]}`)
}

// TestFailureCauses reaches every business failure the core can produce through the API and checks the cause.
func TestFailureCauses(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(e *env) string // returns the request body
		rpc   string
		want  actionscenter.FailureCause
	}{
		{"full slot", func(e *env) string {
			e.postOK("CreateBooking", createBody("a", "u-a", sampleStart, 8))
			return createBody("b", "u-b", sampleStart, 1)
		}, "CreateBooking", actionscenter.CauseSlotUnavailable},
		{"two bookings fill the slot", func(e *env) string {
			e.postOK("CreateBooking", createBody("a", "u-a", sampleStart, 5))
			e.postOK("CreateBooking", createBody("a2", "u-a2", sampleStart, 3))
			return createBody("b", "u-b", sampleStart, 1)
		}, "CreateBooking", actionscenter.CauseSlotUnavailable},
		{"closed (before opening)", func(e *env) string {
			return createBody("b", "u-b", time.Date(2020, 11, 27, 7, 0, 0, 0, time.UTC), 2)
		}, "CreateBooking", actionscenter.CauseSlotUnavailable},
		{"off the start-time grid", func(e *env) string {
			return createBody("b", "u-b", sampleStart.Add(15*time.Minute), 2)
		}, "CreateBooking", actionscenter.CauseSlotUnavailable},
		{"too soon", func(e *env) string {
			return createBody("b", "u-b", time.Date(2020, 11, 26, 10, 0, 0, 0, time.UTC), 2)
		}, "CreateBooking", actionscenter.CauseSlotUnavailable},
		{"too far ahead", func(e *env) string {
			return createBody("b", "u-b", sampleStart.Add(90*24*time.Hour), 2)
		}, "CreateBooking", actionscenter.CauseSlotUnavailable},
		{"duration not offered", func(e *env) string {
			return strings.Replace(createBody("b", "u-b", sampleStart, 2), `"duration_sec":"1800"`, `"duration_sec":"3600"`, 1)
		}, "CreateBooking", actionscenter.CauseSlotUnavailable},
		{"same user, overlapping time", func(e *env) string {
			e.postOK("CreateBooking", createBody("a", "u-same", sampleStart, 2))
			return createBody("b", "u-same", sampleStart, 2)
		}, "CreateBooking", actionscenter.CauseSlotAlreadyBookedByUser},
		{"expired lease whose time was taken", func(e *env) string {
			h, err := e.core.PlaceHold(ctx, booking.HoldRequest{MerchantID: "1234", ServiceID: "5678", Start: sampleStart, PartySize: 2})
			if err != nil {
				t.Fatal(err)
			}
			e.clock.Set(refNow.Add(20 * time.Minute))
			e.postOK("CreateBooking", createBody("a", "u-a", sampleStart, 8))
			return strings.Replace(createBody("b", "u-b", sampleStart, 2), `"slot"`, `"lease_ref":{"lease_id":"`+h.ID+`"},"slot"`, 1)
		}, "CreateBooking", actionscenter.CauseLeaseExpired},
		{"unknown lease", func(e *env) string {
			return strings.Replace(createBody("b", "u-b", sampleStart, 2), `"slot"`, `"lease_ref":{"lease_id":"gone"},"slot"`, 1)
		}, "CreateBooking", actionscenter.CauseLeaseExpired},
		{"offer", func(e *env) string {
			return strings.Replace(createBody("b", "u-b", sampleStart, 2), `"slot"`, `"offer_id":"half-price","slot"`, 1)
		}, "CreateBooking", actionscenter.CauseOfferUnavailable},
		{"deal", func(e *env) string {
			return strings.Replace(createBody("b", "u-b", sampleStart, 2), `"slot"`, `"deal_id":"d1","slot"`, 1)
		}, "CreateBooking", actionscenter.CauseDealUnavailable},
		{"cancel inside the cancellation window", func(e *env) string {
			id := bookingOf(t, e.postOK("CreateBooking", createBody("a", "u-a", sampleStart, 2))).BookingID
			e.clock.Set(sampleStart.Add(-time.Hour))
			return `{"booking":{"booking_id":"` + id + `","status":"CANCELED"}}`
		}, "UpdateBooking", actionscenter.CauseOutsideCancellationWindow},
		{"cancel twice", func(e *env) string {
			id := bookingOf(t, e.postOK("CreateBooking", createBody("a", "u-a", sampleStart, 2))).BookingID
			e.postOK("UpdateBooking", `{"booking":{"booking_id":"`+id+`","status":"CANCELED"}}`)
			return `{"booking":{"booking_id":"` + id + `","status":"CANCELED"}}`
		}, "UpdateBooking", actionscenter.CauseBookingAlreadyCancelled},
		{"reschedule a cancelled booking", func(e *env) string {
			id := bookingOf(t, e.postOK("CreateBooking", createBody("a", "u-a", sampleStart, 2))).BookingID
			e.postOK("UpdateBooking", `{"booking":{"booking_id":"`+id+`","status":"CANCELED"}}`)
			return fmt.Sprintf(`{"booking":{"booking_id":%q,"slot":{"start_sec":"%d"}}}`, id, sampleMove.Unix())
		}, "UpdateBooking", actionscenter.CauseBookingAlreadyCancelled},
		{"cancel a no-show", func(e *env) string {
			id := bookingOf(t, e.postOK("CreateBooking", createBody("a", "u-a", sampleStart, 2))).BookingID
			if _, err := e.core.SetStatus(ctx, booking.StatusRequest{BookingID: id, Status: booking.StatusNoShow}); err != nil {
				t.Fatal(err)
			}
			return `{"booking":{"booking_id":"` + id + `","status":"CANCELED"}}`
		}, "UpdateBooking", actionscenter.CauseBookingNotCancellable},
		{"reschedule a fulfilled booking", func(e *env) string {
			id := bookingOf(t, e.postOK("CreateBooking", createBody("a", "u-a", sampleStart, 2))).BookingID
			if _, err := e.core.SetStatus(ctx, booking.StatusRequest{BookingID: id, Status: booking.StatusFulfilled}); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf(`{"booking":{"booking_id":%q,"slot":{"start_sec":"%d"}}}`, id, sampleMove.Unix())
		}, "UpdateBooking", actionscenter.CauseBookingNotCancellable},
		{"reschedule onto a full slot", func(e *env) string {
			id := bookingOf(t, e.postOK("CreateBooking", createBody("a", "u-a", sampleStart, 2))).BookingID
			e.postOK("CreateBooking", createBody("full", "u-full", sampleMove, 8))
			return fmt.Sprintf(`{"booking":{"booking_id":%q,"slot":{"start_sec":"%d","duration_sec":"1800"}}}`, id, sampleMove.Unix())
		}, "UpdateBooking", actionscenter.CauseSlotUnavailable},
		{"grow the party beyond capacity", func(e *env) string {
			id := bookingOf(t, e.postOK("CreateBooking", createBody("a", "u-a", sampleStart, 2))).BookingID
			e.postOK("CreateBooking", createBody("b", "u-b", sampleStart, 5))
			return `{"booking":{"booking_id":"` + id + `","slot":{"resources":{"party_size":4}}}}`
		}, "UpdateBooking", actionscenter.CauseSlotUnavailable},
		{"reschedule onto the user's other booking", func(e *env) string {
			id := bookingOf(t, e.postOK("CreateBooking", createBody("a", "u-a", sampleStart, 2))).BookingID
			e.postOK("CreateBooking", createBody("b", "u-a", sampleMove, 2))
			return fmt.Sprintf(`{"booking":{"booking_id":%q,"slot":{"start_sec":"%d"}}}`, id, sampleMove.Unix())
		}, "UpdateBooking", actionscenter.CauseSlotAlreadyBookedByUser},
		{"change the duration", func(e *env) string {
			id := bookingOf(t, e.postOK("CreateBooking", createBody("a", "u-a", sampleStart, 2))).BookingID
			return `{"booking":{"booking_id":"` + id + `","slot":{"duration_sec":"3600"}}}`
		}, "UpdateBooking", actionscenter.CauseSlotUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			body := tc.setup(e)
			var before []booking.Booking
			if tc.rpc == "UpdateBooking" {
				before, _ = e.core.Day(ctx, "1234", "2020-11-27")
			}
			code, got := e.post(tc.rpc, body)
			if code != http.StatusOK {
				t.Fatalf("HTTP %d, want 200 with a booking_failure: %s", code, got)
			}
			jsonEqual(t, tc.name, got, `{"booking_failure":{"cause":"`+string(tc.want)+`"}}`)
			if tc.rpc == "UpdateBooking" {
				// A failed update changes nothing.
				after, _ := e.core.Day(ctx, "1234", "2020-11-27")
				if fmt.Sprint(before) != fmt.Sprint(after) {
					t.Errorf("a failed update changed the bookings:\nbefore %+v\nafter  %+v", before, after)
				}
			}
		})
	}
}

// TestFailedAttemptIsRetried checks that a CreateBooking that failed is processed again when retried with the
// same idempotency token, while a success is replayed.
func TestFailedAttemptIsRetried(t *testing.T) {
	e := newEnv(t, envOptions{ids: []string{"full"}})
	e.postOK("CreateBooking", createBody("fill", "u-f", sampleStart, 8))
	req := createBody("retry-me", "u-r", sampleStart, 2)
	if c := failureCause(t, e.postOK("CreateBooking", req)); c != actionscenter.CauseSlotUnavailable {
		t.Fatalf("first attempt: cause %q, want SLOT_UNAVAILABLE", c)
	}
	e.postOK("UpdateBooking", `{"booking":{"booking_id":"full","status":"CANCELED"}}`)
	first := e.postOK("CreateBooking", req)
	if b := bookingOf(t, first); b.BookingID == "full" || b.Status != actionscenter.BookingStatusConfirmed {
		t.Fatalf("retry after the slot freed up: %s", first)
	}
	jsonEqual(t, "replay of the success", e.postOK("CreateBooking", req), string(first))
}

// TestHTTPErrors covers the answers that are not business failures.
func TestHTTPErrors(t *testing.T) {
	e := newEnv(t, envOptions{ids: []string{"b1"}})
	e.postOK("CreateBooking", createBody("t", "u", sampleStart, 2))
	big := `{"merchant_id":"1234","pad":"` + strings.Repeat("x", 1<<20) + `"}`
	tests := []struct {
		name, method, path, body string
		want                     int
		status                   string
	}{
		{"malformed JSON", "POST", "/v3/CreateBooking/", `{"slot":`, 400, "INVALID_ARGUMENT"},
		{"empty body", "POST", "/v3/CreateBooking/", ``, 400, "INVALID_ARGUMENT"},
		{"array body", "POST", "/v3/ListBookings/", `[1]`, 400, "INVALID_ARGUMENT"},
		{"trailing data", "POST", "/v3/ListBookings/", `{"user_id":"u"} {}`, 400, "INVALID_ARGUMENT"},
		{"wrong type", "POST", "/v3/ListBookings/", `{"user_id":5}`, 400, "INVALID_ARGUMENT"},
		{"bad int64", "POST", "/v3/CreateBooking/", `{"slot":{"start_sec":"soon"}}`, 400, "INVALID_ARGUMENT"},
		{"fractional int64", "POST", "/v3/CreateBooking/", `{"slot":{"start_sec":1.5}}`, 400, "INVALID_ARGUMENT"},
		{"unknown enum", "POST", "/v3/UpdateBooking/", `{"booking":{"booking_id":"b1","status":"DELETED"}}`, 400, "INVALID_ARGUMENT"},
		{"unsupported status change", "POST", "/v3/UpdateBooking/", `{"booking":{"booking_id":"b1","status":"NO_SHOW"}}`, 400, "INVALID_ARGUMENT"},
		{"move to another service", "POST", "/v3/UpdateBooking/", `{"booking":{"booking_id":"b1","slot":{"service_id":"other","start_sec":1606473000}}}`, 400, "INVALID_ARGUMENT"},
		{"missing slot", "POST", "/v3/CreateBooking/", `{"idempotency_token":"x"}`, 400, "INVALID_ARGUMENT"},
		{"missing token", "POST", "/v3/CreateBooking/", strings.Replace(createBody("", "u", sampleStart, 2), `"idempotency_token":"",`, "", 1), 400, "INVALID_ARGUMENT"},
		{"missing user", "POST", "/v3/CreateBooking/", `{"idempotency_token":"x","slot":{"merchant_id":"1234","service_id":"5678","start_sec":1606467600}}`, 400, "INVALID_ARGUMENT"},
		{"missing name", "POST", "/v3/CreateBooking/", `{"idempotency_token":"x","slot":{"merchant_id":"1234","service_id":"5678","start_sec":1606467600},"user_information":{"user_id":"u"}}`, 400, "INVALID_ARGUMENT"},
		{"party over the maximum", "POST", "/v3/CreateBooking/", createBody("p9", "u9", sampleStart, 9), 400, "INVALID_ARGUMENT"},
		{"unknown merchant (create)", "POST", "/v3/CreateBooking/", strings.Replace(createBody("m", "u", sampleStart, 2), `"1234"`, `"9999"`, 1), 400, "INVALID_ARGUMENT"},
		{"unknown service (create)", "POST", "/v3/CreateBooking/", strings.Replace(createBody("m", "u", sampleStart, 2), `"5678"`, `"9999"`, 1), 400, "INVALID_ARGUMENT"},
		{"unknown merchant (BAL)", "POST", "/v3/BatchAvailabilityLookup/", `{"merchant_id":"9999","slot_time":[{"service_id":"5678","start_sec":1606467600}]}`, 400, "INVALID_ARGUMENT"},
		{"unknown service (BAL)", "POST", "/v3/BatchAvailabilityLookup/", `{"merchant_id":"1234","slot_time":[{"service_id":"9999","start_sec":1606467600}]}`, 400, "INVALID_ARGUMENT"},
		{"missing merchant (BAL)", "POST", "/v3/BatchAvailabilityLookup/", `{"slot_time":[]}`, 400, "INVALID_ARGUMENT"},
		{"missing start (BAL)", "POST", "/v3/BatchAvailabilityLookup/", `{"merchant_id":"1234","slot_time":[{"service_id":"5678"}]}`, 400, "INVALID_ARGUMENT"},
		{"missing booking id", "POST", "/v3/GetBookingStatus/", `{}`, 400, "INVALID_ARGUMENT"},
		{"missing user id", "POST", "/v3/ListBookings/", `{}`, 400, "INVALID_ARGUMENT"},
		{"unknown booking (status)", "POST", "/v3/GetBookingStatus/", `{"booking_id":"nope"}`, 404, "NOT_FOUND"},
		{"unknown booking (update)", "POST", "/v3/UpdateBooking/", `{"booking":{"booking_id":"nope","status":"CANCELED"}}`, 404, "NOT_FOUND"},
		{"same token, other request", "POST", "/v3/CreateBooking/", createBody("t", "u", sampleMove, 2), 409, "ABORTED"},
		{"body over 1 MiB", "POST", "/v3/BatchAvailabilityLookup/", big, 413, "RESOURCE_EXHAUSTED"},
		{"unknown method", "POST", "/v3/CheckAvailability/", `{}`, 404, "NOT_FOUND"},
		{"wrong HTTP method", "GET", "/v3/CreateBooking/", ``, 405, "UNIMPLEMENTED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := e.do(tc.method, tc.path, tc.body, &credCur)
			if code != tc.want {
				t.Fatalf("HTTP %d, want %d: %s", code, tc.want, body)
			}
			var eb httperr.Body
			if err := json.Unmarshal(body, &eb); err != nil || eb.Error.Code != tc.want || eb.Error.Reason != tc.status || eb.Error.Message == "" {
				t.Errorf("error body %s (%v), want code %d reason %s and a message", body, err, tc.want, tc.status)
			}
		})
	}
	day, _ := e.core.Day(context.Background(), "1234", "2020-11-27")
	if len(day) != 1 {
		t.Errorf("%d bookings stored after the refused requests, want the 1 made first", len(day))
	}
}

// TestRoutes checks both path forms and the lower-case one of every method.
func TestRoutes(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, path := range []string{"/v3/HealthCheck/", "/v3/HealthCheck", "/v3/healthcheck/", "/v3/healthcheck"} {
		code, body := e.do("GET", path, "", &credCur)
		if code != 200 {
			t.Errorf("GET %s: %d %s", path, code, body)
		}
		jsonEqual(t, path, body, `{"status":"SERVING"}`)
	}
	for _, rpc := range []string{"ListBookings", "listbookings"} {
		for _, slash := range []string{"", "/"} {
			if code, body := e.do("POST", "/v3/"+rpc+slash, `{"user_id":"x"}`, &credCur); code != 200 {
				t.Errorf("POST /v3/%s%s: %d %s", rpc, slash, code, body)
			}
		}
	}
}

// TestAuth checks basic auth with rotated credentials: both current pairs pass, the retired one does not.
func TestAuth(t *testing.T) {
	e := newEnv(t, envOptions{})
	wrongUser := httpauth.Credential{User: "googlex", Password: credCur.Password}
	tests := []struct {
		name string
		cred *httpauth.Credential
		want int
	}{
		{"current pair", &credCur, 200},
		{"new pair during rotation", &credNew, 200},
		{"retired pair", &credOld, 401},
		{"wrong user", &wrongUser, 401},
		{"no credentials", nil, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, r := range []struct{ method, path, body string }{
				{"GET", "/v3/HealthCheck/", ""},
				{"POST", "/v3/BatchAvailabilityLookup/", `{"merchant_id":"1234"}`},
				{"POST", "/v3/CreateBooking/", createBody("auth-"+tc.name, "u-auth-"+tc.name, sampleStart, 1)},
				{"POST", "/v3/ListBookings/", `{"user_id":"u"}`},
			} {
				code, body := e.do(r.method, r.path, r.body, tc.cred)
				if code != tc.want {
					t.Errorf("%s %s: HTTP %d, want %d: %s", r.method, r.path, code, tc.want, body)
				}
				if tc.want == 401 && !strings.Contains(string(body), `"code":401`) {
					t.Errorf("401 body is not the JSON error: %s", body)
				}
			}
		})
	}
	// Only the two accepted pairs booked (the request with the retired pair never reached the core).
	day, _ := e.core.Day(context.Background(), "1234", "2020-11-27")
	if len(day) != 2 {
		t.Errorf("%d bookings, want 2", len(day))
	}
}

// TestNoCredentialsRefusesAll checks that a server configured without credentials lets nobody in.
func TestNoCredentialsRefusesAll(t *testing.T) {
	e := newEnv(t, envOptions{})
	core := e.core
	h := actionscenter.New(core, e.store, actionscenter.Options{Logger: discardLogger()})
	e.h = h
	if code, _ := e.do("GET", "/v3/HealthCheck/", "", &credCur); code != 401 {
		t.Errorf("HTTP %d, want 401", code)
	}
}

// TestStoreDown checks that every method answers 503 JSON while the store cannot be reached, and recovers.
func TestStoreDown(t *testing.T) {
	fs := &flakyStore{Store: memory.New()}
	e := newEnv(t, envOptions{store: fs, ids: []string{"b1"}})
	e.postOK("CreateBooking", createBody("t0", "u0", sampleStart, 2))
	fs.down.Store(true)
	calls := []struct{ method, rpc, body string }{
		{"GET", "HealthCheck", ""},
		{"POST", "BatchAvailabilityLookup", `{"merchant_id":"1234","slot_time":[{"service_id":"5678","start_sec":1606467600}]}`},
		{"POST", "CreateBooking", createBody("t1", "u1", sampleMove, 2)},
		{"POST", "UpdateBooking", `{"booking":{"booking_id":"b1","status":"CANCELED"}}`},
		{"POST", "GetBookingStatus", `{"booking_id":"b1"}`},
		{"POST", "ListBookings", `{"user_id":"u0"}`},
	}
	for _, c := range calls {
		code, body := e.do(c.method, "/v3/"+c.rpc+"/", c.body, &credCur)
		if code != http.StatusServiceUnavailable || !strings.Contains(string(body), `"reason":"UNAVAILABLE"`) {
			t.Errorf("%s with the store down: HTTP %d %s, want 503 UNAVAILABLE", c.rpc, code, body)
		}
	}
	if strings.Contains(e.logs.String(), "ada@example.com") {
		t.Error("logs contain personal data")
	}
	fs.down.Store(false)
	if code, body := e.do("GET", "/v3/HealthCheck/", "", &credCur); code != 200 {
		t.Errorf("HealthCheck after the store came back: %d %s", code, body)
	}
	// The create that failed with 503 is processed when Google retries it.
	if b := bookingOf(t, e.postOK("CreateBooking", createBody("t1", "u1", sampleMove, 2))); b.Status != actionscenter.BookingStatusConfirmed {
		t.Errorf("retried create: %+v", b)
	}
}
