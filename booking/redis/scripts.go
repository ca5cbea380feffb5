package redis

import goredis "github.com/redis/go-redis/v9"

// The Lua scripts. Every key a script touches arrives in KEYS and carries the merchant's hash tag; scripts only
// build member strings (never key names). Times are unix milliseconds passed from Go (never Redis TIME), so a
// fake clock in tests drives holds, leases and idempotency expiry. Each writing script does all of its reads and
// checks first and writes only after the last check passed, so a failed check writes nothing.

// luaHelpers are shared by the scripts (prepended to each source).
const luaHelpers = `
local function hmget(key, ids)
  local out = {}
  local n = #ids
  local i = 1
  while i <= n do
    local j = math.min(i + 499, n)
    local part = redis.call('HMGET', key, unpack(ids, i, j))
    for k = 1, #part do out[#out + 1] = part[k] end
    i = j + 1
  end
  return out
end
-- an allocation is a member of the al ZSET (scored by start), binary (see allocValue in commit.go): int64 start
-- ms, int64 end ms, int32 party, int64 expiry ms (0: never), uint16-prefixed service ID (I2: unsigned), then what only Go reads;
-- the ad HASH maps its ID to that member.
local function parse_alloc(v)
  return struct.unpack('>i8i8i4i8I2c0', v)
end
-- remove_allocs deletes the allocations with these IDs (absent ones are ignored).
local function remove_allocs(al, ad, ax, ids)
  local n = #ids
  local i = 1
  while i <= n do
    local j = math.min(i + 499, n)
    local members = redis.call('HMGET', ad, unpack(ids, i, j))
    local found = {}
    for k = 1, #members do
      if members[k] then found[#found + 1] = members[k] end
    end
    if #found > 0 then redis.call('ZREM', al, unpack(found)) end
    redis.call('HDEL', ad, unpack(ids, i, j))
    redis.call('ZREM', ax, unpack(ids, i, j))
    i = j + 1
  end
end
`

// noSweep is the #sweep bound when no hold is in ax (unix ms, far beyond any expiry).
const noSweep = "999999999999999"

