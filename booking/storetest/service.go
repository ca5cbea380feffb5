package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/internal/testsupport"
)

// SalonID is the id of the second merchant of the suite's inventory: a hair salon that confirms by hand.
const SalonID = "sample-salon"

// TestInventory returns the suite's inventory: the built-in sample merchant (dinner, 40 covers, 90 minutes,
// 17:00–20:30 starts) and a hair salon (haircut, 30 minutes, 3 chairs, 09:00–18:00 every day, manual
// confirmation, cancellable until 24 h before, fulfilled 3 h after the end).
func TestInventory() *booking.Inventory {
	inv := booking.SampleInventory()
	hours := make([]booking.OpeningHours, 0, 7)
	for d := time.Sunday; d <= time.Saturday; d++ {
		hours = append(hours, booking.OpeningHours{Day: d, Open: "09:00", Close: "18:00"})
	}
	inv.Merchants = append(inv.Merchants, booking.Merchant{
		ID:       SalonID,
		Name:     "Sample Salon",
		TimeZone: "America/Los_Angeles",
		Address:  booking.PostalAddress{RegionCode: "US", Locality: "San Francisco", AdministrativeArea: "CA"},
		Hours:    hours,
		Policy: booking.Policy{
			Hold:          booking.Duration(10 * time.Minute),
			MinLead:       booking.Duration(30 * time.Minute),
			MaxLead:       booking.Duration(90 * 24 * time.Hour),
			CancelBefore:  booking.Duration(24 * time.Hour),
			ManualConfirm: true,
			FulfillAfter:  booking.Duration(3 * time.Hour),
		},
		Services: []booking.Service{{
			ID: "haircut", Name: "Haircut", Type: booking.TypeHairdresser, Duration: booking.Duration(30 * time.Minute),
			MinParty: 1, MaxParty: 1, Capacity: 3, Interval: booking.Duration(30 * time.Minute),
		}},
	})
	if err := inv.Validate(); err != nil {
		panic("storetest: invalid test inventory: " + err.Error())
	}
	return inv
}

var losAngeles = func() *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		panic(err)
	}
	return loc
}()

// svcStart is the clock's start for the service scenarios: Monday 2 March 2026, 09:00 in Los Angeles.
var svcStart = time.Date(2026, 3, 2, 9, 0, 0, 0, losAngeles)

// local returns the Los Angeles wall time hh:mm, days after svcStart's date.
func local(days int, hhmm string) time.Time {
	d, err := time.Parse("15:04", hhmm)
	if err != nil {
		panic(err)
	}
	return time.Date(2026, 3, 2+days, d.Hour(), d.Minute(), 0, 0, losAngeles)
}

type env struct {
	t     *testing.T
	ctx   context.Context
	st    booking.Store
	clock *testsupport.Clock
	svc   *booking.Core
}

func newEnv(t *testing.T, st booking.Store) *env {
	clock := testsupport.NewClock(svcStart)
	svc, err := booking.NewService(booking.Config{Store: st, Inventory: TestInventory(), Now: clock.Now})
	must(t, err)
	return &env{t: t, ctx: ctxFor(t), st: st, clock: clock, svc: svc}
}

func dinner(start time.Time, party int, user string) booking.CreateRequest {
	return booking.CreateRequest{
		MerchantID: booking.SampleMerchantID, ServiceID: "dinner", Start: start, PartySize: party,
		Customer: booking.Customer{Name: "Guest " + user, Email: user + "@example.com", UserID: user},
		Source:   booking.SourceActionsCenter,
	}
}

func haircut(start time.Time, user string) booking.CreateRequest {
	return booking.CreateRequest{
		MerchantID: SalonID, ServiceID: "haircut", Start: start, PartySize: 1,
		Customer: booking.Customer{Name: "Client " + user, UserID: user}, Source: booking.SourceAdmin,
	}
}

func (e *env) create(r booking.CreateRequest) booking.Booking {
	e.t.Helper()
	b, err := e.svc.CreateBooking(e.ctx, r)
	must(e.t, err)
	return b
}

