package actionscenter_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/actionscenter"
)

// benchInventory is the test inventory with room for every booking a benchmark makes.
func benchInventory(b *testing.B) *booking.Inventory {
	inv := testInventory(b)
	inv.Merchants[0].Services[0].Capacity = 1_000_000
	return inv
}

// gridStart is the k-th start time of service 5678 from 2020-11-27: 24 a day (08:00–19:30 every 30 minutes).
func gridStart(k int) time.Time {
	day := time.Date(2020, 11, 27, 8, 0, 0, 0, time.UTC).AddDate(0, 0, (k/24)%55)
	return day.Add(time.Duration(k%24) * 30 * time.Minute)
}

// BenchmarkBatchAvailabilityLookup500 times BatchAvailabilityLookup requests of 500 slot times over 21 days
// with 20 bookings a day present, and reports the p50 and p99 latency of a request in milliseconds.
func BenchmarkBatchAvailabilityLookup500(b *testing.B) {
	for _, kind := range storeKinds() {
		b.Run(kind.name, func(b *testing.B) {
			e := newEnv(b, envOptions{store: kind.open(b)})
			ctx := context.Background()
			for k := range 21 * 20 {
				start := gridStart(k/20*24 + k%20)
				if _, err := e.core.CreateBooking(ctx, booking.CreateRequest{MerchantID: "1234", ServiceID: "5678", Start: start, PartySize: 1 + k%4,
					Customer: booking.Customer{Name: "B B", UserID: fmt.Sprintf("bench-%d", k)}, Source: booking.SourceAdmin}); err != nil {
					b.Fatal(err)
				}
			}
			req := actionscenter.BatchAvailabilityLookupRequest{MerchantID: "1234"}
			for i := range 500 {
				req.SlotTime = append(req.SlotTime, actionscenter.SlotTime{ServiceID: "5678", StartSec: actionscenter.Int64(gridStart(i).Unix()),
					DurationSec: 1800, ResourceIDs: &actionscenter.ResourceIDs{PartySize: actionscenter.Int32(1 + i%8)}})
			}
			body, _ := json.Marshal(req)
			lat := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				r := httptest.NewRequest(http.MethodPost, "/v3/BatchAvailabilityLookup/", strings.NewReader(string(body)))
				r.SetBasicAuth(credCur.User, credCur.Password)
				w := httptest.NewRecorder()
				t0 := time.Now()
				e.h.ServeHTTP(w, r)
				lat = append(lat, time.Since(t0))
				if w.Code != http.StatusOK {
					b.Fatalf("HTTP %d: %s", w.Code, w.Body.String())
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkCreateBooking measures CreateBooking throughput through the HTTP handler with concurrent callers,
// each booking a different user at start times spread over 55 days, and reports bookings per second.
func BenchmarkCreateBooking(b *testing.B) {
	for _, kind := range storeKinds() {
		b.Run(kind.name, func(b *testing.B) {
			e := newEnv(b, envOptions{store: kind.open(b), inventory: benchInventory(b)})
			var seq atomic.Int64
			b.SetParallelism(16)
			b.ResetTimer()
			t0 := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					k := int(seq.Add(1))
					body := createBody(fmt.Sprintf("bench-%d", k), fmt.Sprintf("user-%d", k), gridStart(k), 2)
					r := httptest.NewRequest(http.MethodPost, "/v3/CreateBooking/", strings.NewReader(body))
					r.SetBasicAuth(credCur.User, credCur.Password)
					w := httptest.NewRecorder()
					e.h.ServeHTTP(w, r)
					if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "booking_failure") {
						b.Errorf("HTTP %d: %s", w.Code, w.Body.String())
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "bookings/s")
		})
	}
}
