package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/reservations/reservations/booking"
)

// empty is the value of index keys.
func empty() []byte { return []byte{} }

// idemLive reports whether rec has not expired at now (now is before its ExpiresAt).
func idemLive(rec booking.IdempotencyRecord, now time.Time) bool {
	return now.Before(rec.ExpiresAt)
}

// idemExpKey is a record's key in idem_exp.
func idemExpKey(expires time.Time, merchant, key string) []byte {
	return append(timeKey(expires), join(merchant, key)...)
}

// putIdem writes the record under idemKey, replacing the expiry index entry oldExp of the record it replaces.
func putIdem(tx *bbolt.Tx, merchant string, r *booking.IdempotencyRecord, idemKey, oldExp, data []byte) error {
	exp := bucket(tx, bktIdemExp)
	if oldExp != nil {
		if err := exp.Delete(oldExp); err != nil {
			return fmt.Errorf("delete idempotency expiry: %w", err)
		}
	}
	if err := bucket(tx, bktIdem).Put(idemKey, data); err != nil {
		return fmt.Errorf("put idempotency record: %w", err)
	}
	if err := exp.Put(idemExpKey(r.ExpiresAt, merchant, r.Key), empty()); err != nil {
		return fmt.Errorf("put idempotency expiry: %w", err)
	}
	return nil
}

// expiredKeys returns copies of up to sweepLimit keys of an expiry index whose time is at or before now.
func expiredKeys(b *bbolt.Bucket, now time.Time) [][]byte {
	limit := timeKey(now)
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil && len(keys) < sweepLimit; k, _ = c.Next() {
		if len(k) < 8 {
			keys = append(keys, bytes.Clone(k)) // malformed: drop it
			continue
		}
		if bytes.Compare(k[:8], limit) > 0 {
			break
		}
		keys = append(keys, bytes.Clone(k))
	}
	return keys
}

// sweepIdem removes up to sweepLimit idempotency records that expired at or before now.
func sweepIdem(tx *bbolt.Tx, now time.Time) error {
	exp, idem := bucket(tx, bktIdemExp), bucket(tx, bktIdem)
	for _, k := range expiredKeys(exp, now) {
		if len(k) > 8 {
			if v := idem.Get(k[8:]); v != nil {
				rec, err := decodeIdem(v)
				if err != nil {
					return err
				}
				if !idemLive(rec, now) {
					if err := idem.Delete(k[8:]); err != nil {
						return fmt.Errorf("sweep idempotency record: %w", err)
					}
				}
			}
		}
		if err := exp.Delete(k); err != nil {
			return fmt.Errorf("sweep idempotency expiry: %w", err)
		}
	}
	return nil
}

// serviceBucket returns the allocation bucket of a merchant's service, creating it when create is set; it
// returns nil when it does not exist and create is false.
func serviceBucket(tx *bbolt.Tx, merchant, service string, create bool) (*bbolt.Bucket, error) {
	allocs := bucket(tx, bktAllocs)
	if !create {
		mb := allocs.Bucket([]byte(merchant))
		if mb == nil {
			return nil, nil
		}
		return mb.Bucket([]byte(service)), nil
	}
	mb, err := allocs.CreateBucketIfNotExists([]byte(merchant))
	if err != nil {
		return nil, fmt.Errorf("create merchant allocation bucket: %w", err)
	}
	sb, err := mb.CreateBucketIfNotExists([]byte(service))
	if err != nil {
		return nil, fmt.Errorf("create service allocation bucket: %w", err)
	}
	if _, err := sb.CreateBucketIfNotExists([]byte(subTimes)); err != nil {
		return nil, fmt.Errorf("create allocation time bucket: %w", err)
	}
	return sb, nil
}

// overlappingAllocs returns the allocations of the merchant's service that overlap [from, to), in start order.
func overlappingAllocs(tx *bbolt.Tx, merchant, service string, from, to time.Time) ([]booking.Allocation, error) {
	sb, err := serviceBucket(tx, merchant, service, false)
	if err != nil || sb == nil {
		return nil, err
	}
	times := sb.Bucket([]byte(subTimes))
	if times == nil {
		return nil, nil
	}
	seek := timeKey(satSub(from, durFrom(sb.Get([]byte(keyMaxDur)))))
	stop := timeKey(to)
	var out []booking.Allocation
	c := times.Cursor()
	for k, v := c.Seek(seek); k != nil; k, v = c.Next() {
		if len(k) < 8 || bytes.Compare(k[:8], stop) >= 0 {
			break
		}
		a, err := decodeAlloc(merchant, service, string(k[8:]), v)
		if err != nil {
			return nil, err
		}
		if a.Start.Before(to) && a.End.After(from) {
			out = append(out, a)
		}
	}
	return out, nil
}

