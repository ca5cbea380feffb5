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

// TestCommitHeaderLayout: Redis's struct.unpack with commitHeaderFormat reads back every field encode wrote, in
// the order the commit script names them.
func TestCommitHeaderLayout(t *testing.T) {
	c := newClient(t)
	h := commitHeader{now: 1767299400123, idem: 1, booking: 0, active: 1, claim: 1, putHold: 0, deleteHold: 1,
		requireHold: 0, guard: 1, idemTTL: 86400000, expectVersion: 7, end: 1767304800000, claimStart: -5,
		claimEnd: 1767304800001, claimParty: 12, claimExpires: 0, claimCapacity: 1000000, holdTTL: 87300000,
		guardStart: 1767299400000, guardEnd: 1767304800002}
	got, err := c.Eval(tctx(t), "return {struct.unpack('"+commitHeaderFormat+"', ARGV[1])}", nil, h.encode()).Int64Slice()
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{h.now, 1, 0, 1, 1, 0, 1, 0, 1, h.idemTTL, h.expectVersion, h.end, h.claimStart, h.claimEnd,
		int64(h.claimParty), h.claimExpires, int64(h.claimCapacity), h.holdTTL, h.guardStart, h.guardEnd,
		int64(len(h.encode()) + 1)} // struct.unpack's last value: the next position
	if len(got) != len(want) {
		t.Fatalf("unpacked %d values %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("value %d = %d, want %d", i+1, got[i], want[i])
		}
	}
}
