package bolt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"time"
)

// sep separates the variable-length parts of a key.
const sep = 0x00

// Bounds of the times a key can order exactly; times outside are clamped.
var (
	minKeyTime = time.Unix(0, math.MinInt64)
	maxKeyTime = time.Unix(0, math.MaxInt64)
)

// unixNano returns t's unix nanoseconds, clamped to the int64 range.
func unixNano(t time.Time) int64 {
	switch {
	case t.Before(minKeyTime):
		return math.MinInt64
	case t.After(maxKeyTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// timeKey encodes t as 8 bytes whose byte order is time order.
func timeKey(t time.Time) []byte {
	n := unixNano(t)
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, uint64(n)^(1<<63))
	return k
}

// timeKeyID is timeKey(t) followed by id.
func timeKeyID(t time.Time, id string) []byte {
	return append(timeKey(t), id...)
}

// join joins parts with sep.
func join(parts ...string) []byte {
	n := len(parts) - 1
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			k = append(k, sep)
		}
		k = append(k, p...)
	}
	return k
}

// prefix returns join(parts...) followed by sep: the prefix of every key under parts.
func prefix(parts ...string) []byte {
	return append(join(parts...), sep)
}

// validID reports whether s can be a key part: non-empty and free of sep.
func validID(s string) bool {
	return s != "" && strings.IndexByte(s, sep) < 0
}

// seqKey is the outbox_seq key of a booking's entry: the booking, its Seq (8 bytes, sortable) and its lane
// (nothing for ORDERS, so keys written before lanes existed read as ORDERS). seqKey(id, seq, "") sorts before
// every key of that Seq.
func seqKey(bookingID string, seq int64, lane string) []byte {
	k := prefix(bookingID)
	k = binary.BigEndian.AppendUint64(k, uint64(seq)^(1<<63))
	return append(k, lane...)
}

// seqKeyLane is the lane of an outbox_seq key under the booking prefix pfx.
func seqKeyLane(k, pfx []byte) string {
	if len(k) < len(pfx)+8 {
		return ""
	}
	return string(k[len(pfx)+8:])
}

// durBytes encodes a duration for the maxdur key.
func durBytes(d time.Duration) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(d))
}

// durFrom decodes durBytes; anything malformed reads as 0.
func durFrom(v []byte) time.Duration {
	if len(v) != 8 {
		return 0
	}
	d := time.Duration(binary.BigEndian.Uint64(v))
	if d < 0 {
		return 0
	}
	return d
}

// allocRef says where an allocation is stored: its merchant and service buckets and its key in "t".
type allocRef struct {
	merchant string
	service  string
	key      []byte // start-time key + allocation id
}

// encodeAllocRef encodes a reference for the alloc_ids bucket: start-time key (8 bytes), uvarint length of the
// merchant id, the merchant id, the service id.
func encodeAllocRef(start []byte, merchant, service string) []byte {
	v := make([]byte, 0, len(start)+binary.MaxVarintLen64+len(merchant)+len(service))
	v = append(v, start...)
	v = binary.AppendUvarint(v, uint64(len(merchant)))
	v = append(v, merchant...)
	return append(v, service...)
}

// errBadRef reports a malformed alloc_ids value.
var errBadRef = errors.New("malformed allocation reference")

// decodeAllocRef decodes an alloc_ids value for the allocation id. It copies what it keeps.
func decodeAllocRef(id string, v []byte) (allocRef, error) {
	if len(v) < 8 {
		return allocRef{}, errBadRef
	}
	start, rest := v[:8], v[8:]
	n, w := binary.Uvarint(rest)
	if w <= 0 || n > uint64(len(rest)-w) {
		return allocRef{}, errBadRef
	}
	rest = rest[w:]
	return allocRef{
		merchant: string(rest[:n]),
		service:  string(rest[n:]),
		key:      append(bytes.Clone(start), id...),
	}, nil
}

// satSub returns t − d, clamped to the key range so that it never overflows.
func satSub(t time.Time, d time.Duration) time.Time {
	if t.Before(minKeyTime.Add(d)) {
		return minKeyTime
	}
	return t.Add(-d)
}
