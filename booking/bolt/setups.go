package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/reservations/reservations/booking"
)

var _ booking.Setups = (*Store)(nil)

// Setup buckets and keys; see the package documentation's layout.
const (
	bktSetups       = "setups"
	bktSetupHistory = "setup_history"
	bktSetupChanges = "setup_changes"
	bktSetupLast    = "setup_last"
	keySetupGen     = "setup_generation"
)

// u64 encodes n as 8 bytes big-endian: byte order is numeric order for the non-negative versions and
// generations it encodes.
func u64(n int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(n))
}

// fromU64 decodes u64; a missing or malformed value reads as 0.
func fromU64(v []byte) int64 {
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

// SetupGeneration returns the setup generation stored in the meta bucket: one read of 8 bytes.
func (s *Store) SetupGeneration(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("booking/bolt: setup generation: %w", err)
	}
	var gen int64
	err := s.db.View(func(tx *bbolt.Tx) error {
		gen = fromU64(bucket(tx, bktMeta).Get([]byte(keySetupGen)))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("booking/bolt: setup generation: %w", err)
	}
	return gen, nil
}

// SetupChangesSince seeks the change log (one entry per merchant, at the generation of its last write) to
// gen+1: it reads only the merchants written since.
func (s *Store) SetupChangesSince(ctx context.Context, gen int64) ([]string, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("booking/bolt: setup changes: %w", err)
	}
	var ids []string
	var current int64
	err := s.db.View(func(tx *bbolt.Tx) error {
		current = fromU64(bucket(tx, bktMeta).Get([]byte(keySetupGen)))
		if gen >= current {
			return nil
		}
		c := bucket(tx, bktSetupChanges).Cursor()
		for k, v := c.Seek(u64(max(gen, 0) + 1)); k != nil; k, v = c.Next() {
			ids = append(ids, string(v))
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("booking/bolt: setup changes: %w", err)
	}
	return ids, current, nil
}

// Merchant returns the merchant's stored record, or CodeNotFound.
func (s *Store) Merchant(ctx context.Context, id string) (booking.MerchantRecord, error) {
	if err := ctx.Err(); err != nil {
		return booking.MerchantRecord{}, fmt.Errorf("booking/bolt: merchant: %w", err)
	}
	var rec booking.MerchantRecord
	var found bool
	err := s.db.View(func(tx *bbolt.Tx) error {
		if id == "" {
			return nil
		}
		v := bucket(tx, bktSetups).Get([]byte(id))
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &rec)
	})
	if err != nil {
		return booking.MerchantRecord{}, fmt.Errorf("booking/bolt: merchant %s: %w", id, err)
	}
	if !found {
		return booking.MerchantRecord{}, booking.Errorf(booking.CodeNotFound, "no merchant with this id")
	}
	return rec, nil
}

// Merchants returns up to limit records whose ID sorts after after, in ID (key) order.
func (s *Store) Merchants(ctx context.Context, after string, limit int) ([]booking.MerchantRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("booking/bolt: merchants: %w", err)
	}
	recs := []booking.MerchantRecord{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := bucket(tx, bktSetups).Cursor()
		k, v := c.Seek([]byte(after))
		if k != nil && string(k) == after {
			k, v = c.Next()
		}
		for ; k != nil && len(recs) < limit; k, v = c.Next() {
			var rec booking.MerchantRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode merchant %q: %w", k, err)
			}
			recs = append(recs, rec)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("booking/bolt: merchants: %w", err)
	}
	return recs, nil
}

// PutMerchant writes the record, its audit record, the change log entry and the new generation in one
// transaction, when the stored version is expect.
func (s *Store) PutMerchant(ctx context.Context, rec booking.MerchantRecord, expect int64, change booking.SetupChange) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("booking/bolt: put merchant: %w", err)
	}
	if err := booking.CheckSetupPut(rec, expect, change); err != nil {
		return err
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("booking/bolt: encode merchant %s: %w", rec.Merchant.ID, err)
	}
	entry, err := json.Marshal(change)
	if err != nil {
		return fmt.Errorf("booking/bolt: encode setup change: %w", err)
	}
	id := []byte(rec.Merchant.ID)
	var result error
	err = s.write(func(tx *bbolt.Tx) error {
		result = nil
		if err := ctx.Err(); err != nil {
			result = fmt.Errorf("booking/bolt: put merchant: %w", err)
			return nil
		}
		if result = checkStoredVersion(tx, id, expect); result != nil {
			return nil
		}
		return putMerchant(tx, id, rec.Version, data, entry)
	})
	if err != nil {
		return fmt.Errorf("booking/bolt: put merchant %s: %w", rec.Merchant.ID, err)
	}
	return result
}

// checkStoredVersion returns the contract's error unless the merchant's stored version is expect. The stored
// version is the newest key of its history bucket, so the record itself is not decoded.
func checkStoredVersion(tx *bbolt.Tx, id []byte, expect int64) error {
	var stored int64
	if h := bucket(tx, bktSetupHistory).Bucket(id); h != nil {
		if k, _ := h.Cursor().Last(); k != nil {
			stored = fromU64(k)
		}
	}
	switch {
	case expect == 0 && stored != 0:
		return booking.Errorf(booking.CodeAlreadyExists, "merchant %s already exists", id)
	case stored != expect:
		return booking.Errorf(booking.CodeVersionMismatch, "merchant %s is not at version %d", id, expect)
	}
	return nil
}

// putMerchant writes a checked PutMerchant.
func putMerchant(tx *bbolt.Tx, id []byte, version int64, data, entry []byte) error {
	if err := bucket(tx, bktSetups).Put(id, data); err != nil {
		return err
	}
	h, err := bucket(tx, bktSetupHistory).CreateBucketIfNotExists(id)
	if err != nil {
		return fmt.Errorf("history bucket: %w", err)
	}
	if err := h.Put(u64(version), entry); err != nil {
		return err
	}
	meta, changes, last := bucket(tx, bktMeta), bucket(tx, bktSetupChanges), bucket(tx, bktSetupLast)
	gen := fromU64(meta.Get([]byte(keySetupGen))) + 1
	// The change log keeps one entry per merchant: its previous one goes.
	if prev := last.Get(id); prev != nil {
		if err := changes.Delete(bytes.Clone(prev)); err != nil {
			return err
		}
	}
	genKey := u64(gen)
	if err := changes.Put(genKey, id); err != nil {
		return err
	}
	if err := last.Put(id, genKey); err != nil {
		return err
	}
	return meta.Put([]byte(keySetupGen), genKey)
}

// SetupHistory returns up to limit audit records of the merchant older than version before, newest first.
func (s *Store) SetupHistory(ctx context.Context, merchantID string, before int64, limit int) ([]booking.SetupChange, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("booking/bolt: setup history: %w", err)
	}
	out := []booking.SetupChange{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		if merchantID == "" || limit <= 0 {
			return nil
		}
		h := bucket(tx, bktSetupHistory).Bucket([]byte(merchantID))
		if h == nil {
			return nil
		}
		c := h.Cursor()
		var k, v []byte
		if before > 0 {
			// The newest key below before: seek to before and step back.
			if k, _ = c.Seek(u64(before)); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		} else {
			k, v = c.Last()
		}
		for ; k != nil && len(out) < limit; k, v = c.Prev() {
			var ch booking.SetupChange
			if err := json.Unmarshal(v, &ch); err != nil {
				return fmt.Errorf("decode setup change %d: %w", fromU64(k), err)
			}
			out = append(out, ch)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("booking/bolt: setup history of %s: %w", merchantID, err)
	}
	return out, nil
}