// commitSrc applies a booking.Mutation.
//
// KEYS: 1 idem, 2 bj, 3 al, 4 ad, 5 ax, 6 hold to put, 7 hold to delete, 8 x, 9 act, 10 oe, 11 op, 12 ob,
// 13 oc, then on a single Redis the registry keys the last ARGV name (see runCommit).
// ARGV: see commitArgs in commit.go.
// Reply: {'OK'} | {'REPLAY', recordJSON} | {'VERSION', storedVersion} | {'NOHOLD'} | {'USER'} | {'FULL', peak}.
const commitSrc = luaHelpers + `
-- ARGV[1]: the header (commitHeader in commit.go); ARGV[2…12]: idempotency value, booking ID, booking record,
-- user, day, claim ID, claim service, claim member, hold JSON, guard user, guard exception; then counted lists.
local now, f_idem, f_booking, f_active, f_claim, f_put, f_del, f_req, f_guard, idem_ttl, expect_v, end_ms,
  cs, ce, cp, cx, ccap, hold_ttl, gs, ge = struct.unpack('` + commitHeaderFormat + `', ARGV[1])

-- 1. idempotency
if f_idem == 1 then
  local r = redis.call('GET', KEYS[1])
  if r then
    local x, p = string.match(r, '^(%-?%d+)\n()')
    if x and tonumber(x) > now then return {'REPLAY', string.sub(r, p)} end
  end
end

-- 2. version
local bid = ARGV[3]
local old = nil
if f_booking == 1 then
  local m = redis.call('HGET', KEYS[2], bid)
  local v = 0
  if m then
    -- the record's head: "<version> <len(user)> <len(day)> <startMs> <endMs> <active>\n<user><day>", then the
    -- booking JSON
    local sv, nu, nd, p = string.match(m, '^(%d+) (%d+) (%d+) [^\n]*\n()')
    if not sv then return redis.error_reply('malformed booking record ' .. bid) end
    v, nu, nd = tonumber(sv), tonumber(nu), tonumber(nd)
    old = {u = string.sub(m, p, p + nu - 1), d = string.sub(m, p + nu, p + nu + nd - 1)}
  end
  if v ~= expect_v then return {'VERSION', tostring(v)} end
end

-- 3. the hold being consumed must be stored
if f_req == 1 and (f_del ~= 1 or redis.call('EXISTS', KEYS[7]) == 0) then return {'NOHOLD'} end

-- 4. the user's other active bookings at this merchant must not overlap [gs, ge)
if f_guard == 1 then
  local g = ARGV[11]
  local ms = redis.call('ZRANGEBYLEX', KEYS[8], '[u' .. g .. '\0', '(u' .. g .. '\1')
  if #ms > 0 then
    local ids = {}
    for j = 1, #ms do ids[j] = string.sub(ms[j], #g + 3) end
    local recs = hmget(KEYS[2], ids)
    local except = ARGV[12]
    for j = 1, #ids do
      if recs[j] and ids[j] ~= except then
        local s, e, a = string.match(recs[j], '^%d+ %d+ %d+ (%-?%d+) (%-?%d+) ([01])\n')
        if a == '1' and tonumber(s) < ge and tonumber(e) > gs then return {'USER'} end
      end
    end
  end
end

-- 5. capacity (check only; writes follow)
local claim = f_claim == 1
local cid, csvc, maxdur, oldm, sweepAt
if claim then
  cid, csvc = ARGV[7], ARGV[8]
  -- one read: the longest allocation, the allocation being replaced (if any), and the sweep bound (no hold in
  -- ax expires before #sweep; absent: unknown)
  local r = redis.call('HMGET', KEYS[4], '#maxdur', cid, '#sweep')
  maxdur, oldm, sweepAt = tonumber(r[1] or '0'), r[2], tonumber(r[3] or '0')
  -- The allocation being replaced covers the claim (live, same service, its span contains the claim's and
  -- its party is no smaller): replacing it raises no instant's usage, so nothing needs counting.
  local covered = false
  if oldm then
    local os, oe, op, ox, osvc = parse_alloc(oldm)
    covered = osvc == csvc and (ox == 0 or now < ox) and os <= cs and oe >= ce and op >= cp
  end
  local members = {}
  if not covered then members = redis.call('ZRANGEBYSCORE', KEYS[3], cs - maxdur - 2, '(' .. ce) end
  -- The claim's own allocation is the member oldm (al and ad are written together), so it is skipped by
  -- comparing members (interned strings: a pointer compare). First the plain sum of the parties that overlap
  -- the claim: when it fits, so does the peak, and nothing more is needed.
  local total = 0
  for i = 1, #members do
    local v = members[i]
    if v ~= oldm then
      local s, e, p, x, svc = struct.unpack('>i8i8i4i8I2c0', v)
      if svc == csvc and (x == 0 or now < x) and s < ce and e > cs then total = total + p end
    end
  end
  local peak = 0
  if total + cp > ccap then
    -- The peak: the members come by start, so the starts (clamped to the claim's start) are already in
    -- order; only the ends need sorting (numbers, so the C comparison). Then merge, ends before starts at the
    -- same instant: [start, end) spans.
    local st, sp, en, ep = {}, {}, {}, {}
    for i = 1, #members do
      local v = members[i]
      if v ~= oldm then
        local s, e, p, x, svc = struct.unpack('>i8i8i4i8I2c0', v)
        if svc == csvc and (x == 0 or now < x) and s < ce and e > cs then
          st[#st + 1] = math.max(s, cs)
          sp[#sp + 1] = p
          if e < ce then
            en[#en + 1] = e
            ep[e] = (ep[e] or 0) + p
          end
        end
      end
    end
    table.sort(en)
    local sum = 0
    local a, b = 1, 1
    while a <= #st do
      if b <= #en and en[b] <= st[a] then
        local e = en[b]
        sum = sum - ep[e]
        while b <= #en and en[b] == e do b = b + 1 end
      else
        sum = sum + sp[a]
        if sum > peak then peak = sum end
        a = a + 1
      end
    end
  end
  if not covered and peak + cp > ccap then return {'FULL', tostring(peak)} end
end

-- every check passed: write.
local i = 13
if claim then
  local fields = {} -- written to ad in one HSET
  if now >= sweepAt then
    -- sweep holds no longer live at now (bounded; the peak above ignores the rest), then move the bound to
    -- the earliest expiry left
    local expired = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now, 'LIMIT', 0, 1000)
    if #expired > 0 then
      remove_allocs(KEYS[3], KEYS[4], KEYS[5], expired)
      for j = 1, #expired do
        if expired[j] == cid then oldm = nil end -- already removed
      end
    end
    local first = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
    local nxt = first[2] or '` + noSweep + `'
    sweepAt = tonumber(nxt)
    fields[#fields + 1] = '#sweep'
    fields[#fields + 1] = nxt
  end
  if cx ~= 0 and cx < sweepAt then
    fields[#fields + 1] = '#sweep'
    fields[#fields + 1] = cx
  end
  -- replace the claim's own allocation: HSET and ZADD overwrite, so only a different old member and an
  -- expiry entry that the new allocation does not have need removing
  local newm = ARGV[9]
  if oldm ~= newm then
    if oldm then redis.call('ZREM', KEYS[3], oldm) end
    redis.call('ZADD', KEYS[3], cs, newm)
    fields[#fields + 1] = cid
    fields[#fields + 1] = newm
  end
  if cx ~= 0 then
    redis.call('ZADD', KEYS[5], cx, cid)
  elseif oldm then
    local _, _, _, x = parse_alloc(oldm)
    if x ~= 0 then redis.call('ZREM', KEYS[5], cid) end
  end
  if ce - cs > maxdur then
    fields[#fields + 1] = '#maxdur'
    fields[#fields + 1] = tostring(ce - cs)
  end
  if #fields > 0 then redis.call('HSET', KEYS[4], unpack(fields)) end
end

-- 6. release
local nrel = tonumber(ARGV[i])
i = i + 1
if nrel > 0 then
  local rel = {}
  for j = 1, nrel do rel[j] = ARGV[i + j - 1] end
  i = i + nrel
  remove_allocs(KEYS[3], KEYS[4], KEYS[5], rel)
end

-- 7. holds
if f_put == 1 then redis.call('SET', KEYS[6], ARGV[10], 'PX', hold_ttl) end
if f_del == 1 then redis.call('DEL', KEYS[7]) end

-- 8. booking and its indexes
if f_booking == 1 then
  local user, day = ARGV[5], ARGV[6]
  -- the user and day index members live in one lexicographic ZSET: "u<user>\0<id>", "d<day>\0<id>"
  if old then
    local gone = {}
    if old.u ~= '' and old.u ~= user then gone[#gone + 1] = 'u' .. old.u .. '\0' .. bid end
    if old.d ~= day then gone[#gone + 1] = 'd' .. old.d .. '\0' .. bid end
    if #gone > 0 then redis.call('ZREM', KEYS[8], unpack(gone)) end
  end
  redis.call('HSET', KEYS[2], bid, ARGV[4])
  if user ~= '' then
    redis.call('ZADD', KEYS[8], 0, 'u' .. user .. '\0' .. bid, 0, 'd' .. day .. '\0' .. bid)
  else
    redis.call('ZADD', KEYS[8], 0, 'd' .. day .. '\0' .. bid)
  end
  if f_active == 1 then
    redis.call('ZADD', KEYS[9], end_ms, bid)
  else
    redis.call('ZREM', KEYS[9], bid)
  end
end

-- 9. outbox
local nout = tonumber(ARGV[i])
i = i + 1
for j = 1, nout do
  local id = ARGV[i]
  local q = redis.call('HINCRBY', KEYS[10], '#seq', 1)
  redis.call('HSET', KEYS[10], id, ARGV[i + 1], '\0' .. id, string.sub(ARGV[i + 2], 1, -2) .. ',"q":' .. q .. '}')
  redis.call('ZADD', KEYS[11], ARGV[i + 3], id)
  -- the booking's queue ("q": undelivered) and history ("a": every entry) members, in one ZSET
  redis.call('ZADD', KEYS[12], 0, 'q' .. ARGV[i + 5], 0, 'a' .. ARGV[i + 5])
  redis.call('ZADD', KEYS[13], ARGV[i + 4], id)
  i = i + 6
end

-- 1. the idempotency record, written with the rest
if f_idem == 1 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', idem_ttl)
end

-- 10. the registry outside the merchant's slot (single Redis only: on Cluster Go writes it before the script)
local nreg = tonumber(ARGV[i])
i = i + 1
for j = 1, nreg do
  if ARGV[i] == 'A' then
    redis.call('SADD', KEYS[13 + j], ARGV[i + 1])
  else
    redis.call('SET', KEYS[13 + j], ARGV[i + 1], 'NX')
  end
  i = i + 2
end
return {'OK'}
`

