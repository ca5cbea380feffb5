package bolt

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
)

// BenchmarkFsync measures this machine's raw fsync rate in the test's temporary directory: each iteration
// writes 4 KiB and calls f.Sync. The embedded store's commit rate is bounded by it (bbolt syncs twice per
// transaction: the data pages, then the meta page).
func BenchmarkFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	buf := make([]byte, 4096)
	for i := 0; b.Loop(); i++ {
		if _, err := f.WriteAt(buf, int64(i%256)*4096); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "syncs/s")
}

// BenchmarkCommitParallel32 measures raw Commit throughput with 32 concurrent callers: each iteration places a
// hold (claim + hold) and confirms it (booking + claim + outbox + idempotency record), the two commits of one
// Assistant booking, on distinct start times so that capacity is never the limit.
func BenchmarkCommitParallel32(b *testing.B) {
	s := openTemp(b)
	ctx := context.Background()
	var n atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range 32 {
		wg.Go(func() {
			for {
				i := n.Add(1)
				if i > int64(b.N) {
					return
				}
				id := fmt.Sprintf("bench-%09d", i)
				start := t0.Add(time.Duration(i%5000) * 15 * time.Minute)
				a := booking.Allocation{ID: id, MerchantID: "m1", ServiceID: "dinner", Start: start, End: start.Add(90 * time.Minute), Party: 2, ExpiresAt: t0.Add(15 * time.Minute)}
				h := booking.Hold{ID: id, MerchantID: "m1", ServiceID: "dinner", Start: a.Start, End: a.End, PartySize: 2, CreatedAt: t0, ExpiresAt: a.ExpiresAt}
				if err := s.Commit(ctx, &booking.Mutation{MerchantID: "m1", Now: t0, Claim: &booking.Claim{Allocation: a, Capacity: 1 << 30}, PutHold: &h}); err != nil {
					b.Error(err)
					return
				}
				bk := newBooking(id, 0)
				bk.Start, bk.End = a.Start, a.End
				a.ExpiresAt = time.Time{}
				rec := booking.IdempotencyRecord{Key: id, RequestHash: "h", Result: []byte(`{}`), CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour)}
				if err := s.Commit(ctx, &booking.Mutation{
					MerchantID: "m1", Now: t0, Idempotency: &rec, Booking: &bk, DeleteHold: id,
					Claim: &booking.Claim{Allocation: a, Capacity: 1 << 30}, Outbox: []booking.OutboxEntry{entry(bk, 0)},
				}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bookings/s")
}

// BenchmarkAllocations31Days measures the store's share of a 31-day availability search: one Allocations read
// over 31 days holding 20 allocations a day.
func BenchmarkAllocations31Days(b *testing.B) {
	s := openTemp(b)
	ctx := context.Background()
	for d := range 31 {
		for k := range 20 {
			a := alloc(fmt.Sprintf("d%02d-%02d", d, k), d*24*60+(k%15)*15, 90, 1+k%4)
			commit(b, s, &booking.Mutation{Claim: &booking.Claim{Allocation: a, Capacity: 1 << 30}})
		}
	}
	from, to := t0.Add(-time.Hour), t0.AddDate(0, 0, 31)
	for b.Loop() {
		all, err := s.Allocations(ctx, "m1", "dinner", from, to)
		if err != nil || len(all) != 620 {
			b.Fatalf("Allocations = %d, %v", len(all), err)
		}
	}
}