func (e *env) get(id string) booking.Booking {
	e.t.Helper()
	b, err := e.svc.Booking(e.ctx, id)
	must(e.t, err)
	return b
}

func (e *env) outbox(id string) []booking.OutboxEntry {
	e.t.Helper()
	es, err := e.st.OutboxByBooking(e.ctx, id)
	must(e.t, err)
	return es
}

func (e *env) hasAlloc(b booking.Booking) bool {
	e.t.Helper()
	as, err := e.st.Allocations(e.ctx, b.MerchantID, b.ServiceID, b.Start, b.End)
	must(e.t, err)
	for _, a := range as {
		if a.ID == b.ID {
			return true
		}
	}
	return false
}

func runService(t *testing.T, open func(t *testing.T) booking.Store) {
	tests := []struct {
		name string
		fn   func(e *env)
	}{
		{"Race200ForOneStart", svcRace},
		{"HoldsExpireAndGiveCapacityBack", svcHolds},
		{"ReplaySuccess", svcReplaySuccess},
		{"ReplayFailure", svcReplayFailure},
		{"IdempotencyConflict", svcIdempotencyConflict},
		{"VersionsAndOutbox", svcVersions},
		{"RescheduleCapacity", svcReschedule},
		{"StatusTransitions", svcTransitions},
		{"CancellationWindow", svcCancelWindow},
		{"FulfillSweep", svcFulfill},
		{"ListByUserAndDay", svcLists},
		{"SlotAlreadyBookedByUser", svcUserOverlap},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(newEnv(t, open(t))) })
	}
}

func svcRace(e *env) {
	start := local(1, "19:00")
	const callers = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	booked, full := 0, 0
	for i := range callers {
		wg.Go(func() {
			_, err := e.svc.CreateBooking(e.ctx, dinner(start, 2, fmt.Sprintf("racer-%d", i)))
			mu.Lock()
			defer mu.Unlock()
			switch booking.CodeOf(err) {
			case "":
				if err != nil {
					e.t.Errorf("caller %d: %v", i, err)
					return
				}
				booked++
			case booking.CodeSlotUnavailable:
				full++
			default:
				e.t.Errorf("caller %d: %v, want success or SLOT_UNAVAILABLE", i, err)
			}
		})
	}
	wg.Wait()
	if booked != 20 || full != callers-20 {
		e.t.Fatalf("booked %d, refused %d; want 20 and %d (capacity 40, party 2)", booked, full, callers-20)
	}
	day, err := e.svc.Day(e.ctx, booking.SampleMerchantID, "2026-03-03")
	must(e.t, err)
	if len(day) != 20 {
		e.t.Fatalf("bookings on the day: %d, want 20", len(day))
	}
	wantCode(e.t, e.svc.Check(e.ctx, booking.SampleMerchantID, "dinner", start, 1), booking.CodeSlotUnavailable, "full")
	as, err := e.st.Allocations(e.ctx, booking.SampleMerchantID, "dinner", start, start.Add(90*time.Minute))
	must(e.t, err)
	if peak := booking.PeakUsage(as, start, start.Add(90*time.Minute), e.clock.Now(), ""); peak != 40 {
		e.t.Fatalf("peak usage %d, want 40", peak)
	}
}

