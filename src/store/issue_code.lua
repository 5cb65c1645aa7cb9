-- Issue a login code for one phone in one round trip.
-- KEYS: binding, code, cooldown, sends, failures, pending
-- ARGV: code hash, code ttl (s), cooldown (s), max sends per hour, max failures per hour,
--       binding ttl (s)
-- Returns {'ok', telegram_id} | {'pending', 0} | {'cooldown'|'cap'|'locked', retry after (ms)}
local failures = tonumber(redis.call('GET', KEYS[5]) or '0')
if failures >= tonumber(ARGV[5]) then
  return {'locked', redis.call('PTTL', KEYS[5])}
end
local cooldown = redis.call('PTTL', KEYS[3])
if cooldown > 0 then
  return {'cooldown', cooldown}
end
local sends = tonumber(redis.call('GET', KEYS[4]) or '0')
if sends >= tonumber(ARGV[4]) then
  return {'cap', redis.call('PTTL', KEYS[4])}
end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[3], '1', 'EX', ARGV[3])
end
if redis.call('INCR', KEYS[4]) == 1 then
  redis.call('EXPIRE', KEYS[4], 3600)
end
local telegram_id = redis.call('GET', KEYS[1])
if telegram_id then
  redis.call('EXPIRE', KEYS[1], ARGV[6])
  redis.call('DEL', KEYS[2], KEYS[6])
  redis.call('HSET', KEYS[2], 'h', ARGV[1], 'a', 0)
  redis.call('EXPIRE', KEYS[2], ARGV[2])
  return {'ok', telegram_id}
end
-- Not linked (as far as Redis knows): remember the request, deliver a code when it links.
redis.call('SET', KEYS[6], '1', 'EX', ARGV[2])
return {'pending', 0}
