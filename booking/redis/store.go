package redis

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/reservations/reservations/booking"
)

// Defaults for [Options].
const (
	DefaultPrefix  = "resv"
	DefaultTimeout = 500 * time.Millisecond
	// DefaultPoolSize is the connection pool size ClientOptions sets when the URL names none: room for 64
	// concurrent callers (an instance serving many conversations at once) without waiting for a connection.
	DefaultPoolSize = 64
)

// Options configure a [Store].
type Options struct {
	// Prefix starts every key the store writes; default "resv". Two stores with different prefixes share a Redis
	// without seeing each other's data.
	Prefix string
	// Timeout bounds each round trip to Redis (dial, read, write and the wait for a pooled connection when the
	// client was made by [Open]); default 500 ms. Each Store method also gets an overall deadline of
	// 4 × Timeout on top of the caller's context.
	Timeout time.Duration
	// WaitReplicas, when above 0, makes every Commit wait until that many replicas acknowledged what it wrote
	// (Redis WAIT, on the connection that ran the commit, on Cluster on the master of the merchant's slot)
	// before it reports success. When fewer acknowledge within WaitTimeout, Commit returns a
	// *[ReplicationError]: the change is written on the master but not confirmed (see docs/booking-redis.md).
	// Open takes it from the URL's wait_replicas option.
	WaitReplicas int
	// WaitTimeout bounds each WAIT; default Timeout / 2 (the WAIT reply must arrive within Timeout).
	WaitTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.WaitTimeout <= 0 || o.WaitTimeout >= o.Timeout {
		o.WaitTimeout = o.Timeout / 2
	}
	return o
}

// Store is a booking.Store on Redis (standalone, Sentinel or Cluster). It is safe for concurrent use by many
// goroutines and many processes sharing one Redis.
type Store struct {
	c       goredis.UniversalClient
	prefix  string
	timeout time.Duration
	owned   bool
	sc      scripts
	// wait is Options.WaitReplicas, waitTimeout Options.WaitTimeout.
	wait        int
	waitTimeout time.Duration
	// merchants remembers the merchant IDs this Store has already added to the <prefix>:merchants registry, so a
	// commit does not re-send SADD for them. Only an optimisation: SADD is idempotent.
	merchants sync.Map
	// ptrs caches registry pointers (booking ID → merchant) this Store wrote or read. Pointers never
	// change merchant, so a cached one is never wrong; a record deleted since is still reported not found.
	ptrs ptrCache
	// keys caches each merchant's key names (merchant ID → *mkeys); nkeys counts them.
	keys  sync.Map
	nkeys atomic.Int64
	// decoded caches bookings decoded from their stored JSON.
	decoded bookingCache
}

// ptrCacheMax bounds the pointer cache; when full it starts over.
const ptrCacheMax = 8192

type ptrCache struct {
	mu sync.Mutex
	m  map[string]string
}

func (c *ptrCache) get(k string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *ptrCache) put(k, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= ptrCacheMax {
		c.m = make(map[string]string)
	}
	c.m[k] = v
}

// bookingCacheMax bounds the decoded-booking cache; when full it starts over.
const bookingCacheMax = 4096

// bookingCache maps a stored booking's JSON to the booking it decodes to. A stored JSON never changes meaning
// (it names the booking, its version and its update time; a change stores new JSON), so a hit is always right,
// and bookings that are read again and again (a guest's reservations, the day on the admin page) skip the
// decoding with encoding/json: 6.5–22 µs and 17 allocations each on the project's shared 2-core VM against a
// 0.10–0.20 µs lookup (BenchmarkDecodeBooking), which makes BenchmarkBookingsByUser 1.5–2.3 times faster.
// Booking holds no slices or maps, so a copy shares nothing mutable.
type bookingCache struct {
	mu sync.Mutex
	m  map[string]booking.Booking
}

func (c *bookingCache) get(js string) (booking.Booking, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[js]
	return b, ok
}

func (c *bookingCache) put(js string, b booking.Booking) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= bookingCacheMax {
		c.m = make(map[string]booking.Booking)
	}
	c.m[js] = b
}

var _ booking.Store = (*Store)(nil)

