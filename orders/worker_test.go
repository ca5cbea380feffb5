package orders_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/internal/testsupport"
	"github.com/reservations/reservations/orders"
	"github.com/reservations/reservations/orders/orderstest"
)

var allStores = []storeKind{kindMemory, kindBolt, kindRedis}

// expected returns the updates the fake must have received for a booking, in order: one per outbox entry that
// is sent (a change of an Assistant booking other than its creation), with its status and label.
func expected(es []booking.OutboxEntry) []string {
	var out []string
	for _, e := range es {
		if !orders.Sendable(e) {
			continue
		}
		st, label := orders.StatusOf(e.Booking.Status)
		out = append(out, string(st)+"/"+label)
	}
	return out
}

func received(ups []orderstest.Update) []string {
	var out []string
	for _, u := range ups {
		out = append(out, u.Status+"/"+u.Label)
	}
	return out
}

// checkDelivered asserts that every change of the bookings reached the fake exactly once, in order, with
// strictly increasing lastUpdateTime, and that every outbox entry is DELIVERED.
func checkDelivered(t *testing.T, e *env, ids []string) {
	t.Helper()
	if d := e.fake.Duplicates(); len(d) > 0 {
		t.Errorf("changes accepted more than once: %v", d)
	}
	for _, id := range ids {
		es := e.entries(id)
		for _, x := range es {
			if x.State != booking.DeliveryDelivered {
				t.Errorf("%s: state %s (last error %q), want DELIVERED", x.ID, x.State, x.LastError)
			}
		}
		ups := e.fake.UpdatesFor(id)
		want, got := expected(es), received(ups)
		if strings.Join(want, " ") != strings.Join(got, " ") {
			t.Errorf("%s: fake received %v, want %v", id, got, want)
		}
		var prev time.Time
		for _, u := range ups {
			lut, err := time.Parse(time.RFC3339Nano, u.LastUpdateTime)
			if err != nil {
				t.Fatalf("%s: lastUpdateTime %q: %v", id, u.LastUpdateTime, err)
			}
			if !lut.After(prev) {
				t.Errorf("%s: lastUpdateTime %s not after %s", id, lut, prev)
			}
			prev = lut
		}
	}
}

// moved returns b's start moved by k quarter hours, later if the evening has room, else earlier.
func moved(b booking.Booking, k int) time.Time {
	later := b.Start.Add(time.Duration(k) * 15 * time.Minute)
	if l := later.In(losAngeles); l.Hour()*60+l.Minute() <= 20*60+30 {
		return later
	}
	return b.Start.Add(-time.Duration(k) * 15 * time.Minute)
}

// script applies a booking's sequence of changes; which one depends on i.
func script(e *env, b booking.Booking, i int) {
	switch i % 4 {
	case 0: // resize, move, cancel
		e.update(b.ID, time.Time{}, 4)
		e.update(b.ID, moved(b, 1), 0)
		e.setStatus(b.ID, booking.StatusCancelled, "Closed for a private event")
	case 1: // change requested, confirmed again, no-show
		e.setStatus(b.ID, booking.StatusChangeRequested, "")
		e.setStatus(b.ID, booking.StatusConfirmed, "")
		e.setStatus(b.ID, booking.StatusNoShow, "")
	case 2: // move twice, then fulfilled
		e.update(b.ID, moved(b, 1), 3)
		e.update(b.ID, moved(b, 2), 0)
		e.setStatus(b.ID, booking.StatusFulfilled, "")
	default: // cancelled at once
		e.setStatus(b.ID, booking.StatusCancelled, "")
	}
}

