package memory_test

import (
	"testing"

	"github.com/reservations/reservations/booking"
	"github.com/reservations/reservations/booking/memory"
	"github.com/reservations/reservations/booking/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) booking.Store {
		st := memory.New()
		t.Cleanup(func() { _ = st.Close() })
		return st
	})
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) booking.Store {
		st := memory.New()
		b.Cleanup(func() { _ = st.Close() })
		return st
	})
}