// allocRecord is an allocation as stored in a service's "t" bucket: compact JSON with times as unix
// nanoseconds (decoding RFC 3339 strings made a 31-day availability read several times slower). The id,
// merchant and service are the key's suffix and the bucket names.
type allocRecord struct {
	Start   int64  `json:"s"`
	End     int64  `json:"e"`
	Party   int    `json:"p"`
	Expires *int64 `json:"x,omitempty"` // absent for a booking's allocation, which never expires
}

// encodeAlloc encodes a for its "t" bucket. Times outside the years 1678–2262 are clamped.
func encodeAlloc(a *booking.Allocation) ([]byte, error) {
	r := allocRecord{Start: unixNano(a.Start), End: unixNano(a.End), Party: a.Party}
	if !a.ExpiresAt.IsZero() {
		x := unixNano(a.ExpiresAt)
		r.Expires = &x
	}
	data, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode allocation: %w", err)
	}
	return data, nil
}

// decodeAlloc decodes a "t" bucket value.
func decodeAlloc(merchant, service, id string, v []byte) (booking.Allocation, error) {
	var r allocRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return booking.Allocation{}, fmt.Errorf("decode allocation: %w", err)
	}
	a := booking.Allocation{
		ID: id, MerchantID: merchant, ServiceID: service,
		Start: time.Unix(0, r.Start).UTC(), End: time.Unix(0, r.End).UTC(), Party: r.Party,
	}
	if r.Expires != nil {
		a.ExpiresAt = time.Unix(0, *r.Expires).UTC()
	}
	return a, nil
}

// putAlloc writes a (encoded as data) and its indexes. Any allocation with the same id must be deleted first.
func putAlloc(tx *bbolt.Tx, a *booking.Allocation, data []byte) error {
	sb, err := serviceBucket(tx, a.MerchantID, a.ServiceID, true)
	if err != nil {
		return err
	}
	k := timeKeyID(a.Start, a.ID)
	if err := sb.Bucket([]byte(subTimes)).Put(k, data); err != nil {
		return fmt.Errorf("put allocation: %w", err)
	}
	if d := a.End.Sub(a.Start); d > durFrom(sb.Get([]byte(keyMaxDur))) {
		if err := sb.Put([]byte(keyMaxDur), durBytes(d)); err != nil {
			return fmt.Errorf("put longest allocation: %w", err)
		}
	}
	if err := bucket(tx, bktAllocIDs).Put([]byte(a.ID), encodeAllocRef(k[:8], a.MerchantID, a.ServiceID)); err != nil {
		return fmt.Errorf("put allocation reference: %w", err)
	}
	if !a.ExpiresAt.IsZero() {
		if err := bucket(tx, bktAllocExp).Put(timeKeyID(a.ExpiresAt, a.ID), empty()); err != nil {
			return fmt.Errorf("put allocation expiry: %w", err)
		}
	}
	return nil
}

// loadAlloc returns the allocation with the id and where it is stored, or ok false when there is none.
func loadAlloc(tx *bbolt.Tx, id string) (a booking.Allocation, ref allocRef, ok bool, err error) {
	v := bucket(tx, bktAllocIDs).Get([]byte(id))
	if v == nil {
		return a, ref, false, nil
	}
	if ref, err = decodeAllocRef(id, v); err != nil {
		return a, ref, false, fmt.Errorf("allocation %s: %w", id, err)
	}
	sb, err := serviceBucket(tx, ref.merchant, ref.service, false)
	if err != nil || sb == nil {
		return a, ref, false, err
	}
	times := sb.Bucket([]byte(subTimes))
	if times == nil {
		return a, ref, false, nil
	}
	data := times.Get(ref.key)
	if data == nil {
		return a, ref, false, nil
	}
	if a, err = decodeAlloc(ref.merchant, ref.service, id, data); err != nil {
		return a, ref, false, err
	}
	return a, ref, true, nil
}