func svcHolds(e *env) {
	start := local(1, "19:00")
	place := func(party int) (booking.Hold, error) {
		return e.svc.PlaceHold(e.ctx, booking.HoldRequest{MerchantID: booking.SampleMerchantID, ServiceID: "dinner", Start: start, PartySize: party})
	}
	var holds []booking.Hold
	for range 5 {
		h, err := place(8)
		must(e.t, err)
		holds = append(holds, h)
	}
	if h := holds[0]; !h.Start.Equal(start) || !h.End.Equal(start.Add(90*time.Minute)) || !h.ExpiresAt.Equal(svcStart.Add(15*time.Minute)) {
		e.t.Fatalf("hold: %+v", h)
	}
	_, err := place(1)
	wantCode(e.t, err, booking.CodeSlotUnavailable, "full")

	avail := func() map[string]int {
		slots, err := e.svc.Availability(e.ctx, booking.AvailabilityQuery{MerchantID: booking.SampleMerchantID, ServiceID: "dinner",
			PartySize: 1, From: local(1, "00:00"), To: local(2, "00:00")})
		must(e.t, err)
		out := map[string]int{}
		for _, s := range slots {
			out[s.Start.In(losAngeles).Format("15:04")] = s.Remaining
		}
		return out
	}
	a := avail()
	for _, hhmm := range []string{"17:45", "18:30", "19:00", "20:15"} {
		if _, ok := a[hhmm]; ok {
			e.t.Fatalf("%s is offered while holds fill 19:00–20:30: %v", hhmm, a)
		}
	}
	if a["17:30"] != 40 || a["20:30"] != 40 {
		e.t.Fatalf("17:30 and 20:30 should be free with 40 left: %v", a)
	}

	e.clock.Advance(15 * time.Minute) // every hold expires
	if a := avail(); a["19:00"] != 40 {
		e.t.Fatalf("19:00 after the holds expired: %v, want 40 left", a)
	}
	// An expired hold is re-claimed while its time is still free.
	confirm := func(h booking.Hold) (booking.Booking, error) {
		return e.svc.ConfirmHold(e.ctx, booking.ConfirmRequest{MerchantID: booking.SampleMerchantID, HoldID: h.ID,
			Customer: booking.Customer{Name: "Ada", Email: "ada@example.com"}, Source: booking.SourceAssistant, GoogleOrderID: "order-" + h.ID})
	}
	b, err := confirm(holds[0])
	must(e.t, err)
	if b.ID != holds[0].ID || b.Status != booking.StatusConfirmed || b.Version != 1 || !b.Start.Equal(start) || b.PartySize != 8 ||
		b.GoogleOrderID != "order-"+holds[0].ID || b.Source != booking.SourceAssistant || b.Day != "2026-03-03" || len(b.ConfirmationCode) != 6 {
		e.t.Fatalf("confirmed booking: %+v", b)
	}
	for range 4 {
		_, err := place(8)
		must(e.t, err)
	}
	// No room left for another expired hold.
	_, err = confirm(holds[1])
	wantCode(e.t, err, booking.CodeHoldExpired, "")
	// Confirming the same hold again returns the same booking, without a second change.
	again, err := confirm(holds[0])
	must(e.t, err)
	same(e.t, "second confirmation", again, b)
	if es := e.outbox(b.ID); len(es) != 1 || es[0].Kind != booking.ChangeCreated {
		e.t.Fatalf("outbox after two confirmations: %+v", es)
	}
	_, err = e.st.Hold(e.ctx, booking.SampleMerchantID, holds[0].ID)
	wantCode(e.t, err, booking.CodeNotFound, "")

	// Releasing a hold gives its capacity back at once; releasing again or an unknown hold is no error.
	h, err := e.svc.PlaceHold(e.ctx, booking.HoldRequest{MerchantID: booking.SampleMerchantID, Start: local(1, "17:00"), PartySize: 8})
	must(e.t, err)
	if a := avail(); a["17:00"] != 32 {
		e.t.Fatalf("17:00 with an 8-cover hold: %v, want 32 left", a)
	}
	must(e.t, e.svc.ReleaseHold(e.ctx, booking.SampleMerchantID, h.ID))
	if a := avail(); a["17:00"] != 40 {
		e.t.Fatalf("17:00 after release: %v, want 40 left", a)
	}
	must(e.t, e.svc.ReleaseHold(e.ctx, booking.SampleMerchantID, h.ID))
	must(e.t, e.svc.ReleaseHold(e.ctx, booking.SampleMerchantID, "no-such-hold"))
	// Releasing a confirmed hold's id leaves the booking's capacity alone.
	must(e.t, e.svc.ReleaseHold(e.ctx, booking.SampleMerchantID, b.ID))
	if !e.hasAlloc(b) {
		e.t.Fatal("releasing a confirmed hold's id removed the booking's allocation")
	}
}

