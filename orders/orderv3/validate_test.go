package orderv3

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// validOrder is a minimal order that passes Validate.
func validOrder() Order {
	return Order{
		MerchantOrderID:     "bk-1",
		CreateTime:          TimestampOf(time.Date(2026, 5, 1, 17, 0, 0, 0, time.UTC)),
		LastUpdateTime:      TimestampOf(time.Date(2026, 5, 1, 17, 0, 0, 0, time.UTC)),
		TransactionMerchant: &Merchant{ID: "m", Name: "Sample Bistro"},
		Contents: &Contents{LineItems: []LineItem{{
			ID:   "bk-1",
			Name: "Dinner",
			Reservation: &Reservation{
				Status:                 ReservationPending,
				UserVisibleStatusLabel: "Reservation pending",
				Type:                   ReservationRestaurant,
				PartySize:              2,
			},
		}}},
	}
}

func TestValidate(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) } // multi-byte: limits count characters
	tests := []struct {
		name   string
		modify func(o *Order)
		want   string // the whole error text; "" = valid
	}{
		{"valid", func(*Order) {}, ""},
		{"id at limit", func(o *Order) { o.MerchantOrderID = long(64); o.Contents.LineItems[0].ID = long(64) }, ""},
		{"name at limit", func(o *Order) { o.Contents.LineItems[0].Name = long(100) }, ""},
		{"label at limit", func(o *Order) { o.Contents.LineItems[0].Reservation.UserVisibleStatusLabel = long(50) }, ""},
		{"merchantOrderId missing", func(o *Order) { o.MerchantOrderID = "" }, "merchantOrderId: required"},
		{"merchantOrderId too long", func(o *Order) { o.MerchantOrderID = long(65) }, "merchantOrderId: longer than 64 characters"},
		{"createTime missing", func(o *Order) { o.CreateTime = Timestamp{} }, "createTime: required"},
		{"merchant missing", func(o *Order) { o.TransactionMerchant = nil }, "transactionMerchant: required"},
		{"merchant name missing", func(o *Order) { o.TransactionMerchant.Name = " " }, "transactionMerchant.name: required"},
		{"no contents", func(o *Order) { o.Contents = nil }, "contents.lineItems: at least 1 line item required"},
		{"no line items", func(o *Order) { o.Contents.LineItems = nil }, "contents.lineItems: at least 1 line item required"},
		{"51 line items", func(o *Order) {
			for len(o.Contents.LineItems) < 51 {
				o.Contents.LineItems = append(o.Contents.LineItems, o.Contents.LineItems[0])
			}
		}, "contents.lineItems: more than 50 line items"},
		{"50 line items", func(o *Order) {
			for len(o.Contents.LineItems) < 50 {
				o.Contents.LineItems = append(o.Contents.LineItems, o.Contents.LineItems[0])
			}
		}, ""},
		{"line item id too long", func(o *Order) { o.Contents.LineItems[0].ID = long(65) }, "contents.lineItems[0].id: longer than 64 characters"},
		{"line item id missing", func(o *Order) { o.Contents.LineItems[0].ID = "" }, "contents.lineItems[0].id: required"},
		{"name too long", func(o *Order) { o.Contents.LineItems[0].Name = long(101) }, "contents.lineItems[0].name: longer than 100 characters"},
		{"label too long", func(o *Order) { o.Contents.LineItems[0].Reservation.UserVisibleStatusLabel = long(51) },
			"contents.lineItems[0].reservation.userVisibleStatusLabel: longer than 50 characters"},
		{"label missing", func(o *Order) { o.Contents.LineItems[0].Reservation.UserVisibleStatusLabel = "" },
			"contents.lineItems[0].reservation.userVisibleStatusLabel: required"},
		{"status missing", func(o *Order) { o.Contents.LineItems[0].Reservation.Status = "" },
			"contents.lineItems[0].reservation.status: required"},
		{"status unknown", func(o *Order) { o.Contents.LineItems[0].Reservation.Status = "NO_SHOW" },
			`contents.lineItems[0].reservation.status: unknown status "NO_SHOW"`},
		{"type unknown", func(o *Order) { o.Contents.LineItems[0].Reservation.Type = "OTHER" },
			`contents.lineItems[0].reservation.type: unknown type "OTHER"`},
		{"negative party", func(o *Order) { o.Contents.LineItems[0].Reservation.PartySize = -1 },
			"contents.lineItems[0].reservation.partySize: negative"},
		{"empty reservation time", func(o *Order) { o.Contents.LineItems[0].Reservation.ReservationTime = &Time{} },
			"contents.lineItems[0].reservation.reservationTime.timeIso8601: required"},
		{"no vertical", func(o *Order) { o.Contents.LineItems[0].Reservation = nil }, "contents.lineItems[0].reservation: required"},
		{"two verticals in one item", func(o *Order) { o.Contents.LineItems[0].Purchase = json.RawMessage(`{}`) },
			"contents.lineItems[0]: has both a reservation and a purchase"},
		{"mixed verticals", func(o *Order) {
			o.Contents.LineItems = append(o.Contents.LineItems, LineItem{ID: "p", Name: "Wine", Purchase: json.RawMessage(`{"status":"CONFIRMED"}`)})
		}, "contents.lineItems[1]: is a purchase but line item 0 is a reservation: all line items must be of one vertical"},
		{"action title too long", func(o *Order) {
			o.FollowUpActions = []Action{{Type: ActionCall, Title: long(101), OpenURLAction: &OpenURLAction{URL: "tel:+1"}}}
		}, "followUpActions[0].title: longer than 100 characters"},
		{"action type missing", func(o *Order) { o.FollowUpActions = []Action{{Title: "Call"}} }, "followUpActions[0].type: required"},
		{"action url missing", func(o *Order) { o.FollowUpActions = []Action{{Type: ActionCall, OpenURLAction: &OpenURLAction{}}} },
			"followUpActions[0].openUrlAction.url: required"},
		{"line item action", func(o *Order) { o.Contents.LineItems[0].FollowUpActions = []Action{{Type: "PHONE"}} },
			`contents.lineItems[0].followUpActions[0].type: unknown type "PHONE"`},
		{"price incomplete", func(o *Order) {
			o.PriceAttributes = []PriceAttribute{{Amount: &Money{CurrencyCode: "DOLLAR", AmountInMicros: 1}}}
		}, "priceAttributes[0].type: required\npriceAttributes[0].name: required\npriceAttributes[0].state: required\n" +
			"priceAttributes[0].amount.currencyCode: not a 3-letter ISO 4217 code"},
		{"price valid", func(o *Order) {
			o.PriceAttributes = []PriceAttribute{{Type: PriceTotal, Name: "Deposit", State: PriceActual, Amount: &Money{CurrencyCode: "USD", AmountInMicros: 10e6}}}
		}, ""},
		{"several problems", func(o *Order) { o.MerchantOrderID = ""; o.Contents.LineItems[0].Name = "" },
			"merchantOrderId: required\ncontents.lineItems[0].name: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := validOrder()
			tt.modify(&o)
			err := o.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Validate() = %q\nwant          %q", err.Error(), tt.want)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Errorf("error %v has no *FieldError", err)
			}
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	o := validOrder()
	tests := []struct {
		name string
		u    OrderUpdate
		want string
	}{
		{"snapshot", Snapshot(o, "accepted"), ""},
		{"status update", OrderUpdate{Order: &o, UpdateMask: ReservationStatusMask, Reason: "r"}, ""},
		{"no order", OrderUpdate{UpdateMask: "x"}, "order: required"},
		{"no mask", OrderUpdate{Order: &o}, "updateMask: required unless type is SNAPSHOT"},
		{"no lastUpdateTime", OrderUpdate{Type: OrderUpdateSnapshot, Order: &Order{
			MerchantOrderID: "a", CreateTime: o.CreateTime, TransactionMerchant: o.TransactionMerchant, Contents: o.Contents,
		}}, "order.lastUpdateTime: required"},
		{"order field named", OrderUpdate{Type: OrderUpdateSnapshot, Order: &Order{
			MerchantOrderID: strings.Repeat("x", 65), CreateTime: o.CreateTime, LastUpdateTime: o.LastUpdateTime,
			TransactionMerchant: o.TransactionMerchant, Contents: o.Contents,
		}}, "order.merchantOrderId: longer than 64 characters"},
		{"notification at limits", OrderUpdate{Order: &o, UpdateMask: "x", UserNotification: &UserNotification{
			Title: strings.Repeat("t", 30), Text: strings.Repeat("x", 100)}}, ""},
		{"notification too long", OrderUpdate{Order: &o, UpdateMask: "x", UserNotification: &UserNotification{
			Title: strings.Repeat("t", 31), Text: strings.Repeat("x", 101)}},
			"userNotification.title: longer than 30 characters\nuserNotification.text: longer than 100 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.u.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
		})
	}
}
