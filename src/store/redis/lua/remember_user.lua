-- Keep a copy of a user's record, unless the copy already held is newer: two writers (or a
-- writer and a reader filling a miss) may finish in either order, and the newest row wins.
-- KEYS: the user's copy
-- ARGV: the row's version (updated_at, microseconds), the record, ttl (s)
local held = redis.call('HGET', KEYS[1], 'v')
if held and tonumber(held) > tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
