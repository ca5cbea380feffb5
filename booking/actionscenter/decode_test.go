package actionscenter_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reservations/reservations/booking/actionscenter"
)

func TestDecodeIntegers(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{`1606473000`, 1606473000, true},
		{`"1606473000"`, 1606473000, true},
		{`-5`, -5, true},
		{`"-5"`, -5, true},
		{`1.606473e9`, 1606473000, true},
		{`"1e3"`, 1000, true},
		{`1800.0`, 1800, true},
		{`null`, 0, true},
		{`"9223372036854775807"`, 9223372036854775807, true},
		{`"9223372036854775808"`, 0, false},
		{`1e30`, 0, false},
		{`1.5`, 0, false},
		{`""`, 0, false},
		{`" 5"`, 0, false},
		{`"0x10"`, 0, false},
		{`"Infinity"`, 0, false},
		{`"NaN"`, 0, false},
		{`"+5"`, 5, true},
		{`true`, 0, false},
		{`{}`, 0, false},
	}
	for _, tc := range tests {
		var s struct {
			V actionscenter.Int64 `json:"start_sec"`
		}
		err := actionscenter.Decode([]byte(`{"start_sec":`+tc.in+`}`), &s)
		if (err == nil) != tc.ok || (tc.ok && int64(s.V) != tc.want) {
			t.Errorf("start_sec %s: got %d, %v; want %d ok=%v", tc.in, s.V, err, tc.want, tc.ok)
		}
	}
	// int32 range.
	var p actionscenter.ResourceIDs
	if err := actionscenter.Decode([]byte(`{"party_size":"2147483648"}`), &p); err == nil {
		t.Error("party_size over the int32 range accepted")
	}
	if err := actionscenter.Decode([]byte(`{"partySize":"7"}`), &p); err != nil || p.PartySize != 7 {
		t.Errorf("partySize \"7\": %d %v", p.PartySize, err)
	}
}

func TestDecodeEnums(t *testing.T) {
	tests := []struct {
		in   string
		want actionscenter.BookingStatus
		ok   bool
	}{
		{`"CANCELED"`, actionscenter.BookingStatusCanceled, true},
		{`3`, actionscenter.BookingStatusCanceled, true},
		{`"3"`, actionscenter.BookingStatusCanceled, true},
		{`1`, actionscenter.BookingStatusConfirmed, true},
		{`7`, actionscenter.BookingStatusDeclined, true},
		{`"CANCELLED"`, "", false},
		{`"canceled"`, "", false},
		{`99`, "", false},
		{`null`, "", true},
	}
	for _, tc := range tests {
		var b actionscenter.Booking
		err := actionscenter.Decode([]byte(`{"status":`+tc.in+`}`), &b)
		if (err == nil) != tc.ok || b.Status != tc.want {
			t.Errorf("status %s: got %q, %v; want %q ok=%v", tc.in, b.Status, err, tc.want, tc.ok)
		}
	}
	var f actionscenter.BookingFailure
	if err := actionscenter.Decode([]byte(`{"cause":10}`), &f); err != nil || f.Cause != actionscenter.CauseBookingAlreadyCancelled {
		t.Errorf("cause 10: %q %v", f.Cause, err)
	}
	if err := actionscenter.Decode([]byte(`{"cause":"OFFER_UNAVAILABLE"}`), &f); err != nil || f.Cause != actionscenter.CauseOfferUnavailable {
		t.Errorf("OFFER_UNAVAILABLE by name: %q %v", f.Cause, err)
	}
	if err := actionscenter.Decode([]byte(`{"cause":-1}`), &f); err == nil {
		t.Error("cause -1 accepted")
	}
	var m actionscenter.Slot
	if err := actionscenter.Decode([]byte(`{"confirmationMode":2}`), &m); err != nil || m.ConfirmationMode != actionscenter.ConfirmationAsync {
		t.Errorf("confirmation mode 2: %q %v", m.ConfirmationMode, err)
	}
	var pi actionscenter.PaymentInformation
	if err := actionscenter.Decode([]byte(`{"prepaymentStatus":2}`), &pi); err != nil || pi.PrepaymentStatus != actionscenter.PrepaymentNotProvided {
		t.Errorf("prepayment 2: %q %v", pi.PrepaymentStatus, err)
	}
}