// allocationsSrc lists the allocations (of every service) whose start is in
// [ARGV[1] - longest allocation, ARGV[2]]. KEYS: 1 al, 2 ad. ARGV: 1 fromMs, 2 toMs. Reply: the al members.
const allocationsSrc = `
local maxdur = tonumber(redis.call('HGET', KEYS[2], '#maxdur') or '0')
return redis.call('ZRANGEBYSCORE', KEYS[1], tonumber(ARGV[1]) - maxdur - 2, ARGV[2])
`

// lexBookingsSrc returns the bookings whose index member starts with ARGV[1] + NUL in the lexicographic index
// (ARGV[1] is "u" + user ID or "d" + day). KEYS: 1 x, 2 bj. Reply: booking JSONs (nil for a missing one).
const lexBookingsSrc = luaHelpers + `
local g = ARGV[1]
local ms = redis.call('ZRANGEBYLEX', KEYS[1], '[' .. g .. '\0', '(' .. g .. '\1')
local ids = {}
for i = 1, #ms do ids[i] = string.sub(ms[i], #g + 2) end
return hmget(KEYS[2], ids)
`

// activeBeforeSrc returns up to ARGV[2] active bookings with End (ms) at or before ARGV[1], oldest End first.
// KEYS: 1 act, 2 bj.
const activeBeforeSrc = luaHelpers + `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
return hmget(KEYS[2], ids)
`

