package redis

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/reservations/reservations/booking"
)

// holdGrace is how long a hold record outlives the hold's expiry, so that a late confirmation still finds the
// hold and can re-claim its capacity; after that Redis drops it.
const holdGrace = 24 * time.Hour

// bookingRecord is how a booking is stored in T:bj: a head the commit script reads without decoding JSON
// ("<Version> <len(UserID)> <len(Day)> <Start ms> <End ms> <1 if Active, else 0>\n<UserID><Day>", lengths in
// bytes, so any bytes may appear in them), then the booking JSON js. The head gives the version check its
// version, the index moves their old members and the user guard the span and whether it counts.
func bookingRecord(b *booking.Booking, js []byte) []byte {
	u, d := b.Customer.UserID, b.Day
	v := make([]byte, 0, 80+len(u)+len(d)+len(js))
	v = strconv.AppendInt(v, b.Version, 10)
	v = append(v, ' ')
	v = strconv.AppendInt(v, int64(len(u)), 10)
	v = append(v, ' ')
	v = strconv.AppendInt(v, int64(len(d)), 10)
	v = append(v, ' ')
	v = strconv.AppendInt(v, ms(b.Start), 10)
	v = append(v, ' ')
	v = strconv.AppendInt(v, ms(b.End), 10)
	v = append(v, ' ')
	v = append(v, flag(b.Active())...)
	v = append(v, '\n')
	v = append(v, u...)
	v = append(v, d...)
	return append(v, js...)
}

// bookingJSON returns the booking JSON of a stored bookingRecord.
func bookingJSON(rec string) (string, error) {
	head, rest, ok := strings.Cut(rec, "\n")
	if !ok {
		return "", errors.New("malformed booking record: no head")
	}
	_, lens, _ := strings.Cut(head, " ")
	lu, lens, _ := strings.Cut(lens, " ")
	ld, _, _ := strings.Cut(lens, " ")
	nu, err1 := strconv.Atoi(lu)
	nd, err2 := strconv.Atoi(ld)
	if err1 != nil || err2 != nil || nu < 0 || nd < 0 || nu+nd > len(rest) {
		return "", errors.New("malformed booking record head")
	}
	return rest[nu+nd:], nil
}

// idempotencyJSON returns the record JSON of a stored idempotency value ("<ExpiresAt ms>\n" + JSON).
func idempotencyJSON(v string) (string, error) {
	_, js, ok := strings.Cut(v, "\n")
	if !ok {
		return "", errors.New("malformed idempotency record")
	}
	return js, nil
}

// deliveryState is the mutable part of an outbox entry, kept apart from the entry JSON written at commit.
type deliveryState struct {
	S string `json:"s"`           // State
	A int    `json:"a"`           // Attempts
	N string `json:"n"`           // NextAttemptAt
	O string `json:"o"`           // LeaseOwner
	L string `json:"l"`           // LeaseUntil
	D string `json:"d"`           // DeliveredAt
	E string `json:"e"`           // LastError
	K string `json:"k"`           // member in the ob ZSET (after its "q" or "a")
	C int64  `json:"c"`           // CreatedAt, unix ms (claim order)
	Q int64  `json:"q,omitempty"` // commit order within the merchant, set by the commit script (claim order for equal C)
	H string `json:"h,omitempty"` // Channel, omitted for ORDERS (states written before channels have none)
}