func svcReplaySuccess(e *env) {
	req := dinner(local(1, "19:00"), 2, "u1")
	req.IdempotencyKey = "req-1"
	b1 := e.create(req)
	b2 := e.create(req)
	same(e.t, "replayed booking", b2, b1)
	if es := e.outbox(b1.ID); len(es) != 1 {
		e.t.Fatalf("outbox entries after a replay: %d, want 1", len(es))
	}
	// The key survives a restart: a new core over the same store answers from the record.
	svc2, err := booking.NewService(booking.Config{Store: e.st, Inventory: TestInventory(), Now: e.clock.Now})
	must(e.t, err)
	b3, err := svc2.CreateBooking(e.ctx, req)
	must(e.t, err)
	same(e.t, "booking replayed by a new core", b3, b1)

	// Concurrent twins: one booking, every caller gets it.
	twin := dinner(local(1, "18:00"), 4, "u2")
	twin.IdempotencyKey = "req-2"
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Go(func() {
			b, err := e.svc.CreateBooking(e.ctx, twin)
			if err != nil {
				e.t.Errorf("twin %d: %v", i, err)
				return
			}
			ids[i] = b.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			e.t.Fatalf("twins got different bookings: %q", ids)
		}
	}
	day, err := e.svc.Day(e.ctx, booking.SampleMerchantID, "2026-03-03")
	must(e.t, err)
	if len(day) != 2 {
		e.t.Fatalf("bookings after replays: %d, want 2", len(day))
	}

	// Replays of changes return the first result, not a new failure.
	c := booking.CancelRequest{BookingID: b1.ID, Reason: "plans changed", IdempotencyKey: "cancel-1"}
	first, err := e.svc.Cancel(e.ctx, c)
	must(e.t, err)
	second, err := e.svc.Cancel(e.ctx, c)
	must(e.t, err)
	same(e.t, "replayed cancellation", second, first)
	c.IdempotencyKey = ""
	_, err = e.svc.Cancel(e.ctx, c)
	wantCode(e.t, err, booking.CodeBookingAlreadyCancelled, "")
}

func svcReplayFailure(e *env) {
	start := local(1, "19:00")
	var fill []booking.Booking
	for i := range 5 {
		fill = append(fill, e.create(dinner(start, 8, fmt.Sprintf("f%d", i))))
	}
	stored := dinner(start, 2, "late")
	stored.IdempotencyKey = "fail-1"
	_, err := e.svc.CreateBooking(e.ctx, stored)
	wantCode(e.t, err, booking.CodeSlotUnavailable, "full")
	retried := dinner(start, 2, "late2")
	retried.IdempotencyKey, retried.RetryFailures = "retry-1", true
	_, err = e.svc.CreateBooking(e.ctx, retried)
	wantCode(e.t, err, booking.CodeSlotUnavailable, "full")

	_, err = e.svc.Cancel(e.ctx, booking.CancelRequest{BookingID: fill[0].ID, ByMerchant: true})
	must(e.t, err)
	// The recorded failure is replayed although the time is free now...
	_, err = e.svc.CreateBooking(e.ctx, stored)
	wantCode(e.t, err, booking.CodeSlotUnavailable, "full")
	// ...while a request that asks for failures to be retried is processed again.
	b, err := e.svc.CreateBooking(e.ctx, retried)
	must(e.t, err)
	if b.PartySize != 2 || b.Status != booking.StatusConfirmed {
		t := e.t
		t.Fatalf("retried booking: %+v", b)
	}
	// And its success is recorded.
	again, err := e.svc.CreateBooking(e.ctx, retried)
	must(e.t, err)
	same(e.t, "replayed retry", again, b)
}

