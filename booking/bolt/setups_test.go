package bolt

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/reservations/reservations/booking"
)

func putSetup(t *testing.T, s *Store, id string, version int64) {
	t.Helper()
	m := booking.SampleInventory().Merchants[0]
	m.ID, m.Name = id, fmt.Sprintf("%s v%d", id, version)
	rec := booking.MerchantRecord{Merchant: m, Version: version, UpdatedAt: t0, UpdatedBy: "alice"}
	change := booking.SetupChange{MerchantID: id, Version: version, At: t0, By: "alice", Via: "admin"}
	if err := s.PutMerchant(context.Background(), rec, version-1, change); err != nil {
		t.Fatalf("PutMerchant(%s v%d): %v", id, version, err)
	}
}

// TestSetupsSurviveReopen: records, history and the generation are in the file, not in the process.
func TestSetupsSurviveReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "reservations.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	putSetup(t, s, "m1", 1)
	putSetup(t, s, "m1", 2)
	putSetup(t, s, "m2", 1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if gen, err := s.SetupGeneration(ctx); err != nil || gen != 3 {
		t.Fatalf("generation after reopen = %d, %v; want 3", gen, err)
	}
	rec, err := s.Merchant(ctx, "m1")
	if err != nil || rec.Version != 2 || rec.Merchant.Name != "m1 v2" {
		t.Fatalf("m1 after reopen = version %d %q, %v; want version 2", rec.Version, rec.Merchant.Name, err)
	}
	hist, err := s.SetupHistory(ctx, "m1", 0, 10)
	if err != nil || len(hist) != 2 {
		t.Fatalf("history after reopen = %d records, %v; want 2", len(hist), err)
	}
	// The next write continues the generation and the version check where they were.
	putSetup(t, s, "m1", 3)
	if ids, cur, err := s.SetupChangesSince(ctx, 3); err != nil || !slices.Equal(ids, []string{"m1"}) || cur != 4 {
		t.Fatalf("SetupChangesSince(3) = %v, %d, %v; want [m1], 4", ids, cur, err)
	}
}

// TestSetupsInFileWithoutSetupBuckets: a file written before the setup buckets existed (same layout
// version 1) opens, gets the buckets and takes setups: the buckets needed no schema change.
func TestSetupsInFileWithoutSetupBuckets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	commit(t, s, &booking.Mutation{MerchantID: "m1", Now: t0, Booking: ptr(newBooking("b1", 120))})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		for _, name := range []string{bktSetups, bktSetupHistory, bktSetupChanges, bktSetupLast} {
			if err := tx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("open a file without setup buckets: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	if gen, err := s.SetupGeneration(ctx); err != nil || gen != 0 {
		t.Fatalf("generation = %d, %v; want 0", gen, err)
	}
	putSetup(t, s, "m1", 1)
	if _, err := s.Merchant(ctx, "m1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Booking(ctx, "b1"); err != nil {
		t.Fatalf("the booking written before: %v", err)
	}
}

// TestSetupChangeLogOneEntryPerMerchant: the change log does not grow with every write, so that
// SetupChangesSince of an old generation reads each merchant once.
func TestSetupChangeLogOneEntryPerMerchant(t *testing.T) {
	s := openTemp(t)
	for v := int64(1); v <= 20; v++ {
		putSetup(t, s, "m1", v)
		if v <= 3 {
			putSetup(t, s, "m2", v)
		}
	}
	var keys []int64
	if err := s.db.View(func(tx *bbolt.Tx) error {
		return bucket(tx, bktSetupChanges).ForEach(func(k, v []byte) error {
			keys = append(keys, fromU64(k))
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	// m2 was last written at generation 6 (m1 v3, m2 v3 are generations 5, 6); m1 at 23.
	if !slices.Equal(keys, []int64{6, 23}) {
		t.Fatalf("change log keys = %v, want [6 23]", keys)
	}
}

func ptr[T any](v T) *T { return &v }
