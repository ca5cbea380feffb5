-- lex_bookings.lua: the bookings of one user or one day of a merchant, through the lexicographic index.
-- Uses helpers.lua (prepended).
--
-- KEYS[1] x: T:x, the lexicographic ZSET of "u<userID>\0<bookingID>" and "d<day>\0<bookingID>" members
-- KEYS[2] bj: T:bj, booking ID -> booking record HASH
-- ARGV[1] group: "u" + user ID, or "d" + day (YYYY-MM-DD); members starting with it and NUL are read
--
-- Reply: the booking records (nil for a missing one).

local g = ARGV[1]
local ms = redis.call('ZRANGEBYLEX', KEYS[1], '[' .. g .. '\0', '(' .. g .. '\1')
local ids = {}
for i = 1, #ms do ids[i] = string.sub(ms[i], #g + 2) end
return hmget(KEYS[2], ids)
