package booking_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/booking/storetest"
	"github.com/reservations/reservations/internal/testsupport"
)

func TestCanTransition(t *testing.T) {
	const (
		P = booking.StatusPending
		C = booking.StatusConfirmed
		R = booking.StatusChangeRequested
		X = booking.StatusCancelled
		F = booking.StatusFulfilled
		N = booking.StatusNoShow
		J = booking.StatusRejected
	)
	allowed := map[booking.Status][]booking.Status{
		P: {C, X, J, R},
		C: {X, F, N, R},
		R: {C, X, J},
	}
	for _, from := range booking.Statuses() {
		for _, to := range booking.Statuses() {
			want := false
			for _, a := range allowed[from] {
				want = want || a == to
			}
			if got := booking.CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}
	if booking.CanTransition("", C) || booking.CanTransition(C, "BOGUS") {
		t.Error("unknown statuses transition")
	}
}

func TestIDs(t *testing.T) {
	idRE := regexp.MustCompile(`^[a-z2-7]{26}$`)
	codeRE := regexp.MustCompile(`^[A-HJ-NP-Z2-9]{6}$`)
	seen := map[string]bool{}
	for range 2000 {
		id, code := booking.NewID(), booking.NewConfirmationCode()
		if !idRE.MatchString(id) || seen[id] {
			t.Fatalf("id %q is malformed or repeated", id)
		}
		seen[id] = true
		if !codeRE.MatchString(code) || strings.ContainsAny(code, "0O1I") {
			t.Fatalf("confirmation code %q", code)
		}
	}
}

func TestNewServiceConfig(t *testing.T) {
	if _, err := booking.NewService(booking.Config{}); err == nil {
		t.Fatal("NewService without a store succeeded")
	}
	bad := booking.SampleInventory()
	bad.Merchants[0].Services[0].Capacity = 0
	if _, err := booking.NewService(booking.Config{Store: memory.New(), Inventory: bad}); err == nil || !strings.Contains(err.Error(), "capacity") {
		t.Fatalf("invalid inventory: %v", err)
	}
	core, err := booking.NewService(booking.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := core.Inventory().Merchant("sample-bistro"); !ok {
		t.Fatal("the default inventory is not the sample")
	}
	if now := core.Now(); now.Location() != time.UTC || now.Nanosecond()%int(time.Millisecond) != 0 || time.Since(now) > time.Minute {
		t.Fatalf("Now() = %v: want the wall clock in UTC, in whole milliseconds", now)
	}
}

func TestDefaultIdempotencyTTL(t *testing.T) {
	f := newFixture(t, monday, nil)
	req := booking.CreateRequest{MerchantID: "sample-bistro", Start: lt(2026, 3, 3, "19:00"), PartySize: 2,
		Customer: booking.Customer{Name: "Ada"}, Source: booking.SourceAssistant, IdempotencyKey: "k1"}
	b1, err := f.core.CreateBooking(f.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	rec, ok, err := f.st.Idempotency(f.ctx, "sample-bistro", "k1", f.core.Now())
	if err != nil || !ok {
		t.Fatalf("record: %v %v", ok, err)
	}
	if !rec.ExpiresAt.Equal(f.core.Now().Add(24*time.Hour)) || !rec.CreatedAt.Equal(f.core.Now()) || len(rec.RequestHash) != 64 {
		t.Fatalf("record: %+v", rec)
	}
	var res struct {
		Booking booking.Booking `json:"booking"`
	}
	if err := json.Unmarshal(rec.Result, &res); err != nil || res.Booking.ID != b1.ID {
		t.Fatalf("stored result %s: %v", rec.Result, err)
	}
	// After 24 h the key is forgotten: the same request makes a new booking.
	f.clock.Advance(24 * time.Hour)
	req.Start = lt(2026, 3, 5, "19:00")
	b2, err := f.core.CreateBooking(f.ctx, req)
	if err != nil || b2.ID == b1.ID {
		t.Fatalf("request after the TTL: %+v, %v", b2, err)
	}
}

func TestRequestHashIgnoresRetryFlag(t *testing.T) {
	f := newFixture(t, monday, nil)
	req := booking.CreateRequest{MerchantID: "sample-bistro", Start: lt(2026, 3, 3, "19:00"), PartySize: 2,
		Customer: booking.Customer{Name: "Ada"}, Source: booking.SourceActionsCenter, IdempotencyKey: "k"}
	b1, err := f.core.CreateBooking(f.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	req.RetryFailures = true
	// The same instant in another zone is the same request.
	req.Start = req.Start.UTC()
	b2, err := f.core.CreateBooking(f.ctx, req)
	if err != nil || b2.ID != b1.ID {
		t.Fatalf("replay with RetryFailures: %+v, %v", b2, err)
	}
	req.Customer.Email = "ada@example.com"
	if _, err := f.core.CreateBooking(f.ctx, req); booking.CodeOf(err) != booking.CodeIdempotencyConflict {
		t.Fatalf("changed customer under the same key: %v", err)
	}
	req.IdempotencyKey = strings.Repeat("k", booking.MaxIdempotencyKeyLen+1)
	if _, err := f.core.CreateBooking(f.ctx, req); booking.CodeOf(err) != booking.CodeInvalidArgument {
		t.Fatalf("overlong key: %v", err)
	}
}

// flakyStore fails the next Commit with an infrastructure error.
type flakyStore struct {
	booking.Store
	fail bool
}

func (s *flakyStore) Commit(ctx context.Context, m *booking.Mutation) error {
	if s.fail {
		s.fail = false
		return errors.New("connection reset")
	}
	return s.Store.Commit(ctx, m)
}

func TestOutOfRangeTimes(t *testing.T) {
	f := newFixture(t, monday, nil)
	far := time.Date(12000, 1, 1, 19, 0, 0, 0, la)
	_, err := f.core.CreateBooking(f.ctx, booking.CreateRequest{MerchantID: "sample-bistro", Start: far, PartySize: 2,
		Customer: booking.Customer{Name: "Ada"}, Source: booking.SourceAdmin, IdempotencyKey: "far"})
	if booking.CodeOf(err) != booking.CodeSlotUnavailable {
		t.Fatalf("year 12000: %v", err)
	}
	if _, err := f.core.Nearest(f.ctx, "sample-bistro", "", far, 2, 3); err != nil {
		t.Fatalf("Nearest around year 12000: %v", err)
	}
}

func TestInfrastructureFailuresAreNotRecorded(t *testing.T) {
	st := &flakyStore{Store: memory.New(), fail: true}
	clock := testsupport.NewClock(monday)
	core, err := booking.NewService(booking.Config{Store: st, Inventory: storetest.TestInventory(), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	req := booking.CreateRequest{MerchantID: "sample-bistro", Start: lt(2026, 3, 3, "19:00"), PartySize: 2,
		Customer: booking.Customer{Name: "Ada"}, Source: booking.SourceActionsCenter, IdempotencyKey: "k"}
	_, err = core.CreateBooking(context.Background(), req)
	if err == nil || booking.CodeOf(err) != "" || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("first attempt: %v, want the infrastructure error", err)
	}
	b, err := core.CreateBooking(context.Background(), req)
	if err != nil || b.Status != booking.StatusConfirmed {
		t.Fatalf("retry after an infrastructure failure: %+v, %v", b, err)
	}
}

func TestCreateValidation(t *testing.T) {
	f := newFixture(t, monday, nil)
	ok := booking.CreateRequest{MerchantID: "sample-bistro", Start: lt(2026, 3, 3, "19:00"), PartySize: 2,
		Customer: booking.Customer{Name: "Ada"}, Source: booking.SourceAdmin}
	cases := []struct {
		name   string
		change func(r *booking.CreateRequest)
		code   booking.Code
		field  string
	}{
		{"no name", func(r *booking.CreateRequest) { r.Customer.Name = "" }, booking.CodeInvalidArgument, "customer.name"},
		{"long name", func(r *booking.CreateRequest) { r.Customer.Name = strings.Repeat("a", 201) }, booking.CodeInvalidArgument, "customer.name"},
		{"no source", func(r *booking.CreateRequest) { r.Source = "" }, booking.CodeInvalidArgument, "source"},
		{"party", func(r *booking.CreateRequest) { r.PartySize = 0 }, booking.CodeInvalidArgument, "party_size"},
		{"no start", func(r *booking.CreateRequest) { r.Start = time.Time{} }, booking.CodeInvalidArgument, "start"},
		{"negative duration", func(r *booking.CreateRequest) { r.Duration = -time.Hour }, booking.CodeInvalidArgument, "duration"},
		{"longer than the evening", func(r *booking.CreateRequest) { r.Duration = 3*time.Hour + 30*time.Minute }, booking.CodeSlotUnavailable, "closed"},
		{"unknown merchant", func(r *booking.CreateRequest) { r.MerchantID = "x" }, booking.CodeNotFound, "merchant_id"},
		{"unknown hold", func(r *booking.CreateRequest) { r.HoldID = "nope" }, booking.CodeNotFound, "hold_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.change(&r)
			_, err := f.core.CreateBooking(f.ctx, r)
			if e, isErr := err.(*booking.Error); !isErr || e.Code != tc.code || e.Field != tc.field {
				t.Fatalf("got %v, want %s/%s", err, tc.code, tc.field)
			}
		})
	}
	// A custom duration that fits before closing.
	r := ok
	r.Duration = 2 * time.Hour
	b, err := f.core.CreateBooking(f.ctx, r)
	if err != nil || !b.End.Equal(b.Start.Add(2*time.Hour)) {
		t.Fatalf("two-hour booking: %+v, %v", b, err)
	}
}

func TestCreateConsumesHold(t *testing.T) {
	f := newFixture(t, monday, nil)
	start := lt(2026, 3, 3, "19:00")
	h, err := f.core.PlaceHold(f.ctx, booking.HoldRequest{MerchantID: "sample-bistro", Start: start, PartySize: 4, UserID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	req := booking.CreateRequest{MerchantID: "sample-bistro", Start: start, PartySize: 4, HoldID: h.ID,
		Customer: booking.Customer{Name: "Ada", UserID: "u1"}, Source: booking.SourceActionsCenter}
	wrong := req
	wrong.PartySize = 3
	if _, err := f.core.CreateBooking(f.ctx, wrong); booking.CodeOf(err) != booking.CodeInvalidArgument {
		t.Fatalf("lease for another party size: %v", err)
	}
	b, err := f.core.CreateBooking(f.ctx, req)
	if err != nil || b.ID != h.ID {
		t.Fatalf("booking from the lease: %+v, %v", b, err)
	}
	again, err := f.core.CreateBooking(f.ctx, req)
	if err != nil || again.ID != b.ID || again.ConfirmationCode != b.ConfirmationCode {
		t.Fatalf("consuming the lease twice: %+v, %v", again, err)
	}
	if _, err := f.st.Hold(f.ctx, "sample-bistro", h.ID); booking.CodeOf(err) != booking.CodeNotFound {
		t.Fatalf("the consumed hold is still stored: %v", err)
	}
	// An expired lease whose time was taken meanwhile.
	h2, err := f.core.PlaceHold(f.ctx, booking.HoldRequest{MerchantID: "sample-bistro", Start: start, PartySize: 8})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(20 * time.Minute)
	for range 4 {
		f.book(start, 8, "")
	}
	req2 := booking.CreateRequest{MerchantID: "sample-bistro", Start: start, PartySize: 8, HoldID: h2.ID,
		Customer: booking.Customer{Name: "Bob"}, Source: booking.SourceActionsCenter}
	if _, err := f.core.CreateBooking(f.ctx, req2); booking.CodeOf(err) != booking.CodeHoldExpired {
		t.Fatalf("expired lease on a full time: %v", err)
	}
}

func TestManualConfirmationAndInjectedIDs(t *testing.T) {
	f := newFixture(t, monday, nil)
	b, err := f.core.CreateBooking(f.ctx, booking.CreateRequest{MerchantID: storetest.SalonID, Start: lt(2026, 3, 3, "10:00"), PartySize: 1,
		Customer: booking.Customer{Name: "Ada"}, Source: booking.SourceConversation})
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != booking.StatusPending || b.ID != "id001" || b.ServiceID != "haircut" || b.Day != "2026-03-03" {
		t.Fatalf("salon booking: %+v", b)
	}
	es, err := f.st.OutboxByBooking(f.ctx, b.ID)
	if err != nil || len(es) != 1 || es[0].ID != "id001.1" || es[0].Booking.Status != booking.StatusPending {
		t.Fatalf("outbox: %+v, %v", es, err)
	}
}

func TestConfirmHoldErrors(t *testing.T) {
	f := newFixture(t, monday, nil)
	confirm := func(merchant, hold string) error {
		_, err := f.core.ConfirmHold(f.ctx, booking.ConfirmRequest{MerchantID: merchant, HoldID: hold,
			Customer: booking.Customer{Name: "Ada"}, Source: booking.SourceAssistant})
		return err
	}
	if err := confirm("sample-bistro", "nope"); booking.CodeOf(err) != booking.CodeNotFound {
		t.Fatalf("unknown hold: %v", err)
	}
	if err := confirm("nope", "x"); booking.CodeOf(err) != booking.CodeNotFound {
		t.Fatalf("unknown merchant: %v", err)
	}
	h, err := f.core.PlaceHold(f.ctx, booking.HoldRequest{MerchantID: "sample-bistro", Start: lt(2026, 3, 3, "19:00"), PartySize: 2, UserID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := confirm(storetest.SalonID, h.ID); booking.CodeOf(err) != booking.CodeNotFound {
		t.Fatalf("another merchant's hold: %v", err)
	}
	// The hold's user id carries into the booking when the request names none.
	b, err := f.core.ConfirmHold(f.ctx, booking.ConfirmRequest{MerchantID: "sample-bistro", HoldID: h.ID,
		Customer: booking.Customer{Name: "Ada"}, Source: booking.SourceAssistant, IdempotencyKey: "confirm-1"})
	if err != nil || b.Customer.UserID != "u1" {
		t.Fatalf("confirmed: %+v, %v", b, err)
	}
	up, err := f.core.Upcoming(f.ctx, "u1")
	if err != nil || len(up) != 1 || up[0].ID != h.ID {
		t.Fatalf("upcoming: %+v, %v", up, err)
	}
	if _, err := f.core.Upcoming(f.ctx, ""); booking.CodeOf(err) != booking.CodeInvalidArgument {
		t.Fatalf("upcoming without a user: %v", err)
	}
}

func TestHoldValidation(t *testing.T) {
	f := newFixture(t, monday, nil)
	cases := []struct {
		r     booking.HoldRequest
		code  booking.Code
		field string
	}{
		{booking.HoldRequest{MerchantID: "sample-bistro", Start: lt(2026, 3, 3, "16:00"), PartySize: 2}, booking.CodeSlotUnavailable, "closed"},
		{booking.HoldRequest{MerchantID: "sample-bistro", Start: lt(2026, 6, 3, "19:00"), PartySize: 2}, booking.CodeSlotUnavailable, "too_far"},
		{booking.HoldRequest{MerchantID: "sample-bistro", Start: lt(2026, 3, 3, "19:00"), PartySize: 12}, booking.CodeInvalidArgument, "party_size"},
		{booking.HoldRequest{MerchantID: "sample-bistro", ServiceID: "x", Start: lt(2026, 3, 3, "19:00"), PartySize: 2}, booking.CodeNotFound, "service_id"},
	}
	for _, tc := range cases {
		_, err := f.core.PlaceHold(f.ctx, tc.r)
		if e, ok := err.(*booking.Error); !ok || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%+v: got %v, want %s/%s", tc.r, err, tc.code, tc.field)
		}
	}
	// Replaying a hold request returns the same hold.
	r := booking.HoldRequest{MerchantID: "sample-bistro", Start: lt(2026, 3, 3, "19:00"), PartySize: 2, IdempotencyKey: "h"}
	h1, err := f.core.PlaceHold(f.ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := f.core.PlaceHold(f.ctx, r)
	if err != nil || h2 != h1 {
		t.Fatalf("replayed hold: %+v vs %+v, %v", h2, h1, err)
	}
	if err := f.core.ReleaseHold(f.ctx, "sample-bistro", ""); booking.CodeOf(err) != booking.CodeInvalidArgument {
		t.Fatalf("release without an id: %v", err)
	}
}

func TestUpdateAndStatusErrors(t *testing.T) {
	f := newFixture(t, monday, nil)
	b := f.book(lt(2026, 3, 3, "19:00"), 2, "u1")
	if _, err := f.core.Update(f.ctx, booking.UpdateRequest{BookingID: "nope", PartySize: 3}); booking.CodeOf(err) != booking.CodeNotFound {
		t.Fatalf("unknown booking: %v", err)
	}
	if _, err := f.core.Update(f.ctx, booking.UpdateRequest{BookingID: b.ID, PartySize: 9}); booking.CodeOf(err) != booking.CodeInvalidArgument {
		t.Fatalf("party 9: %v", err)
	}
	if _, err := f.core.Update(f.ctx, booking.UpdateRequest{BookingID: b.ID, PartySize: -1}); booking.CodeOf(err) != booking.CodeInvalidArgument {
		t.Fatalf("party -1: %v", err)
	}
	if _, err := f.core.Update(f.ctx, booking.UpdateRequest{BookingID: b.ID, Start: lt(2026, 3, 2, "09:30")}); booking.CodeOf(err) != booking.CodeSlotUnavailable {
		t.Fatalf("move to the morning: %v", err)
	}
	if _, err := f.core.SetStatus(f.ctx, booking.StatusRequest{BookingID: b.ID, Status: "BOGUS"}); booking.CodeOf(err) != booking.CodeIllegalTransition {
		t.Fatalf("unknown status: %v", err)
	}
	if _, err := f.core.Booking(f.ctx, ""); booking.CodeOf(err) != booking.CodeInvalidArgument {
		t.Fatalf("Booking(\"\"): %v", err)
	}
	// A cancelled booking can no longer be changed.
	if _, err := f.core.Cancel(f.ctx, booking.CancelRequest{BookingID: b.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.core.Update(f.ctx, booking.UpdateRequest{BookingID: b.ID, PartySize: 3}); booking.CodeOf(err) != booking.CodeIllegalTransition {
		t.Fatalf("update of a cancelled booking: %v", err)
	}
	// A recorded failure of a change replays.
	req := booking.StatusRequest{BookingID: b.ID, Status: booking.StatusConfirmed, IdempotencyKey: "s1"}
	_, err1 := f.core.SetStatus(f.ctx, req)
	_, err2 := f.core.SetStatus(f.ctx, req)
	if booking.CodeOf(err1) != booking.CodeIllegalTransition || err2 == nil || err1.Error() != err2.Error() {
		t.Fatalf("replayed failure: %v / %v", err1, err2)
	}
}

func TestFulfillEndedManyBookings(t *testing.T) {
	// More ended bookings than one batch: the sweep keeps going until all are done.
	f := newFixture(t, monday, nil)
	for d := 1; d <= 10; d++ {
		for k := range 25 {
			f.book(lt(2026, 3, 2+d, "17:00").Add(time.Duration(k%15)*15*time.Minute), 1, "")
		}
	}
	f.clock.Set(lt(2026, 3, 20, "00:00"))
	n, err := f.core.FulfillEnded(f.ctx)
	if err != nil || n != 250 {
		t.Fatalf("FulfillEnded: %d, %v; want 250", n, err)
	}
	left, err := f.st.BookingsEndedBefore(f.ctx, f.clock.Now(), 10)
	if err != nil || len(left) != 0 {
		t.Fatalf("active ended bookings left: %d, %v", len(left), err)
	}
}

func TestConformanceOnMemory(t *testing.T) {
	// The suite itself runs in booking/memory; this checks the suite's inventory is the documented one.
	inv := storetest.TestInventory()
	if _, ok := inv.Merchant(storetest.SalonID); !ok || len(inv.Merchants) != 2 {
		t.Fatalf("suite inventory: %+v", inv.Merchants)
	}
}
