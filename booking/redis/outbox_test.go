package redis

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
)

func entryIDs(es []booking.OutboxEntry) []string {
	return ids(es, func(e booking.OutboxEntry) string { return e.ID })
}

// change commits a status change of b (version +1) with its outbox entry.
func change(t *testing.T, s booking.Store, b *booking.Booking, status booking.Status, now time.Time) {
	t.Helper()
	prev := b.Version
	b.Version++
	b.Status = status
	if err := s.Commit(tctx(t), &booking.Mutation{MerchantID: b.MerchantID, Now: now, Booking: b, ExpectVersion: prev,
		Outbox: []booking.OutboxEntry{entryFor(b, booking.ChangeStatus, now)}}); err != nil {
		t.Fatal(err)
	}
}

func TestOutboxLifecycle(t *testing.T) {
	s := openStore(t)
	ctx := tctx(t)
	start := t0.Add(48 * time.Hour)
	a := newBooking("a", "m", "u", start, 2)
	b := newBooking("b", "m", "u", start, 2)
	createBooking(t, s, a, 40, t0)
	createBooking(t, s, b, 40, t0.Add(time.Second))
	change(t, s, a, booking.StatusCancelled, t0.Add(2*time.Second))

	type step struct {
		name string
		run  func(t *testing.T)
	}
	now := t0.Add(time.Minute)
	steps := []step{
		{"claim gives each booking's first entry, oldest first", func(t *testing.T) {
			got, err := s.ClaimOutbox(ctx, "w1", 10, 30*time.Second, now)
			if err != nil {
				t.Fatal(err)
			}
			if g := entryIDs(got); !slices.Equal(g, []string{"a.1", "b.1"}) {
				t.Fatalf("claimed %v", g)
			}
			e := got[0]
			if e.State != booking.DeliveryInFlight || e.LeaseOwner != "w1" || !e.LeaseUntil.Equal(now.Add(30*time.Second)) ||
				e.Attempts != 1 || e.Kind != booking.ChangeCreated || e.Booking.ID != "a" || e.Seq != 1 {
				t.Fatalf("claimed entry %+v", e)
			}
		}},
		{"nothing more while leased", func(t *testing.T) {
			got, err := s.ClaimOutbox(ctx, "w2", 10, 30*time.Second, now.Add(29*time.Second))
			if err != nil || len(got) != 0 {
				t.Fatalf("claimed %v %v", entryIDs(got), err)
			}
		}},
		{"another owner cannot ack", func(t *testing.T) {
			wantCode(t, s.AckOutbox(ctx, "a.1", "w2", now), booking.CodeNotFound)
			wantCode(t, s.RetryOutbox(ctx, "a.1", "w2", now, "x"), booking.CodeNotFound)
			wantCode(t, s.DeadOutbox(ctx, "a.1", "w2", "x"), booking.CodeNotFound)
			wantCode(t, s.AckOutbox(ctx, "zz.1", "w1", now), booking.CodeNotFound)
		}},
		{"ack unblocks the next entry", func(t *testing.T) {
			if err := s.AckOutbox(ctx, "a.1", "w1", now.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			wantCode(t, s.AckOutbox(ctx, "a.1", "w1", now), booking.CodeNotFound) // no longer leased
			got, err := s.ClaimOutbox(ctx, "w2", 10, 30*time.Second, now.Add(2*time.Second))
			if err != nil || !slices.Equal(entryIDs(got), []string{"a.2"}) {
				t.Fatalf("claimed %v %v", entryIDs(got), err)
			}
		}},
		{"retry makes it due later", func(t *testing.T) {
			if err := s.RetryOutbox(ctx, "a.2", "w2", now.Add(time.Hour), "503 from the API"); err != nil {
				t.Fatal(err)
			}
			got, _ := s.ClaimOutbox(ctx, "w2", 10, time.Hour, now.Add(59*time.Minute))
			// b.1's lease (30 s from now) has expired: the reaper hands it out again.
			if g := entryIDs(got); !slices.Equal(g, []string{"b.1"}) || got[0].Attempts != 2 || got[0].LeaseOwner != "w2" {
				t.Fatalf("claimed %v", got)
			}
			wantCode(t, s.AckOutbox(ctx, "b.1", "w1", now), booking.CodeNotFound) // w1 lost its lease
			got, _ = s.ClaimOutbox(ctx, "w3", 10, 30*time.Second, now.Add(time.Hour))
			if len(got) != 1 || got[0].ID != "a.2" || got[0].LastError != "503 from the API" || got[0].Attempts != 2 {
				t.Fatalf("claimed %+v", got)
			}
		}},
		{"dead letter", func(t *testing.T) {
			if err := s.DeadOutbox(ctx, "a.2", "w3", "410 gone"); err != nil {
				t.Fatal(err)
			}
			if err := s.AckOutbox(ctx, "b.1", "w2", now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}},
		{"by booking and stats", func(t *testing.T) {
			got, err := s.OutboxByBooking(ctx, "a")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].State != booking.DeliveryDelivered || !got[0].DeliveredAt.Equal(now.Add(time.Second)) ||
				got[1].State != booking.DeliveryDead || got[1].LastError != "410 gone" || got[1].LeaseOwner != "" {
				t.Fatalf("outbox of a: %+v", got)
			}
			depth, oldest, err := s.OutboxStats(ctx)
			if err != nil || depth != 0 || !oldest.IsZero() {
				t.Fatalf("stats %d %v %v", depth, oldest, err)
			}
			change(t, s, b, booking.StatusFulfilled, t0.Add(5*time.Minute))
			change(t, s, b, booking.StatusFulfilled, t0.Add(6*time.Minute))
			depth, oldest, err = s.OutboxStats(ctx)
			if err != nil || depth != 2 || !oldest.Equal(t0.Add(5*time.Minute)) {
				t.Fatalf("stats %d %v %v", depth, oldest, err)
			}
		}},
	}
	for _, st := range steps {
		if !t.Run(st.name, st.run) {
			return
		}
	}
}

// TestClaimAcrossMerchants checks oldest-first across merchants when n is smaller than what is due.
func TestClaimAcrossMerchants(t *testing.T) {
	s := openStore(t)
	ctx := tctx(t)
	start := t0.Add(48 * time.Hour)
	for i, m := range []string{"m1", "m2", "m3"} {
		for j := range 3 {
			b := newBooking(fmt.Sprintf("%s-%d", m, j), m, "", start, 2)
			createBooking(t, s, b, 40, t0.Add(time.Duration(3*j+2-i)*time.Second))
		}
	}
	var got []string
	for range 5 {
		es, err := s.ClaimOutbox(ctx, "w", 2, time.Minute, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, entryIDs(es)...)
	}
	want := []string{"m3-0.1", "m2-0.1", "m1-0.1", "m3-1.1", "m2-1.1", "m1-1.1", "m3-2.1", "m2-2.1", "m1-2.1"}
	if !slices.Equal(got, want) {
		t.Fatalf("claim order %v, want %v", got, want)
	}
}

// TestTwoStoresClaim runs two stores on two clients (as two processes would) claiming one outbox concurrently:
// no entry is ever held by both, and every entry is delivered once, in Seq order per booking.
func TestTwoStoresClaim(t *testing.T) {
	prefix := randomPrefix(t)
	twoStoresClaim(t, openStoreWith(t, newClient(t), prefix), New(newClient(t), Options{Prefix: prefix, Timeout: testTimeout}))
}

// twoStoresClaim is TestTwoStoresClaim on two stores of one prefix.
func twoStoresClaim(t *testing.T, s1, s2 *Store) {
	ctx := tctx(t)
	start := t0.Add(48 * time.Hour)
	const bookings, changes = 40, 3
	for i := range bookings {
		m := fmt.Sprintf("m%d", i%3)
		b := newBooking(fmt.Sprintf("b%d", i), m, "", start, 1)
		createBooking(t, s1, b, 1000, t0)
		for range changes - 1 {
			change(t, s1, b, booking.StatusConfirmed, t0)
		}
	}
	var (
		mu        sync.Mutex
		delivered = map[string]int{}
		order     = map[string][]int64{}
		wg        sync.WaitGroup
	)
	now := t0.Add(time.Minute)
	for w, s := range []*Store{s1, s2, s1, s2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("w%d", w)
			for idle := 0; idle < 3; {
				es, err := s.ClaimOutbox(ctx, owner, 5, time.Hour, now)
				if err != nil {
					t.Error(err)
					return
				}
				if len(es) == 0 {
					idle++
					time.Sleep(5 * time.Millisecond)
					continue
				}
				idle = 0
				for _, e := range es {
					mu.Lock()
					delivered[e.ID]++
					order[e.BookingID] = append(order[e.BookingID], e.Seq)
					mu.Unlock()
					if err := s.AckOutbox(ctx, e.ID, owner, now); err != nil {
						t.Errorf("ack %s by %s: %v", e.ID, owner, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if len(delivered) != bookings*changes {
		t.Fatalf("delivered %d entries, want %d", len(delivered), bookings*changes)
	}
	for id, n := range delivered {
		if n != 1 {
			t.Fatalf("entry %s claimed %d times", id, n)
		}
	}
	for b, seqs := range order {
		if !slices.Equal(seqs, []int64{1, 2, 3}) {
			t.Fatalf("booking %s delivered in order %v", b, seqs)
		}
	}
}
