package orders

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/orders/orderv3"
)

// assertJSON fails t unless the JSON text got decodes to want (generic JSON, as encoding/json decodes into
// any): member order and spelling do not matter.
func assertJSON(t *testing.T, want any, got []byte) {
	t.Helper()
	var g any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, got)
	}
	if d := cmp.Diff(want, g); d != "" {
		t.Errorf("JSON differs (-want +got):\n%s", d)
	}
}

func sampleMerchant(t *testing.T) (*booking.Merchant, *booking.Service) {
	t.Helper()
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	m := &booking.Merchant{
		ID:                "sample-bistro",
		Name:              "Sample Bistro",
		URL:               "https://bistro.example",
		Phone:             "+1 (650) 555-0100",
		Email:             "hello@bistro.example",
		TermsOfServiceURL: "https://bistro.example/terms",
		Address: booking.PostalAddress{
			RegionCode: "US", PostalCode: "94086", AdministrativeArea: "CA", Locality: "Sunnyvale",
			AddressLines: []string{"222 Some Other Street"},
		},
		TimeZone: "America/Los_Angeles",
		Location: loc,
	}
	s := &booking.Service{ID: "dinner", Name: "Dinner", Description: "Dinner for up to eight.", Type: booking.TypeRestaurant}
	return m, s
}

const wantHoldOrder = `{
  "merchantOrderId": "hold7xq2abcdefgh",
  "userVisibleOrderId": "ABCDEFGH",
  "createTime": "2026-05-01T16:00:00Z",
  "lastUpdateTime": "2026-05-01T16:00:00Z",
  "transactionMerchant": {"id": "sample-bistro", "name": "Sample Bistro", "phoneNumbers": [{"e164PhoneNumber": "+16505550100"}]},
  "contents": {"lineItems": [{
    "id": "hold7xq2abcdefgh",
    "name": "Dinner",
    "description": "Dinner for up to eight.",
    "reservation": {
      "status": "PENDING",
      "userVisibleStatusLabel": "Reservation pending",
      "type": "RESTAURANT",
      "reservationTime": {"timeIso8601": "2026-05-02T19:00:00-07:00"},
      "partySize": 4,
      "location": {
        "name": "Sample Bistro",
        "phoneNumber": "+1 (650) 555-0100",
        "formattedAddress": "222 Some Other Street, Sunnyvale CA 94086",
        "city": "Sunnyvale",
        "zipCode": "94086",
        "postalAddress": {"regionCode": "US", "postalCode": "94086", "administrativeArea": "CA", "locality": "Sunnyvale",
          "addressLines": ["222 Some Other Street"]}
      }
    }
  }]},
  "followUpActions": [
    {"type": "VIEW_DETAILS", "title": "View details", "openUrlAction": {"url": "https://bistro.example"}},
    {"type": "CALL", "title": "Call Sample Bistro", "openUrlAction": {"url": "tel:+16505550100"}},
    {"type": "EMAIL", "title": "Email Sample Bistro", "openUrlAction": {"url": "mailto:hello@bistro.example"}}
  ],
  "termsOfServiceUrl": "https://bistro.example/terms"
}`

func TestFromHold(t *testing.T) {
	m, s := sampleMerchant(t)
	created := time.Date(2026, 5, 1, 16, 0, 0, 0, time.UTC)
	h := booking.Hold{
		ID: "hold7xq2abcdefgh", MerchantID: m.ID, ServiceID: s.ID,
		Start: time.Date(2026, 5, 3, 2, 0, 0, 0, time.UTC), End: time.Date(2026, 5, 3, 3, 30, 0, 0, time.UTC),
		PartySize: 4, CreatedAt: created, ExpiresAt: created.Add(15 * time.Minute),
	}
	o := FromHold(m, s, h)
	if err := o.Validate(); err != nil {
		t.Fatalf("built order invalid: %v", err)
	}
	out, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var want any
	if err := json.Unmarshal([]byte(wantHoldOrder), &want); err != nil {
		t.Fatal(err)
	}
	assertJSON(t, want, out)
}

