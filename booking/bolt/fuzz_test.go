package bolt

import (
	"bytes"
	"encoding/json"
	"math"
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

// FuzzParseAllocRecord checks the allocation fast path against encoding/json: it never panics, and whenever it
// accepts an input, encoding/json accepts it too and decodes the same record. Encoded records always take it.
func FuzzParseAllocRecord(f *testing.F) {
	x := int64(-5)
	for _, r := range []allocRecord{{}, {Start: 1899457200000000000, End: 1899462600000000000, Party: 3}, {Start: math.MinInt64, End: math.MaxInt64, Party: -1, Expires: &x}} {
		data, err := json.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{`{"s":01}`, `{"s":1.5}`, `{"x":null}`, `{ "s":1}`, `{"s":1,"s":2}`, `{"p":9223372036854775808}`, `{"s":-0}`, `{}`, `{"q":1}`, `{"s":1}x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := parseAllocRecord(data)
		if ok {
			var want allocRecord
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatalf("fast path accepted %q, encoding/json: %v", data, err)
			}
			if got.Start != want.Start || got.End != want.End || got.Party != want.Party ||
				(got.Expires == nil) != (want.Expires == nil) || (got.Expires != nil && *got.Expires != *want.Expires) {
				t.Fatalf("fast path read %q as %+v, encoding/json as %+v", data, got, want)
			}
			enc, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if again, ok := parseAllocRecord(enc); !ok || again.Start != got.Start || again.End != got.End || again.Party != got.Party {
				t.Fatalf("re-encoded %q not read back by the fast path", enc)
			}
		}
	})
}