func TestWorkerDeliversOnceAndInOrderUnderFaults(t *testing.T) {
	for _, kind := range allStores {
		t.Run(string(kind), func(t *testing.T) {
			e := newEnv(t, kind, orderstest.Config{
				Seed:      42,
				Faults:    orderstest.Faults{P500: 0.1, P503: 0.08, P429: 0.08, PSlow: 0.04, PDrop: 0.06},
				SlowDelay: 5 * time.Second,
			})
			const n = 24
			var ids []string
			var bs []booking.Booking
			for range n {
				b := e.book(true)
				ids, bs = append(ids, b.ID), append(bs, b)
			}
			// Half the changes happen before the worker starts, half while it runs.
			for i := range n / 2 {
				script(e, bs[i], i)
			}
			// The client's timeout is well above a normal answer's time even under -race on a loaded machine, so
			// that only the injected slow answers time out (a timed-out answer the fake applied anyway would be
			// a legitimate duplicate, which this test would flag).
			cfg := e.workerConfig(e.client(time.Second))
			cfg.Senders = 4
			stop := e.start(orders.NewWorker(cfg))
			for i := n / 2; i < n; i++ {
				script(e, bs[i], i)
			}
			e.waitDrained(60 * time.Second)
			stop()
			checkDelivered(t, e, ids)
			inj := e.fake.Injected()
			if inj["500"]+inj["503"]+inj["429"] == 0 || inj["slow"] == 0 || inj["drop"] == 0 {
				t.Errorf("faults injected %v: the test did not exercise every failure", inj)
			}
			if got := e.metric("orders_update_delivery_seconds"); got != float64(len(e.fake.Updates())) {
				t.Errorf("delivery histogram count %v, want %d", got, len(e.fake.Updates()))
			}
			for _, code := range []string{"timeout", "network"} {
				if got := e.metric("orders_update_failures_total", "code", code); got < 1 {
					t.Errorf("failures{code=%s} = %v, want ≥ 1", code, got)
				}
			}
			if got := e.metric("orders_outbox_depth"); got != 0 {
				t.Errorf("orders_outbox_depth = %v after draining", got)
			}
		})
	}
}

func TestWorkerPermanentFailuresGoToDeadLetter(t *testing.T) {
	tests := []struct {
		name    string
		failure orderstest.Failure
		want    string
	}{
		{"404", orderstest.Failure{HTTPStatus: 404, Status: "NOT_FOUND", Message: "Requested entity was not found."},
			"HTTP 404 NOT_FOUND: Requested entity was not found."},
		{"400", orderstest.Failure{HTTPStatus: 400, Status: "INVALID_ARGUMENT", Message: "Invalid value at 'order_update.order'"},
			"HTTP 400 INVALID_ARGUMENT: Invalid value at 'order_update.order'"},
		{"403", orderstest.Failure{HTTPStatus: 403, Status: "PERMISSION_DENIED", Message: "The caller does not have permission"},
			"HTTP 403 PERMISSION_DENIED: The caller does not have permission"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, kindMemory, orderstest.Config{})
			bad, good := e.book(true), e.book(true)
			e.fake.FailOrder(bad.ID, tt.failure)
			e.setStatus(bad.ID, booking.StatusChangeRequested, "")
			e.setStatus(bad.ID, booking.StatusCancelled, "")
			e.setStatus(good.ID, booking.StatusCancelled, "")
			stop := e.start(orders.NewWorker(e.workerConfig(e.client(time.Second))))
			e.waitDrained(10 * time.Second)
			stop()
			es := e.entries(bad.ID)
			// The creation is acknowledged without sending; both changes go dead with the API's message, the
			// first one not blocking the second.
			if es[0].State != booking.DeliveryDelivered {
				t.Errorf("creation entry state %s", es[0].State)
			}
			for _, x := range es[1:] {
				if x.State != booking.DeliveryDead || x.LastError != tt.want || x.Attempts != 1 {
					t.Errorf("%s: state %s attempts %d error %q, want DEAD after 1 attempt with %q", x.ID, x.State, x.Attempts, x.LastError, tt.want)
				}
			}
			if got := e.fake.UpdatesFor(good.ID); len(got) != 1 {
				t.Errorf("the other booking's update was not delivered: %v", got)
			}
			if got := e.metric("orders_outbox_entries_total", "outcome", "dead"); got != 2 {
				t.Errorf("dead outcome count %v, want 2", got)
			}
		})
	}
}