// deleteAlloc removes the allocation with the id and its indexes; an absent one is ignored.
func deleteAlloc(tx *bbolt.Tx, id string) error {
	if id == "" {
		return nil
	}
	a, ref, ok, err := loadAlloc(tx, id)
	if err != nil {
		return err
	}
	if ok {
		sb, err := serviceBucket(tx, ref.merchant, ref.service, false)
		if err != nil {
			return err
		}
		if err := sb.Bucket([]byte(subTimes)).Delete(ref.key); err != nil {
			return fmt.Errorf("delete allocation: %w", err)
		}
		if !a.ExpiresAt.IsZero() {
			if err := bucket(tx, bktAllocExp).Delete(timeKeyID(a.ExpiresAt, a.ID)); err != nil {
				return fmt.Errorf("delete allocation expiry: %w", err)
			}
		}
	}
	if err := bucket(tx, bktAllocIDs).Delete([]byte(id)); err != nil {
		return fmt.Errorf("delete allocation reference: %w", err)
	}
	return nil
}

// sweepAllocs removes up to sweepLimit hold allocations, of any service, that expired at or before now.
func sweepAllocs(tx *bbolt.Tx, now time.Time) error {
	exp := bucket(tx, bktAllocExp)
	for _, k := range expiredKeys(exp, now) {
		if len(k) > 8 {
			id := string(k[8:])
			a, _, ok, err := loadAlloc(tx, id)
			if err != nil {
				return err
			}
			if ok && !a.Live(now) {
				if err := deleteAlloc(tx, id); err != nil {
					return err
				}
			}
		}
		if err := exp.Delete(k); err != nil {
			return fmt.Errorf("sweep allocation expiry: %w", err)
		}
	}
	return nil
}

// bookingIndexKeys returns a booking's keys in by_user, by_day and active_end (nil where it has none).
func bookingIndexKeys(b *booking.Booking) [3][]byte {
	var keys [3][]byte
	if b.Customer.UserID != "" {
		keys[0] = join(b.Customer.UserID, b.ID)
	}
	keys[1] = join(b.MerchantID, b.Day, b.ID)
	if b.Active() {
		keys[2] = timeKeyID(b.End, b.ID)
	}
	return keys
}

// putBooking writes b (encoded as data) and moves its index entries from those of old (nil for a new booking).
func putBooking(tx *bbolt.Tx, old, b *booking.Booking, data []byte) error {
	if err := bucket(tx, bktBookings).Put([]byte(b.ID), data); err != nil {
		return fmt.Errorf("put booking: %w", err)
	}
	var oldKeys [3][]byte
	if old != nil {
		oldKeys = bookingIndexKeys(old)
	}
	newKeys := bookingIndexKeys(b)
	for i, name := range [3]string{bktByUser, bktByDay, bktActiveEnd} {
		idx := bucket(tx, name)
		if oldKeys[i] != nil && !bytes.Equal(oldKeys[i], newKeys[i]) {
			if err := idx.Delete(oldKeys[i]); err != nil {
				return fmt.Errorf("delete %s index entry: %w", name, err)
			}
		}
		if newKeys[i] != nil {
			if err := idx.Put(newKeys[i], empty()); err != nil {
				return fmt.Errorf("put %s index entry: %w", name, err)
			}
		}
	}
	return nil
}

// pendingKey is an entry's key in outbox_pending: created-at key, the entry's insertion number (8 bytes
// big-endian, from the outbox bucket's sequence: the tie-breaker between equal CreatedAt), the entry id.
func pendingKey(e *booking.OutboxEntry, n uint64) []byte {
	k := binary.BigEndian.AppendUint64(timeKey(e.CreatedAt), n)
	return append(k, e.ID...)
}

// pendingID returns the entry id of an outbox_pending key, or "" for a malformed key.
func pendingID(k []byte) string {
	if len(k) <= 16 {
		return ""
	}
	return string(k[16:])
}

// undelivered reports whether an entry still waits for delivery.
func undelivered(s booking.DeliveryState) bool {
	return s == booking.DeliveryPending || s == booking.DeliveryInFlight
}