func svcIdempotencyConflict(e *env) {
	req := dinner(local(1, "19:00"), 2, "u1")
	req.IdempotencyKey = "k"
	b := e.create(req)
	req.PartySize = 3
	_, err := e.svc.CreateBooking(e.ctx, req)
	wantCode(e.t, err, booking.CodeIdempotencyConflict, "")
	_, err = e.svc.Cancel(e.ctx, booking.CancelRequest{BookingID: b.ID, IdempotencyKey: "k"})
	wantCode(e.t, err, booking.CodeIdempotencyConflict, "")
	day, err := e.svc.Day(e.ctx, booking.SampleMerchantID, "2026-03-03")
	must(e.t, err)
	if len(day) != 1 || day[0].Status != booking.StatusConfirmed {
		e.t.Fatalf("bookings after conflicts: %+v", day)
	}
}

func svcVersions(e *env) {
	b := e.create(dinner(local(1, "19:00"), 2, "u1"))
	if b.Version != 1 || b.Status != booking.StatusConfirmed {
		e.t.Fatalf("new booking: %+v", b)
	}
	e.clock.Advance(time.Minute)
	u, err := e.svc.Update(e.ctx, booking.UpdateRequest{BookingID: b.ID, PartySize: 3, ExpectVersion: 1, Reason: "one more"})
	must(e.t, err)
	if u.Version != 2 || u.PartySize != 3 || !u.UpdatedAt.Equal(e.svc.Now()) {
		e.t.Fatalf("updated booking: %+v", u)
	}
	_, err = e.svc.Update(e.ctx, booking.UpdateRequest{BookingID: b.ID, PartySize: 4, ExpectVersion: 1})
	wantCode(e.t, err, booking.CodeVersionMismatch, "")
	_, err = e.svc.Cancel(e.ctx, booking.CancelRequest{BookingID: b.ID, ExpectVersion: 1})
	wantCode(e.t, err, booking.CodeVersionMismatch, "")
	_, err = e.svc.SetStatus(e.ctx, booking.StatusRequest{BookingID: b.ID, Status: booking.StatusNoShow, ExpectVersion: 1})
	wantCode(e.t, err, booking.CodeVersionMismatch, "")
	same(e.t, "booking after stale requests", e.get(b.ID), u)

	// A change to nothing returns the booking unchanged and writes nothing.
	n, err := e.svc.Update(e.ctx, booking.UpdateRequest{BookingID: b.ID, PartySize: 3, Start: u.Start})
	must(e.t, err)
	same(e.t, "no-op update", n, u)

	newStart := local(1, "20:00")
	r, err := e.svc.Update(e.ctx, booking.UpdateRequest{BookingID: b.ID, Start: newStart, ExpectVersion: 2})
	must(e.t, err)
	if r.Version != 3 || !r.Start.Equal(newStart) || !r.End.Equal(newStart.Add(90*time.Minute)) || r.Day != "2026-03-03" {
		e.t.Fatalf("rescheduled booking: %+v", r)
	}
	if !e.hasAlloc(r) {
		e.t.Fatal("the rescheduled booking's allocation did not move")
	}
	as, err := e.st.Allocations(e.ctx, booking.SampleMerchantID, "dinner", local(1, "19:00"), local(1, "19:59"))
	must(e.t, err)
	if len(as) != 0 {
		e.t.Fatalf("allocations left at the old time: %+v", as)
	}
	c, err := e.svc.Cancel(e.ctx, booking.CancelRequest{BookingID: b.ID, ExpectVersion: 3, Reason: "ill"})
	must(e.t, err)
	if c.Status != booking.StatusCancelled || c.Version != 4 || c.Reason != "ill" {
		e.t.Fatalf("cancelled booking: %+v", c)
	}

	// One ORDERS outbox entry per change (the sample merchant has no other channel), in order, each carrying the
	// booking after the change.
	es := e.outbox(b.ID)
	kinds := []booking.ChangeKind{booking.ChangeCreated, booking.ChangePartySize, booking.ChangeReschedule, booking.ChangeStatus}
	after := []booking.Booking{b, u, r, c}
	if len(es) != len(kinds) {
		e.t.Fatalf("outbox: %d entries, want %d: %+v", len(es), len(kinds), es)
	}
	for i, en := range es {
		want := booking.OutboxEntry{
			ID: fmt.Sprintf("%s.%d", b.ID, i+1), BookingID: b.ID, Channel: booking.ChannelOrders, Seq: int64(i + 1),
			Kind: kinds[i], Booking: after[i], Reason: after[i].Reason, CreatedAt: after[i].UpdatedAt,
			NextAttemptAt: after[i].UpdatedAt, State: booking.DeliveryPending,
		}
		if kinds[i] == booking.ChangeStatus {
			want.PreviousStatus = after[i-1].Status
		}
		same(e.t, fmt.Sprintf("outbox entry %d", i+1), en, want)
	}
}

