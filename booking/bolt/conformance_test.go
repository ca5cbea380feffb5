package bolt

import (
	"path/filepath"
	"testing"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/storetest"
)

// TestConformance runs the store conformance suite against a fresh file per subtest.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) booking.Store {
		return openTemp(t)
	})
}

// BenchmarkStore runs the shared store benchmarks (ConfirmedBookings32, Availability31Days) on a file in the
// benchmark's temporary directory.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) booking.Store {
		s, err := Open(filepath.Join(b.TempDir(), "bench.db"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			if err := s.Close(); err != nil {
				b.Error(err)
			}
		})
		return s
	})
}
