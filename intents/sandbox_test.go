package intents_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/orders"
	"github.com/reservations/reservations/orders/orderstest"
)

// TestOrderUpdatesKeepTheConversationsSandboxFlag plays the happy path's Assistant order with isInSandbox false
// (a live user) and true, then cancels the booking as staff would: the Orders API update says what the
// conversation said, whatever the service's --sandbox default.
func TestOrderUpdatesKeepTheConversationsSandboxFlag(t *testing.T) {
	gin.SetMode(gin.TestMode)
	base := loadTranscripts(t)[filepath.Join(transcriptDir, "happy_path.json")]
	if base == nil {
		t.Fatal("no happy_path.json transcript")
	}
	for _, tc := range []struct {
		name                string
		conversation, deflt bool
	}{
		{"live order, sandbox default", false, true},
		{"sandbox order, live default", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := *base
			tr.Sandbox = &tc.conversation
			e := newEnv(t, "memory", &tr)
			e.run(t, &tr)
			bs, err := e.core.Day(context.Background(), e.merchant.ID, "2026-11-23")
			if err != nil || len(bs) != 1 {
				t.Fatalf("bookings on the day: %v, %v", bs, err)
			}
			b := bs[0]
			if b.InSandbox == nil || *b.InSandbox != tc.conversation {
				t.Fatalf("stored InSandbox = %v, want %v", b.InSandbox, tc.conversation)
			}
			if _, err := e.core.Cancel(context.Background(), booking.CancelRequest{BookingID: b.ID, ByMerchant: true, Reason: "closed"}); err != nil {
				t.Fatal(err)
			}
			fake := orderstest.NewTB(t, orderstest.Config{})
			creds, err := orders.LoadCredentials(fake.WriteServiceAccountKey(t))
			if err != nil {
				t.Fatal(err)
			}
			client, err := orders.NewServiceAccountClient(creds, fake.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			w := orders.NewWorker(orders.WorkerConfig{
				Core: e.core, Store: e.faults, Client: client, Sandbox: tc.deflt,
				PollInterval: 10 * time.Millisecond, FulfillEvery: -1, Now: e.core.Now,
			})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- w.Run(ctx) }()
			ok := fake.WaitUpdates(1, 10*time.Second)
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if !ok {
				t.Fatal("no order update reached the fake Orders API")
			}
			ups := fake.Updates()
			if len(ups) != 1 || ups[0].Status != "CANCELLED" || ups[0].Sandbox != tc.conversation {
				t.Fatalf("updates = %+v, want one CANCELLED with isInSandbox %v", ups, tc.conversation)
			}
		})
	}
}
