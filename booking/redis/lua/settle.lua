-- settle.lua: acknowledges, retries or kills a leased outbox entry.
--
-- KEYS[1] oe: T:oe, entry ID -> entry JSON and "\0<entryID>" -> delivery state JSON HASH
-- KEYS[2] oi: T:oi, IN_FLIGHT entry IDs scored by LeaseUntil (ms)
-- KEYS[3] op: T:op, PENDING entry IDs scored by NextAttemptAt (ms)
-- KEYS[4] ob: T:ob, the lexicographic ZSET of the "q…" (undelivered) and "a…" members
-- KEYS[5] oc: T:oc, PENDING and IN_FLIGHT entry IDs scored by CreatedAt (ms)
-- ARGV[1] id: the entry ID
-- ARGV[2] owner: the worker that must hold the entry's lease
-- ARGV[3] action: 'ack' | 'retry' | 'dead'
-- ARGV[4] time: RFC 3339, DeliveredAt (ack) or NextAttemptAt (retry); '' for dead
-- ARGV[5] dueMs: unix ms, the new T:op score (retry)
-- ARGV[6] lastError: the error recorded (retry, dead)
--
-- Reply: 'OK' | 'NOTFOUND' (no such entry, or owner does not hold its lease).

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
