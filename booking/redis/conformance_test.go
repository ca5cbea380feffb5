package redis

import (
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/storetest"
)

// TestConformance runs the shared Store conformance suite against a real Redis, each subtest under its own prefix.
func TestConformance(t *testing.T) {
	c := newClient(t)
	storetest.Run(t, func(t *testing.T) booking.Store {
		return openStoreWith(t, c, randomPrefix(t))
	})
}

// BenchmarkStore runs the shared store benchmarks (ConfirmedBookings32, Availability31Days) against REDIS_URL.
func BenchmarkStore(b *testing.B) {
	c := newClient(b)
	storetest.Bench(b, func(b *testing.B) booking.Store {
		return openStoreWith(b, c, randomPrefix(b))
	})
}

// otherClient hides the *redis.Client type so the store takes the path it uses for Cluster and other clients: the
// registry in a pipeline first, then the script on its own.
type otherClient struct{ *goredis.Client }

// TestConformanceGenericClient runs the suite through that path.
func TestConformanceGenericClient(t *testing.T) {
	c := newClient(t)
	storetest.Run(t, func(t *testing.T) booking.Store {
		prefix := randomPrefix(t)
		t.Cleanup(func() { deleteKeys(t, c, prefix) })
		return New(otherClient{c}, Options{Prefix: prefix, Timeout: testTimeout})
	})
}
