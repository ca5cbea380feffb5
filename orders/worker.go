package orders

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reservations/reservations/booking"
)

// Worker defaults.
const (
	DefaultSenders      = 8
	DefaultPollInterval = 150 * time.Millisecond
	DefaultLease        = 2 * time.Minute
	DefaultBackoffBase  = time.Second
	DefaultBackoffCap   = 10 * time.Minute
	DefaultRetryFor     = 24 * time.Hour
	DefaultFulfillEvery = time.Minute
	// storeTimeout bounds each store call the worker makes.
	storeTimeout = 10 * time.Second
	// settleAttempts and settlePause bound how long the worker keeps trying to record a delivery's outcome
	// when the store fails: 4 calls, 3.5 s of pauses.
	settleAttempts = 4
	settlePause    = 500 * time.Millisecond
)

// WorkerConfig configures a [Worker]. Core and Store are required.
type WorkerConfig struct {
	// Core is the booking core: its inventory names merchants and services, its clock dates claims, and its
	// FulfillEnded sweep runs every FulfillEvery.
	Core *booking.Core
	// Store is the outbox the core's commits write to (the same store the core was built on).
	Store booking.Outbox
	// Client sends the updates. Nil is the "no credentials" mode: nothing is sent, updates stay queued in the
	// outbox (the depth gauge shows them) and Run logs a warning with NoCredentialsReason.
	Client *Client
	// NoCredentialsReason says why Client is nil, for the start-up warning.
	NoCredentialsReason string
	// Sandbox is header.isInSandbox of the updates of bookings that did not record their conversation's
	// flag (Booking.InSandbox nil: made before it was recorded); the service's RESERVATIONS_SANDBOX, true by
	// default there.
	Sandbox bool
	// Senders is how many updates are sent at the same time (DefaultSenders when zero).
	Senders int
	// ClaimBatch is how many entries one claim may lease (8 × Senders when zero). Claimed entries wait in a
	// local queue for a free sender; one that waited more than half its lease is handed back unsent, so that
	// it is never sent after another worker may have taken it over.
	ClaimBatch int
	// PollInterval is how long the worker waits before looking again when the queue has nothing due.
	PollInterval time.Duration
	// Lease is how long a claimed entry is reserved for this worker; another worker may take it over after.
	// Half of it must exceed the longest send (token fetch and PATCH, each with its timeout, twice on a 401):
	// DefaultLease (2 min) covers the default 10 s timeouts.
	Lease time.Duration
	// BackoffBase and BackoffCap bound the exponential backoff with full jitter between retries:
	// a delay drawn uniformly from [0, min(cap, base·2^(attempt-1))).
	BackoffBase, BackoffCap time.Duration
	// RetryFor is how long after an entry's CreatedAt retryable failures are retried before it goes dead.
	RetryFor time.Duration
	// FulfillEvery is the period of the automatic FULFILLED sweep (Core.FulfillEnded); negative disables it.
	FulfillEvery time.Duration
	// Owner names this worker's leases (default hostname-pid-random).
	Owner string
	// Registerer receives the worker's metrics (and the client's, if registered on the same one); nil
	// registers nothing.
	Registerer prometheus.Registerer
	// Logger receives booking ids, entry sequence numbers and status codes only (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (default Core.Now).
	Now func() time.Time
	// Jitter returns a number in [0, 1) for the backoff (default math/rand/v2).
	Jitter func() float64
}

// Worker drains the booking outbox into the Orders API: one PATCH per change of a booking that has a Google
// order, in order per booking, with retries, at least once and exactly once when nothing crashes between
// the API's answer and the acknowledgement.
type Worker struct {
	cfg    WorkerConfig
	store  booking.Outbox
	log    *slog.Logger
	now    func() time.Time
	jitter func() float64

	depth    prometheus.Gauge
	oldest   prometheus.Gauge
	delivery prometheus.Histogram
	outcomes *prometheus.CounterVec
}

