package orders_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/orders"
	"github.com/reservations/reservations/orders/orderv3"
)

// sampleMerchant returns the built-in sample merchant and its dinner service.
func sampleMerchant(t *testing.T) (*booking.Merchant, *booking.Service) {
	t.Helper()
	m, ok := booking.SampleInventory().Merchant("sample-bistro")
	if !ok {
		t.Fatal("no sample merchant")
	}
	s, ok := m.Service("dinner")
	if !ok {
		t.Fatal("no dinner service")
	}
	return m, s
}

// jsonEqual compares two JSON documents as data.
func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got invalid JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		gi, _ := json.MarshalIndent(g, "", "  ")
		wi, _ := json.MarshalIndent(w, "", "  ")
		t.Errorf("body differs\n got: %s\nwant: %s", gi, wi)
	}
}

func TestNewPatchBody(t *testing.T) {
	m, s := sampleMerchant(t)
	// 2026-01-16 19:00 in Los Angeles (PST, UTC-8).
	start := time.Date(2026, 1, 17, 3, 0, 0, 0, time.UTC)
	base := booking.Booking{
		ID: "bk7m2q", ConfirmationCode: "K7M2QX", MerchantID: "sample-bistro", ServiceID: "dinner",
		Customer:  booking.Customer{Name: "Ada Lovelace", Email: "ada@example.com"},
		PartySize: 4, Start: start, End: start.Add(90 * time.Minute), Day: "2026-01-16",
		Status: booking.StatusConfirmed, Version: 2, Source: booking.SourceAssistant, GoogleOrderID: "G-1",
		CreatedAt: time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 12, 9, 30, 0, 0, time.UTC),
	}
	lut := time.Date(2026, 1, 12, 9, 30, 0, 250e6, time.UTC)

	cancelled := base
	cancelled.Status = booking.StatusCancelled
	moved := base
	moved.Start = time.Date(2026, 1, 17, 4, 30, 0, 0, time.UTC) // 20:30 local
	moved.PartySize = 6
	noShow := base
	noShow.Status = booking.StatusNoShow
	fulfilled := base
	fulfilled.Status = booking.StatusFulfilled
	rejected := base
	rejected.Status = booking.StatusRejected
	pendingToConfirmed := base

	tests := []struct {
		name    string
		entry   booking.OutboxEntry
		sandbox bool
		want    string
	}{
		{
			name:    "cancellation with notification",
			entry:   booking.OutboxEntry{ID: "bk7m2q.3", BookingID: "bk7m2q", Seq: 3, Kind: booking.ChangeStatus, Booking: cancelled, Reason: "Kitchen closed for a private event"},
			sandbox: true,
			want: `{"header":{"isInSandbox":true},"orderUpdate":{
				"updateMask":"lastUpdateTime,contents.lineItems.reservation.status,contents.lineItems.reservation.userVisibleStatusLabel",
				"order":{"merchantOrderId":"bk7m2q","lastUpdateTime":"2026-01-12T09:30:00.250Z",
					"contents":{"lineItems":[{"id":"bk7m2q","reservation":{"status":"CANCELLED","userVisibleStatusLabel":"Reservation cancelled"}}]}},
				"reason":"Kitchen closed for a private event",
				"userNotification":{"title":"Reservation cancelled","text":"Your reservation at Sample Bistro on Fri, Jan 16 at 7:00 PM was cancelled."}}}`,
		},
		{
			name:  "reschedule with time and party size in the mask",
			entry: booking.OutboxEntry{ID: "bk7m2q.3", BookingID: "bk7m2q", Seq: 3, Kind: booking.ChangeReschedule, Booking: moved},
			want: `{"header":{"isInSandbox":false},"orderUpdate":{
				"updateMask":"lastUpdateTime,contents.lineItems.reservation.status,contents.lineItems.reservation.userVisibleStatusLabel,contents.lineItems.reservation.reservationTime,contents.lineItems.reservation.partySize",
				"order":{"merchantOrderId":"bk7m2q","lastUpdateTime":"2026-01-12T09:30:00.250Z",
					"contents":{"lineItems":[{"id":"bk7m2q","reservation":{"status":"CONFIRMED","userVisibleStatusLabel":"Reservation confirmed",
						"reservationTime":{"timeIso8601":"2026-01-16T20:30:00-08:00"},"partySize":6}}]}},
				"reason":"Reservation rescheduled"}}`,
		},
		{
			name:  "party size change",
			entry: booking.OutboxEntry{ID: "bk7m2q.3", BookingID: "bk7m2q", Seq: 3, Kind: booking.ChangePartySize, Booking: base, Reason: "Two more guests"},
			want: `{"header":{"isInSandbox":false},"orderUpdate":{
				"updateMask":"lastUpdateTime,contents.lineItems.reservation.status,contents.lineItems.reservation.userVisibleStatusLabel,contents.lineItems.reservation.reservationTime,contents.lineItems.reservation.partySize",
				"order":{"merchantOrderId":"bk7m2q","lastUpdateTime":"2026-01-12T09:30:00.250Z",
					"contents":{"lineItems":[{"id":"bk7m2q","reservation":{"status":"CONFIRMED","userVisibleStatusLabel":"Reservation confirmed",
						"reservationTime":{"timeIso8601":"2026-01-16T19:00:00-08:00"},"partySize":4}}]}},
				"reason":"Two more guests"}}`,
		},
		{
			name:  "confirmation has no notification",
			entry: booking.OutboxEntry{ID: "bk7m2q.2", BookingID: "bk7m2q", Seq: 2, Kind: booking.ChangeStatus, Booking: pendingToConfirmed},
			want: `{"header":{"isInSandbox":false},"orderUpdate":{
				"updateMask":"lastUpdateTime,contents.lineItems.reservation.status,contents.lineItems.reservation.userVisibleStatusLabel",
				"order":{"merchantOrderId":"bk7m2q","lastUpdateTime":"2026-01-12T09:30:00.250Z",
					"contents":{"lineItems":[{"id":"bk7m2q","reservation":{"status":"CONFIRMED","userVisibleStatusLabel":"Reservation confirmed"}}]}},
				"reason":"Reservation confirmed"}}`,
		},
		{
			name:  "no-show is CANCELLED labelled No-show",
			entry: booking.OutboxEntry{ID: "bk7m2q.3", BookingID: "bk7m2q", Seq: 3, Kind: booking.ChangeStatus, Booking: noShow},
			want: `{"header":{"isInSandbox":false},"orderUpdate":{
				"updateMask":"lastUpdateTime,contents.lineItems.reservation.status,contents.lineItems.reservation.userVisibleStatusLabel",
				"order":{"merchantOrderId":"bk7m2q","lastUpdateTime":"2026-01-12T09:30:00.250Z",
					"contents":{"lineItems":[{"id":"bk7m2q","reservation":{"status":"CANCELLED","userVisibleStatusLabel":"No-show"}}]}},
				"reason":"No-show",
				"userNotification":{"title":"Marked as a no-show","text":"Your reservation at Sample Bistro on Fri, Jan 16 at 7:00 PM was marked as a no-show."}}}`,
		},
		{
			name:  "fulfilled",
			entry: booking.OutboxEntry{ID: "bk7m2q.3", BookingID: "bk7m2q", Seq: 3, Kind: booking.ChangeStatus, Booking: fulfilled, Reason: "the reservation has ended"},
			want: `{"header":{"isInSandbox":false},"orderUpdate":{
				"updateMask":"lastUpdateTime,contents.lineItems.reservation.status,contents.lineItems.reservation.userVisibleStatusLabel",
				"order":{"merchantOrderId":"bk7m2q","lastUpdateTime":"2026-01-12T09:30:00.250Z",
					"contents":{"lineItems":[{"id":"bk7m2q","reservation":{"status":"FULFILLED","userVisibleStatusLabel":"Reservation fulfilled"}}]}},
				"reason":"the reservation has ended",
				"userNotification":{"title":"Thanks for visiting","text":"We hope you enjoyed your visit to Sample Bistro."}}}`,
		},
		{
			name:  "rejected",
			entry: booking.OutboxEntry{ID: "bk7m2q.2", BookingID: "bk7m2q", Seq: 2, Kind: booking.ChangeStatus, Booking: rejected},
			want: `{"header":{"isInSandbox":false},"orderUpdate":{
				"updateMask":"lastUpdateTime,contents.lineItems.reservation.status,contents.lineItems.reservation.userVisibleStatusLabel",
				"order":{"merchantOrderId":"bk7m2q","lastUpdateTime":"2026-01-12T09:30:00.250Z",
					"contents":{"lineItems":[{"id":"bk7m2q","reservation":{"status":"REJECTED","userVisibleStatusLabel":"Reservation declined"}}]}},
				"reason":"Reservation declined",
				"userNotification":{"title":"Reservation declined","text":"Sample Bistro could not accept your reservation on Fri, Jan 16 at 7:00 PM."}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := orders.NewPatch(m, s, tt.entry, lut, tt.sandbox)
			if err != nil {
				t.Fatalf("NewPatch: %v", err)
			}
			body, err := json.Marshal(req)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			jsonEqual(t, body, tt.want)
		})
	}
}

func TestNewPatchLongMerchantNameFitsNotification(t *testing.T) {
	m, s := sampleMerchant(t)
	long := *m
	long.Name = strings.Repeat("Très Long Restaurant Name ", 8)
	start := time.Date(2026, 1, 17, 3, 0, 0, 0, time.UTC)
	b := booking.Booking{ID: "bk1", MerchantID: long.ID, ServiceID: "dinner", PartySize: 2, Start: start,
		End: start.Add(90 * time.Minute), Status: booking.StatusCancelled, Version: 2, GoogleOrderID: "G",
		UpdatedAt: start.Add(-time.Hour)}
	req, err := orders.NewPatch(&long, s, booking.OutboxEntry{BookingID: "bk1", Seq: 2, Kind: booking.ChangeStatus, Booking: b}, b.UpdatedAt, true)
	if err != nil {
		t.Fatalf("NewPatch: %v", err)
	}
	n := req.OrderUpdate.UserNotification
	if n == nil {
		t.Fatal("no notification for a cancellation")
	}
	if c := utf8.RuneCountInString(n.Text); c > orderv3.MaxNotificationText {
		t.Errorf("notification text has %d characters, limit %d: %q", c, orderv3.MaxNotificationText, n.Text)
	}
	if !strings.HasPrefix(n.Text, "Your reservation at Très Long") || !strings.HasSuffix(n.Text, "at 7:00 PM was cancelled.") {
		t.Errorf("notification text lost its sense: %q", n.Text)
	}
}

func TestNewPatchRefusesInvalidIDs(t *testing.T) {
	m, s := sampleMerchant(t)
	start := time.Date(2026, 1, 17, 3, 0, 0, 0, time.UTC)
	b := booking.Booking{ID: strings.Repeat("x", 65), MerchantID: m.ID, ServiceID: "dinner", PartySize: 2, Start: start,
		End: start.Add(time.Hour), Status: booking.StatusCancelled, GoogleOrderID: "G", UpdatedAt: start}
	_, err := orders.NewPatch(m, s, booking.OutboxEntry{BookingID: b.ID, Seq: 2, Kind: booking.ChangeStatus, Booking: b}, start, true)
	if err == nil || !strings.Contains(err.Error(), "order.merchantOrderId: longer than 64 characters") {
		t.Errorf("err = %v, want the merchantOrderId limit named", err)
	}
}
