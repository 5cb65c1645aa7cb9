-- Store a code for a phone whose binding came from the database or was just made, and warm the
-- binding (none when ARGV[3] is empty: a review number's fixed code).
-- KEYS: binding, code, pending
-- ARGV: code hash, code ttl (s), binding, binding ttl (s), mode
-- Modes: 'always'; 'if_pending' (only when a request was waiting for the phone to link; it is
-- consumed); 'warm' (only warm the binding and consume the waiting request: the code the
-- request stored stays).
-- Returns 1 when a code was stored (or, warming, a request was waiting), 0 otherwise.
if ARGV[3] ~= '' then
  redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
end
local was_pending = redis.call('DEL', KEYS[3])
if ARGV[5] == 'warm' then
  return was_pending
end
if ARGV[5] == 'if_pending' and was_pending == 0 then
  return 0
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'h', ARGV[1], 'a', 0, 'o', 's')
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
