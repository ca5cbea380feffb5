package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/internal/testsupport"
)

// testTimeout is generous: -race on two cores slows the client down.
const testTimeout = 3 * time.Second

func redisURL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// unreachable skips the test, or fails it under CI=true, when Redis cannot be used.
func unreachable(t testing.TB, format string, args ...any) {
	t.Helper()
	testsupport.SkipUnlessCI(t, fmt.Sprintf(format, args...))
}

// newClient connects to REDIS_URL with the options Open uses.
func newClient(t testing.TB) *goredis.Client {
	t.Helper()
	o, err := goredis.ParseURL(redisURL())
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	ClientOptions(o, testTimeout)
	o.PoolSize = 64
	c := goredis.NewClient(o)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		unreachable(t, "redis at %s unreachable: %v", redisURL(), err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func randomPrefix(t testing.TB) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "t" + hex.EncodeToString(b[:])
}

// deleteKeys removes every key of the prefix (global and per-merchant keys).
func deleteKeys(t testing.TB, c goredis.UniversalClient, prefix string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, pattern := range []string{prefix + ":*", "{" + prefix + ":*"} {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		var batch []string
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == 500 {
				if err := c.Unlink(ctx, batch...).Err(); err != nil {
					t.Errorf("cleanup: %v", err)
				}
				batch = batch[:0]
			}
		}
		if err := iter.Err(); err != nil {
			t.Errorf("cleanup scan: %v", err)
		}
		if len(batch) > 0 {
			if err := c.Unlink(ctx, batch...).Err(); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	}
}

// openStore returns an empty Store under a unique prefix on a client of its own; its keys are deleted at cleanup.
func openStore(t testing.TB) *Store {
	t.Helper()
	return openStoreWith(t, newClient(t), randomPrefix(t))
}

func openStoreWith(t testing.TB, c *goredis.Client, prefix string) *Store {
	t.Helper()
	s := New(c, Options{Prefix: prefix, Timeout: testTimeout})
	t.Cleanup(func() { deleteKeys(t, c, prefix) })
	return s
}

func tctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

var t0 = time.Date(2030, 3, 14, 17, 0, 0, 0, time.UTC)

func newBooking(id, merchant, user string, start time.Time, party int) *booking.Booking {
	return &booking.Booking{
		ID: id, ConfirmationCode: "ABC234", MerchantID: merchant, ServiceID: "dinner",
		Customer:  booking.Customer{Name: "Ada", Email: "ada@example.com", UserID: user},
		PartySize: party, Start: start, End: start.Add(90 * time.Minute), Day: start.Format("2006-01-02"),
		Status: booking.StatusConfirmed, Version: 1, Source: booking.SourceAdmin, CreatedAt: t0, UpdatedAt: t0,
	}
}

func claimFor(b *booking.Booking, capacity int) *booking.Claim {
	return &booking.Claim{Allocation: booking.Allocation{
		ID: b.ID, MerchantID: b.MerchantID, ServiceID: b.ServiceID, Start: b.Start, End: b.End, Party: b.PartySize,
	}, Capacity: capacity}
}

func entryFor(b *booking.Booking, kind booking.ChangeKind, at time.Time) booking.OutboxEntry {
	return booking.OutboxEntry{
		ID: b.ID + "." + strconv.FormatInt(b.Version, 10), BookingID: b.ID, Seq: b.Version, Kind: kind, Booking: *b,
		CreatedAt: at, NextAttemptAt: at, State: booking.DeliveryPending,
	}
}

// createBooking commits a new booking with its allocation and CREATED outbox entry.
func createBooking(t testing.TB, s booking.Store, b *booking.Booking, capacity int, now time.Time) {
	t.Helper()
	m := &booking.Mutation{MerchantID: b.MerchantID, Now: now, Booking: b, Claim: claimFor(b, capacity),
		Outbox: []booking.OutboxEntry{entryFor(b, booking.ChangeCreated, now)}}
	if err := s.Commit(tctx(t), m); err != nil {
		t.Fatalf("create %s: %v", b.ID, err)
	}
}
