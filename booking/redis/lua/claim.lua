-- claim.lua: leases outbox entries of one merchant. Uses helpers.lua (prepended).
--
-- Candidates are PENDING entries due at now and IN_FLIGHT entries whose lease expired at or before now (the
-- reaper: a crashed worker's entries are claimed again), oldest CreatedAt first (then in commit order), skipping
-- an entry while an earlier entry (lower Seq) of its booking in its lane is PENDING or IN_FLIGHT (the lane is the
-- entry ID after its second dot, as booking.OutboxLane computes it). Only entries of the channels in ARGV[7] are
-- candidates; a due entry of another channel is parked: its T:op (or T:oi) score moves to ARGV[8], so that the
-- next claims do not read it again for a while (its delivery state is unchanged, and a worker that delivers its
-- channel finds it after the park). Modes: 'select' claims up to n entries; 'peek' only names them (and parks);
-- 'ids' claims the given entries that are still claimable.
--
-- KEYS[1] oe: T:oe, entry ID -> entry JSON and "\0<entryID>" -> delivery state JSON HASH
-- KEYS[2] op: T:op, PENDING entry IDs scored by NextAttemptAt (ms)
-- KEYS[3] oi: T:oi, IN_FLIGHT entry IDs scored by LeaseUntil (ms)
-- KEYS[4] ob: T:ob, the lexicographic ZSET of "q<bookingID>\0<seq>\0<entryID>" (undelivered) members
-- ARGV[1] now: unix ms
-- ARGV[2] n: how many entries to claim at most
-- ARGV[3] leaseUntilMs: unix ms, the new lease's end (the T:oi score)
-- ARGV[4] leaseUntil: the same instant in RFC 3339, written in the delivery state
-- ARGV[5] owner: the worker taking the lease
-- ARGV[6] mode: 'select' | 'peek' | 'ids'
-- ARGV[7] channels: the channels to claim, each followed by ',' ('' for every channel); a state without "h"
--   is ORDERS
-- ARGV[8] parkMs: unix ms, the score a due entry of another channel is parked at
-- ARGV[9...] ids: the entry IDs to claim (mode 'ids' only)
--
-- Reply ('select', 'ids'): {entryID, entryJSON, stateJSON, ...}; ('peek'): {entryID, createdMs, insertion seq, ...}.

local now, n, mode, chans, park = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[6], ARGV[7], ARGV[8]
local ids = {}
if mode == 'ids' then
  for i = 9, #ARGV do ids[#ids + 1] = ARGV[i] end
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
    local sc, zk = nil, nil
    if r.s == 'PENDING' then
      zk = KEYS[2]
    elseif r.s == 'IN_FLIGHT' then
      zk = KEYS[3]
    end
    if zk then sc = redis.call('ZSCORE', zk, id) end
    if sc and tonumber(sc) <= now then
      if chans == '' or string.find(chans, (r.h or 'ORDERS') .. ',', 1, true) then
        cands[#cands + 1] = {id = id, r = r}
      else
        redis.call('ZADD', zk, park, id)
      end
    end
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
  local lane = string.match(c.id, '^[^.]*%.[^.]*%.(.*)$') or ''
  -- the booking's undelivered entries before this one, in Seq order: any of the same lane blocks it
  local before = redis.call('ZRANGEBYLEX', KEYS[4], '[q' .. b .. '\0', '(q' .. k)
  local free = true
  for _, m in ipairs(before) do
    local mid = string.match(m, '^q[^%z]*%z[^%z]*%z(.*)$')
    if mid and (string.match(mid, '^[^.]*%.[^.]*%.(.*)$') or '') == lane then
      free = false
      break
    end
  end
  if free and redis.call('ZSCORE', KEYS[4], 'q' .. k) then
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
