package redis

import (
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
)

func TestAllocValueRoundTrip(t *testing.T) {
	tests := []booking.Allocation{
		{ID: "b1", MerchantID: "m", ServiceID: "dinner", Start: t0, End: t0.Add(90 * time.Minute), Party: 4},
		{ID: "h-2", MerchantID: "m", ServiceID: "cut and colour", Start: t0.Add(123456789), End: t0.Add(time.Hour + 1),
			Party: 1, ExpiresAt: t0.Add(15*time.Minute + 999)},
	}
	for _, a := range tests {
		got, err := parseAllocValue("m", allocValue(a))
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != a.ID || got.ServiceID != a.ServiceID || got.Party != a.Party || !got.Start.Equal(a.Start) ||
			!got.End.Equal(a.End) || !got.ExpiresAt.Equal(a.ExpiresAt) || got.ExpiresAt.IsZero() != a.ExpiresAt.IsZero() {
			t.Fatalf("round trip of %+v gave %+v", a, got)
		}
	}
}

// FuzzParseAllocValue feeds arbitrary stored values to the parser: it must not panic, and whatever it accepts
// must survive another round trip unchanged.
func FuzzParseAllocValue(f *testing.F) {
	f.Add(allocValue(booking.Allocation{ID: "b1", ServiceID: "dinner", Start: t0, End: t0.Add(time.Hour), Party: 2}))
	f.Add("1 2 3 4 svc\nid\n5 6 0")
	f.Add("")
	f.Add("\n\n")
	f.Fuzz(func(t *testing.T, v string) {
		a, err := parseAllocValue("m", v)
		if err != nil {
			return
		}
		b, err := parseAllocValue("m", allocValue(a))
		if err != nil {
			t.Fatalf("re-parse of %q: %v", allocValue(a), err)
		}
		if a.ID != b.ID || a.Party != b.Party || !a.Start.Equal(b.Start) || !a.End.Equal(b.End) || !a.ExpiresAt.Equal(b.ExpiresAt) {
			t.Fatalf("unstable: %+v vs %+v", a, b)
		}
	})
}