func TestWorkerGivesUpAfterRetryWindow(t *testing.T) {
	e := newEnv(t, kindMemory, orderstest.Config{Faults: orderstest.Faults{P503: 1}})
	b := e.book(true)
	e.setStatus(b.ID, booking.StatusCancelled, "")
	cfg := e.workerConfig(e.client(time.Second))
	cfg.RetryFor = 300 * time.Millisecond
	stop := e.start(orders.NewWorker(cfg))
	e.waitDrained(10 * time.Second)
	stop()
	x := e.entries(b.ID)[1]
	if x.State != booking.DeliveryDead || x.Attempts < 2 ||
		!strings.HasPrefix(x.LastError, fmt.Sprintf("gave up after %d attempts in 300ms: HTTP 503 UNAVAILABLE", x.Attempts)) {
		t.Errorf("entry: state %s attempts %d error %q", x.State, x.Attempts, x.LastError)
	}
	if n := len(e.fake.Updates()); n != 0 {
		t.Errorf("%d updates applied", n)
	}
}

func TestWorkerRetriesWithBackoffThenDelivers(t *testing.T) {
	e := newEnv(t, kindMemory, orderstest.Config{Faults: orderstest.Faults{P429: 1}})
	b := e.book(true)
	e.setStatus(b.ID, booking.StatusCancelled, "")
	cfg := e.workerConfig(e.client(time.Second))
	cfg.BackoffBase, cfg.BackoffCap = 50*time.Millisecond, 100*time.Millisecond
	cfg.Jitter = func() float64 { return 0.999 }
	stop := e.start(orders.NewWorker(cfg))
	// While every answer is 429 the entry goes back to PENDING with the error and a due time in the future.
	deadline := time.Now().Add(5 * time.Second)
	for {
		x := e.entries(b.ID)[1]
		if x.Attempts >= 2 && x.State == booking.DeliveryPending {
			if x.LastError != "HTTP 429 RESOURCE_EXHAUSTED: Quota exceeded." {
				t.Errorf("last error %q", x.LastError)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no retry recorded: %+v", x)
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.fake.SetFaults(orderstest.Faults{})
	e.waitDrained(5 * time.Second)
	stop()
	checkDelivered(t, e, []string{b.ID})
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		r       float64
		want    time.Duration
	}{
		{1, 0.5, 500 * time.Millisecond},
		{2, 0.5, time.Second},
		{4, 1, 8 * time.Second},
		{10, 1, 512 * time.Second},
		{11, 1, 10 * time.Minute}, // 1024 s capped at 10 min
		{500, 0.5, 5 * time.Minute},
		{0, 1, time.Second},
		{3, 0, 0},
	}
	for _, tt := range tests {
		if got := orders.Backoff(tt.attempt, time.Second, 10*time.Minute, tt.r); got != tt.want {
			t.Errorf("Backoff(%d, r=%v) = %s, want %s", tt.attempt, tt.r, got, tt.want)
		}
	}
}

// ackFailingStore refuses to acknowledge one entry, as if the worker died between the API's answer and the ack.
type ackFailingStore struct {
	booking.Store
	id   string
	acks atomic.Int32
}

func (s *ackFailingStore) AckOutbox(ctx context.Context, id, owner string, now time.Time) error {
	if id != s.id {
		return s.Store.AckOutbox(ctx, id, owner, now)
	}
	s.acks.Add(1)
	return errors.New("connection lost")
}

// ackFlakyStore fails the first failures acknowledgements, as a Redis that is restarting does.
type ackFlakyStore struct {
	booking.Store
	failures int32
	acks     atomic.Int32
}

func (s *ackFlakyStore) AckOutbox(ctx context.Context, id, owner string, now time.Time) error {
	if s.acks.Add(1) <= s.failures {
		return errors.New("LOADING Redis is loading the dataset in memory")
	}
	return s.Store.AckOutbox(ctx, id, owner, now)
}

// TestWorkerRetriesAFailedAck: a store that fails for a moment does not leave a sent update to its lease (and
// the booking's later updates behind it): the acknowledgement is tried again, and the update is sent once.
func TestWorkerRetriesAFailedAck(t *testing.T) {
	e := newEnv(t, kindMemory, orderstest.Config{})
	b := e.book(true)
	e.setStatus(b.ID, booking.StatusCancelled, "")
	flaky := &ackFlakyStore{Store: e.store, failures: 2}
	cfg := e.workerConfig(e.client(time.Second))
	cfg.Store, cfg.Lease = flaky, time.Minute
	stop := e.start(orders.NewWorker(cfg))
	e.waitDrained(10 * time.Second)
	stop()
	if n := len(e.fake.UpdatesFor(b.ID)); n != 1 {
		t.Fatalf("fake received %d updates, want 1 (the acknowledgement retried, nothing sent again)", n)
	}
	if x := e.entries(b.ID)[1]; x.State != booking.DeliveryDelivered || x.Attempts != 1 {
		t.Errorf("entry state %s attempts %d, want DELIVERED after 1", x.State, x.Attempts)
	}
	if n := flaky.acks.Load(); n != 4 {
		t.Errorf("%d acknowledgements tried, want 4 (the creation's: two failed, the third taken; the change's)", n)
	}
}

func TestWorkerRedeliversAfterLeaseWhenAckIsLost(t *testing.T) {
	for _, kind := range []storeKind{kindMemory, kindRedis} {
		t.Run(string(kind), func(t *testing.T) {
			e := newEnv(t, kind, orderstest.Config{})
			b := e.book(true)
			cancelled := e.setStatus(b.ID, booking.StatusCancelled, "")
			client := e.client(time.Second)

			broken := &ackFailingStore{Store: e.store, id: fmt.Sprintf("%s.%d", b.ID, cancelled.Version)}
			cfg := e.workerConfig(client)
			cfg.Store, cfg.Lease, cfg.Owner = broken, 400*time.Millisecond, "worker-1"
			stop1 := e.start(orders.NewWorker(cfg))
			if !e.fake.WaitUpdates(1, 5*time.Second) {
				t.Fatal("first worker sent nothing")
			}
			stop1()
			if broken.acks.Load() == 0 {
				t.Fatal("first worker never tried to acknowledge")
			}
			x := e.entries(b.ID)[1]
			if x.State != booking.DeliveryInFlight || x.LeaseOwner != "worker-1" {
				t.Fatalf("after the lost ack: state %s owner %q, want IN_FLIGHT under worker-1", x.State, x.LeaseOwner)
			}

			cfg2 := e.workerConfig(client)
			cfg2.Owner = "worker-2"
			stop2 := e.start(orders.NewWorker(cfg2))
			e.waitDrained(5 * time.Second)
			stop2()
			ups := e.fake.UpdatesFor(b.ID)
			if len(ups) != 2 {
				t.Fatalf("fake received %d updates, want the change twice (sent, then redelivered)", len(ups))
			}
			if ups[0].LastUpdateTime != ups[1].LastUpdateTime || ups[0].Status != "CANCELLED" || ups[1].Status != "CANCELLED" {
				t.Errorf("redelivery differs: %+v vs %+v", ups[0], ups[1])
			}
			if since := ups[1].ReceivedAt.Sub(ups[0].ReceivedAt); since < 350*time.Millisecond {
				t.Errorf("redelivered %s after the first send, before the 400ms lease expired", since)
			}
			x = e.entries(b.ID)[1]
			if x.State != booking.DeliveryDelivered || x.Attempts != 2 {
				t.Errorf("entry state %s attempts %d, want DELIVERED after 2", x.State, x.Attempts)
			}
		})
	}
}

func TestTwoWorkersOnOneStoreNeverSendTwice(t *testing.T) {
	for _, kind := range []storeKind{kindRedis, kindMemory} {
		t.Run(string(kind), func(t *testing.T) {
			e := newEnv(t, kind, orderstest.Config{Latency: 2 * time.Millisecond})
			const n = 60
			var ids []string
			for i := range n {
				b := e.book(true)
				ids = append(ids, b.ID)
				script(e, b, i)
			}
			client := e.client(2 * time.Second)
			for i := range 2 {
				cfg := e.workerConfig(client)
				cfg.Senders, cfg.Owner = 4, fmt.Sprintf("worker-%d", i+1)
				e.start(orders.NewWorker(cfg))
			}
			e.waitDrained(30 * time.Second)
			checkDelivered(t, e, ids)
			if a, u := e.fake.Attempts(), len(e.fake.Updates()); a != u {
				t.Errorf("fake saw %d requests for %d changes", a, u)
			}
		})
	}
}

func TestOneTokenServesManyUpdates(t *testing.T) {
	e := newEnv(t, kindMemory, orderstest.Config{})
	var ids []string
	for range 50 {
		b := e.book(true)
		ids = append(ids, b.ID)
		e.setStatus(b.ID, booking.StatusCancelled, "")
	}
	stop := e.start(orders.NewWorker(e.workerConfig(e.client(2 * time.Second))))
	e.waitDrained(20 * time.Second)
	stop()
	checkDelivered(t, e, ids)
	if n := len(e.fake.Updates()); n != 50 {
		t.Errorf("%d updates, want 50", n)
	}
	if n := e.fake.TokenRequests(); n != 1 {
		t.Errorf("token endpoint hit %d times for 50 updates, want 1", n)
	}
	if got := e.metric("orders_token_refreshes_total"); got != 1 {
		t.Errorf("orders_token_refreshes_total = %v, want 1", got)
	}
}

func TestWithoutCredentialsNothingIsSent(t *testing.T) {
	e := newEnv(t, kindMemory, orderstest.Config{})
	var ids []string
	for range 3 {
		b := e.book(true)
		ids = append(ids, b.ID)
		e.setStatus(b.ID, booking.StatusCancelled, "")
	}
	var logs testsupport.LogBuffer
	cfg := e.workerConfig(nil)
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	stop := e.start(orders.NewWorker(cfg))
	time.Sleep(300 * time.Millisecond)
	stop()
	if n := e.fake.Attempts(); n != 0 {
		t.Errorf("fake received %d requests without credentials", n)
	}
	for _, id := range ids {
		for _, x := range e.entries(id) {
			if x.State != booking.DeliveryPending || x.Attempts != 0 {
				t.Errorf("%s: state %s attempts %d, want PENDING untouched", x.ID, x.State, x.Attempts)
			}
		}
	}
	if got := e.metric("orders_outbox_depth"); got != 6 {
		t.Errorf("orders_outbox_depth = %v, want 6 queued", got)
	}
	if got := e.metric("orders_outbox_oldest_age_seconds"); got <= 0 {
		t.Errorf("orders_outbox_oldest_age_seconds = %v, want > 0", got)
	}
	out := logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "WARNING: order updates are not sent") ||
		!strings.Contains(out, "GOOGLE_APPLICATION_CREDENTIALS is not set") {
		t.Errorf("no start-up warning saying why; logs:\n%s", out)
	}
}

func TestWorkerSkipsBookingsWithoutGoogleOrder(t *testing.T) {
	e := newEnv(t, kindMemory, orderstest.Config{})
	plain := e.book(false)
	e.setStatus(plain.ID, booking.StatusCancelled, "")
	google := e.book(true)
	stop := e.start(orders.NewWorker(e.workerConfig(e.client(time.Second))))
	e.waitDrained(5 * time.Second)
	stop()
	for _, id := range []string{plain.ID, google.ID} {
		for _, x := range e.entries(id) {
			if x.State != booking.DeliveryDelivered {
				t.Errorf("%s: state %s, want DELIVERED (acknowledged without sending)", x.ID, x.State)
			}
		}
	}
	if n := e.fake.Attempts(); n != 0 {
		t.Errorf("fake received %d requests; neither a booking without Google order nor a creation is sent", n)
	}
	if got := e.metric("orders_outbox_entries_total", "outcome", "skipped"); got != 3 {
		t.Errorf("skipped = %v, want 3", got)
	}
}

func TestWorkerFinishesInFlightSendOnShutdown(t *testing.T) {
	e := newEnv(t, kindMemory, orderstest.Config{Latency: 400 * time.Millisecond})
	b := e.book(true)
	e.setStatus(b.ID, booking.StatusCancelled, "")
	w := orders.NewWorker(e.workerConfig(e.client(2 * time.Second)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for e.fake.Attempts() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("nothing sent")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	// Run returned only after the slow send finished and was acknowledged.
	if x := e.entries(b.ID)[1]; x.State != booking.DeliveryDelivered {
		t.Errorf("state %s after shutdown, want DELIVERED", x.State)
	}
	if n := len(e.fake.Updates()); n != 1 {
		t.Errorf("%d updates applied", n)
	}
}

// TestLastUpdateTimeIncreasesDespiteClockSkew writes changes whose UpdatedAt go backwards, as if made on machines
// whose clocks disagree: Google must still see strictly increasing lastUpdateTime values.
func TestLastUpdateTimeIncreasesDespiteClockSkew(t *testing.T) {
	e := newEnv(t, kindMemory, orderstest.Config{})
	b := e.book(true)
	ctx := context.Background()
	// Write three changes whose UpdatedAt go backwards (a second instance with a slow clock made them).
	base := b.UpdatedAt
	cur := b
	for i, st := range []booking.Status{booking.StatusChangeRequested, booking.StatusConfirmed, booking.StatusCancelled} {
		nb := cur
		nb.Status, nb.Version = st, cur.Version+1
		nb.UpdatedAt = base.Add(-time.Duration(i+1) * time.Second)
		entry := booking.OutboxEntry{ID: fmt.Sprintf("%s.%d", nb.ID, nb.Version), BookingID: nb.ID, Seq: nb.Version,
			Kind: booking.ChangeStatus, Booking: nb, CreatedAt: e.clock.Now().UTC(), NextAttemptAt: e.clock.Now().UTC(),
			State: booking.DeliveryPending}
		err := e.store.Commit(ctx, &booking.Mutation{MerchantID: nb.MerchantID, Now: e.clock.Now(), Booking: &nb,
			ExpectVersion: cur.Version, Outbox: []booking.OutboxEntry{entry}})
		if err != nil {
			t.Fatalf("commit: %v", err)
		}
		cur = nb
	}
	stop := e.start(orders.NewWorker(e.workerConfig(e.client(time.Second))))
	e.waitDrained(5 * time.Second)
	stop()
	ups := e.fake.UpdatesFor(b.ID)
	if len(ups) != 3 {
		t.Fatalf("%d updates, want 3", len(ups))
	}
	ms := time.Millisecond
	want := []time.Time{base.Add(ms), base.Add(2 * ms), base.Add(3 * ms)}
	for i, u := range ups {
		got, _ := time.Parse(time.RFC3339Nano, u.LastUpdateTime)
		if !got.Equal(want[i]) {
			t.Errorf("update %d: lastUpdateTime %s, want %s (previous + 1 ms)", i, got, want[i])
		}
	}
}

func TestWorkerRunsFulfilSweep(t *testing.T) {
	e := newEnv(t, kindMemory, orderstest.Config{})
	b := e.book(true)
	// Three days later the dinner is over (plus the merchant's grace).
	e.clock.Advance(72 * time.Hour)
	cfg := e.workerConfig(e.client(time.Second))
	cfg.FulfillEvery = time.Hour
	stop := e.start(orders.NewWorker(cfg))
	if !e.fake.WaitUpdates(1, 5*time.Second) {
		t.Fatal("no update after the sweep")
	}
	stop()
	u := e.fake.UpdatesFor(b.ID)
	if len(u) != 1 || u[0].Status != "FULFILLED" || u[0].Notification == nil || u[0].Notification.Title != "Thanks for visiting" {
		t.Errorf("updates %+v, want one FULFILLED with a notification", u)
	}
	got, err := e.core.Booking(context.Background(), b.ID)
	if err != nil || got.Status != booking.StatusFulfilled {
		t.Errorf("booking %v %v, want FULFILLED", got.Status, err)
	}
}

func TestRunRequiresCore(t *testing.T) {
	if err := orders.NewWorker(orders.WorkerConfig{}).Run(context.Background()); err == nil {
		t.Error("Run without a core succeeded")
	}
}

// seed writes n Assistant bookings straight into the store, each with its CREATED entry and, when cancel is
// set, a second version (CANCELLED) with its STATUS entry: n updates for the worker to send. Writes run on a
// few goroutines so that Redis setups stay short.
func seed(tb testing.TB, st booking.Store, prefix string, n int, cancel bool) []string {
	tb.Helper()
	ids := make([]string, n)
	now := time.Now().UTC().Truncate(time.Millisecond)
	start := now.Add(72 * time.Hour).Truncate(time.Hour)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			ctx := context.Background()
			for i := g; i < n; i += 8 {
				id := fmt.Sprintf("%s%06d", prefix, i)
				ids[i] = id
				b := booking.Booking{ID: id, ConfirmationCode: "BENCH2", MerchantID: "sample-bistro", ServiceID: "dinner",
					Customer: booking.Customer{Name: "Bench Guest", UserID: "u-" + id}, PartySize: 2, Start: start,
					End: start.Add(90 * time.Minute), Day: start.In(losAngeles).Format(time.DateOnly),
					Status: booking.StatusConfirmed, Version: 1, Source: booking.SourceAssistant, GoogleOrderID: "G-" + id,
					CreatedAt: now, UpdatedAt: now}
				if err := st.Commit(ctx, &booking.Mutation{MerchantID: b.MerchantID, Now: now, Booking: &b,
					Outbox: []booking.OutboxEntry{outboxEntry(b, booking.ChangeCreated, now)}}); err != nil {
					errs <- err
					return
				}
				if cancel {
					if err := commitChange(ctx, st, b, booking.StatusCancelled, now); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatalf("seed: %v", err)
	}
	return ids
}

func outboxEntry(b booking.Booking, kind booking.ChangeKind, now time.Time) booking.OutboxEntry {
	return booking.OutboxEntry{ID: fmt.Sprintf("%s.%d", b.ID, b.Version), BookingID: b.ID, Seq: b.Version, Kind: kind,
		Booking: b, CreatedAt: now, NextAttemptAt: now, State: booking.DeliveryPending}
}

// commitChange writes the next version of b with status and its STATUS entry.
func commitChange(ctx context.Context, st booking.Store, b booking.Booking, status booking.Status, now time.Time) error {
	nb := b
	nb.Status, nb.Version, nb.UpdatedAt = status, b.Version+1, now
	return st.Commit(ctx, &booking.Mutation{MerchantID: b.MerchantID, Now: now, Booking: &nb, ExpectVersion: b.Version,
		Outbox: []booking.OutboxEntry{outboxEntry(nb, booking.ChangeStatus, now)}})
}

// ackAll delivers every due entry of the store directly (setup: the creations' entries, acknowledged long
// before later changes in real life).
func ackAll(tb testing.TB, st booking.Store) {
	tb.Helper()
	ctx := context.Background()
	for {
		es, err := st.ClaimOutbox(ctx, "bench-setup", 500, time.Minute, time.Now())
		if err != nil {
			tb.Fatalf("setup claim: %v", err)
		}
		if len(es) == 0 {
			return
		}
		for _, e := range es {
			if err := st.AckOutbox(ctx, e.ID, "bench-setup", time.Now()); err != nil {
				tb.Fatalf("setup ack: %v", err)
			}
		}
	}
}

// BenchmarkDrain10000 measures how long 10,000 queued updates (one cancellation each of 10,000 Assistant
// bookings whose creation was acknowledged long ago) take to reach a local fake Orders API with the default
// configuration (8 senders). ORDERS_BENCH_N and ORDERS_BENCH_SENDERS change the count and the senders.
func BenchmarkDrain10000(b *testing.B) {
	for _, kind := range []storeKind{kindMemory, kindRedis, kindBolt} {
		b.Run(string(kind), func(b *testing.B) {
			n := 10000
			if v, err := strconv.Atoi(os.Getenv("ORDERS_BENCH_N")); err == nil && v > 0 {
				n = v
			}
			var total time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				e := newEnv(b, kind, orderstest.Config{})
				ids := seed(b, e.store, fmt.Sprintf("d%d-", i), n, false)
				ackAll(b, e.store)
				changeAll(b, e.store, ids)
				cfg := e.workerConfig(e.client(5 * time.Second))
				cfg.Senders, cfg.PollInterval = orders.DefaultSenders, orders.DefaultPollInterval
				if v, err := strconv.Atoi(os.Getenv("ORDERS_BENCH_SENDERS")); err == nil && v > 0 {
					cfg.Senders = v
				}
				w := orders.NewWorker(cfg)
				b.StartTimer()
				t0 := time.Now()
				stop := e.start(w)
				if !e.fake.WaitUpdates(n, 10*time.Minute) {
					b.Fatalf("only %d of %d updates arrived", len(e.fake.Updates()), n)
				}
				total += time.Since(t0)
				b.StopTimer()
				stop()
				if d := e.fake.Duplicates(); len(d) > 0 {
					b.Fatalf("%d duplicates", len(d))
				}
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/drain")
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "updates/s")
		})
	}
}

// changeAll cancels every booking (version 1 → 2) with its STATUS entry, on a few goroutines.
func changeAll(tb testing.TB, st booking.Store, ids []string) {
	tb.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			ctx := context.Background()
			for i := g; i < len(ids); i += 8 {
				bk, err := st.Booking(ctx, ids[i])
				if err == nil {
					err = commitChange(ctx, st, bk, booking.StatusCancelled, time.Now().UTC().Truncate(time.Millisecond))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatalf("change: %v", err)
	}
}

// BenchmarkIdleLatency measures, on an idle queue with the default poll interval, the time from a committed
// change to its PATCH arriving at the fake; it reports p50, p99 and max over 60 changes made at random moments.
func BenchmarkIdleLatency(b *testing.B) {
	for _, kind := range []storeKind{kindMemory, kindRedis} {
		b.Run(string(kind), func(b *testing.B) {
			const samples = 60
			var lat []time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				e := newEnv(b, kind, orderstest.Config{})
				ids := seed(b, e.store, fmt.Sprintf("l%d-", i), samples, false)
				cfg := e.workerConfig(e.client(5 * time.Second))
				cfg.Senders, cfg.PollInterval = orders.DefaultSenders, orders.DefaultPollInterval
				stop := e.start(orders.NewWorker(cfg))
				e.waitDrained(30 * time.Second) // the creations are acknowledged without sending
				b.StartTimer()
				ctx := context.Background()
				for k, id := range ids {
					// Land at a random phase of the poll cycle.
					time.Sleep(time.Duration(k*37%150) * time.Millisecond)
					bk, err := e.store.Booking(ctx, id)
					if err != nil {
						b.Fatal(err)
					}
					t0 := time.Now()
					if err := commitChange(ctx, e.store, bk, booking.StatusCancelled, t0.UTC().Truncate(time.Millisecond)); err != nil {
						b.Fatal(err)
					}
					if !e.fake.WaitUpdates(k+1, 10*time.Second) {
						b.Fatalf("update %d did not arrive", k)
					}
					lat = append(lat, e.fake.UpdatesFor(id)[0].ReceivedAt.Sub(t0))
				}
				b.StopTimer()
				stop()
			}
			slices.Sort(lat)
			pct := func(p float64) float64 { return lat[int(p*float64(len(lat)-1))].Seconds() * 1000 }
			b.ReportMetric(pct(0.5), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(lat[len(lat)-1].Seconds()*1000, "max-ms")
		})
	}
}

func TestSendable(t *testing.T) {
	tests := []struct {
		name   string
		source booking.Source
		order  string
		kind   booking.ChangeKind
		want   bool
	}{
		{"an Assistant booking's cancellation", booking.SourceAssistant, "G-1", booking.ChangeStatus, true},
		{"an Assistant booking without a Google order id", booking.SourceAssistant, "", booking.ChangeStatus, true},
		{"its creation (the receipt showed it)", booking.SourceAssistant, "G-1", booking.ChangeCreated, false},
		{"a booking made by staff", booking.SourceAdmin, "", booking.ChangeStatus, false},
		{"a console booking", booking.SourceConversation, "", booking.ChangeStatus, false},
		{"a Google order id from any source", booking.SourceAdmin, "G-2", booking.ChangeReschedule, true},
	}
	for _, tc := range tests {
		e := booking.OutboxEntry{Kind: tc.kind, Booking: booking.Booking{Source: tc.source, GoogleOrderID: tc.order}}
		if got := orders.Sendable(e); got != tc.want {
			t.Errorf("%s: Sendable = %v, want %v", tc.name, got, tc.want)
		}
	}
}
