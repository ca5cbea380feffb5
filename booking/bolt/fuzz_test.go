package bolt

import (
	"bytes"
	"testing"
	"time"
)

// FuzzAllocRef checks that decoding any alloc_ids value never panics and that encoded references round-trip.
func FuzzAllocRef(f *testing.F) {
	f.Add([]byte{}, "m1", "dinner", int64(0))
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 0xff}, "", "", int64(-1))
	f.Add(encodeAllocRef(timeKey(time.Unix(0, 42)), "m\x01", "s"), "merchant", "", int64(1<<62))
	f.Fuzz(func(t *testing.T, raw []byte, merchant, service string, nanos int64) {
		_, _ = decodeAllocRef("id", raw)
		start := timeKey(time.Unix(0, nanos))
		ref, err := decodeAllocRef("id", encodeAllocRef(start, merchant, service))
		if err != nil {
			t.Fatalf("decode(encode) failed: %v", err)
		}
		if ref.merchant != merchant || ref.service != service || !bytes.Equal(ref.key, append(start, "id"...)) {
			t.Fatalf("round trip = %+v, want %q %q %x", ref, merchant, service, start)
		}
	})
}

// FuzzTimeKey checks that key order is time order.
func FuzzTimeKey(f *testing.F) {
	f.Add(int64(0), int64(1))
	f.Add(int64(-1), int64(0))
	f.Add(int64(-1<<63), int64(1<<63-1))
	f.Fuzz(func(t *testing.T, a, b int64) {
		ta, tb := time.Unix(0, a), time.Unix(0, b)
		if got, want := bytes.Compare(timeKey(ta), timeKey(tb)), ta.Compare(tb); got != want {
			t.Fatalf("Compare(timeKey(%d), timeKey(%d)) = %d, want %d", a, b, got, want)
		}
	})
}
