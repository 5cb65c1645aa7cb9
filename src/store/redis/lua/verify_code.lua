-- Check and consume a login code atomically: of many concurrent calls with the right code,
-- exactly one gets 'ok'.
-- KEYS: code, failures
-- ARGV: code hash, max attempts per code, max failures per hour
-- Returns {status, value, locked_now} with status 'ok' | 'invalid' (value: attempts) |
-- 'burned' | 'locked' (value: ttl ms); locked_now is 1 when this guess locked the phone.
local code = redis.call('HMGET', KEYS[1], 'h', 'o')
local stored, origin = code[1], code[2]
-- No live code: nothing to guess, and nothing counted against the phone (a stranger's guesses
-- must not lock its owner out). The caller's address still pays for the request.
if not stored then
  return {'invalid', 0, 0}
end
-- Wrong guesses made on the site lock its codes for the hour; a code the owner asked for in
-- Telegram ('o' = 't') still works, so the lock never keeps the owner out.
if origin ~= 't' then
  local failures = tonumber(redis.call('GET', KEYS[2]) or '0')
  if failures >= tonumber(ARGV[3]) then
    return {'locked', redis.call('PTTL', KEYS[2]), 0}
  end
end
if stored == 'burned' then
  return {'burned', redis.call('PTTL', KEYS[1]), 0}
end
-- The stored and given values are keyed hashes (HMAC) of the code, and are compared through a
-- second hash: how long '==' takes can then only tell how alike two SHA-1 digests of unknown
-- values are, which says nothing about the code (the "double HMAC" comparison). A Lua loop over
-- the bytes cost Redis as much as the rest of this script (redis-benchmark: 48k calls/s with
-- the loop, 78k with this).
if redis.sha1hex(stored) == redis.sha1hex(ARGV[1]) then
  redis.call('DEL', KEYS[1], KEYS[2])
  return {'ok', 0, 0}
end
local failures = redis.call('INCR', KEYS[2])
if failures == 1 then
  redis.call('EXPIRE', KEYS[2], 3600)
end
local locked_now = 0
if failures == tonumber(ARGV[3]) then
  locked_now = 1
end
local attempts = redis.call('HINCRBY', KEYS[1], 'a', 1)
if attempts >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'h', 'burned')
end
return {'invalid', attempts, locked_now}