// outboxByBookingSrc returns {id, entryJSON, stateJSON, ...} of a booking's entries in Seq order.
// KEYS: 1 ob, 2 oe. ARGV: 1 bookingID.
const outboxByBookingSrc = luaHelpers + `
local b = 'a' .. ARGV[1]
local ms = redis.call('ZRANGEBYLEX', KEYS[1], '[' .. b .. '\0', '(' .. b .. '\1')
local ids = {}
for i = 1, #ms do ids[i] = string.match(ms[i], '^[^%z]*%z[^%z]*%z(.*)$') end
local fs = {}
for i = 1, #ids do
  fs[2 * i - 1] = ids[i]
  fs[2 * i] = '\0' .. ids[i]
end
local vs = hmget(KEYS[2], fs)
local out = {}
for i = 1, #ids do
  out[#out + 1] = ids[i]
  out[#out + 1] = vs[2 * i - 1]
  out[#out + 1] = vs[2 * i]
end
return out
`

// outboxStatsSrc returns {count of PENDING and IN_FLIGHT entries, entryJSON of the oldest ones...}.
// KEYS: 1 oc, 2 oe.
const outboxStatsSrc = luaHelpers + `
local n = redis.call('ZCARD', KEYS[1])
if n == 0 then return {0} end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], first[2], first[2], 'LIMIT', 0, 64)
local out = {n}
local es = hmget(KEYS[2], ids)
for i = 1, #es do out[#out + 1] = es[i] end
return out
`

