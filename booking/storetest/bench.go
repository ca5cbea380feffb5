package storetest

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/internal/proccpu"
	"github.com/reservations/reservations/internal/testsupport"
)

// benchInventory is one large restaurant so that capacity never limits the booking benchmark.
func benchInventory() *booking.Inventory {
	inv := booking.SampleInventory()
	m := &inv.Merchants[0]
	m.Policy.MaxLead = booking.Duration(400 * 24 * time.Hour)
	m.Services[0].Capacity = 1_000_000
	m.Services[0].MaxParty = 8
	return inv
}

// Bench runs the store benchmarks through the booking core: ConfirmedBookings32 (32 concurrent callers, each
// iteration places a hold and confirms it into a booking, spread over many start times and days; reports
// bookings/s) and Availability31Days (a 31-day search of one service with 20 bookings per day present).
// open must return a fresh, empty store.
func Bench(b *testing.B, open func(b *testing.B) booking.Store) {
	BenchWith(b, open, nil)
}

// BenchWith is Bench for a store with a server of its own: serverCPU, when not nil, returns the CPU time the
// server has used so far, and ConfirmedBookings32 also reports it per booking (server-cpu-µs/booking) beside
// the test process's own (cpu-µs/booking). Unlike bookings/s, those two hardly depend on how busy the machine
// is, so runs on a loaded machine stay comparable.
func BenchWith(b *testing.B, open func(b *testing.B) booking.Store, serverCPU func() time.Duration) {
	b.Run("ConfirmedBookings32", func(b *testing.B) { benchConfirmed(b, open(b), serverCPU) })
	b.Run("Availability31Days", func(b *testing.B) { benchAvailability(b, open(b)) })
}

func benchConfirmed(b *testing.B, st booking.Store, serverCPU func() time.Duration) {
	clock := testsupport.NewClock(svcStart)
	svc, err := booking.NewService(booking.Config{Store: st, Inventory: benchInventory(), Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	ctx := ctxFor(b)
	const callers = 32
	const startsPerDay = 15 // 17:00 to 20:30 every 15 minutes
	const days = 365
	b.SetParallelism((callers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	var n atomic.Int64
	var server0 time.Duration
	if serverCPU != nil {
		server0 = serverCPU()
	}
	cpu0, _ := proccpu.Used()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			start := local(1+int(i%days), "17:00").Add(time.Duration((i/days)%startsPerDay) * 15 * time.Minute)
			h, err := svc.PlaceHold(ctx, booking.HoldRequest{MerchantID: booking.SampleMerchantID, Start: start, PartySize: 2})
			if err != nil {
				b.Errorf("hold %d: %v", i, err)
				return
			}
			_, err = svc.ConfirmHold(ctx, booking.ConfirmRequest{MerchantID: booking.SampleMerchantID, HoldID: h.ID,
				Customer: booking.Customer{Name: "Bench Guest", UserID: fmt.Sprintf("bench-%d", i)}, Source: booking.SourceAssistant})
			if err != nil {
				b.Errorf("confirm %d: %v", i, err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bookings/s")
	if now, ok := proccpu.Used(); ok && now > cpu0 {
		cpu := now - cpu0
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/booking")
	}
	if serverCPU != nil {
		if used := serverCPU() - server0; used > 0 {
			b.ReportMetric(float64(used.Microseconds())/float64(b.N), "server-cpu-µs/booking")
		}
	}
}

func benchAvailability(b *testing.B, st booking.Store) {
	clock := testsupport.NewClock(svcStart)
	svc, err := booking.NewService(booking.Config{Store: st, Inventory: booking.SampleInventory(), Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	ctx := ctxFor(b)
	// 20 bookings a day for 31 days, spread over the evening's 15 start times.
	for d := 1; d <= 31; d++ {
		for k := range 20 {
			start := local(d, "17:00").Add(time.Duration(k%15) * 15 * time.Minute)
			_, err := svc.CreateBooking(ctx, booking.CreateRequest{MerchantID: booking.SampleMerchantID, Start: start, PartySize: 1 + k%4,
				Customer: booking.Customer{Name: "Bench Guest", UserID: fmt.Sprintf("avail-%d-%d", d, k)}, Source: booking.SourceAdmin})
			if err != nil {
				b.Fatalf("day %d booking %d: %v", d, k, err)
			}
		}
	}
	q := booking.AvailabilityQuery{MerchantID: booking.SampleMerchantID, ServiceID: "dinner", PartySize: 2,
		From: local(1, "00:00"), To: local(1, "00:00").Add(booking.MaxAvailabilityWindow)}
	slots, err := svc.Availability(ctx, q)
	if err != nil {
		b.Fatal(err)
	}
	if len(slots) < 31*10 {
		b.Fatalf("only %d free slots over 31 days", len(slots))
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := svc.Availability(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}
