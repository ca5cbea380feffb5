package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder collects the shutdown events of the fakes in the order they happen.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(e string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// fakeHTTP serves until ctx is cancelled, then takes a while to drain, as an http.Server with a request in
// flight does.
func fakeHTTP(rec *recorder, drain time.Duration) func(context.Context) error {
	return func(ctx context.Context) error {
		<-ctx.Done()
		time.Sleep(drain)
		rec.add("http drained")
		return nil
	}
}

type fakeWorker struct {
	rec  *recorder
	name string
	err  error         // returned at once when set
	stop time.Duration // how long stopping takes
	deaf bool          // ignores cancellation
}

func (w *fakeWorker) Run(ctx context.Context) error {
	if w.err != nil {
		return w.err
	}
	if w.deaf {
		select {}
	}
	<-ctx.Done()
	time.Sleep(w.stop)
	w.rec.add("worker " + w.name + " stopped")
	return nil
}

type fakeStore struct {
	rec *recorder
	err error
}

func (s *fakeStore) Close() error {
	s.rec.add("store closed")
	return s.err
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestShutdownOrder(t *testing.T) {
	rec := &recorder{}
	p := &process{
		log:       quietLogger(),
		serveHTTP: fakeHTTP(rec, 100*time.Millisecond),
		workers: []namedWorker{
			{"a", &fakeWorker{rec: rec, name: "a", stop: 20 * time.Millisecond}},
			{"b", &fakeWorker{rec: rec, name: "b"}},
		},
		store:       &fakeStore{rec: rec},
		stopTimeout: 5 * time.Second,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.run(ctx) }()
	time.Sleep(50 * time.Millisecond)
	if got := rec.list(); len(got) != 0 {
		t.Fatalf("events before shutdown: %v", got)
	}
	cancel() // SIGTERM
	if err := <-done; err != nil {
		t.Fatalf("run = %v, want nil", err)
	}
	got := rec.list()
	want := []string{"http drained", "worker b stopped", "worker a stopped", "store closed"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("shutdown order = %v, want %v", got, want)
	}
}

func TestWorkerOnlyShutdown(t *testing.T) {
	rec := &recorder{}
	p := &process{
		log:         quietLogger(),
		workers:     []namedWorker{{"orders", &fakeWorker{rec: rec, name: "orders"}}},
		store:       &fakeStore{rec: rec},
		stopTimeout: time.Second,
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.run(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.list(), []string{"worker orders stopped", "store closed"}; !reflect.DeepEqual(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func TestFailingWorkerStopsTheProcess(t *testing.T) {
	rec := &recorder{}
	p := &process{
		log:       quietLogger(),
		serveHTTP: fakeHTTP(rec, 0),
		workers: []namedWorker{
			{"broken", &fakeWorker{rec: rec, err: errors.New("misconfigured")}},
			{"ok", &fakeWorker{rec: rec, name: "ok"}},
		},
		store:       &fakeStore{rec: rec},
		stopTimeout: time.Second,
	}
	err := p.run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "worker broken: misconfigured") {
		t.Fatalf("run = %v", err)
	}
	if got, want := rec.list(), []string{"http drained", "worker ok stopped", "store closed"}; !reflect.DeepEqual(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func TestHTTPFailureStopsWorkersAndClosesStore(t *testing.T) {
	rec := &recorder{}
	p := &process{
		log:         quietLogger(),
		serveHTTP:   func(context.Context) error { return errors.New("listen on 0.0.0.0:8080: address already in use") },
		workers:     []namedWorker{{"orders", &fakeWorker{rec: rec, name: "orders"}}},
		store:       &fakeStore{rec: rec},
		stopTimeout: time.Second,
	}
	err := p.run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("run = %v", err)
	}
	if got, want := rec.list(), []string{"worker orders stopped", "store closed"}; !reflect.DeepEqual(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func TestStuckWorkerLeavesStoreOpen(t *testing.T) {
	rec := &recorder{}
	p := &process{
		log:         quietLogger(),
		serveHTTP:   fakeHTTP(rec, 0),
		workers:     []namedWorker{{"stuck", &fakeWorker{rec: rec, deaf: true}}},
		store:       &fakeStore{rec: rec},
		stopTimeout: 50 * time.Millisecond,
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := p.run(ctx)
	if !errors.Is(err, errWorkersStuck) {
		t.Fatalf("run = %v, want errWorkersStuck", err)
	}
	if got := rec.list(); slices.Contains(got, "store closed") {
		t.Errorf("store closed while a worker may still use it: %v", got)
	}
}

func TestStoreCloseErrorIsReported(t *testing.T) {
	rec := &recorder{}
	p := &process{log: quietLogger(), store: &fakeStore{rec: rec, err: errors.New("sync failed")}, stopTimeout: time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.run(ctx); err == nil || !strings.Contains(err.Error(), "close store: sync failed") {
		t.Fatalf("run = %v", err)
	}
}