// loadOutbox returns the entry with the id and its insertion number, or ok false. An outbox value is the
// insertion number (8 bytes big-endian) followed by the entry's JSON.
func loadOutbox(tx *bbolt.Tx, id string) (e booking.OutboxEntry, n uint64, ok bool, err error) {
	if id == "" {
		return e, 0, false, nil
	}
	v := bucket(tx, bktOutbox).Get([]byte(id))
	if v == nil {
		return e, 0, false, nil
	}
	if len(v) < 8 {
		return e, 0, false, fmt.Errorf("outbox entry %s: value too short", id)
	}
	if err := json.Unmarshal(v[8:], &e); err != nil {
		return e, 0, false, fmt.Errorf("decode outbox entry: %w", err)
	}
	return e, binary.BigEndian.Uint64(v[:8]), true, nil
}

// outboxValue prefixes an entry's JSON with its insertion number.
func outboxValue(n uint64, data []byte) []byte {
	v := make([]byte, 8, 8+len(data))
	binary.BigEndian.PutUint64(v, n)
	return append(v, data...)
}

// putOutbox appends a new entry (encoded as data), replacing any entry with the same id and its index entries.
func putOutbox(tx *bbolt.Tx, e *booking.OutboxEntry, data []byte) error {
	outbox := bucket(tx, bktOutbox)
	prev, pn, ok, err := loadOutbox(tx, e.ID)
	if err != nil {
		return err
	}
	if ok {
		if err := bucket(tx, bktOutboxPending).Delete(pendingKey(&prev, pn)); err != nil {
			return fmt.Errorf("delete outbox pending entry: %w", err)
		}
		if err := bucket(tx, bktOutboxSeq).Delete(seqKey(prev.BookingID, prev.Seq, prev.Lane())); err != nil {
			return fmt.Errorf("delete outbox order entry: %w", err)
		}
	}
	n, err := outbox.NextSequence()
	if err != nil {
		return fmt.Errorf("number outbox entry: %w", err)
	}
	if err := outbox.Put([]byte(e.ID), outboxValue(n, data)); err != nil {
		return fmt.Errorf("put outbox entry: %w", err)
	}
	if err := bucket(tx, bktOutboxSeq).Put(seqKey(e.BookingID, e.Seq, e.Lane()), []byte(e.ID)); err != nil {
		return fmt.Errorf("put outbox order entry: %w", err)
	}
	if err := bucket(tx, bktOutboxPending).Put(pendingKey(e, n), eligibleKey(e)); err != nil {
		return fmt.Errorf("put outbox pending entry: %w", err)
	}
	return nil
}

// eligibleKey is the value of an entry's outbox_pending key: the time key of the instant from which it may be
// claimed (NextAttemptAt; for an IN_FLIGHT entry the later of that and LeaseUntil), then the entry's Channel
// (nothing for ORDERS, so values written before channels existed read as ORDERS), so that ClaimOutbox skips
// entries that are not due, or of a channel it does not claim, without decoding them.
func eligibleKey(e *booking.OutboxEntry) []byte {
	at := e.NextAttemptAt
	if e.State == booking.DeliveryInFlight && e.LeaseUntil.After(at) {
		at = e.LeaseUntil
	}
	k := timeKey(at)
	if ch := e.ChannelOrDefault(); ch != booking.ChannelOrders {
		k = append(k, ch...)
	}
	return k
}

// eligibleChannel is the channel an outbox_pending value names.
func eligibleChannel(v []byte) booking.Channel {
	if len(v) <= 8 {
		return booking.ChannelOrders
	}
	return booking.Channel(v[8:])
}

// updateOutbox rewrites an existing entry (insertion number n) after a state change, keeping outbox_pending in
// step.
func updateOutbox(tx *bbolt.Tx, e *booking.OutboxEntry, n uint64) error {
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode outbox entry: %w", err)
	}
	if err := bucket(tx, bktOutbox).Put([]byte(e.ID), outboxValue(n, data)); err != nil {
		return fmt.Errorf("put outbox entry: %w", err)
	}
	pending := bucket(tx, bktOutboxPending)
	if undelivered(e.State) {
		err = pending.Put(pendingKey(e, n), eligibleKey(e))
	} else {
		err = pending.Delete(pendingKey(e, n))
	}
	if err != nil {
		return fmt.Errorf("update outbox pending entry: %w", err)
	}
	return nil
}