// Open connects to the Redis that storeURL names (see [ParseURL]: redis://[user:pass@]host:port/db, rediss://…
// for TLS, redis-cluster:// and rediss-cluster:// for Redis Cluster, redis-sentinel:// for a master behind
// Sentinel, each with an optional wait_replicas=N), sets timeouts so that an unreachable Redis fails fast
// instead of hanging, pings it and checks the layout version of the prefix ([Store.CheckSchema]). The URL's
// wait_replicas, when given, sets opts.WaitReplicas. Close closes the client.
func Open(ctx context.Context, storeURL string, opts Options) (*Store, error) {
	u, err := ParseURL(storeURL)
	if err != nil {
		// The URL may carry a password: never echo it.
		return nil, fmt.Errorf("booking/redis: invalid store URL (want redis://host:port/db, rediss://…, "+
			"redis-cluster://host:port?addr=…, redis-sentinel://host:port?master_name=…): %w", err)
	}
	if u.WaitReplicas > 0 {
		opts.WaitReplicas = u.WaitReplicas
	}
	opts = opts.withDefaults()
	c := u.NewClient(opts.Timeout)
	s := New(c, opts)
	s.owned = true
	if err := s.Ping(ctx); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("booking/redis: connect to %s (%s): %w", u.Addr, u.Topology, err)
	}
	if err := s.CheckSchema(ctx); err != nil {
		_ = c.Close()
		return nil, err
	}
	return s, nil
}

// SchemaVersion is the version of the key layout (doc.go) this build reads and writes. It is stored at
// <prefix>:schema; a change of the layout changes it.
const SchemaVersion = "1"

// SchemaError is the error of a store opened on a prefix whose data has another layout version than
// [SchemaVersion].
type SchemaError struct {
	Prefix string // Options.Prefix
	Found  string // the version stored at <prefix>:schema
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("booking/redis: the keys under prefix %q have layout version %q, this build reads version %q "+
		"(no migration exists: empty the prefix or open the store with another Options.Prefix)",
		e.Prefix, e.Found, SchemaVersion)
}

// CheckSchema makes sure the data under the store's prefix has the layout this build reads. On a prefix without
// a version (empty, or written before the version key existed, which is layout 1) it stores [SchemaVersion]; on
// one with another version it answers a *[SchemaError] and writes nothing. Open calls it; a Store made with [New]
// should be checked before it serves.
func (s *Store) CheckSchema(ctx context.Context) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	found, err := s.c.SetArgs(ctx, s.schemaKey(), SchemaVersion, goredis.SetArgs{Mode: "NX", Get: true}).Result()
	switch {
	case errors.Is(err, goredis.Nil):
		return nil // there was none: written now
	case err != nil:
		return fmt.Errorf("booking/redis: check layout version at %s: %w", s.schemaKey(), err)
	case found != SchemaVersion:
		return &SchemaError{Prefix: s.prefix, Found: found}
	}
	return nil
}

// ClientOptions sets the pool size, timeouts and retry policy Open uses on o: [DefaultPoolSize] connections unless
// o (the URL's pool_size) names a size, dial (one attempt), read and write time out after timeout, waiting for a
// pooled connection after 2 × timeout, the client honours context deadlines, and
// commands are not retried (a retried commit whose first reply was lost would report a false conflict; callers retry with
// idempotency keys instead).
func ClientOptions(o *goredis.Options, timeout time.Duration) {
	connKnobs{&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout, &o.DialerRetries, &o.MaxRetries,
		&o.PoolSize, &o.ContextTimeoutEnabled, &o.DisableIdentity}.apply(timeout)
}

// redactURLError drops the URL text (which may hold a password) that net/url errors carry.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// New returns a Store over an existing client: a *redis.Client, or a *redis.ClusterClient (every multi-key
// operation stays inside one merchant's hash slot). New sends nothing; call [Store.CheckSchema] before serving.
// Close does not close a client passed to New.
func New(client goredis.UniversalClient, opts Options) *Store {
	opts = opts.withDefaults()
	return &Store{c: client, prefix: opts.Prefix, timeout: opts.Timeout, sc: newScripts(),
		wait: opts.WaitReplicas, waitTimeout: opts.WaitTimeout}
}

// Ping sends PING.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if err := s.c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("booking/redis: ping: %w", err)
	}
	return nil
}

// Close closes the client when Open created it; a client passed to New is left to its owner.
func (s *Store) Close() error {
	if !s.owned {
		return nil
	}
	if err := s.c.Close(); err != nil {
		return fmt.Errorf("booking/redis: close: %w", err)
	}
	return nil
}

func (s *Store) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, 4*s.timeout)
}

// ---- key layout (see doc.go) ----

