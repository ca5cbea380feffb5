package booking_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/booking/storetest"
	"github.com/reservations/reservations/internal/testsupport"
)

// countingStore counts the reads the core makes, to hold the write path to its round trips.
type countingStore struct {
	booking.Store
	mu    sync.Mutex
	reads map[string]int
	// beforeCommit, when set, runs once before the next Commit (a concurrent writer getting there first).
	beforeCommit func()
}

func (s *countingStore) count(op string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads[op]++
}

func (s *countingStore) take() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.reads
	s.reads = map[string]int{}
	return r
}

func (s *countingStore) Booking(ctx context.Context, id string) (booking.Booking, error) {
	s.count("Booking")
	return s.Store.Booking(ctx, id)
}

func (s *countingStore) Hold(ctx context.Context, merchantID, id string) (booking.Hold, error) {
	s.count("Hold")
	return s.Store.Hold(ctx, merchantID, id)
}

func (s *countingStore) BookingsByUser(ctx context.Context, userID string, since time.Time) ([]booking.Booking, error) {
	s.count("BookingsByUser")
	return s.Store.BookingsByUser(ctx, userID, since)
}

func (s *countingStore) Idempotency(ctx context.Context, merchantID, key string, now time.Time) (booking.IdempotencyRecord, bool, error) {
	s.count("Idempotency")
	return s.Store.Idempotency(ctx, merchantID, key, now)
}

func (s *countingStore) Commit(ctx context.Context, m *booking.Mutation) error {
	s.count("Commit")
	if f := s.beforeCommit; f != nil {
		s.beforeCommit = nil
		f()
	}
	return s.Store.Commit(ctx, m)
}

