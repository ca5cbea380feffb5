package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/reservations/reservations/booking"
)

var _ booking.Setups = (*Store)(nil)

// setups is the memory store's part for booking.Setups. Records and audit records are kept JSON-encoded, as
// the other stores keep them: a caller can never alias what is stored, and the round trip (Location not
// loaded, times as JSON carries them) is the same as in bolt and Redis.
type setups struct {
	records map[string][]byte
	// ids is every merchant ID in bytewise order, for Merchants' pages.
	ids []string
	// history holds each merchant's encoded audit records, oldest (version 1) first.
	history map[string][][]byte
	// changed maps a merchant ID to the generation of its last write.
	changed    map[string]int64
	generation int64
}

// SetupGeneration returns the setup generation: the number of PutMerchant calls that succeeded.
func (s *Store) SetupGeneration(ctx context.Context) (int64, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	return s.setup.generation, nil
}

// SetupChangesSince returns the merchants written after generation gen and the current generation.
func (s *Store) SetupChangesSince(ctx context.Context, gen int64) ([]string, int64, error) {
	if err := s.lock(ctx); err != nil {
		return nil, 0, err
	}
	defer s.mu.Unlock()
	p := &s.setup
	var ids []string
	if gen < p.generation {
		for id, g := range p.changed {
			if g > gen {
				ids = append(ids, id)
			}
		}
	}
	return ids, p.generation, nil
}

// Merchant returns the merchant's stored record, or CodeNotFound.
func (s *Store) Merchant(ctx context.Context, id string) (booking.MerchantRecord, error) {
	if err := s.lock(ctx); err != nil {
		return booking.MerchantRecord{}, err
	}
	data, ok := s.setup.records[id]
	s.mu.Unlock()
	if !ok {
		return booking.MerchantRecord{}, booking.Errorf(booking.CodeNotFound, "no merchant with this id")
	}
	return decodeRecord(data)
}

// Merchants returns up to limit records whose ID sorts after after, in ID order.
func (s *Store) Merchants(ctx context.Context, after string, limit int) ([]booking.MerchantRecord, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	p := &s.setup
	i := sort.Search(len(p.ids), func(i int) bool { return p.ids[i] > after })
	var page [][]byte
	for ; i < len(p.ids) && len(page) < limit; i++ {
		page = append(page, p.records[p.ids[i]])
	}
	s.mu.Unlock()
	recs := make([]booking.MerchantRecord, 0, len(page))
	for _, data := range page {
		rec, err := decodeRecord(data)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// PutMerchant writes rec with its audit record and a new generation when the stored version is expect.
func (s *Store) PutMerchant(ctx context.Context, rec booking.MerchantRecord, expect int64, change booking.SetupChange) error {
	if err := booking.CheckSetupPut(rec, expect, change); err != nil {
		return err
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("booking/memory: encode merchant %s: %w", rec.Merchant.ID, err)
	}
	entry, err := json.Marshal(change)
	if err != nil {
		return fmt.Errorf("booking/memory: encode setup change: %w", err)
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	p := &s.setup
	id := rec.Merchant.ID
	stored := int64(len(p.history[id]))
	switch {
	case expect == 0 && stored != 0:
		return booking.Errorf(booking.CodeAlreadyExists, "merchant %s already exists", id)
	case stored != expect:
		return booking.Errorf(booking.CodeVersionMismatch, "merchant %s is not at version %d", id, expect)
	}
	if stored == 0 {
		i, _ := slices.BinarySearch(p.ids, id)
		p.ids = slices.Insert(p.ids, i, id)
	}
	p.records[id] = data
	p.history[id] = append(p.history[id], entry)
	p.generation++
	p.changed[id] = p.generation
	return nil
}

// SetupHistory returns up to limit audit records of the merchant older than version before, newest first.
func (s *Store) SetupHistory(ctx context.Context, merchantID string, before int64, limit int) ([]booking.SetupChange, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	hist := s.setup.history[merchantID]
	// hist[v-1] is version v: start at before-1 (the newest when before is 0 or beyond the newest).
	end := int64(len(hist))
	if before > 0 && before-1 < end {
		end = before - 1
	}
	var page [][]byte
	for v := end; v >= 1 && len(page) < limit; v-- {
		page = append(page, hist[v-1])
	}
	s.mu.Unlock()
	out := make([]booking.SetupChange, 0, len(page))
	for _, data := range page {
		var c booking.SetupChange
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, fmt.Errorf("booking/memory: decode setup change: %w", err)
		}
		out = append(out, c)
	}
	return out, nil
}

func decodeRecord(data []byte) (booking.MerchantRecord, error) {
	var rec booking.MerchantRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return booking.MerchantRecord{}, fmt.Errorf("booking/memory: decode merchant: %w", err)
	}
	return rec, nil
}