func TestFromBooking(t *testing.T) {
	m, s := sampleMerchant(t)
	base := booking.Booking{
		ID: "bk5t7yq3wz", ConfirmationCode: "K7QX2M", MerchantID: m.ID, ServiceID: s.ID,
		Customer:  booking.Customer{Name: "Jane Doe", Email: "jane@example.com", Phone: "+15550100", UserID: "u1"},
		PartySize: 2,
		Start:     time.Date(2026, 5, 3, 2, 0, 0, 0, time.UTC), End: time.Date(2026, 5, 3, 3, 30, 0, 0, time.UTC),
		Status: booking.StatusConfirmed, Version: 3, Source: booking.SourceAssistant,
		CreatedAt: time.Date(2026, 5, 1, 16, 0, 0, 0, time.UTC),
		UpdatedAt: time.Date(2026, 5, 1, 16, 5, 0, 123e6, time.UTC),
	}
	tests := []struct {
		status    booking.Status
		want      orderv3.ReservationStatus
		wantLabel string
		wantCode  string
	}{
		{booking.StatusPending, orderv3.ReservationPending, "Reservation pending", ""},
		{booking.StatusConfirmed, orderv3.ReservationConfirmed, "Reservation confirmed", "K7QX2M"},
		{booking.StatusCancelled, orderv3.ReservationCancelled, "Reservation cancelled", "K7QX2M"},
		{booking.StatusFulfilled, orderv3.ReservationFulfilled, "Reservation fulfilled", "K7QX2M"},
		{booking.StatusRejected, orderv3.ReservationRejected, "Reservation declined", ""},
		{booking.StatusChangeRequested, orderv3.ReservationChangeRequested, "Change requested", "K7QX2M"},
		{booking.StatusNoShow, orderv3.ReservationCancelled, "No-show", "K7QX2M"},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			b := base
			b.Status = tt.status
			o := FromBooking(m, s, b)
			if err := o.Validate(); err != nil {
				t.Fatalf("built order invalid: %v", err)
			}
			r := o.Contents.LineItems[0].Reservation
			if r.Status != tt.want || r.UserVisibleStatusLabel != tt.wantLabel || r.ConfirmationCode != tt.wantCode {
				t.Errorf("reservation = %s %q code %q, want %s %q code %q",
					r.Status, r.UserVisibleStatusLabel, r.ConfirmationCode, tt.want, tt.wantLabel, tt.wantCode)
			}
			if o.MerchantOrderID != "bk5t7yq3wz" || o.UserVisibleOrderID != "K7QX2M" {
				t.Errorf("ids = %q / %q", o.MerchantOrderID, o.UserVisibleOrderID)
			}
			if o.BuyerInfo == nil || o.BuyerInfo.DisplayName != "Jane Doe" || o.BuyerInfo.Email != "jane@example.com" ||
				len(o.BuyerInfo.PhoneNumbers) != 0 {
				t.Errorf("buyerInfo = %+v", o.BuyerInfo)
			}
			if got := o.LastUpdateTime.String(); got != "2026-05-01T16:05:00.123Z" {
				t.Errorf("lastUpdateTime = %s", got)
			}
			if got := r.ReservationTime.TimeISO8601; got != "2026-05-02T19:00:00-07:00" {
				t.Errorf("reservationTime = %s", got)
			}
		})
	}
}