func svcReschedule(e *env) {
	start := local(1, "19:00")
	var full []booking.Booking
	for i := range 5 {
		full = append(full, e.create(dinner(start, 8, fmt.Sprintf("r%d", i))))
	}
	// Moving within a full evening works because the booking's own allocation is left out of the count.
	_, err := e.svc.Update(e.ctx, booking.UpdateRequest{BookingID: full[0].ID, Start: local(1, "19:15")})
	must(e.t, err)
	early := e.create(dinner(local(1, "17:00"), 8, "early"))
	_, err = e.svc.Update(e.ctx, booking.UpdateRequest{BookingID: early.ID, Start: start})
	wantCode(e.t, err, booking.CodeSlotUnavailable, "full")
	same(e.t, "booking after a refused move", e.get(early.ID), early)
	_, err = e.svc.Update(e.ctx, booking.UpdateRequest{BookingID: full[1].ID, PartySize: 4})
	must(e.t, err)
	moved, err := e.svc.Update(e.ctx, booking.UpdateRequest{BookingID: early.ID, Start: start, PartySize: 4})
	must(e.t, err)
	if !moved.Start.Equal(start) || moved.PartySize != 4 {
		e.t.Fatalf("moved booking: %+v", moved)
	}
	if es := e.outbox(early.ID); len(es) != 2 || es[1].Kind != booking.ChangeReschedule {
		e.t.Fatalf("outbox of a move with a party change: %+v (want one RESCHEDULE entry)", es)
	}
	// Off the grid, or too late in the evening for 90 minutes before closing.
	_, err = e.svc.Update(e.ctx, booking.UpdateRequest{BookingID: early.ID, Start: local(1, "20:45")})
	wantCode(e.t, err, booking.CodeSlotUnavailable, "closed")
	_, err = e.svc.Update(e.ctx, booking.UpdateRequest{BookingID: early.ID, Start: local(1, "19:07")})
	wantCode(e.t, err, booking.CodeSlotUnavailable, "closed")
}

// reach makes a salon booking and moves it to status along legal staff steps.
func (e *env) reach(i int, status booking.Status) booking.Booking {
	e.t.Helper()
	start := local(1+i/18, "09:00").Add(time.Duration(i%18) * 30 * time.Minute)
	b := e.create(haircut(start, fmt.Sprintf("c%d", i)))
	if b.Status != booking.StatusPending {
		e.t.Fatalf("a manual-confirmation merchant's new booking is %s, want PENDING", b.Status)
	}
	set := func(s booking.Status) {
		var err error
		b, err = e.svc.SetStatus(e.ctx, booking.StatusRequest{BookingID: b.ID, Status: s})
		must(e.t, err)
	}
	switch status {
	case booking.StatusPending:
	case booking.StatusConfirmed, booking.StatusChangeRequested, booking.StatusRejected:
		set(status)
	case booking.StatusCancelled:
		var err error
		b, err = e.svc.Cancel(e.ctx, booking.CancelRequest{BookingID: b.ID, ByMerchant: true})
		must(e.t, err)
	case booking.StatusFulfilled, booking.StatusNoShow:
		set(booking.StatusConfirmed)
		set(status)
	}
	return b
}