// NewWorker returns a worker for cfg, with defaults filled in. Metrics are registered on cfg.Registerer now.
func NewWorker(cfg WorkerConfig) *Worker {
	if cfg.Senders <= 0 {
		cfg.Senders = DefaultSenders
	}
	if cfg.ClaimBatch <= 0 {
		cfg.ClaimBatch = 8 * cfg.Senders
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = DefaultBackoffBase
	}
	if cfg.BackoffCap <= 0 {
		cfg.BackoffCap = DefaultBackoffCap
	}
	if cfg.RetryFor <= 0 {
		cfg.RetryFor = DefaultRetryFor
	}
	if cfg.FulfillEvery == 0 {
		cfg.FulfillEvery = DefaultFulfillEvery
	}
	if cfg.Owner == "" {
		cfg.Owner = DefaultOwner()
	}
	w := &Worker{cfg: cfg, store: cfg.Store, log: cfg.Logger, now: cfg.Now, jitter: cfg.Jitter}
	if w.log == nil {
		w.log = slog.Default()
	}
	if w.now == nil {
		if cfg.Core != nil {
			w.now = cfg.Core.Now
		} else {
			w.now = time.Now
		}
	}
	if w.jitter == nil {
		w.jitter = mrand.Float64
	}
	reg := cfg.Registerer
	w.depth = register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "orders_outbox_depth",
		Help: "Order updates waiting in the outbox (pending or in flight).",
	}))
	w.oldest = register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "orders_outbox_oldest_age_seconds",
		Help: "Age of the oldest order update waiting in the outbox; 0 when it is empty.",
	}))
	w.delivery = register(reg, prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "orders_update_delivery_seconds",
		Help:    "Time from a booking change to the Orders API's acknowledgement of its update.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600},
	}))
	w.outcomes = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "orders_outbox_entries_total",
		Help: "Outbox entries the worker finished with, by outcome: sent, skipped (no Google order, or the creation the receipt already showed), dead.",
	}, []string{"outcome"}))
	return w
}

// DefaultOwner is a lease owner name unique to this process: hostname, pid and a random suffix.
func DefaultOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
}

// Owner is the name under which this worker leases outbox entries.
func (w *Worker) Owner() string { return w.cfg.Owner }

// Run works until ctx is cancelled, then waits for the sends in flight to finish and be acknowledged, and
// returns nil. It returns an error only when the worker is misconfigured.
func (w *Worker) Run(ctx context.Context) error {
	if w.cfg.Core == nil || w.store == nil {
		return errors.New("orders worker: WorkerConfig.Core and WorkerConfig.Store are required")
	}
	var wg sync.WaitGroup
	if w.cfg.FulfillEvery > 0 {
		wg.Go(func() { w.sweepLoop(ctx) })
	}
	if w.cfg.Client == nil {
		reason := w.cfg.NoCredentialsReason
		if reason == "" {
			reason = "no service-account key configured (" + CredentialsEnv + " is not set)"
		}
		w.log.Warn("WARNING: order updates are not sent to the Orders API; they stay queued in the outbox until the worker runs with credentials",
			"reason", reason)
		w.idleLoop(ctx)
	} else {
		w.log.Info("orders worker started", "owner", w.cfg.Owner, "senders", w.cfg.Senders, "sandbox", w.cfg.Sandbox)
		w.dispatch(ctx)
	}
	wg.Wait()
	w.log.Info("orders worker stopped", "owner", w.cfg.Owner)
	return nil
}