func TestFromBookingEdges(t *testing.T) {
	// No merchant details, no service, no time zone loaded, a type Google does not know, no confirmation code.
	b := booking.Booking{ID: "b-1", Status: booking.StatusConfirmed, PartySize: 1,
		Start:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	o := FromBooking(nil, nil, b)
	out, _ := json.Marshal(o)
	var want any
	_ = json.Unmarshal([]byte(`{
	  "merchantOrderId": "b-1", "userVisibleOrderId": "B1",
	  "createTime": "2026-01-01T00:00:00Z", "lastUpdateTime": "2026-01-01T00:00:00Z",
	  "transactionMerchant": {},
	  "contents": {"lineItems": [{"id": "b-1", "name": "Reservation", "reservation": {
	    "status": "CONFIRMED", "userVisibleStatusLabel": "Reservation confirmed",
	    "reservationTime": {"timeIso8601": "2026-01-02T03:04:05Z"}, "partySize": 1}}]}
	}`), &want)
	assertJSON(t, want, out)
	if err := o.Validate(); err == nil || err.Error() != "transactionMerchant.name: required" {
		t.Errorf("Validate() = %v", err)
	}

	m := &booking.Merchant{ID: "salon", Name: "Salon", TimeZone: "Europe/Paris"}
	s := &booking.Service{Name: longName(120), Type: booking.TypeOther}
	o = FromBooking(m, s, b)
	li := o.Contents.LineItems[0]
	if n := len([]rune(li.Name)); n != 100 {
		t.Errorf("name has %d characters, want it clipped to 100", n)
	}
	if li.Reservation.Type != "" {
		t.Errorf("type = %q, want none for OTHER", li.Reservation.Type)
	}
	if got := li.Reservation.ReservationTime.TimeISO8601; got != "2026-01-02T04:04:05+01:00" {
		t.Errorf("reservationTime = %s, want Paris time from TimeZone", got)
	}
	if li.Description != longName(120)+" at Salon" {
		t.Errorf("description = %q", li.Description)
	}
	if err := o.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
}

func longName(n int) string {
	r := make([]rune, n)
	for i := range r {
		r[i] = 'a' + rune(i%26)
	}
	return string(r)
}

func TestSnapshotAndEcho(t *testing.T) {
	m, s := sampleMerchant(t)
	h := booking.Hold{ID: "h1", Start: time.Date(2026, 5, 3, 2, 0, 0, 0, time.UTC), PartySize: 2,
		CreatedAt: time.Date(2026, 5, 1, 16, 0, 0, 0, time.UTC)}
	proposed := FromHold(m, s, h)

	// What Google sends back: the proposed order plus its own fields.
	raw, _ := json.Marshal(proposed)
	var accepted orderv3.Order
	if err := json.Unmarshal(raw, &accepted); err != nil {
		t.Fatal(err)
	}
	accepted.GoogleOrderID = "G-123"
	accepted.PaymentData = json.RawMessage(`{"paymentResult":{"merchantPaymentMethodId":"x"}}`)
	accepted.BuyerInfo = &orderv3.UserInfo{DisplayName: "Jane Doe", Email: "jane@example.com"}
	accepted.Extra = map[string]json.RawMessage{"newGoogleField": json.RawMessage(`{"a":1}`)}

	b := booking.Booking{ID: "h1", ConfirmationCode: "ABC234", Start: h.Start, PartySize: 2,
		Status: booking.StatusConfirmed, CreatedAt: h.CreatedAt, UpdatedAt: h.CreatedAt.Add(time.Minute)}
	receipt := orderv3.Snapshot(Echo(accepted, FromBooking(m, s, b)), "Reservation confirmed.")
	if err := receipt.Validate(); err != nil {
		t.Fatalf("receipt invalid: %v", err)
	}
	o := receipt.Order
	if receipt.Type != orderv3.OrderUpdateSnapshot || receipt.Reason != "Reservation confirmed." {
		t.Errorf("update = %s %q", receipt.Type, receipt.Reason)
	}
	if o.GoogleOrderID != "G-123" || string(o.PaymentData) == "" || o.BuyerInfo.Email != "jane@example.com" ||
		string(o.Extra["newGoogleField"]) != `{"a":1}` {
		t.Errorf("Google's fields not echoed: %+v", o)
	}
	if r := o.Contents.LineItems[0].Reservation; r.Status != orderv3.ReservationConfirmed || r.ConfirmationCode != "ABC234" {
		t.Errorf("reservation = %+v", r)
	}
	out, _ := json.Marshal(receipt)
	var back orderv3.OrderUpdate
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if back.Order.GoogleOrderID != "G-123" || string(back.Order.Extra["newGoogleField"]) != `{"a":1}` {
		t.Errorf("receipt did not survive encoding: %s", out)
	}
}

func TestRejected(t *testing.T) {
	m, s := sampleMerchant(t)
	h := booking.Hold{ID: "h1", Start: time.Date(2026, 5, 3, 2, 0, 0, 0, time.UTC), PartySize: 2,
		CreatedAt: time.Date(2026, 5, 1, 16, 0, 0, 0, time.UTC)}
	raw, _ := json.Marshal(FromHold(m, s, h))
	var accepted orderv3.Order
	if err := json.Unmarshal(raw, &accepted); err != nil {
		t.Fatal(err)
	}
	accepted.GoogleOrderID = "G-123"
	accepted.BuyerInfo = &orderv3.UserInfo{DisplayName: "Jane Doe", Email: "jane@example.com"}
	accepted.Extra = map[string]json.RawMessage{"newGoogleField": json.RawMessage(`{"a":1}`)}
	accepted.Contents.LineItems[0].Reservation.ConfirmationCode = "SHOULD-GO"
	before, _ := json.Marshal(accepted)

	at := time.Date(2026, 5, 1, 16, 20, 0, 0, time.FixedZone("PDT", -7*3600))
	receipt := orderv3.Snapshot(Rejected(accepted, at), "Reservation declined")
	if err := receipt.Validate(); err != nil {
		t.Fatalf("receipt invalid: %v", err)
	}
	got, _ := json.Marshal(receipt.Order)
	// The accepted order, echoed, with the reservation REJECTED, no code, and the new lastUpdateTime.
	var want map[string]any
	if err := json.Unmarshal(before, &want); err != nil {
		t.Fatal(err)
	}
	want["lastUpdateTime"] = "2026-05-01T23:20:00Z"
	r := want["contents"].(map[string]any)["lineItems"].([]any)[0].(map[string]any)["reservation"].(map[string]any)
	r["status"], r["userVisibleStatusLabel"] = "REJECTED", "Reservation declined"
	delete(r, "confirmationCode")
	assertJSON(t, want, got)
	if after, _ := json.Marshal(accepted); string(after) != string(before) {
		t.Errorf("Rejected modified the accepted order:\n%s\n%s", before, after)
	}
}
