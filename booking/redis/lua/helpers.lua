-- helpers.lua: functions shared by the scripts. Go prepends this file to commit.lua, lex_bookings.lua,
-- active_before.lua, outbox_by_booking.lua, outbox_stats.lua and claim.lua (see scripts.go); it reads no KEYS or
-- ARGV itself.

-- hmget is HMGET of many fields, in batches of 500 (unpack has a limit on the number of values).
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
-- ms, int64 end ms, int32 party, int64 expiry ms (0: never), uint16-prefixed service ID (I2: unsigned), then what
-- only Go reads; the ad HASH maps its ID to that member.
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
