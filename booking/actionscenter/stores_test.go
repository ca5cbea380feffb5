package actionscenter_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/actionscenter"
	"github.com/reservations/reservations/booking/bolt"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/booking/redis"
	"github.com/reservations/reservations/internal/testsupport"
)

// storeKind opens a fresh, empty store for a test or benchmark; it is closed and emptied at cleanup.
type storeKind struct {
	name string
	open func(t testing.TB) booking.Store
}

func storeKinds() []storeKind {
	return []storeKind{
		{"memory", func(testing.TB) booking.Store { return memory.New() }},
		{"bolt", openBolt},
		{"redis", openRedis},
	}
}

func openBolt(t testing.TB) booking.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "reservations.db"), bolt.Options{})
	if err != nil {
		t.Fatalf("open bolt store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func redisURL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// openRedis opens the Redis store under a unique key prefix, skipping the test when Redis is unreachable
// (failing it when CI=true), and deletes the prefix's keys at cleanup.
func openRedis(t testing.TB) booking.Store {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	prefix := "actest" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := redis.Open(ctx, redisURL(), redis.Options{Prefix: prefix, Timeout: 5 * time.Second})
	if err != nil {
		testsupport.SkipUnlessCI(t, fmt.Sprintf("redis unreachable: %v", err))
	}
	t.Cleanup(func() {
		_ = s.Close()
		deleteRedisPrefix(t, prefix)
	})
	return s
}

// deleteRedisPrefix removes every key the store wrote under prefix (plain and hash-tagged keys).
func deleteRedisPrefix(t testing.TB, prefix string) {
	opts, err := goredis.ParseURL(redisURL())
	if err != nil {
		t.Errorf("cleanup: %v", err)
		return
	}
	c := goredis.NewClient(opts)
	defer func() { _ = c.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, pattern := range []string{prefix + ":*", "{" + prefix + ":*"} {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("cleanup scan: %v", err)
		}
		for len(keys) > 0 {
			n := min(len(keys), 500)
			if err := c.Unlink(ctx, keys[:n]...).Err(); err != nil {
				t.Errorf("cleanup: %v", err)
			}
			keys = keys[n:]
		}
	}
}

// raceStart is a dinner start time of the sample merchant: 2020-11-27 19:00 in Los Angeles.
var raceStart = time.Date(2020, 11, 28, 3, 0, 0, 0, time.UTC)

// TestCreateBookingRace sends 100 concurrent CreateBooking calls for parties of 2 at one start time of the
// sample merchant (40 covers) over real HTTP, on every store: exactly 20 are booked, the other 80 get
// SLOT_UNAVAILABLE, and the store holds exactly 20 active bookings.
func TestCreateBookingRace(t *testing.T) {
	for _, kind := range storeKinds() {
		t.Run(kind.name, func(t *testing.T) {
			e := newEnv(t, envOptions{store: kind.open(t), inventory: booking.SampleInventory()})
			ts := httptest.NewServer(e.h)
			defer ts.Close()
			const callers = 100
			var (
				wg     sync.WaitGroup
				mu     sync.Mutex
				booked = map[string]bool{}
				causes = map[actionscenter.FailureCause]int{}
				errs   []string
			)
			for i := range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					body := fmt.Sprintf(`{"idempotency_token":"race-%d","slot":{"merchant_id":"sample-bistro","service_id":"dinner","start_sec":"%d","duration_sec":"5400","resources":{"party_size":2}},"user_information":{"user_id":"racer-%d","given_name":"R","family_name":"Acer","email":"r@example.com"}}`, i, raceStart.Unix(), i)
					// Like Google, retry (with the same idempotency token) when the server answers 503.
					var (
						resp *http.Response
						data []byte
					)
					for attempt := 0; attempt < 3; attempt++ {
						req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v3/CreateBooking/", bytes.NewReader([]byte(body)))
						req.SetBasicAuth(credCur.User, credCur.Password)
						var err error
						resp, err = ts.Client().Do(req)
						if err != nil {
							mu.Lock()
							errs = append(errs, err.Error())
							mu.Unlock()
							return
						}
						data, _ = io.ReadAll(resp.Body)
						_ = resp.Body.Close()
						if resp.StatusCode != http.StatusServiceUnavailable {
							break
						}
					}
					mu.Lock()
					defer mu.Unlock()
					if resp.StatusCode != http.StatusOK {
						errs = append(errs, fmt.Sprintf("HTTP %d: %s", resp.StatusCode, data))
						return
					}
					var r actionscenter.CreateBookingResponse
					if err := actionscenter.Decode(data, &r); err != nil {
						errs = append(errs, err.Error())
						return
					}
					if r.BookingFailure != nil {
						causes[r.BookingFailure.Cause]++
						return
					}
					booked[r.Booking.BookingID] = true
				}()
			}
			wg.Wait()
			if len(errs) > 0 {
				t.Fatalf("%d calls failed, first: %s", len(errs), errs[0])
			}
			if len(booked) != 20 || causes[actionscenter.CauseSlotUnavailable] != 80 || len(causes) != 1 {
				t.Fatalf("booked %d, failures %v; want 20 booked and 80 SLOT_UNAVAILABLE", len(booked), causes)
			}
			day, err := e.core.Day(context.Background(), "sample-bistro", "2020-11-27")
			if err != nil {
				t.Fatal(err)
			}
			covers := 0
			for _, b := range day {
				if b.Active() {
					covers += b.PartySize
				}
			}
			if len(day) != 20 || covers != 40 {
				t.Errorf("store holds %d bookings with %d covers, want 20 with 40", len(day), covers)
			}
		})
	}
}

// TestReferenceSamplesOnStores replays the reference samples on the persistent stores too.
func TestReferenceSamplesOnStores(t *testing.T) {
	for _, kind := range storeKinds()[1:] {
		t.Run(kind.name, func(t *testing.T) {
			e := newEnv(t, envOptions{store: kind.open(t), ids: []string{"890"}})
			for _, s := range []struct{ rpc, req, resp string }{
				{"BatchAvailabilityLookup", "batch_availability_lookup_request.json", "batch_availability_lookup_response.json"},
				{"CreateBooking", "create_booking_request.json", "create_booking_response.json"},
				{"CreateBooking", "create_booking_request.json", "create_booking_response.json"},
				{"ListBookings", "list_bookings_request.json", "list_bookings_response.json"},
				{"UpdateBooking", "update_booking_reschedule_request.json", "update_booking_reschedule_response.json"},
				{"UpdateBooking", "update_booking_party_size_request.json", "update_booking_party_size_response.json"},
				{"UpdateBooking", "update_booking_cancel_request.json", "update_booking_cancel_response.json"},
				{"UpdateBooking", "update_booking_cancel_request.json", "update_booking_cancel_again_response.json"},
				{"ListBookings", "list_bookings_request.json", "list_bookings_empty_response.json"},
			} {
				jsonEqual(t, s.req, e.postOK(s.rpc, fixture(t, s.req)), fixture(t, s.resp))
			}
		})
	}
}
