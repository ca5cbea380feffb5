package redis

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/reservations/reservations/booking"
)

// TestBookingsByUserMerchantsNotKnownHere reads a user's bookings through a Store that wrote to none, one, or
// more merchants than it guesses: bookings at merchants only another Store wrote to are found all the same, and
// a known merchant where the user has no booking adds nothing.
func TestBookingsByUserMerchantsNotKnownHere(t *testing.T) {
	c := newClient(t)
	prefix := randomPrefix(t)
	writer := openStoreWith(t, c, prefix)
	start := t0.Add(48 * time.Hour)
	for i := range 3 {
		m := fmt.Sprintf("m%d", i)
		createBooking(t, writer, newBooking("u-"+m, m, "u1", start.Add(time.Duration(i)*time.Hour), 2), 40, t0)
	}
	cases := []struct {
		name     string
		commitTo []string // merchants the reading Store commits to first (an unrelated user's booking)
	}{
		{"knows no merchant", nil},
		{"knows one of them", []string{"m1"}},
		{"knows a merchant without the user", []string{"other"}},
		{"knows them all", []string{"m0", "m1", "m2"}},
		{"knows too many to guess", []string{"m0", "m1", "m2", "x1", "x2", "x3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reader := New(c, Options{Prefix: prefix, Timeout: testTimeout})
			for i, m := range tc.commitTo {
				createBooking(t, reader, newBooking(fmt.Sprintf("%s-%s-%d", tc.name, m, i), m, "someone-else", start, 1), 40, t0)
			}
			got, err := reader.BookingsByUser(tctx(t), "u1", t0)
			if err != nil {
				t.Fatal(err)
			}
			if g, want := bookingIDs(got), []string{"u-m0", "u-m1", "u-m2"}; !slices.Equal(g, want) {
				t.Fatalf("bookings of u1: %v, want %v", g, want)
			}
			got, err = reader.BookingsByUser(tctx(t), "nobody", t0)
			if err != nil || len(got) != 0 {
				t.Fatalf("bookings of a user without any: %v, %v", got, err)
			}
		})
	}
}

// TestSpeculativeReadNoScript runs the pipelined SMEMBERS + script read with a script Redis has never seen (as
// after a restart or SCRIPT FLUSH, which this test does not issue on a shared server): the NOSCRIPT reply loads
// the script and the read is answered all the same.
func TestSpeculativeReadNoScript(t *testing.T) {
	c := newClient(t)
	s := openStoreWith(t, c, randomPrefix(t))
	createBooking(t, s, newBooking("b1", "m1", "u1", t0.Add(48*time.Hour), 2), 40, t0)
	fresh := goredis.NewScript(scriptSource("lex_bookings", true) + "\n-- " + randomPrefix(t)) // a SHA the server does not know
	members, replies, err := s.smembersWith(tctx(t), s.userKey("u1"), fresh, 1, func(int) scriptCall {
		k := s.mk("m1")
		return scriptCall{keys: []string{k.x(), k.bj()}, args: []any{"uu1"}}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(members, []string{"m1"}) {
		t.Fatalf("members %v, want [m1]", members)
	}
	got, err := s.decodeBookings(replies[0], func(*booking.Booking) bool { return true }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g := bookingIDs(got); !slices.Equal(g, []string{"b1"}) {
		t.Fatalf("bookings %v, want [b1]", g)
	}
}

// TestClientOptionsPoolSize checks that Open's client has room for many concurrent callers unless the URL sets
// its own pool size.
func TestClientOptionsPoolSize(t *testing.T) {
	cases := []struct {
		url  string
		want int
	}{
		{"redis://127.0.0.1:6379/0", DefaultPoolSize},
		{"redis://127.0.0.1:6379/0?pool_size=7", 7},
	}
	for _, c := range cases {
		o, err := goredis.ParseURL(c.url)
		if err != nil {
			t.Fatal(err)
		}
		ClientOptions(o, 0)
		if o.PoolSize != c.want {
			t.Errorf("%s: PoolSize %d, want %d", c.url, o.PoolSize, c.want)
		}
	}
}

// BenchmarkBookingsByUser reads the bookings of users with three bookings each at one merchant, 32 callers at a
// time (the "what are my reservations" turn); reports reads/s.
func BenchmarkBookingsByUser(b *testing.B) {
	c := newClient(b)
	s := openStoreWith(b, c, randomPrefix(b))
	const users = 200
	start := t0.Add(48 * time.Hour)
	for u := range users {
		for k := range 3 {
			id := fmt.Sprintf("b-%d-%d", u, k)
			createBooking(b, s, newBooking(id, "m1", fmt.Sprintf("u%d", u), start.Add(time.Duration(k)*24*time.Hour), 2), 1<<20, t0)
		}
	}
	ctx := tctx(b)
	b.SetParallelism(16) // 32 callers on 2 cores
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			u := fmt.Sprintf("u%d", n.Add(1)%users)
			bs, err := s.BookingsByUser(ctx, u, t0)
			if err != nil || len(bs) != 3 {
				b.Errorf("bookings of %s: %d, %v", u, len(bs), err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}
