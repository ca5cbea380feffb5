package orders_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	goredis "github.com/redis/go-redis/v9"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/bolt"
	"github.com/reservations/reservations/booking/memory"
	bredis "github.com/reservations/reservations/booking/redis"
	"github.com/reservations/reservations/internal/testsupport"
	"github.com/reservations/reservations/orders"
	"github.com/reservations/reservations/orders/orderstest"
)

// storeKind names a store implementation the worker tests run against.
type storeKind string

const (
	kindMemory storeKind = "memory"
	kindBolt   storeKind = "bolt"
	kindRedis  storeKind = "redis"
)

func redisURL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// openRedis opens a Redis store under a fresh key prefix and deletes the prefix's keys when the test ends.
func openRedis(tb testing.TB) booking.Store {
	tb.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "orders-test-" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := bredis.Open(ctx, redisURL(), bredis.Options{Prefix: prefix, Timeout: 2 * time.Second})
	if err != nil {
		testsupport.SkipUnlessCI(tb, fmt.Sprintf("redis at %s unusable: %v", redisURL(), err))
	}
	tb.Cleanup(func() {
		_ = st.Close()
		deleteRedisPrefix(tb, prefix)
	})
	return st
}

// deleteRedisPrefix removes every key the store wrote under prefix (global and per-merchant hash-tagged keys).
func deleteRedisPrefix(tb testing.TB, prefix string) {
	o, err := goredis.ParseURL(redisURL())
	if err != nil {
		tb.Errorf("REDIS_URL: %v", err)
		return
	}
	c := goredis.NewClient(o)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, pattern := range []string{prefix + ":*", "{" + prefix + ":*"} {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		var batch []string
		flush := func() {
			if len(batch) > 0 {
				if err := c.Unlink(ctx, batch...).Err(); err != nil {
					tb.Errorf("cleanup: %v", err)
				}
				batch = batch[:0]
			}
		}
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == 500 {
				flush()
			}
		}
		flush()
		if err := iter.Err(); err != nil {
			tb.Errorf("cleanup scan: %v", err)
		}
	}
}

// openStore opens an empty store of the kind, closed when the test ends.
func openStore(tb testing.TB, kind storeKind) booking.Store {
	tb.Helper()
	switch kind {
	case kindBolt:
		st, err := bolt.Open(filepath.Join(tb.TempDir(), "orders.db"), bolt.Options{})
		if err != nil {
			tb.Fatalf("open bolt: %v", err)
		}
		tb.Cleanup(func() { _ = st.Close() })
		return st
	case kindRedis:
		return openRedis(tb)
	default:
		st := memory.New()
		tb.Cleanup(func() { _ = st.Close() })
		return st
	}
}

// env is a booking core over a store, a fake Orders API and the metrics registry of one test.
type env struct {
	tb    testing.TB
	core  *booking.Core
	store booking.Store
	fake  *orderstest.Server
	reg   *prometheus.Registry
	clock *testsupport.OffsetClock
	n     atomic.Int64 // bookings made, for distinct slots and users
}

func newEnv(tb testing.TB, kind storeKind, fc orderstest.Config) *env {
	tb.Helper()
	st := openStore(tb, kind)
	clk := &testsupport.OffsetClock{}
	core, err := booking.NewService(booking.Config{Store: st, Now: clk.Now})
	if err != nil {
		tb.Fatalf("core: %v", err)
	}
	return &env{tb: tb, core: core, store: st, fake: orderstest.NewTB(tb, fc), reg: prometheus.NewRegistry(), clock: clk}
}

// client is an Orders API client for the fake, authenticated with a key file whose token_uri is the fake's.
func (e *env) client(timeout time.Duration) *orders.Client {
	e.tb.Helper()
	creds, err := orders.LoadCredentials(e.fake.WriteServiceAccountKey(e.tb))
	if err != nil {
		e.tb.Fatalf("credentials: %v", err)
	}
	c, err := orders.NewClient(orders.ClientConfig{
		BaseURL:     e.fake.URL,
		TokenSource: orders.NewTokenSource(creds, orders.TokenConfig{Registerer: e.reg}),
		Timeout:     timeout,
		Registerer:  e.reg,
	})
	if err != nil {
		e.tb.Fatalf("client: %v", err)
	}
	return c
}

