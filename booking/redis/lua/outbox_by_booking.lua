-- outbox_by_booking.lua: every outbox entry of one booking, in Seq order. Uses helpers.lua (prepended).
--
-- KEYS[1] ob: T:ob, the lexicographic ZSET of "q…" and "a<bookingID>\0<seq>\0<entryID>" members
-- KEYS[2] oe: T:oe, entry ID -> entry JSON and "\0<entryID>" -> delivery state JSON HASH
-- ARGV[1] booking: the booking ID
--
-- Reply: {entryID, entryJSON, stateJSON, ...}.

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
