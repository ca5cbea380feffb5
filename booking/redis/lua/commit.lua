-- commit.lua: applies a booking.Mutation in one step (see Store.Commit and commitArgs in commit.go). Uses
-- helpers.lua (prepended). Every check comes before the first write, so a refused commit writes nothing. Times are
-- unix ms from Go (Mutation.Now), never Redis TIME. String arguments the mutation does not use are ''.
--
-- KEYS[1] idem: T:i:<key>, the idempotency record ("T:i:" when the mutation has none)
-- KEYS[2] bj: T:bj, booking ID -> booking record HASH
-- KEYS[3] al: T:al, the allocations ZSET scored by start (ms)
-- KEYS[4] ad: T:ad, allocation ID -> T:al member HASH, with the fields #maxdur and #sweep
-- KEYS[5] ax: T:ax, hold allocation IDs scored by expiry (ms)
-- KEYS[6] putHold: T:h:<holdID>, the hold to write ("T:h:" when none)
-- KEYS[7] deleteHold: T:h:<holdID>, the hold to delete or require ("T:h:" when none)
-- KEYS[8] x: T:x, the lexicographic user and day index ZSET
-- KEYS[9] act: T:act, active booking IDs scored by end (ms)
-- KEYS[10] oe: T:oe, outbox entry ID -> entry JSON and "\0<entryID>" -> delivery state JSON HASH
-- KEYS[11] op: T:op, PENDING entry IDs scored by due time (ms)
-- KEYS[12] ob: T:ob, the lexicographic outbox order ZSET ("q…" undelivered, "a…" every entry)
-- KEYS[13] oc: T:oc, PENDING and IN_FLIGHT entry IDs scored by creation (ms)
-- KEYS[14...] registry: on a single Redis, one P: key per registry write of ARGV's last list (none on Cluster,
--   where Go writes the registry before the script)
-- ARGV[1] header: binary, big-endian (commitHeader in commit.go): now ms, eight 0/1 flags (idempotency,
--   booking, active, claim, put hold, delete hold, require hold, user guard), idempotency TTL ms, expected
--   version, booking end ms, claim start ms, claim end ms, int32 claim party, claim expiry ms (0: never),
--   int32 claim capacity, hold TTL ms, guard start ms, guard end ms
-- ARGV[2] idemValue: "<ExpiresAt ms>\n" + idempotency record JSON
-- ARGV[3] bookingID: the booking's ID
-- ARGV[4] bookingRecord: the T:bj value, "<version> <len(user)> <len(day)> <startMs> <endMs> <active>\n<user><day>"
--   + booking JSON
-- ARGV[5] user: the booking's user ID ('' for none)
-- ARGV[6] day: the booking's local day, YYYY-MM-DD
-- ARGV[7] claimID: the claimed allocation's ID
-- ARGV[8] claimService: its service ID
-- ARGV[9] claimMember: its T:al member (binary, allocValue in commit.go)
-- ARGV[10] holdJSON: the hold to write
-- ARGV[11] guardUser: the user whose other active bookings must not overlap the guard span
-- ARGV[12] guardExcept: a booking ID the guard ignores ('' for none)
-- ARGV[13...] lists: each a count, then its items: the allocation IDs to release (1 each); the outbox entries
--   (6 each: entry ID, entry JSON, state JSON, due ms, created ms, T:ob member without its "q"/"a"); the
--   registry writes (2 each: 'A' for SADD or 'N' for SET NX, then the value; the key is the next KEYS[14...])
--
-- Reply: {'OK'} | {'REPLAY', recordJSON} | {'VERSION', storedVersion} | {'NOHOLD'} | {'USER'} | {'FULL', peak}.

-- the #sweep bound when no hold is in ax (unix ms, far beyond any expiry)
local NO_SWEEP = '999999999999999'

-- ARGV[1]; the format is commitHeaderFormat in commit.go (a test holds the two together)
local now, f_idem, f_booking, f_active, f_claim, f_put, f_del, f_req, f_guard, idem_ttl, expect_v, end_ms,
  cs, ce, cp, cx, ccap, hold_ttl, gs, ge = struct.unpack('>i8BBBBBBBBi8i8i8i8i8i4i8i4i8i8i8', ARGV[1])

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
    local nxt = first[2] or NO_SWEEP
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