func svcTransitions(e *env) {
	i := 0
	for _, from := range booking.Statuses() {
		for _, to := range booking.Statuses() {
			b := e.reach(i, from)
			i++
			got, err := e.svc.SetStatus(e.ctx, booking.StatusRequest{BookingID: b.ID, Status: to, Reason: "staff"})
			if !booking.CanTransition(from, to) {
				wantCode(e.t, err, booking.CodeIllegalTransition, "")
				if msg := err.Error(); !strings.Contains(msg, string(from)) || !strings.Contains(msg, string(to)) {
					e.t.Fatalf("%s→%s: error %q does not name both statuses", from, to, msg)
				}
				same(e.t, fmt.Sprintf("%s→%s refused", from, to), e.get(b.ID), b)
				continue
			}
			if err != nil {
				e.t.Fatalf("%s→%s: %v", from, to, err)
			}
			if got.Status != to || got.Version != b.Version+1 || got.Reason != "staff" {
				e.t.Fatalf("%s→%s: booking %+v", from, to, got)
			}
			es := e.outbox(b.ID)
			if last := es[len(es)-1]; last.Kind != booking.ChangeStatus || last.Seq != got.Version || last.Booking.Status != to {
				e.t.Fatalf("%s→%s: last outbox entry %+v", from, to, last)
			}
			held := to == booking.StatusPending || to == booking.StatusConfirmed || to == booking.StatusChangeRequested
			if e.hasAlloc(got) != held {
				e.t.Fatalf("%s→%s: allocation present = %v, want %v", from, to, !held, held)
			}
		}
	}
}

func svcCancelWindow(e *env) {
	start := local(1, "19:00")
	b1 := e.create(dinner(start, 2, "w1"))
	b2 := e.create(dinner(start, 2, "w2"))
	b3 := e.create(dinner(start, 2, "w3"))
	// Cancellable until 2 hours before the start, inclusive.
	e.clock.Set(start.Add(-2 * time.Hour))
	c1, err := e.svc.Cancel(e.ctx, booking.CancelRequest{BookingID: b1.ID})
	must(e.t, err)
	if c1.Status != booking.StatusCancelled || e.hasAlloc(b1) {
		e.t.Fatalf("cancelled booking %+v still holds capacity = %v", c1, e.hasAlloc(b1))
	}
	e.clock.Set(start.Add(-2*time.Hour + time.Millisecond))
	_, err = e.svc.Cancel(e.ctx, booking.CancelRequest{BookingID: b2.ID})
	wantCode(e.t, err, booking.CodeOutsideCancellationWindow, "")
	if got := e.get(b2.ID); got.Status != booking.StatusConfirmed || !e.hasAlloc(got) {
		e.t.Fatalf("booking after a refused cancellation: %+v", got)
	}
	// Staff may cancel at any time.
	_, err = e.svc.Cancel(e.ctx, booking.CancelRequest{BookingID: b2.ID, ByMerchant: true})
	must(e.t, err)
	_, err = e.svc.Cancel(e.ctx, booking.CancelRequest{BookingID: b2.ID, ByMerchant: true})
	wantCode(e.t, err, booking.CodeBookingAlreadyCancelled, "")
	for _, s := range []booking.Status{booking.StatusNoShow} {
		_, err = e.svc.SetStatus(e.ctx, booking.StatusRequest{BookingID: b3.ID, Status: s})
		must(e.t, err)
		_, err = e.svc.Cancel(e.ctx, booking.CancelRequest{BookingID: b3.ID, ByMerchant: true})
		wantCode(e.t, err, booking.CodeBookingNotCancellable, "")
	}
	_, err = e.svc.Cancel(e.ctx, booking.CancelRequest{BookingID: "no-such-booking"})
	wantCode(e.t, err, booking.CodeNotFound, "")
}

