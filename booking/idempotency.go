package booking

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// MaxIdempotencyKeyLen is the longest idempotency key the core accepts.
const MaxIdempotencyKeyLen = 255

// idemResult is what an idempotency record's Result holds: exactly one of the fields.
type idemResult struct {
	Booking *Booking `json:"booking,omitempty"`
	Hold    *Hold    `json:"hold,omitempty"`
	Error   *Error   `json:"error,omitempty"`
}

// requestHash is a stable SHA-256 over an operation name and the meaningful fields of its request (the
// idempotency key and retry flag excluded), hex-encoded.
func requestHash(op string, fields any) string {
	data, err := json.Marshal(struct {
		Op     string `json:"op"`
		Fields any    `json:"fields"`
	}{op, fields})
	if err != nil {
		// Only an instant outside years 0–9999 fails to encode; such a request is refused by validation, and
		// hashing its Go representation keeps its replays consistent.
		data = fmt.Appendf(nil, "%s|%#v", op, fields)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// idem carries one call's idempotency state.
type idem struct {
	merchantID string
	key        string
	hash       string
}

// newIdem returns a call's idempotency state. The request hash is only needed to compare a call with a
// recorded one, so it is computed only when the call has a key.
func newIdem(merchantID, key, op string, fields any) idem {
	return idem{merchantID: merchantID, key: key, hash: keyedHash(key, op, fields)}
}

// keyedHash is requestHash(op, fields) when key is set, and "" otherwise (a call without a key is never
// compared with a recorded one).
func keyedHash(key, op string, fields any) string {
	if key == "" {
		return ""
	}
	return requestHash(op, fields)
}

// checkKey refuses an idempotency key longer than MaxIdempotencyKeyLen.
func checkKey(id idem) error {
	if len(id.key) > MaxIdempotencyKeyLen {
		return InvalidArgument("idempotency_key", "at most %d bytes", MaxIdempotencyKeyLen)
	}
	return nil
}

// lookupReplay checks the store for an earlier outcome under the key. It returns done = true with that outcome
// (res filled, or err the stored *Error, or IDEMPOTENCY_CONFLICT when the request differs).
func (s *Core) lookupReplay(ctx context.Context, id idem, now time.Time) (res idemResult, done bool, err error) {
	if id.key == "" {
		return idemResult{}, false, nil
	}
	if len(id.key) > MaxIdempotencyKeyLen {
		return idemResult{}, true, InvalidArgument("idempotency_key", "at most %d bytes", MaxIdempotencyKeyLen)
	}
	rec, ok, err := s.store.Idempotency(ctx, id.merchantID, id.key, now)
	if err != nil {
		return idemResult{}, false, fmt.Errorf("booking: read idempotency record: %w", err)
	}
	if !ok {
		return idemResult{}, false, nil
	}
	res, err = replayOf(rec, id.hash)
	return res, true, err
}

// replayOf decodes a stored outcome, or reports IDEMPOTENCY_CONFLICT when the record is for another request.
func replayOf(rec IdempotencyRecord, hash string) (idemResult, error) {
	if rec.RequestHash != hash {
		return idemResult{}, Errorf(CodeIdempotencyConflict, "the idempotency key was used for a different request")
	}
	var res idemResult
	if err := json.Unmarshal(rec.Result, &res); err != nil {
		return idemResult{}, fmt.Errorf("booking: decode idempotency record %q: %w", rec.Key, err)
	}
	if res.Error != nil {
		return idemResult{}, res.Error
	}
	if res.Booking == nil && res.Hold == nil {
		return idemResult{}, fmt.Errorf("booking: idempotency record %q holds no outcome", rec.Key)
	}
	return res, nil
}

// record builds the idempotency record for an outcome, or nil when the call has no key.
func (s *Core) record(id idem, res idemResult, now time.Time) *IdempotencyRecord {
	if id.key == "" {
		return nil
	}
	data, err := json.Marshal(res)
	if err != nil {
		panic("booking: encode idempotency result: " + err.Error()) // plain data: always encodes
	}
	return &IdempotencyRecord{
		Key:         id.key,
		RequestHash: id.hash,
		Result:      data,
		CreatedAt:   now,
		ExpiresAt:   now.Add(s.idemTTL),
	}
}

// commit applies m; when a concurrent twin already recorded the key it returns that twin's outcome with
// replayed = true.
func (s *Core) commit(ctx context.Context, m *Mutation, id idem) (res idemResult, replayed bool, err error) {
	err = s.store.Commit(ctx, m)
	var re *ReplayError
	if errors.As(err, &re) {
		res, err = replayOf(re.Record, id.hash)
		return res, true, err
	}
	switch CodeOf(err) {
	case "":
		if err != nil {
			return idemResult{}, false, fmt.Errorf("booking: commit: %w", err)
		}
	case CodeSlotAlreadyBookedByUser:
		return idemResult{}, false, errUserConflict()
	}
	return idemResult{}, false, err
}

// fail records a business failure under the key (unless retry is set, the call has no key, or err is not a
// business failure) and returns the outcome the caller must see: err itself, or the outcome a concurrent
// twin recorded first.
func (s *Core) fail(ctx context.Context, id idem, err error, retry bool, now time.Time) (idemResult, error) {
	var be *Error
	if id.key == "" || retry || !errors.As(err, &be) {
		return idemResult{}, err
	}
	m := &Mutation{MerchantID: id.merchantID, Now: now, Idempotency: s.record(id, idemResult{Error: be}, now)}
	res, replayed, cerr := s.commit(ctx, m, id)
	if replayed {
		return res, cerr
	}
	if cerr != nil {
		return idemResult{}, fmt.Errorf("%w (and recording the failure for replay failed: %v)", err, cerr)
	}
	return idemResult{}, err
}