func (s *Store) schemaKey() string           { return s.prefix + ":schema" }
func (s *Store) merchantsKey() string        { return s.prefix + ":merchants" }
func (s *Store) bookingPtr(id string) string { return s.prefix + ":bp:" + id }
func (s *Store) entryPtr(id string) string   { return s.prefix + ":ep:" + id }
func (s *Store) userKey(user string) string  { return s.prefix + ":um:" + user }

// mkeys are the keys of one merchant; every one starts with the merchant's hash tag. A Store builds them once
// per merchant (see Store.mk).
type mkeys struct {
	tag                                           string
	kbj, kal, kad, kax, kx, kact                  string
	koe, kop, koi, kob, koc, kidemNone, kholdNone string
}

// maxCachedMerchants bounds the key sets a Store keeps; beyond it (only with merchant IDs from outside the
// inventory) keys are built per call.
const maxCachedMerchants = 1024

func (s *Store) mk(merchantID string) *mkeys {
	if k, ok := s.keys.Load(merchantID); ok {
		return k.(*mkeys)
	}
	t := "{" + s.prefix + ":m:" + merchantID + "}"
	k := &mkeys{tag: t, kbj: t + ":bj", kal: t + ":al", kad: t + ":ad", kax: t + ":ax", kx: t + ":x",
		kact: t + ":act", koe: t + ":oe", kop: t + ":op", koi: t + ":oi", kob: t + ":ob", koc: t + ":oc",
		kidemNone: t + ":i:", kholdNone: t + ":h:"}
	if s.nkeys.Load() < maxCachedMerchants {
		if _, loaded := s.keys.LoadOrStore(merchantID, k); !loaded {
			s.nkeys.Add(1)
		}
	}
	return k
}

func (k *mkeys) idem(key string) string { return k.tag + ":i:" + key }
func (k *mkeys) hold(id string) string  { return k.tag + ":h:" + id }
func (k *mkeys) bj() string             { return k.kbj }
func (k *mkeys) al() string             { return k.kal }
func (k *mkeys) ad() string             { return k.kad }
func (k *mkeys) ax() string             { return k.kax }
func (k *mkeys) x() string              { return k.kx }
func (k *mkeys) act() string            { return k.kact }
func (k *mkeys) oe() string             { return k.koe }
func (k *mkeys) op() string             { return k.kop }
func (k *mkeys) oi() string             { return k.koi }
func (k *mkeys) ob() string             { return k.kob }
func (k *mkeys) oc() string             { return k.koc }

// ---- encoding helpers ----

// ms is t in unix milliseconds, 0 for the zero time (the scripts read 0 as "never expires").
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// ts formats t for the outbox delivery-state record; "" is the zero time.
func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func parseTS(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse time %q: %w", v, err)
	}
	return t, nil
}

// outboxMember orders a booking's outbox entries by Seq inside the lexicographic outbox ZSETs.
func outboxMember(e *booking.OutboxEntry) string {
	var seq [20]byte
	n := strconv.AppendInt(seq[:0], e.Seq, 10)
	if e.Seq < 0 || len(n) > len(seq) {
		return e.BookingID + "\x00" + fmt.Sprintf("%020d", e.Seq) + "\x00" + e.ID
	}
	var pad [20]byte
	for i := range pad {
		pad[i] = '0'
	}
	copy(pad[len(pad)-len(n):], n)
	return e.BookingID + "\x00" + string(pad[:]) + "\x00" + e.ID
}

// conventionalEntryID reports whether the entry's ID is bookingID + "." + seq, with "." + lane for the channels
// other than ORDERS ([booking.OutboxID]), the IDs the core gives outbox entries; such entries are found through
// their booking's pointer and need no pointer of their own.
func conventionalEntryID(e *booking.OutboxEntry) bool {
	return !strings.Contains(e.BookingID, ".") && e.ID == booking.OutboxID(e.BookingID, e.Seq, e.Lane())
}

// replyStrings reads a script reply that is an array of strings and nils (nil becomes "" with ok false).
func replyStrings(v any) ([]string, []bool, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, nil, fmt.Errorf("unexpected script reply %T", v)
	}
	out := make([]string, len(arr))
	present := make([]bool, len(arr))
	for i, x := range arr {
		switch x := x.(type) {
		case nil:
		case string:
			out[i], present[i] = x, true
		case int64:
			out[i], present[i] = strconv.FormatInt(x, 10), true
		default:
			return nil, nil, fmt.Errorf("unexpected script reply element %T", x)
		}
	}
	return out, present, nil
}
