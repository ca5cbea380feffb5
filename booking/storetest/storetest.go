// Package storetest is the conformance suite every booking.Store implementation runs: the Store methods and
// each step of booking.Mutation exactly as their doc comments say, and the booking core's scenarios (races
// for capacity, holds expiring, idempotent replays, versions, the status lifecycle, the cancellation window,
// the FULFILLED sweep, listings) run through booking.NewService over the store with a controllable clock.
//
// A store's tests call it as
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) booking.Store {
//			st := open(t) // a fresh, empty store
//			t.Cleanup(func() { st.Close() })
//			return st
//		})
//	}
//
// and its benchmarks call Bench the same way.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/reservations/reservations/booking"
)

// Run runs the conformance suite. open must return a fresh, empty store each time it is called; the caller
// registers its cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) booking.Store) {
	t.Helper()
	t.Run("Store", func(t *testing.T) { runStore(t, open) })
	t.Run("Service", func(t *testing.T) { runService(t, open) })
	t.Run("Setups", func(t *testing.T) {
		RunSetups(t, func(t *testing.T) booking.Setups {
			st, ok := open(t).(booking.Setups)
			if !ok {
				t.Skip("the store does not implement booking.Setups yet")
			}
			return st
		})
	})
}

// ctxFor returns a context that ends with the test, bounded so that a hanging store fails instead of hanging.
func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// wantCode fails the test unless err carries the code (and, when field is not empty, that Field).
func wantCode(t testing.TB, err error, code booking.Code, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	var be *booking.Error
	if !errors.As(err, &be) {
		t.Fatalf("got error %v (%T), want a *booking.Error with code %s", err, err, code)
	}
	if be.Code != code {
		t.Fatalf("got code %s (%v), want %s", be.Code, err, code)
	}
	if field != "" && be.Field != field {
		t.Fatalf("got field %q (%v), want %q", be.Field, err, field)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// js renders v as JSON after normalising every time to UTC, for comparisons that show a readable diff.
func js(t testing.TB, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	// Re-decoding into a generic value and re-encoding makes the comparison independent of how a store
	// represents instants (local zone or UTC): every RFC 3339 string is reformatted in UTC.
	var generic any
	if err := json.Unmarshal(data, &generic); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(normTimes(generic))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func normTimes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normTimes(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normTimes(e)
		}
		return x
	case string:
		if ts, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return ts.UTC().Format(time.RFC3339Nano)
		}
		return x
	default:
		return v
	}
}

func same(t testing.TB, what string, got, want any) {
	t.Helper()
	if g, w := js(t, got), js(t, want); g != w {
		t.Fatalf("%s:\n got  %s\n want %s", what, g, w)
	}
}
