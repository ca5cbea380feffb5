// Package bolt is the embedded booking store: a [booking.Store] kept in one bbolt file on local disk. It is the
// project's default store (RESERVATIONS_STORE=bolt:data/reservations.db) for a single instance.
//
// # Durability and concurrency
//
// Every Commit runs in a bbolt read-write transaction that is fsynced before Commit returns (NoSync stays
// false), so an acknowledged booking survives a crash of the process or the machine. bbolt serialises writers, so the checks
// of a [booking.Mutation] (idempotency, version, capacity) and its writes cannot interleave with another
// writer's. When several goroutines commit at once, their transactions are coalesced with bbolt's DB.Batch into
// one transaction and one fsync (see [Store.Commit]); a lone caller commits straight away. Only one process can
// open the file: bbolt holds an exclusive file lock, and [Open] fails after [Options.Timeout] with an error that
// names the path when another process has it.
//
// Records are JSON (allocations in a compact form with unix-nanosecond times, see allocRecord); byte slices
// read inside a transaction are decoded (copied) before it ends, and read transactions are short (one method
// call each).
//
// # Layout
//
// Times in keys are 8-byte big-endian unix nanoseconds with the sign bit flipped (so byte order is time order;
// times outside 1678–2262 are clamped). "\x00" separates variable-length parts of a key; the store refuses ids
// that contain it. Top-level buckets:
//
//	meta           "schema" → the layout version, SchemaVersion ("1"); Open refuses a file with another one
//	               "setup_generation" → 8-byte big-endian setup generation (absent: 0)
//	bookings       booking id → Booking JSON
//	holds          hold id → Hold JSON (expired holds stay until the core deletes them)
//	allocs         one nested bucket per merchant id, in it one nested bucket per service id, holding
//	                 "t" (bucket): start-time key + allocation id → allocRecord JSON, so a time range is a Seek
//	                 "maxdur": 8-byte big-endian nanoseconds, the longest allocation ever written there
//	               An allocation overlapping [from, to) starts in [from − maxdur, to): Allocations seeks to
//	               from − maxdur and stops at to.
//	alloc_ids      allocation id → start-time key + uvarint len(merchant) + merchant + service (where it is)
//	alloc_exp      expires-at key + allocation id → "" for hold allocations (the sweep of expired holds)
//	idem           merchant + "\x00" + key → IdempotencyRecord JSON
//	idem_exp       expires-at key + merchant + "\x00" + key → "" (the sweep of expired records)
//	by_user        user id + "\x00" + booking id → ""
//	by_day         merchant + "\x00" + day + "\x00" + booking id → ""
//	active_end     end-time key + booking id → "" while the booking is PENDING, CONFIRMED or CHANGE_REQUESTED
//	outbox         entry id → insertion number (8 bytes big-endian, the bucket's NextSequence) + OutboxEntry JSON
//	outbox_seq     booking id + "\x00" + 8-byte big-endian Seq → entry id (per-booking delivery order)
//	outbox_pending created-at key + insertion number + entry id → time key of the instant the entry becomes
//	               claimable (NextAttemptAt, or LeaseUntil while leased), while it is PENDING or IN_FLIGHT
//	               (oldest first; entries created at the same instant in the order they were appended)
//	setups         merchant id → MerchantRecord JSON (booking.Setups; key order is the ID order Merchants pages in)
//	setup_history  one nested bucket per merchant id, in it 8-byte big-endian version → SetupChange JSON; its
//	               last key is the merchant's stored version, which PutMerchant checks
//	setup_changes  8-byte big-endian generation → merchant id: one entry per merchant, at the generation of its
//	               last write (PutMerchant deletes the previous one), so SetupChangesSince(gen) is a Seek to gen+1
//	setup_last     merchant id → 8-byte big-endian generation of its last write (its setup_changes key)
//
// Each PutMerchant is one read-write transaction over the four setup buckets and the generation. The setup
// buckets came after layout version 1 without changing it: Open creates missing buckets in an existing file,
// and a build without them never reads them.
//
// # Sweeps
//
// Expired hold allocations: a Commit with a Claim removes the expired allocations that overlap the claimed span
// (Mutation step 3) and, through alloc_exp, up to 100 (sweepLimit) other expired hold allocations of any service.
//
// Expired idempotency records: [Store.Idempotency] deletes a record it finds expired (lazily, on read), and every
// successful Commit deletes up to 100 (sweepLimit) records whose ExpiresAt has passed (oldest first, through
// idem_exp), so the bucket stays bounded by the records written within one TTL plus a short backlog. A record
// has expired at now when now is not before its ExpiresAt (a zero ExpiresAt is always expired).
package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/reservations/reservations/booking"
)

// DefaultTimeout is how long Open waits for the file lock when Options.Timeout is zero.
const DefaultTimeout = time.Second

// SchemaVersion is the version of the file layout (see the package documentation) this build reads and writes,
// stored in the meta bucket; a change of the layout changes it.
const SchemaVersion = "1"

