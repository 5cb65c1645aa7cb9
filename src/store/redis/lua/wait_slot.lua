-- The browsers waiting at once on one thing (a login, an address): a sorted set of waits, each
-- scored by when it is sure to be over, so a wait that never said goodbye (a dropped
-- connection) leaves by itself.
-- KEYS: the set
-- ARGV: 'take' or 'give', the wait's id, now (ms), the longest a wait holds (ms), the limit
-- Returns 1 (taken or given) | 0 (full: not taken)
if ARGV[1] == 'give' then
  redis.call('ZREM', KEYS[1], ARGV[2])
  return 1
end
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[5]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