// TestConfirmReads checks what ConfirmHold reads from the store: a hold this core placed costs no read at all
// (the commit checks that it is still stored, and the user's other bookings), a hold placed by another instance
// one hold read, never a booking read; a hold already confirmed, or confirmed by a concurrent call between the
// read and the commit, answers with that booking; a hold another instance released is NOT_FOUND.
func TestConfirmReads(t *testing.T) {
	st := &countingStore{Store: memory.New(), reads: map[string]int{}}
	clock := testsupport.NewClock(monday)
	newCore := func() *booking.Core {
		core, err := booking.NewService(booking.Config{Store: st, Inventory: storetest.TestInventory(), Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		return core
	}
	core, other := newCore(), newCore() // other is a second instance sharing the store
	ctx := context.Background()
	hold := func(by *booking.Core, user string) booking.Hold {
		t.Helper()
		h, err := by.PlaceHold(ctx, booking.HoldRequest{MerchantID: "sample-bistro", Start: lt(2026, 3, 3, "19:00"), PartySize: 2, UserID: user})
		if err != nil {
			t.Fatal(err)
		}
		st.take()
		return h
	}
	confirm := func(h booking.Hold) (booking.Booking, error) {
		return core.ConfirmHold(ctx, booking.ConfirmRequest{MerchantID: "sample-bistro", HoldID: h.ID,
			Customer: booking.Customer{Name: "Ada"}, Source: booking.SourceAssistant})
	}
	same := func(a, b map[string]int) bool {
		if len(a) != len(b) {
			return false
		}
		for k, v := range a {
			if b[k] != v {
				return false
			}
		}
		return true
	}

	cases := []struct {
		name      string
		user      string
		elsewhere bool // the hold was placed by the other instance
		confirmed bool // confirm once before the measured call
		released  bool // the other instance releases the hold before the measured call
		race      bool // a concurrent confirmation commits between the measured call's reads and its commit
		wantCode  booking.Code
		want      map[string]int
	}{
		{name: "live hold, no user", want: map[string]int{"Commit": 1}},
		{name: "live hold with a user", user: "u1", want: map[string]int{"Commit": 1}},
		{name: "placed by another instance", user: "u2", elsewhere: true, want: map[string]int{"Hold": 1, "Commit": 1}},
		{name: "already confirmed", confirmed: true, want: map[string]int{"Hold": 1, "Booking": 1}},
		// The concurrent confirmation's own commit is counted too.
		{name: "confirmed concurrently", race: true, want: map[string]int{"Commit": 2, "Booking": 1}},
		{name: "released by another instance", released: true, wantCode: booking.CodeNotFound, want: map[string]int{"Commit": 1, "Booking": 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			by := core
			if c.elsewhere {
				by = other
			}
			h := hold(by, c.user)
			var first booking.Booking
			if c.confirmed {
				var err error
				if first, err = confirm(h); err != nil {
					t.Fatal(err)
				}
				st.take()
			}
			if c.released {
				if err := other.ReleaseHold(ctx, "sample-bistro", h.ID); err != nil {
					t.Fatal(err)
				}
				st.take()
			}
			if c.race {
				st.beforeCommit = func() {
					var err error
					if first, err = confirm(h); err != nil {
						t.Errorf("concurrent confirmation: %v", err)
					}
				}
			}
			b, err := confirm(h)
			if got := st.take(); !same(got, c.want) {
				t.Errorf("store calls %v, want %v", got, c.want)
			}
			if c.wantCode != "" {
				if booking.CodeOf(err) != c.wantCode {
					t.Fatalf("got %v, want %s", err, c.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.ID != h.ID || b.Status != booking.StatusConfirmed || b.Customer.UserID != c.user {
				t.Fatalf("booking %+v for hold %s", b, h.ID)
			}
			if (c.confirmed || c.race) && b.ConfirmationCode != first.ConfirmationCode {
				t.Fatalf("got confirmation code %s, want the first confirmation's %s", b.ConfirmationCode, first.ConfirmationCode)
			}
		})
	}
}

// TestReplayWithoutUpFrontRead: PlaceHold and ConfirmHold with an idempotency key do not read the record before
// their commit (which checks it atomically); a retry whose checks fail before any commit, or whose hold is
// gone, still gets the first outcome, not the current state.
func TestReplayWithoutUpFrontRead(t *testing.T) {
	st := &countingStore{Store: memory.New(), reads: map[string]int{}}
	clock := testsupport.NewClock(monday)
	core, err := booking.NewService(booking.Config{Store: st, Inventory: storetest.TestInventory(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	hr := booking.HoldRequest{MerchantID: "sample-bistro", Start: lt(2026, 3, 2, "19:00"), PartySize: 2, UserID: "u1", IdempotencyKey: "hold-1"}
	h, err := core.PlaceHold(ctx, hr)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.take(); got["Idempotency"] != 0 || got["Commit"] != 1 {
		t.Fatalf("first PlaceHold made store calls %v, want one commit and no record read", got)
	}
	cr := booking.ConfirmRequest{MerchantID: "sample-bistro", HoldID: h.ID, Customer: booking.Customer{Name: "Ada"},
		Source: booking.SourceAssistant, IdempotencyKey: "confirm-1"}
	b, err := core.ConfirmHold(ctx, cr)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.take(); got["Idempotency"] != 0 || got["Commit"] != 1 || len(got) != 1 {
		t.Fatalf("first ConfirmHold made store calls %v, want only one commit", got)
	}
	// The booking changes after its confirmation.
	if _, err := core.Update(ctx, booking.UpdateRequest{BookingID: b.ID, PartySize: 4}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		retry func() (id string, party int, err error)
	}{
		{"hold retried too close to its start", func() (string, int, error) {
			h, err := core.PlaceHold(ctx, hr)
			return h.ID, h.PartySize, err
		}},
		{"confirmation retried after its hold was consumed", func() (string, int, error) {
			b, err := core.ConfirmHold(ctx, cr)
			return b.ID, b.PartySize, err
		}},
	}
	clock.Set(lt(2026, 3, 2, "18:30")) // too close to the start: PlaceHold's own checks now fail (records live 24 h)
	for i, tt := range tests {
		id, party, err := tt.retry()
		wantID := []string{h.ID, b.ID}[i]
		if err != nil || id != wantID || party != 2 {
			t.Errorf("%s: got %s party %d, %v; want the first outcome %s party 2", tt.name, id, party, err, wantID)
		}
	}
	// Another request under a used key is still a conflict, found through the record.
	other := hr
	other.PartySize = 3
	if _, err := core.PlaceHold(ctx, other); booking.CodeOf(err) != booking.CodeIdempotencyConflict {
		t.Errorf("PlaceHold with a used key and another request: %v, want IDEMPOTENCY_CONFLICT", err)
	}
}

// TestConfirmedBookingIsTheUsers: a hold is confirmed only for its own user (or a caller that names none), and
// confirming a hold that another call already turned into a booking answers with that booking only for its own
// user; another guest naming the id hears NOT_FOUND.
func TestConfirmedBookingIsTheUsers(t *testing.T) {
	ctx := context.Background()
	core, err := booking.NewService(booking.Config{Store: memory.New(), Inventory: storetest.TestInventory(),
		Now: testsupport.NewClock(monday).Now})
	if err != nil {
		t.Fatal(err)
	}
	h, err := core.PlaceHold(ctx, booking.HoldRequest{MerchantID: "sample-bistro", Start: lt(2026, 3, 3, "19:00"), PartySize: 2, UserID: "u-ada"})
	if err != nil {
		t.Fatal(err)
	}
	confirm := func(user, key string) (booking.Booking, error) {
		return core.ConfirmHold(ctx, booking.ConfirmRequest{MerchantID: "sample-bistro", HoldID: h.ID, IdempotencyKey: key,
			Customer: booking.Customer{Name: "Guest", UserID: user}, Source: booking.SourceAssistant})
	}
	// While the hold is live, another guest cannot confirm it either.
	if b, err := confirm("u-eve", "k0"); booking.CodeOf(err) != booking.CodeNotFound || b.ID != "" {
		t.Fatalf("another guest confirming a live hold: %+v, %v; want NOT_FOUND", b, err)
	}
	first, err := confirm("u-ada", "k1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, user, key string
		wantCode        booking.Code
	}{
		{"another guest", "u-eve", "k2", booking.CodeNotFound},
		{"the same guest under another key", "u-ada", "k3", ""},
		{"a caller naming no user", "", "k4", ""},
	}
	for _, tc := range tests {
		b, err := confirm(tc.user, tc.key)
		if booking.CodeOf(err) != tc.wantCode {
			t.Fatalf("%s: got %v, want code %q", tc.name, err, tc.wantCode)
		}
		if tc.wantCode == "" && (b.ID != first.ID || b.ConfirmationCode != first.ConfirmationCode) {
			t.Errorf("%s: got booking %+v, want %+v", tc.name, b, first)
		}
		if tc.wantCode != "" && b.ID != "" {
			t.Errorf("%s: a refusal carried booking %+v", tc.name, b)
		}
	}
}
