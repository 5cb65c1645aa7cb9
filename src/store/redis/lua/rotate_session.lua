-- Rotate a session's refresh token. The session hash maps 'r:<token id>' to 0 (live) or to the
-- end of its grace period (ms) once rotated out, and 'n:<token id>' to the token that replaced
-- it. A token past its grace, or unknown, means the token was stolen or replayed: the whole
-- session is revoked. A token presented again within its grace (two tabs refreshing at once)
-- gets the successor it already has: the session never forks into two live branches.
-- KEYS: session
-- ARGV: presented token id, new token id, now (ms), grace (ms), refresh ttl (s), max age (ms)
-- Returns {'ok'|'again', refresh token id to sign, end of the session (ms)} | {'revoked'} |
-- {'reused'} | {'expired'}
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'revoked'}
end
local now = tonumber(ARGV[3])
local ends = tonumber(redis.call('HGET', KEYS[1], 'c') or '0') + tonumber(ARGV[6])
if now >= ends then
  redis.call('DEL', KEYS[1])
  return {'expired'}
end
local presented = ARGV[1]
local state = tonumber(redis.call('HGET', KEYS[1], 'r:' .. presented) or '-1')
-- A rotated-out token is honoured strictly before its grace ends (never, with no grace).
if state < 0 or (state > 0 and state <= now) then
  redis.call('DEL', KEYS[1])
  return {'reused'}
end
if state > 0 then
  return {'again', redis.call('HGET', KEYS[1], 'n:' .. presented), ends}
end
redis.call('HSET', KEYS[1], 'r:' .. presented, now + tonumber(ARGV[4]), 'n:' .. presented, ARGV[2])
-- Forget tokens whose grace ended (they stay 'reused' because they are unknown).
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local f, v = all[i], tonumber(all[i + 1])
  if string.sub(f, 1, 2) == 'r:' and v > 0 and v <= now then
    redis.call('HDEL', KEYS[1], f, 'n:' .. string.sub(f, 3))
  end
end
redis.call('HSET', KEYS[1], 'r:' .. ARGV[2], 0)
local ttl = math.min(tonumber(ARGV[5]), math.ceil((ends - now) / 1000))
redis.call('EXPIRE', KEYS[1], ttl)
return {'ok', ARGV[2], ends}
