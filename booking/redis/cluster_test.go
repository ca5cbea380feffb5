package redis

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/reservations/reservations/booking"
)

// crc16 is the CRC-16/XMODEM Redis Cluster hashes keys with.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// keySlot is CLUSTER KEYSLOT: the hash tag's content when the key has a non-empty {…}, else the whole key.
func keySlot(key string) uint16 {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	return crc16(key) % 16384
}

func TestKeySlot(t *testing.T) {
	// Values from the Redis Cluster specification and CLUSTER KEYSLOT.
	tests := []struct {
		key  string
		want uint16
	}{
		{"123456789", 12739}, // the spec's CRC16 check value 0x31C3 mod 16384
		{"foo", 12182},
		{"{user1000}.following", keySlot("user1000")},
		{"foo{}{bar}", keySlot("foo{}{bar}")},
	}
	for _, tt := range tests {
		if got := keySlot(tt.key); got != tt.want {
			t.Errorf("keySlot(%q) = %d, want %d", tt.key, got, tt.want)
		}
	}
}

// scriptRecorder is a go-redis hook that records every EVAL/EVALSHA the store sends.
type scriptRecorder struct {
	mu    sync.Mutex
	calls []scriptRun
}

// scriptRun is one recorded EVAL/EVALSHA: the script's SHA1, its KEYS and how many ARGV it got.
type scriptRun struct {
	sha   string
	keys  []string
	nargs int
}

func (r *scriptRecorder) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (r *scriptRecorder) record(cmd goredis.Cmder) {
	args := cmd.Args()
	if len(args) < 3 {
		return
	}
	name := strings.ToLower(fmt.Sprint(args[0]))
	if name != "eval" && name != "evalsha" {
		return
	}
	n := 0
	_, _ = fmt.Sscan(fmt.Sprint(args[2]), &n)
	keys := make([]string, 0, n)
	for _, k := range args[3 : 3+n] {
		keys = append(keys, fmt.Sprint(k))
	}
	sha := fmt.Sprint(args[1])
	if name == "eval" {
		sha = goredis.NewScript(sha).Hash()
	}
	r.mu.Lock()
	r.calls = append(r.calls, scriptRun{sha: sha, keys: keys, nargs: len(args) - 3 - n})
	r.mu.Unlock()
}

func (r *scriptRecorder) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		r.record(cmd)
		return next(ctx, cmd)
	}
}

func (r *scriptRecorder) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		for _, c := range cmds {
			r.record(c)
		}
		return next(ctx, cmds)
	}
}

// TestScriptKeysShareOneSlot runs every script the store has on sample data, the way it runs on Cluster, and
// checks that each run's KEYS carry the merchant's hash tag and hash to one Cluster slot. On a single Redis the
// commit script also takes the registry keys (outside the merchant's slot): only those may differ there.
func TestScriptKeysShareOneSlot(t *testing.T) {
	for _, single := range []bool{false, true} {
		t.Run(fmt.Sprintf("single=%v", single), func(t *testing.T) {
			s, rec := recordedStore(t, single)
			runEveryScript(t, s)
			scriptKeysOneSlot(t, s, rec, single)
		})
	}
}

// recordedStore is a Store on a fresh prefix whose script runs rec records; on Cluster's code path unless
// single.
func recordedStore(t *testing.T, single bool) (*Store, *scriptRecorder) {
	t.Helper()
	c := newClient(t)
	rec := &scriptRecorder{}
	c.AddHook(rec)
	prefix := randomPrefix(t)
	t.Cleanup(func() { deleteKeys(t, c, prefix) })
	var client goredis.UniversalClient = otherClient{c}
	if single {
		client = c
	}
	return New(client, Options{Prefix: prefix, Timeout: testTimeout}), rec
}

// runEveryScript runs every script of the store on sample data (both claim modes among them).
func runEveryScript(t *testing.T, s *Store) {
	t.Helper()
	ctx := tctx(t)
	start := t0.Add(48 * time.Hour)
	b := newBooking("b1", "bistro", "u1", start, 2)
	h := &booking.Hold{ID: "h1", MerchantID: "bistro", ServiceID: "dinner", Start: start, End: start.Add(time.Hour),
		PartySize: 2, ExpiresAt: t0.Add(15 * time.Minute)}
	full := &booking.Mutation{MerchantID: "bistro", Now: t0, Booking: b, Claim: claimFor(b, 40), Release: []string{"x"},
		PutHold: h, DeleteHold: "h0", Outbox: []booking.OutboxEntry{entryFor(b, booking.ChangeCreated, t0)},
		Idempotency: &booking.IdempotencyRecord{Key: "idem-{weird}-key", ExpiresAt: t0.Add(time.Hour)}}
	if err := s.Commit(ctx, full); err != nil {
		t.Fatal(err)
	}
	createBooking(t, s, newBooking("b2", "other", "u1", start, 2), 40, t0)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.Allocations(ctx, "bistro", "dinner", start, start.Add(time.Hour))
	must(err)
	_, err = s.BookingsByUser(ctx, "u1", t0)
	must(err)
	_, err = s.BookingsByDay(ctx, "bistro", b.Day)
	must(err)
	_, err = s.BookingsEndedBefore(ctx, start.Add(24*time.Hour), 5)
	must(err)
	es, err := s.ClaimOutbox(ctx, "w", 1, time.Minute, t0.Add(time.Minute)) // two merchants: peek + ids
	must(err)
	must(s.RetryOutbox(ctx, es[0].ID, "w", t0, "x"))
	_, err = s.OutboxByBooking(ctx, "b1")
	must(err)
	_, _, err = s.OutboxStats(ctx)
	must(err)
}

