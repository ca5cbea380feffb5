-- active_before.lua: a merchant's active bookings whose end is at or before a time, oldest end first.
-- Uses helpers.lua (prepended).
--
-- KEYS[1] act: T:act, active booking IDs scored by end (ms)
-- KEYS[2] bj: T:bj, booking ID -> booking record HASH
-- ARGV[1] until: unix ms; bookings ending at or before it are read
-- ARGV[2] limit: how many at most (a negative number: all)
--
-- Reply: the booking records (nil for a missing one).

local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
return hmget(KEYS[2], ids)