func TestDecodeKeys(t *testing.T) {
	var r actionscenter.CreateBookingRequest
	in := `{"idempotencyToken":"camel","idempotency_token":"snake","leaseRef":{"leaseId":"L"},"userInformation":{"givenName":"A","address":{"streetAddress":"1 Main","postalCode":"1"}},"unknownThing":1,"slot":{"merchantId":"m","availabilityTag":"x","resources":{"staffId":"s","roomId":"r"}}}`
	if err := actionscenter.Decode([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if r.IdempotencyToken != "snake" || r.LeaseRef.LeaseID != "L" || r.UserInformation.GivenName != "A" ||
		r.UserInformation.Address.StreetAddress != "1 Main" || r.Slot.MerchantID != "m" || r.Slot.AvailabilityTag != "x" ||
		r.Slot.Resources.StaffID != "s" || r.Slot.Resources.RoomID != "r" {
		t.Errorf("decoded %+v", r)
	}
	for _, bad := range []string{``, `null`, `[]`, `"x"`, `{} {}`, `{"a":1}x`, `{`, strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40)} {
		if err := actionscenter.Decode([]byte(bad), &r); err == nil {
			t.Errorf("%.40q accepted", bad)
		}
	}
}

// TestResponseWireFormat checks the output conventions: snake_case, enum names, int64 as numbers, and an
// explicit false for unavailable slot times.
func TestResponseWireFormat(t *testing.T) {
	out, err := json.Marshal(actionscenter.BatchAvailabilityLookupResponse{SlotTimeAvailability: []actionscenter.SlotTimeAvailability{{
		SlotTime: actionscenter.SlotTime{ServiceID: "s", StartSec: 1606467600, DurationSec: 1800, ResourceIDs: &actionscenter.ResourceIDs{PartySize: 2}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"slot_time_availability":[{"slot_time":{"service_id":"s","start_sec":1606467600,"duration_sec":1800,"resource_ids":{"party_size":2}},"available":false}]}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
}

// requestTargets are the request types the server decodes, for the fuzz targets.
func requestTargets() []func() any {
	return []func() any{
		func() any { return &actionscenter.BatchAvailabilityLookupRequest{} },
		func() any { return &actionscenter.CreateBookingRequest{} },
		func() any { return &actionscenter.UpdateBookingRequest{} },
		func() any { return &actionscenter.GetBookingStatusRequest{} },
		func() any { return &actionscenter.ListBookingsRequest{} },
	}
}

func addSeeds(f *testing.F) {
	for _, name := range []string{"batch_availability_lookup_request.json", "create_booking_request.json",
		"update_booking_reschedule_request.json", "update_booking_cancel_request.json", "update_booking_party_size_request.json",
		"get_booking_status_request.json", "list_bookings_request.json"} {
		f.Add([]byte(fixture(f, name)))
	}
	f.Add([]byte(`{"slotTime":[{"startSec":1e3,"resources":{"partySize":"2"}}],"merchantId":"1234"}`))
	f.Add([]byte(`{"booking":{"bookingId":"x","status":3,"slot":{"startSec":"-1"}}}`))
	f.Add([]byte(`{"slot":{"start_sec":"9223372036854775808"}}`))
	f.Add([]byte(`[[[[[[`))
}

// FuzzRequestDecode checks that no input makes the request parser panic, and that whatever it accepts
// re-encodes to JSON that decodes to the same value.
func FuzzRequestDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mk := range requestTargets() {
			v := mk()
			if err := actionscenter.Decode(data, v); err != nil {
				continue
			}
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("re-encode %T: %v", v, err)
			}
			w := mk()
			if err := actionscenter.Decode(out, w); err != nil {
				t.Fatalf("%T: own output %s does not decode: %v", v, out, err)
			}
			again, _ := json.Marshal(w)
			if string(again) != string(out) {
				t.Fatalf("%T: not stable: %s then %s", v, out, again)
			}
		}
	})
}

// FuzzRequestHandlers posts arbitrary bodies to every method: the server must never panic and must answer
// 200, 400, 404, 409 or 413 with a JSON body.
func FuzzRequestHandlers(f *testing.F) {
	addSeeds(f)
	e := newEnv(f, envOptions{})
	e.postOK("CreateBooking", createBody("seed", "u-seed", sampleStart, 2))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, rpc := range []string{"BatchAvailabilityLookup", "CreateBooking", "UpdateBooking", "GetBookingStatus", "ListBookings"} {
			req := httptest.NewRequest(http.MethodPost, "/v3/"+rpc+"/", bytes.NewReader(data))
			req.SetBasicAuth(credCur.User, credCur.Password)
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, req)
			code, body := w.Code, w.Body.Bytes()
			switch code {
			case http.StatusOK, http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge:
			default:
				t.Fatalf("%s: HTTP %d for %q: %s", rpc, code, data, body)
			}
			if !json.Valid(body) {
				t.Fatalf("%s: answer is not JSON: %q", rpc, body)
			}
		}
	})
}
