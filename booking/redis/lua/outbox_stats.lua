-- outbox_stats.lua: how many outbox entries of a merchant wait for delivery, and the oldest of them.
-- Uses helpers.lua (prepended).
--
-- KEYS[1] oc: T:oc, PENDING and IN_FLIGHT entry IDs scored by CreatedAt (ms)
-- KEYS[2] oe: T:oe, entry ID -> entry JSON HASH
--
-- Reply: {count of PENDING and IN_FLIGHT entries, entryJSON of the oldest ones (up to 64, same CreatedAt)...}.

local n = redis.call('ZCARD', KEYS[1])
if n == 0 then return {0} end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], first[2], first[2], 'LIMIT', 0, 64)
local out = {n}
local es = hmget(KEYS[2], ids)
for i = 1, #es do out[#out + 1] = es[i] end
return out
