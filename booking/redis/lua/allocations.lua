-- allocations.lua: the allocations (of every service) whose start is in [ARGV[1] - longest allocation, ARGV[2]].
-- Go filters them by service and overlap (Store.Allocations).
--
-- KEYS[1] al: T:al, the allocations ZSET scored by start (ms)
-- KEYS[2] ad: T:ad, allocation ID -> member HASH; its field #maxdur is the longest allocation (ms)
-- ARGV[1] from: unix ms, the start of the range
-- ARGV[2] to: unix ms, the end of the range
--
-- Reply: the T:al members (binary, see allocValue in commit.go).

local maxdur = tonumber(redis.call('HGET', KEYS[2], '#maxdur') or '0')
return redis.call('ZRANGEBYSCORE', KEYS[1], tonumber(ARGV[1]) - maxdur - 2, ARGV[2])
