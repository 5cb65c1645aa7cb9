-- Store a code for a phone whose binding came from the database or was just made, and warm the
-- binding (none when ARGV[3] is empty: a review number's fixed code). With ARGV[5] ==
-- 'if_pending', only when a request was pending (it is consumed).
-- KEYS: binding, code, pending
-- ARGV: code hash, code ttl (s), telegram_id, binding ttl (s), mode
-- Returns 1 when a code was stored, 0 otherwise.
if ARGV[3] ~= '' then
  redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
end
local was_pending = redis.call('DEL', KEYS[3])
if ARGV[5] == 'if_pending' and was_pending == 0 then
  return 0
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'h', ARGV[1], 'a', 0)
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