// Commit applies m atomically with one Lua script over the merchant's keys. The pointers that lookups by ID need,
// outside the merchant's hash slot (see doc.go), are written by the script itself on a single Redis and before
// the script on Cluster (see runCommit).
func (s *Store) Commit(ctx context.Context, m *booking.Mutation) error {
	if m == nil || m.MerchantID == "" {
		return booking.InvalidArgument("merchantId", "a mutation needs a merchant")
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	keys, args, err := s.commitArgs(m)
	if err != nil {
		return err
	}
	res, acked, err := s.runCommit(ctx, m, keys, args)
	if err != nil {
		return fmt.Errorf("booking/redis: commit: %w", err)
	}
	out, _, err := replyStrings(res)
	if err != nil || len(out) == 0 {
		return fmt.Errorf("booking/redis: commit: %w", errors.Join(err, errors.New("empty reply")))
	}
	switch out[0] {
	case "OK":
		s.rememberMerchant(m.MerchantID)
		if m.Booking != nil {
			s.ptrs.put("b:"+m.Booking.ID, m.MerchantID)
		}
		if s.wait > 0 && acked < int64(s.wait) {
			return fmt.Errorf("booking/redis: commit: %w", &ReplicationError{Want: int64(s.wait), Acked: acked, Timeout: s.waitTimeout})
		}
		return nil
	case "REPLAY":
		var rec booking.IdempotencyRecord
		if len(out) < 2 {
			return errors.New("booking/redis: commit: replay without record")
		}
		if err := json.Unmarshal([]byte(out[1]), &rec); err != nil {
			return fmt.Errorf("booking/redis: decode idempotency record: %w", err)
		}
		return &booking.ReplayError{Record: rec}
	case "VERSION":
		stored := ""
		if len(out) > 1 {
			stored = out[1]
		}
		return booking.Errorf(booking.CodeVersionMismatch, "booking version is %s, expected %d", stored, m.ExpectVersion)
	case "NOHOLD":
		return booking.Errorf(booking.CodeNotFound, "no hold with this id")
	case "USER":
		return booking.Errorf(booking.CodeSlotAlreadyBookedByUser, "the user already has a booking at an overlapping time")
	case "FULL":
		return booking.Errorf(booking.CodeSlotUnavailable, "not enough capacity left for a party of %d", m.Claim.Party)
	default:
		return fmt.Errorf("booking/redis: commit: unexpected reply %q", out[0])
	}
}

// runCommit runs the commit script with the registry entries the mutation needs, and returns its reply and, with
// Options.WaitReplicas, how many replicas acknowledged it (WAIT). On a single Redis (*redis.Client) the script
// writes the registry itself, after its last check passed, so a commit is one command and a failed one leaves
// no pointer behind. Elsewhere (Cluster, where the registry keys live in other slots than the merchant's) the
// registry is written first, in a pipeline, and the script runs only once that succeeded.
func (s *Store) runCommit(ctx context.Context, m *booking.Mutation, keys []string, args []any) (any, int64, error) {
	ops := s.registryOps(m)
	if _, single := s.c.(*goredis.Client); single {
		args = append(args, len(ops))
		for _, op := range ops {
			keys = append(keys, op.key)
			args = append(args, string(op.kind), op.value)
		}
		// The merchant is remembered as registered only when the script answers OK (Commit): a refused commit
		// returns before the registry writes.
		return s.runScript(ctx, s.c, s.sc.commit, keys, args)
	}
	if len(ops) > 0 {
		if err := s.writeRegistry(ctx, ops); err != nil {
			return nil, 0, err
		}
		s.rememberMerchant(m.MerchantID)
	}
	args = append(args, 0)
	if cc, ok := s.c.(*goredis.ClusterClient); ok && s.wait > 0 {
		// WAIT must run on the connection that ran the script: a pipeline on the master of the merchant's slot.
		node, err := cc.MasterForKey(ctx, keys[0])
		if err != nil {
			cc.ReloadState(ctx)
			return nil, 0, fmt.Errorf("find the master of %s: %w", keys[0], err)
		}
		res, acked, err := s.runScript(ctx, node, s.sc.commit, keys, args)
		if err != nil {
			cc.ReloadState(ctx) // a failover or a moved slot: the next commit asks the cluster again
		}
		return res, acked, err
	}
	return s.runScript(ctx, s.c, s.sc.commit, keys, args)
}

// runScript runs sc with EVALSHA (EVAL after NOSCRIPT) on c; with Options.WaitReplicas it sends WAIT in the
// same pipeline, on the same connection, and returns how many replicas acknowledged.
func (s *Store) runScript(ctx context.Context, c goredis.UniversalClient, sc *goredis.Script, keys []string, args []any) (any, int64, error) {
	if s.wait <= 0 {
		res, err := sc.Run(ctx, c, keys, args...).Result()
		return res, 0, err
	}
	run := func(eval func(ctx context.Context, c goredis.Scripter, keys []string, args ...any) *goredis.Cmd) (any, int64, error) {
		pipe := c.Pipeline()
		res := eval(ctx, pipe, keys, args...)
		acked := s.queueWait(ctx, pipe)
		_, _ = pipe.Exec(ctx) // each command's error is read below
		if err := res.Err(); err != nil {
			return nil, 0, err
		}
		n, err := acked.Result()
		if err != nil {
			return nil, 0, fmt.Errorf("WAIT %d: %w", s.wait, err)
		}
		return res.Val(), n, nil
	}
	res, n, err := run(sc.EvalSha)
	if isNoScript(err) {
		res, n, err = run(sc.Eval)
	}
	return res, n, err
}

// queueWait adds WAIT <Options.WaitReplicas> <Options.WaitTimeout in ms> to pipe.
func (s *Store) queueWait(ctx context.Context, pipe goredis.Pipeliner) *goredis.IntCmd {
	cmd := goredis.NewIntCmd(ctx, "wait", s.wait, s.waitTimeout.Milliseconds())
	_ = pipe.Process(ctx, cmd) // queues only
	return cmd
}

// writeRegistry writes the registry entries before a commit off a single Redis: in one pipeline, or with
// Options.WaitReplicas on a Cluster, one pipeline per master ending in WAIT, so that a confirmed booking's
// pointers survive a failover too.
func (s *Store) writeRegistry(ctx context.Context, ops []regOp) error {
	queue := func(pipe goredis.Pipeliner, op regOp) {
		switch op.kind {
		case regAdd:
			pipe.SAdd(ctx, op.key, op.value)
		default:
			pipe.SetNX(ctx, op.key, op.value, 0)
		}
	}
	cc, ok := s.c.(*goredis.ClusterClient)
	if !ok || s.wait <= 0 {
		pipe := s.c.Pipeline()
		for _, op := range ops {
			queue(pipe, op)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			if ok {
				cc.ReloadState(ctx) // a node failed or moved: the next commit asks the cluster again
			}
			return fmt.Errorf("write registry: %w", err)
		}
		return nil
	}
	byNode := map[*goredis.Client][]regOp{}
	for _, op := range ops {
		node, err := cc.MasterForKey(ctx, op.key)
		if err != nil {
			cc.ReloadState(ctx)
			return fmt.Errorf("write registry: find the master of %s: %w", op.key, err)
		}
		byNode[node] = append(byNode[node], op)
	}
	for node, ops := range byNode {
		pipe := node.Pipeline()
		for _, op := range ops {
			queue(pipe, op)
		}
		acked := s.queueWait(ctx, pipe)
		if _, err := pipe.Exec(ctx); err != nil {
			cc.ReloadState(ctx)
			return fmt.Errorf("write registry: %w", err)
		}
		if n := acked.Val(); n < int64(s.wait) {
			return fmt.Errorf("write registry: %w", &ReplicationError{Want: int64(s.wait), Acked: n, Timeout: s.waitTimeout})
		}
	}
	return nil
}

// ReplicationError is Commit's error when fewer replicas than Options.WaitReplicas acknowledged the commit
// within Options.WaitTimeout. The change was applied on the master and is visible there (a retry with the same
// idempotency key is answered as a replay), but it is not confirmed durable: a failover before the replicas
// catch up can lose it. The core reports it as an infrastructure failure (no business code).
type ReplicationError struct {
	Want, Acked int64 // replicas asked for, replicas that acknowledged
	Timeout     time.Duration
}

func (e *ReplicationError) Error() string {
	return fmt.Sprintf("written on the master but acknowledged by %d of %d replicas within %v: not confirmed",
		e.Acked, e.Want, e.Timeout)
}

func (s *Store) rememberMerchant(id string) { s.merchants.Store(id, struct{}{}) }

// regOp is one registry write: SADD or SET NX.
type regOp struct {
	kind       byte
	key, value string
}

// The kinds of regOp, as the commit script reads them.
const (
	regAdd   = 'A'
	regSetNX = 'N'
)

// registryOps lists the registry entries the mutation needs (merchant set, booking and entry pointers, user →
// merchants). Holds need none: they are always looked up with their merchant.
func (s *Store) registryOps(m *booking.Mutation) []regOp {
	var ops []regOp
	if _, known := s.merchants.Load(m.MerchantID); !known {
		ops = append(ops, regOp{kind: regAdd, key: s.merchantsKey(), value: m.MerchantID})
	}
	if b := m.Booking; b != nil {
		if m.ExpectVersion == 0 {
			// NX: a booking ID once pointed at a merchant keeps pointing there.
			ops = append(ops, regOp{kind: regSetNX, key: s.bookingPtr(b.ID), value: m.MerchantID})
		}
		if b.Customer.UserID != "" {
			ops = append(ops, regOp{kind: regAdd, key: s.userKey(b.Customer.UserID), value: m.MerchantID})
		}
	}
	for i := range m.Outbox {
		e := &m.Outbox[i]
		if m.Booking == nil || e.BookingID != m.Booking.ID {
			ops = append(ops, regOp{kind: regSetNX, key: s.bookingPtr(e.BookingID), value: m.MerchantID})
		}
		if !conventionalEntryID(e) {
			ops = append(ops, regOp{kind: regSetNX, key: s.entryPtr(e.ID), value: m.MerchantID})
		}
	}
	return ops
}

func holdTTL(h *booking.Hold, now time.Time) time.Duration {
	ttl := h.ExpiresAt.Sub(now)
	if ttl < 0 {
		ttl = 0
	}
	return ttl + holdGrace
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// commitHeader is ARGV[1] of the commit script: every flag and number of a Mutation in one binary string,
// big-endian, read with one struct.unpack ('>i8BBBBBBBBi8i8i8i8i8i4i8i4i8i8i8', in this field order), so that a
// commit passes a dozen arguments instead of three dozen (each argument is a string Redis creates for Lua).
// Times are unix ms; flags are 0 or 1.
type commitHeader struct {
	now                                                                   int64
	idem, booking, active, claim, putHold, deleteHold, requireHold, guard uint8
	idemTTL, expectVersion, end, claimStart, claimEnd                     int64
	claimParty                                                            int32
	claimExpires                                                          int64
	claimCapacity                                                         int32
	holdTTL, guardStart, guardEnd                                         int64
}

// commitHeaderFormat is commitHeader's struct.unpack format.
const commitHeaderFormat = ">i8BBBBBBBBi8i8i8i8i8i4i8i4i8i8i8"

func (h *commitHeader) encode() string {
	b := make([]byte, 0, 96)
	b = binary.BigEndian.AppendUint64(b, uint64(h.now))
	b = append(b, h.idem, h.booking, h.active, h.claim, h.putHold, h.deleteHold, h.requireHold, h.guard)
	for _, v := range []int64{h.idemTTL, h.expectVersion, h.end, h.claimStart, h.claimEnd} {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	b = binary.BigEndian.AppendUint32(b, uint32(h.claimParty))
	b = binary.BigEndian.AppendUint64(b, uint64(h.claimExpires))
	b = binary.BigEndian.AppendUint32(b, uint32(h.claimCapacity))
	for _, v := range []int64{h.holdTTL, h.guardStart, h.guardEnd} {
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	return string(b)
}

// commitKeys is how many of the merchant's keys the commit script takes (registry keys may follow).
const commitKeys = 13

// commitArgs builds KEYS and ARGV for lua/commit.lua (documented at its top).
func (s *Store) commitArgs(m *booking.Mutation) ([]string, []any, error) {
	k := s.mk(m.MerchantID)
	idemKey, putHold, delHold := k.kidemNone, k.kholdNone, k.kholdNone
	if m.Idempotency != nil {
		idemKey = k.idem(m.Idempotency.Key)
	}
	if m.PutHold != nil {
		putHold = k.hold(m.PutHold.ID)
	}
	if m.DeleteHold != "" {
		delHold = k.hold(m.DeleteHold)
	}
	keys := make([]string, 0, commitKeys+4)
	keys = append(keys, idemKey, k.bj(), k.al(), k.ad(), k.ax(), putHold, delHold, k.x(), k.act(),
		k.oe(), k.op(), k.ob(), k.oc())

	// ARGV[1] is a binary header with every flag and number (see commitHeader); ARGV[2…12] are the strings.
	// args is indexed by ARGV number until the first element is dropped below.
	var h commitHeader
	h.now = ms(m.Now)
	args := make([]any, 13, 16+len(m.Release)+6*len(m.Outbox))
	for i := range args {
		args[i] = ""
	}

	// 2 the idempotency record
	if r := m.Idempotency; r != nil {
		v, ttl, err := idemValue(r, m.Now)
		if err != nil {
			return nil, nil, err
		}
		h.idem, h.idemTTL, args[2] = 1, ttl, v
	}

	// 3–6 the booking
	if b := m.Booking; b != nil {
		js, err := json.Marshal(b)
		if err != nil {
			return nil, nil, fmt.Errorf("booking/redis: encode booking: %w", err)
		}
		h.booking, h.expectVersion, h.end = 1, m.ExpectVersion, ms(b.End)
		if b.Active() {
			h.active = 1
		}
		args[3], args[4], args[5], args[6] = b.ID, bookingRecord(b, js), b.Customer.UserID, b.Day
	}

	// 7–9 the claim
	if c := m.Claim; c != nil {
		if len(c.ID) > maxAllocField || len(c.ServiceID) > maxAllocField {
			return nil, nil, booking.InvalidArgument("claim", "allocation and service ids must be at most %d bytes", maxAllocField)
		}
		if c.Party < 0 || c.Party > math.MaxInt32 || c.Capacity < 0 || c.Capacity > math.MaxInt32 {
			return nil, nil, booking.InvalidArgument("claim", "party and capacity must be between 0 and %d", math.MaxInt32)
		}
		h.claim, h.claimStart, h.claimEnd, h.claimParty = 1, ms(c.Start), ms(c.End), int32(c.Party)
		h.claimExpires, h.claimCapacity = ms(c.ExpiresAt), int32(c.Capacity)
		args[7], args[8], args[9] = c.ID, c.ServiceID, allocValue(c.Allocation)
	}

	// 10 the hold to put; the hold to delete and RequireHold are flags
	if ph := m.PutHold; ph != nil {
		js, err := json.Marshal(ph)
		if err != nil {
			return nil, nil, fmt.Errorf("booking/redis: encode hold: %w", err)
		}
		h.putHold, h.holdTTL, args[10] = 1, holdTTL(ph, m.Now).Milliseconds(), js
	}
	if m.DeleteHold != "" {
		h.deleteHold = 1
	}
	if m.RequireHold {
		h.requireHold = 1
	}

	// 11–12 the user guard
	if g := m.User; g != nil {
		h.guard, h.guardStart, h.guardEnd = 1, ms(g.Start), ms(g.End)
		args[11], args[12] = g.UserID, g.Except
	}
	args[1] = h.encode()
	args = args[1:] // args[n] above is ARGV[n]; ARGV is 1-based

	// 13… release, then the outbox
	args = append(args, len(m.Release))
	for _, id := range m.Release {
		args = append(args, id)
	}
	args, err := appendOutboxArgs(args, m.Outbox)
	if err != nil {
		return nil, nil, err
	}
	return keys, args, nil
}

// idemValue is the stored value of an idempotency record, "<ExpiresAt ms>\n" + JSON (so that the script
// checks expiry without decoding), and its TTL in milliseconds (at least 1).
func idemValue(r *booking.IdempotencyRecord, now time.Time) ([]byte, int64, error) {
	js, err := json.Marshal(r)
	if err != nil {
		return nil, 0, fmt.Errorf("booking/redis: encode idempotency record: %w", err)
	}
	ttl := max(r.ExpiresAt.Sub(now).Milliseconds(), 1)
	v := make([]byte, 0, 21+len(js))
	v = strconv.AppendInt(v, ms(r.ExpiresAt), 10)
	v = append(v, '\n')
	return append(v, js...), ttl, nil
}

// appendOutboxArgs appends the outbox part of the commit script's ARGV: the count, then for each entry (as
// PENDING) its id, JSON, delivery state, due and created times in ms, and its queue member.
func appendOutboxArgs(args []any, outbox []booking.OutboxEntry) ([]any, error) {
	args = append(args, len(outbox))
	for i := range outbox {
		e := outbox[i]
		e.State = booking.DeliveryPending
		js, err := json.Marshal(&e)
		if err != nil {
			return nil, fmt.Errorf("booking/redis: encode outbox entry: %w", err)
		}
		// Q is left 0 (omitted): the script appends "q" to this object.
		member := outboxMember(&e)
		st, err := json.Marshal(deliveryState{
			S: string(booking.DeliveryPending), A: e.Attempts, N: ts(e.NextAttemptAt), E: e.LastError,
			K: member, C: ms(e.CreatedAt), H: channelField(e.ChannelOrDefault()),
		})
		if err != nil {
			return nil, fmt.Errorf("booking/redis: encode outbox state: %w", err)
		}
		args = append(args, e.ID, js, st, ms(e.NextAttemptAt), ms(e.CreatedAt), member)
	}
	return args, nil
}

// channelField is a delivery state's "h": the channel, empty for ORDERS.
func channelField(ch booking.Channel) string {
	if ch == booking.ChannelOrders {
		return ""
	}
	return string(ch)
}

// allocValue is how an allocation is stored (a member of the al ZSET), in binary, big-endian, so that the
// capacity scan reads each member with one struct.unpack instead of a pattern match:
//
//	int64 Start ms, int64 End ms, int32 Party, int64 ExpiresAt ms (0: never), uint16 len + ServiceID,
//	uint16 len + ID, then int64 Start, End, ExpiresAt in unix ns (0: zero time), exact, for Go.
//
// The ms fields are what the scripts compare; Redis's Lua reads them as doubles, exact below 2^53 ms.
// Service and allocation IDs must be at most 65535 bytes (commitArgs checks).
func allocValue(a booking.Allocation) string {
	v := make([]byte, 0, 56+len(a.ServiceID)+len(a.ID))
	v = binary.BigEndian.AppendUint64(v, uint64(ms(a.Start)))
	v = binary.BigEndian.AppendUint64(v, uint64(ms(a.End)))
	v = binary.BigEndian.AppendUint32(v, uint32(int32(a.Party)))
	v = binary.BigEndian.AppendUint64(v, uint64(ms(a.ExpiresAt)))
	v = binary.BigEndian.AppendUint16(v, uint16(len(a.ServiceID)))
	v = append(v, a.ServiceID...)
	v = binary.BigEndian.AppendUint16(v, uint16(len(a.ID)))
	v = append(v, a.ID...)
	v = binary.BigEndian.AppendUint64(v, uint64(nanos(a.Start)))
	v = binary.BigEndian.AppendUint64(v, uint64(nanos(a.End)))
	v = binary.BigEndian.AppendUint64(v, uint64(nanos(a.ExpiresAt)))
	return string(v)
}

// maxAllocField bounds the service and allocation IDs an allocValue can hold.
const maxAllocField = 1<<16 - 1

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// errMalformedAlloc reports a stored allocation value that does not parse. It is built only on failure, so the
// hot read path formats nothing.
type errMalformedAlloc struct{ v string }

func (e errMalformedAlloc) Error() string { return fmt.Sprintf("malformed allocation record %q", e.v) }

// parseAllocValue reads an allocValue back.
func parseAllocValue(merchantID, v string) (booking.Allocation, error) {
	bad := errMalformedAlloc{v}
	const head = 28 // Start, End, Party, ExpiresAt
	if len(v) < head+2 {
		return booking.Allocation{}, bad
	}
	party := int(int32(binary.BigEndian.Uint32([]byte(v[16:20]))))
	rest := v[head:]
	field := func() (string, bool) {
		if len(rest) < 2 {
			return "", false
		}
		n := int(binary.BigEndian.Uint16([]byte(rest[:2])))
		if len(rest) < 2+n {
			return "", false
		}
		f := rest[2 : 2+n]
		rest = rest[2+n:]
		return f, true
	}
	svc, ok1 := field()
	id, ok2 := field()
	if !ok1 || !ok2 || len(rest) != 24 {
		return booking.Allocation{}, bad
	}
	var ns [3]int64
	for i := range ns {
		ns[i] = int64(binary.BigEndian.Uint64([]byte(rest[8*i : 8*i+8])))
	}
	return booking.Allocation{ID: id, MerchantID: merchantID, ServiceID: svc, Start: fromNanos(ns[0]),
		End: fromNanos(ns[1]), Party: party, ExpiresAt: fromNanos(ns[2])}, nil
}

// isNoScript reports whether err is Redis's NOSCRIPT reply to EVALSHA.
func isNoScript(err error) bool {
	return err != nil && (errors.Is(err, goredis.ErrNoScript) || goredis.HasErrorPrefix(err, "NOSCRIPT"))
}