// sweepLimit bounds how many expired records one Commit removes from each sweep index.
const sweepLimit = 100

// batchDelay is how long bbolt waits to gather concurrent commits into one transaction. It only applies when
// a commit is already in flight (see Store.write): a lone caller never waits.
const batchDelay = 2 * time.Millisecond

// Bucket names.
const (
	bktMeta          = "meta"
	bktBookings      = "bookings"
	bktHolds         = "holds"
	bktAllocs        = "allocs"
	bktAllocIDs      = "alloc_ids"
	bktAllocExp      = "alloc_exp"
	bktIdem          = "idem"
	bktIdemExp       = "idem_exp"
	bktByUser        = "by_user"
	bktByDay         = "by_day"
	bktActiveEnd     = "active_end"
	bktOutbox        = "outbox"
	bktOutboxSeq     = "outbox_seq"
	bktOutboxPending = "outbox_pending"

	subTimes  = "t"
	keyMaxDur = "maxdur"
	keySchema = "schema"
)

// topBuckets are created by Open.
var topBuckets = [...]string{
	bktMeta, bktBookings, bktHolds, bktAllocs, bktAllocIDs, bktAllocExp, bktIdem, bktIdemExp,
	bktByUser, bktByDay, bktActiveEnd, bktOutbox, bktOutboxSeq, bktOutboxPending,
	bktSetups, bktSetupHistory, bktSetupChanges, bktSetupLast,
}

// Options tune Open.
type Options struct {
	// Timeout is how long to wait for the file lock held by another process; DefaultTimeout (1 s) when zero.
	Timeout time.Duration
}

// Store is a booking.Store in a bbolt file. It is safe for concurrent use by many goroutines of one process.
type Store struct {
	db   *bbolt.DB
	path string
	// inflight counts write transactions requested and not yet finished; see write.
	inflight atomic.Int64
}

var _ booking.Store = (*Store)(nil)

// Open opens (creating it when absent) the store file at path. The parent directory is created with mode 0o750
// and the file with 0o600. When another process holds the file, Open fails after opts.Timeout with an error
// saying the path is locked by another process (it wraps bbolt's timeout error).
func Open(path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("booking/bolt: open: empty path")
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("booking/bolt: create directory of %s: %w", path, err)
		}
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("booking/bolt: %s is locked by another process: %w", path, err)
		}
		return nil, fmt.Errorf("booking/bolt: open %s: %w", path, err)
	}
	db.MaxBatchDelay = batchDelay
	if err := initialise(db, path); err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Store{db: db, path: path}, nil
}

// initialise creates the top-level buckets and checks the file's layout version: a new file gets
// [SchemaVersion], a file with another version is refused with a *[SchemaError] (nothing is written then).
func initialise(db *bbolt.DB, path string) error {
	var found []byte
	err := db.Update(func(tx *bbolt.Tx) error {
		if meta := tx.Bucket([]byte(bktMeta)); meta != nil {
			if v := meta.Get([]byte(keySchema)); v != nil && string(v) != SchemaVersion {
				found = bytes.Clone(v)
				return nil
			}
		}
		for _, name := range topBuckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket([]byte(bktMeta))
		if meta.Get([]byte(keySchema)) == nil {
			return meta.Put([]byte(keySchema), []byte(SchemaVersion))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("booking/bolt: initialise %s: %w", path, err)
	}
	if found != nil {
		return &SchemaError{Path: path, Found: string(found)}
	}
	return nil
}

// SchemaError is the error of [Open] on a file whose layout version is not [SchemaVersion].
type SchemaError struct {
	Path  string // the file
	Found string // the version in its meta bucket
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("booking/bolt: %s has layout version %q, this build reads version %q "+
		"(no migration exists: move the file away or open another)", e.Path, e.Found, SchemaVersion)
}

// Path returns the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Ping runs an empty read transaction.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("booking/bolt: ping: %w", err)
	}
	if err := s.db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket([]byte(bktMeta)) == nil {
			return errors.New("meta bucket missing")
		}
		return nil
	}); err != nil {
		return fmt.Errorf("booking/bolt: ping: %w", err)
	}
	return nil
}

// Close closes the file and releases its lock.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("booking/bolt: close %s: %w", s.path, err)
	}
	return nil
}

// write runs fn in a read-write transaction. A caller that finds no other write in flight runs its own
// transaction at once; callers that arrive while one is in flight go through bbolt's Batch, which coalesces them
// into one transaction and one fsync (fn may then run more than once, so it must be idempotent: every fn here
// re-reads what it needs and resets what it reports).
func (s *Store) write(fn func(*bbolt.Tx) error) error {
	defer s.inflight.Add(-1)
	if s.inflight.Add(1) == 1 {
		return s.db.Update(fn)
	}
	return s.db.Batch(fn)
}

// bucket returns a top-level bucket; Open created them all.
func bucket(tx *bbolt.Tx, name string) *bbolt.Bucket {
	return tx.Bucket([]byte(name))
}