func scriptKeysOneSlot(t *testing.T, s *Store, rec *scriptRecorder, single bool) {
	if len(rec.calls) < 10 {
		t.Fatalf("recorded only %d script runs", len(rec.calls))
	}
	for _, run := range rec.calls {
		keys := run.keys
		if len(keys) == 0 {
			t.Fatal("a script ran without KEYS")
		}
		tag := keys[0][:strings.IndexByte(keys[0], '}')+1]
		if !strings.HasPrefix(tag, "{"+s.prefix+":m:") {
			t.Fatalf("key %q does not start with a merchant hash tag", keys[0])
		}
		for i, k := range keys {
			if single && i >= commitKeys && strings.HasPrefix(k, s.prefix+":") {
				continue // a registry key of a single-Redis commit
			}
			if !strings.HasPrefix(k, tag) || keySlot(k) != keySlot(keys[0]) {
				t.Fatalf("keys of one script in different slots: %q (slot %d) and %q (slot %d)",
					keys[0], keySlot(keys[0]), k, keySlot(k))
			}
		}
	}
}

// TestRedisDown points a store at a closed loopback port: Open and every method fail within about a second.
func TestRedisDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	url := "redis://" + addr + "/0"

	begin := time.Now()
	if _, err := Open(context.Background(), url, Options{}); err == nil {
		t.Fatal("Open succeeded against a closed port")
	} else if d := time.Since(begin); d > time.Second {
		t.Fatalf("Open took %v to fail", d)
	}

	o, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	ClientOptions(o, 0)
	s := New(goredis.NewClient(o), Options{})
	defer func() { _ = s.c.Close() }()
	now := t0
	b := newBooking("b", "m", "u", t0.Add(48*time.Hour), 2)
	calls := []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"Commit", func(ctx context.Context) error {
			return s.Commit(ctx, &booking.Mutation{MerchantID: "m", Now: now, Booking: b, Claim: claimFor(b, 40)})
		}},
		{"Allocations", func(ctx context.Context) error {
			_, err := s.Allocations(ctx, "m", "dinner", now, now.Add(time.Hour))
			return err
		}},
		{"Booking", func(ctx context.Context) error { _, err := s.Booking(ctx, "b"); return err }},
		{"Hold", func(ctx context.Context) error { _, err := s.Hold(ctx, "m", "h"); return err }},
		{"BookingsByUser", func(ctx context.Context) error { _, err := s.BookingsByUser(ctx, "u", now); return err }},
		{"BookingsByDay", func(ctx context.Context) error { _, err := s.BookingsByDay(ctx, "m", "2030-01-01"); return err }},
		{"BookingsEndedBefore", func(ctx context.Context) error { _, err := s.BookingsEndedBefore(ctx, now, 5); return err }},
		{"Idempotency", func(ctx context.Context) error { _, _, err := s.Idempotency(ctx, "m", "k", now); return err }},
		{"ClaimOutbox", func(ctx context.Context) error {
			_, err := s.ClaimOutbox(ctx, "w", 5, time.Minute, now)
			return err
		}},
		{"AckOutbox", func(ctx context.Context) error { return s.AckOutbox(ctx, "b.1", "w", now) }},
		{"RetryOutbox", func(ctx context.Context) error { return s.RetryOutbox(ctx, "b.1", "w", now, "x") }},
		{"DeadOutbox", func(ctx context.Context) error { return s.DeadOutbox(ctx, "b.1", "w", "x") }},
		{"OutboxByBooking", func(ctx context.Context) error { _, err := s.OutboxByBooking(ctx, "b"); return err }},
		{"OutboxStats", func(ctx context.Context) error { _, _, err := s.OutboxStats(ctx); return err }},
		{"Ping", func(ctx context.Context) error { return s.Ping(ctx) }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			begin := time.Now()
			err := c.run(context.Background())
			if err == nil {
				t.Fatal("no error from a store whose Redis is down")
			}
			if booking.CodeOf(err) != "" {
				t.Fatalf("infrastructure failure reported as a business failure: %v", err)
			}
			if d := time.Since(begin); d > time.Second {
				t.Fatalf("took %v to fail", d)
			}
		})
	}
}