func svcFulfill(e *env) {
	dinnerB := e.create(dinner(local(1, "19:00"), 2, "d1"))
	confirmed := e.reach(0, booking.StatusConfirmed) // salon, 09:00–09:30 tomorrow, grace 3 h
	pending := e.reach(1, booking.StatusPending)     // salon, 09:30–10:00 tomorrow
	sweep := func(at time.Time, want int) {
		e.t.Helper()
		e.clock.Set(at)
		n, err := e.svc.FulfillEnded(e.ctx)
		must(e.t, err)
		if n != want {
			e.t.Fatalf("FulfillEnded at %s changed %d bookings, want %d", at.Format(time.RFC3339), n, want)
		}
	}
	sweep(local(1, "12:30").Add(-time.Millisecond), 0)
	sweep(local(1, "12:30"), 1)
	if got := e.get(confirmed.ID); got.Status != booking.StatusFulfilled || e.hasAlloc(got) {
		e.t.Fatalf("salon booking after its grace: %+v", got)
	}
	if es := e.outbox(confirmed.ID); es[len(es)-1].Booking.Status != booking.StatusFulfilled || es[len(es)-1].Kind != booking.ChangeStatus {
		e.t.Fatalf("outbox of the fulfilled booking: %+v", es[len(es)-1])
	}
	sweep(local(1, "13:00"), 1)
	if got := e.get(pending.ID); got.Status != booking.StatusRejected {
		e.t.Fatalf("never-confirmed booking after its end: %s, want REJECTED", got.Status)
	}
	// The sample merchant's grace is 1 hour after 20:30.
	sweep(local(1, "21:30").Add(-time.Millisecond), 0)
	sweep(local(1, "21:30"), 1)
	if got := e.get(dinnerB.ID); got.Status != booking.StatusFulfilled || got.Version != 2 {
		e.t.Fatalf("dinner after its grace: %+v", got)
	}
	sweep(local(1, "23:00"), 0)
}

func svcLists(e *env) {
	b1 := e.create(dinner(local(1, "19:00"), 2, "u1"))
	b2 := e.create(dinner(local(2, "18:00"), 2, "u1"))
	b3 := e.create(dinner(local(1, "17:00"), 2, "u1"))
	o := e.create(dinner(local(1, "18:00"), 2, "u2"))
	_, err := e.svc.Cancel(e.ctx, booking.CancelRequest{BookingID: b3.ID})
	must(e.t, err)
	up, err := e.svc.Upcoming(e.ctx, "u1")
	must(e.t, err)
	wantIDs(e.t, "u1's upcoming bookings", bookingIDs(up), b1.ID, b2.ID)
	day, err := e.svc.Day(e.ctx, booking.SampleMerchantID, "2026-03-03")
	must(e.t, err)
	wantIDs(e.t, "the day's bookings", bookingIDs(day), b3.ID, o.ID, b1.ID)
	if day[0].Status != booking.StatusCancelled {
		e.t.Fatalf("the day lists the cancelled booking as %s", day[0].Status)
	}
	e.clock.Set(b1.End)
	up, err = e.svc.Upcoming(e.ctx, "u1")
	must(e.t, err)
	wantIDs(e.t, "u1's upcoming bookings after the first ended", bookingIDs(up), b2.ID)
	_, err = e.svc.Day(e.ctx, "no-such-merchant", "2026-03-03")
	wantCode(e.t, err, booking.CodeNotFound, "")
	_, err = e.svc.Day(e.ctx, booking.SampleMerchantID, "03/03/2026")
	wantCode(e.t, err, booking.CodeInvalidArgument, "day")
}

func svcUserOverlap(e *env) {
	e.create(dinner(local(1, "19:00"), 2, "u1"))
	_, err := e.svc.PlaceHold(e.ctx, booking.HoldRequest{MerchantID: booking.SampleMerchantID, Start: local(1, "19:30"), PartySize: 2, UserID: "u1"})
	wantCode(e.t, err, booking.CodeSlotAlreadyBookedByUser, "")
	_, err = e.svc.CreateBooking(e.ctx, dinner(local(1, "18:00"), 2, "u1"))
	wantCode(e.t, err, booking.CodeSlotAlreadyBookedByUser, "")
	// Back to back is fine, and so is another user at the same time.
	e.create(dinner(local(1, "17:30"), 2, "u1"))
	e.create(dinner(local(1, "19:00"), 2, "u2"))
	// Another merchant's booking does not conflict.
	e.create(haircut(local(1, "17:30"), "u1"))
}