// workerConfig is a configuration with fast retries for tests.
func (e *env) workerConfig(c *orders.Client) orders.WorkerConfig {
	return orders.WorkerConfig{
		Core:         e.core,
		Store:        e.store,
		Client:       c,
		Sandbox:      true,
		PollInterval: 20 * time.Millisecond,
		Lease:        5 * time.Second,
		BackoffBase:  5 * time.Millisecond,
		BackoffCap:   40 * time.Millisecond,
		FulfillEvery: -1,
		Registerer:   e.reg,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// start runs w until the returned stop function is called; stop waits for Run to return.
func (e *env) start(w *orders.Worker) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var stopped atomic.Bool
	stop = func() {
		if stopped.Swap(true) {
			return
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				e.tb.Errorf("Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			e.tb.Errorf("Run did not return after cancellation")
		}
	}
	e.tb.Cleanup(stop)
	return stop
}

var losAngeles = func() *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		panic(err)
	}
	return loc
}()

// slot returns the i-th distinct start time of the sample merchant (one per start time, from two days ahead).
func (e *env) slot(i int) time.Time {
	now := e.clock.Now().In(losAngeles)
	day := time.Date(now.Year(), now.Month(), now.Day()+2+i/15, 17, 0, 0, 0, losAngeles)
	return day.Add(time.Duration(i%15) * 15 * time.Minute)
}

// book makes a booking of the sample merchant through a hold; google decides whether it is an Assistant
// transaction with a Google order.
func (e *env) book(google bool) booking.Booking {
	e.tb.Helper()
	i := int(e.n.Add(1) - 1)
	ctx := context.Background()
	h, err := e.core.PlaceHold(ctx, booking.HoldRequest{MerchantID: "sample-bistro", ServiceID: "dinner",
		Start: e.slot(i), PartySize: 2, UserID: fmt.Sprintf("user-%d", i)})
	if err != nil {
		e.tb.Fatalf("hold %d: %v", i, err)
	}
	req := booking.ConfirmRequest{MerchantID: "sample-bistro", HoldID: h.ID,
		Customer: booking.Customer{Name: "Test Guest", Email: "guest@example.com", UserID: fmt.Sprintf("user-%d", i)},
		Source:   booking.SourceConversation}
	if google {
		req.Source, req.GoogleOrderID = booking.SourceAssistant, "GOOGLE-"+h.ID
	}
	b, err := e.core.ConfirmHold(ctx, req)
	if err != nil {
		e.tb.Fatalf("confirm %d: %v", i, err)
	}
	return b
}

// setStatus changes a booking's status through the core.
func (e *env) setStatus(id string, s booking.Status, reason string) booking.Booking {
	e.tb.Helper()
	b, err := e.core.SetStatus(context.Background(), booking.StatusRequest{BookingID: id, Status: s, Reason: reason})
	if err != nil {
		e.tb.Fatalf("set %s to %s: %v", id, s, err)
	}
	return b
}

// update reschedules and/or resizes a booking through the core.
func (e *env) update(id string, start time.Time, party int) booking.Booking {
	e.tb.Helper()
	b, err := e.core.Update(context.Background(), booking.UpdateRequest{BookingID: id, Start: start, PartySize: party})
	if err != nil {
		e.tb.Fatalf("update %s: %v", id, err)
	}
	return b
}

// waitDrained waits until the outbox has nothing pending or in flight.
func (e *env) waitDrained(timeout time.Duration) {
	e.tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		depth, _, err := e.store.OutboxStats(context.Background())
		if err == nil && depth == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.tb.Fatalf("outbox not drained after %s: depth %d, err %v", timeout, depth, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// entries returns the outbox entries of a booking.
func (e *env) entries(id string) []booking.OutboxEntry {
	e.tb.Helper()
	es, err := e.store.OutboxByBooking(context.Background(), id)
	if err != nil {
		e.tb.Fatalf("outbox of %s: %v", id, err)
	}
	return es
}

// metric returns the value of a counter or gauge (with the label pairs given) in the registry, or -1.
func (e *env) metric(name string, labels ...string) float64 {
	e.tb.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		e.tb.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if !hasLabels(m, labels) {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return -1
}

func hasLabels(m *dto.Metric, pairs []string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			if l.GetName() == pairs[i] && l.GetValue() == pairs[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}
