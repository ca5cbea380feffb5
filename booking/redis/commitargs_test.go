package redis

import (
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/reservations/reservations/booking"
)

// BenchmarkCommitArgs measures the client-side cost of building a confirmation's KEYS and ARGV (booking, claim,
// hold deletion and one outbox entry), with no Redis round trip.
func BenchmarkCommitArgs(b *testing.B) {
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	defer func() { _ = c.Close() }()
	s := New(c, Options{})
	bk := newBooking("b1", "m1", "u1", t0.Add(48*time.Hour), 2)
	m := &booking.Mutation{MerchantID: "m1", Now: t0, Booking: bk, DeleteHold: "h1",
		Claim: &booking.Claim{Allocation: booking.Allocation{ID: "b1", MerchantID: "m1", ServiceID: "dinner",
			Start: bk.Start, End: bk.End, Party: 2}, Capacity: 40},
		Outbox: []booking.OutboxEntry{entryFor(bk, booking.ChangeCreated, t0)}}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.commitArgs(m); err != nil {
			b.Fatal(err)
		}
	}
}