// claimSrc leases outbox entries of one merchant.
//
// KEYS: 1 oe, 2 op, 3 oi, 4 ob.
// ARGV: 1 nowMs, 2 n, 3 leaseUntilMs, 4 leaseUntil (RFC 3339), 5 owner, 6 mode, 7… entry IDs (mode 'ids').
// Modes: 'select' claims up to n entries; 'peek' only names them ({id, createdMs, insertion seq, ...}); 'ids' claims the given
// entries that are still claimable. Candidates are PENDING entries due at now and IN_FLIGHT entries whose lease
// expired at or before now (the reaper: a crashed worker's entries are claimed again), oldest CreatedAt first
// (then in commit order),
// skipping an entry while an earlier entry of its booking is PENDING or IN_FLIGHT.
// Reply ('select', 'ids'): {id, entryJSON, stateJSON, ...}.
const claimSrc = luaHelpers + `
local now, n, mode = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[6]
local ids = {}
if mode == 'ids' then
  for i = 7, #ARGV do ids[#ids + 1] = ARGV[i] end
else
  local cap = math.max(4 * n, 256)
  ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, cap)
  local exp = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, cap)
  for i = 1, #exp do ids[#ids + 1] = exp[i] end
end
local seen = {}
local cands = {}
local sfs = {}
for i = 1, #ids do sfs[i] = '\0' .. ids[i] end
local sts = hmget(KEYS[1], sfs)
for i = 1, #ids do
  local id, raw = ids[i], sts[i]
  if raw and not seen[id] then
    seen[id] = true
    local r = cjson.decode(raw)
    local sc = nil
    if r.s == 'PENDING' then
      sc = redis.call('ZSCORE', KEYS[2], id)
    elseif r.s == 'IN_FLIGHT' then
      sc = redis.call('ZSCORE', KEYS[3], id)
    end
    if sc and tonumber(sc) <= now then cands[#cands + 1] = {id = id, r = r} end
  end
end
table.sort(cands, function(a, b)
  if a.r.c ~= b.r.c then return a.r.c < b.r.c end
  return (a.r.q or 0) < (b.r.q or 0)
end)
local out = {}
local got = 0
for _, c in ipairs(cands) do
  if got >= n then break end
  local k = c.r.k
  local b = string.match(k, '^([^%z]*)%z')
  local first = redis.call('ZRANGEBYLEX', KEYS[4], '[q' .. b .. '\0', '(q' .. b .. '\1', 'LIMIT', 0, 1)
  if first[1] == 'q' .. k then
    got = got + 1
    if mode == 'peek' then
      out[#out + 1] = c.id
      out[#out + 1] = tostring(c.r.c)
      out[#out + 1] = tostring(c.r.q or 0)
    else
      local r = c.r
      r.s = 'IN_FLIGHT'
      r.a = r.a + 1
      r.o = ARGV[5]
      r.l = ARGV[4]
      local st = cjson.encode(r)
      redis.call('ZREM', KEYS[2], c.id)
      redis.call('ZADD', KEYS[3], ARGV[3], c.id)
      redis.call('HSET', KEYS[1], '\0' .. c.id, st)
      out[#out + 1] = c.id
      out[#out + 1] = redis.call('HGET', KEYS[1], c.id)
      out[#out + 1] = st
    end
  end
end
return out
`

// settleSrc acknowledges, retries or kills a leased entry.
//
// KEYS: 1 oe, 2 oi, 3 op, 4 ob, 5 oc.
// ARGV: 1 id, 2 owner, 3 action ('ack' | 'retry' | 'dead'), 4 time (DeliveredAt for ack, NextAttemptAt for
// retry), 5 dueMs (retry), 6 lastError.
// Reply: 'OK' | 'NOTFOUND' (no such entry, or owner does not hold its lease).
const settleSrc = `
local id, act = ARGV[1], ARGV[3]
local raw = redis.call('HGET', KEYS[1], '\0' .. id)
if not raw then return 'NOTFOUND' end
local r = cjson.decode(raw)
if r.s ~= 'IN_FLIGHT' or r.o ~= ARGV[2] then return 'NOTFOUND' end
redis.call('ZREM', KEYS[2], id)
if act == 'retry' then
  r.s = 'PENDING'
  r.n = ARGV[4]
  r.e = ARGV[6]
  redis.call('ZADD', KEYS[3], ARGV[5], id)
else
  redis.call('ZREM', KEYS[4], 'q' .. r.k)
  redis.call('ZREM', KEYS[5], id)
  if act == 'ack' then
    r.s = 'DELIVERED'
    r.d = ARGV[4]
  else
    r.s = 'DEAD'
    r.e = ARGV[6]
  end
end
r.o = ''
r.l = ''
redis.call('HSET', KEYS[1], '\0' .. id, cjson.encode(r))
return 'OK'
`

// scripts holds the compiled scripts of a Store.
type scripts struct {
	commit, allocations, lexBookings, activeBefore, outboxByBooking, outboxStats, claim, settle *goredis.Script
}

func newScripts() scripts {
	return scripts{
		commit:          goredis.NewScript(commitSrc),
		allocations:     goredis.NewScript(allocationsSrc),
		lexBookings:     goredis.NewScript(lexBookingsSrc),
		activeBefore:    goredis.NewScript(activeBeforeSrc),
		outboxByBooking: goredis.NewScript(outboxByBookingSrc),
		outboxStats:     goredis.NewScript(outboxStatsSrc),
		claim:           goredis.NewScript(claimSrc),
		settle:          goredis.NewScript(settleSrc),
	}
}