// idleLoop only keeps the outbox gauges current (no-credentials mode).
func (w *Worker) idleLoop(ctx context.Context) {
	t := time.NewTicker(w.cfg.PollInterval)
	defer t.Stop()
	for {
		w.updateStats(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweepLoop runs the automatic FULFILLED sweep now and then every FulfillEvery.
func (w *Worker) sweepLoop(ctx context.Context) {
	t := time.NewTicker(w.cfg.FulfillEvery)
	defer t.Stop()
	for {
		n, err := w.cfg.Core.FulfillEnded(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			w.log.Warn("automatic FULFILLED sweep failed", "err", err)
		case n > 0:
			w.log.Info("bookings fulfilled automatically", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// updateStats refreshes the outbox gauges.
func (w *Worker) updateStats(ctx context.Context) {
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	depth, oldest, err := w.store.OutboxStats(sctx)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Warn("outbox stats failed", "err", err)
		}
		return
	}
	w.depth.Set(float64(depth))
	age := 0.0
	if !oldest.IsZero() {
		age = max(0, w.now().Sub(oldest).Seconds())
	}
	w.oldest.Set(age)
}

// dispatch claims due entries into a local queue that the senders drain, until ctx is cancelled; then it
// waits for the sends in flight and hands the claimed entries no sender started back to the store.
//
// Entries are claimed in batches of up to ClaimBatch, topped up when the queue is half empty, so that a store
// answers one claim per several entries; a finished send also triggers a claim, because it may have unblocked
// the next change of its booking.
func (w *Worker) dispatch(ctx context.Context) {
	// Sends and acknowledgements outlive ctx so that a shutdown finishes what was started.
	bg := context.WithoutCancel(ctx)
	batch := w.cfg.ClaimBatch
	queue := make(chan claimed, batch)
	finished := make(chan struct{}, 1)
	var senders sync.WaitGroup
	for range w.cfg.Senders {
		senders.Go(func() {
			for c := range queue {
				if ctx.Err() != nil || w.now().Sub(c.at) > w.cfg.Lease/2 {
					w.release(bg, c.entry)
					continue
				}
				w.deliver(bg, c.entry)
				select {
				case finished <- struct{}{}:
				default:
				}
			}
		})
	}
	defer func() {
		close(queue)
		senders.Wait()
		w.updateStats(bg) // the gauges show what the shutdown left behind
	}()

	var lastStats time.Time
	claimErrLogged := false
	poll := time.NewTimer(0)
	defer poll.Stop()
	for ctx.Err() == nil {
		if time.Since(lastStats) >= w.cfg.PollInterval {
			w.updateStats(ctx)
			lastStats = time.Now()
		}
		room := batch - len(queue)
		if room < (batch+1)/2 {
			// Enough queued: wait until the senders have taken some.
			select {
			case <-ctx.Done():
			case <-finished:
			}
			continue
		}
		cctx, cancel := context.WithTimeout(bg, storeTimeout)
		now := w.now()
		entries, err := w.store.ClaimOutbox(cctx, w.cfg.Owner, room, w.cfg.Lease, now)
		cancel()
		switch {
		case err != nil && !claimErrLogged:
			w.log.Warn("outbox claim failed; retrying", "err", err)
			claimErrLogged = true
		case err == nil:
			claimErrLogged = false
		}
		for _, e := range entries {
			queue <- claimed{entry: e, at: now} // never blocks: at most room entries were claimed
		}
		if err == nil && len(entries) == room {
			continue // there may be more due
		}
		resetTimer(poll, w.cfg.PollInterval)
		select {
		case <-ctx.Done():
		case <-poll.C:
		case <-finished:
		}
	}
}

// claimed is an entry in the local queue, with the time its lease started.
type claimed struct {
	entry booking.OutboxEntry
	at    time.Time
}

// release hands a claimed entry that was never sent back to the store, due now, so that another worker (or this
// one) can take it without waiting for the lease to run out. (Its attempt count keeps the claim.)
func (w *Worker) release(ctx context.Context, e booking.OutboxEntry) {
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	if err := w.store.RetryOutbox(sctx, e.ID, w.cfg.Owner, w.now(), e.LastError); err != nil {
		w.log.Warn("releasing an unsent order update failed; it will be claimed again after its lease",
			"booking", e.BookingID, "seq", e.Seq, "err", err)
	}
}

// resetTimer stops t, drains it and starts it again for d.
func resetTimer(t *time.Timer, d time.Duration) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	t.Reset(d)
}

// deliver sends one claimed entry and records the outcome in the store.
func (w *Worker) deliver(ctx context.Context, e booking.OutboxEntry) {
	b := e.Booking
	log := w.log.With("booking", e.BookingID, "seq", e.Seq, "kind", string(e.Kind))
	if !Sendable(e) {
		if w.ack(ctx, log, e) {
			w.outcomes.WithLabelValues("skipped").Inc()
		}
		return
	}
	m, ok := w.cfg.Core.Inventory().Merchant(b.MerchantID)
	var s *booking.Service
	if ok {
		s, ok = m.Service(b.ServiceID)
	}
	if !ok {
		w.dead(ctx, log, e, fmt.Sprintf("merchant %q or service %q is not in the inventory", b.MerchantID, b.ServiceID))
		return
	}
	last, err := w.lastUpdateTime(ctx, e)
	if err != nil {
		w.retry(ctx, log, e, "store", fmt.Sprintf("read the booking's earlier updates: %v", err))
		return
	}
	req, err := NewPatch(m, s, e, last, w.cfg.Sandbox)
	if err != nil {
		w.dead(ctx, log, e, err.Error())
		return
	}
	err = w.cfg.Client.Patch(ctx, b.ID, req)
	var se *SendError
	switch {
	case err == nil:
		if w.ack(ctx, log, e) {
			w.outcomes.WithLabelValues("sent").Inc()
			w.delivery.Observe(max(0, w.now().Sub(e.CreatedAt).Seconds()))
			log.Debug("order update delivered")
		}
	case errors.As(err, &se) && se.Retryable:
		w.retry(ctx, log, e, se.Code, se.Error())
	case errors.As(err, &se):
		w.dead(ctx, log, e, se.Error())
	default:
		w.dead(ctx, log, e, err.Error())
	}
}

// Sendable reports whether an outbox entry becomes an Orders API update: only changes of bookings that have
// a Google order ([booking.Booking.HasGoogleOrder]; updates address the order by merchantOrderId, so they go out
// without a googleOrderId too), and not their creation, whose receipt the conversation already showed. The
// admin page shows the same rule.
func Sendable(e booking.OutboxEntry) bool {
	return e.Booking.HasGoogleOrder() && e.Kind != booking.ChangeCreated
}

// lastUpdateTime is the order.lastUpdateTime for e: its booking's UpdatedAt, but at least 1 ms after the value
// of the booking's previous change, so that Google sees the updates of one order strictly in order even when
// the clocks of several instances disagree. The value is computed again from the booking's outbox history,
// so a redelivery carries the same timestamp as the first attempt.
//
// The first change after the creation needs no store read: the creation (version 1) was stamped with the
// booking's CreatedAt, which every later version carries.
func (w *Worker) lastUpdateTime(ctx context.Context, e booking.OutboxEntry) (time.Time, error) {
	lut := e.Booking.UpdatedAt.UTC()
	switch {
	case e.Seq <= 1:
		return lut, nil
	case e.Seq == 2:
		return later(lut, e.Booking.CreatedAt.UTC()), nil
	}
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	history, err := w.store.OutboxByBooking(sctx, e.BookingID)
	if err != nil {
		return time.Time{}, fmt.Errorf("outbox of %s: %w", e.BookingID, err)
	}
	return chainTime(history, e), nil
}

// chainTime computes lastUpdateTime for e from the entries of its booking (in Seq order): each change's
// UpdatedAt, raised to 1 ms after the previous change's value.
func chainTime(history []booking.OutboxEntry, e booking.OutboxEntry) time.Time {
	var prev time.Time
	for _, h := range history {
		if h.Seq >= e.Seq {
			break
		}
		prev = later(h.Booking.UpdatedAt.UTC(), prev)
	}
	return later(e.Booking.UpdatedAt.UTC(), prev)
}

// later is t, or prev + 1 ms when t is not after prev (prev zero: t).
func later(t, prev time.Time) time.Time {
	if prev.IsZero() || t.After(prev) {
		return t
	}
	return prev.Add(time.Millisecond)
}

// ack marks e delivered and reports whether the store took it.
func (w *Worker) ack(ctx context.Context, log *slog.Logger, e booking.OutboxEntry) bool {
	err := w.settle(ctx, func(sctx context.Context) error { return w.store.AckOutbox(sctx, e.ID, w.cfg.Owner, w.now()) })
	if err != nil {
		log.Warn("acknowledging an order update failed; it will be sent again after its lease", "err", err)
		return false
	}
	return true
}

// retry schedules e again after a backoff, or makes it dead once RetryFor has passed since it was created.
func (w *Worker) retry(ctx context.Context, log *slog.Logger, e booking.OutboxEntry, code, msg string) {
	now := w.now()
	at := now.Add(Backoff(e.Attempts, w.cfg.BackoffBase, w.cfg.BackoffCap, w.jitter()))
	if at.After(e.CreatedAt.Add(w.cfg.RetryFor)) {
		w.dead(ctx, log, e, fmt.Sprintf("gave up after %d attempts in %s: %s", e.Attempts, w.cfg.RetryFor, msg))
		return
	}
	if err := w.settle(ctx, func(sctx context.Context) error { return w.store.RetryOutbox(sctx, e.ID, w.cfg.Owner, at, msg) }); err != nil {
		log.Warn("rescheduling an order update failed; it will be retried after its lease", "code", code, "err", err)
		return
	}
	log.Info("order update will be retried", "code", code, "attempts", e.Attempts, "in", at.Sub(now).Round(time.Millisecond))
}

// dead moves e to the dead letter with msg for staff.
func (w *Worker) dead(ctx context.Context, log *slog.Logger, e booking.OutboxEntry, msg string) {
	if err := w.settle(ctx, func(sctx context.Context) error { return w.store.DeadOutbox(sctx, e.ID, w.cfg.Owner, msg) }); err != nil {
		log.Warn("moving an order update to the dead letter failed; it will be retried after its lease", "err", err)
		return
	}
	w.outcomes.WithLabelValues("dead").Inc()
	log.Error("order update failed permanently", "attempts", e.Attempts, "error", msg)
}

// settle runs op, a store call that records what became of a delivery (delivered, retry later, dead), until it
// succeeds, fails with a *booking.Error (the lease is no longer this worker's), ctx ends or settleAttempts calls
// have failed, pausing settlePause, then twice as long, between calls. A store that fails for a moment (a Redis
// restarting answers LOADING for a few seconds) would otherwise leave the entry to its lease, and every later
// update of the booking would wait those minutes behind it.
func (w *Worker) settle(ctx context.Context, op func(context.Context) error) error {
	pause := settlePause
	for attempt := 1; ; attempt++ {
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		err := op(sctx)
		cancel()
		var be *booking.Error
		if err == nil || errors.As(err, &be) || attempt == settleAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
		pause *= 2
	}
}

// Backoff is the delay before retry number attempt (1 = after the first failure): exponential from base,
// capped, with full jitter (r in [0, 1) scales the whole delay).
func Backoff(attempt int, base, limit time.Duration, r float64) time.Duration {
	d := limit
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= 62 {
		if x := base << (attempt - 1); x > 0 && x>>(attempt-1) == base && x < limit {
			d = x
		}
	}
	return time.Duration(r * float64(d))
}
