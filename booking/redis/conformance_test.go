package redis

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

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
	storetest.BenchWith(b, func(b *testing.B) booking.Store {
		return openStoreWith(b, c, randomPrefix(b))
	}, func() time.Duration { return serverCPU(b, c) })
}

// serverCPU returns the CPU time redis-server has used (INFO cpu: used_cpu_user + used_cpu_sys).
func serverCPU(b *testing.B, c goredis.UniversalClient) time.Duration {
	info, err := c.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatalf("INFO cpu: %v", err)
	}
	var total float64
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatalf("INFO cpu %s: %v", k, err)
			}
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
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
