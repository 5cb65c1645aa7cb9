-- Rotate a session's refresh token. The session hash maps 'r:<token id>' to 0 (live) or to the
-- end of its grace period (ms) once rotated out. A token past its grace, or unknown, means the
-- token was stolen or replayed: the whole session is revoked.
-- KEYS: session
-- ARGV: presented token id, new token id, now (ms), grace (ms), session ttl (s)
-- Returns 'ok' | 'revoked' | 'reused'
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 'revoked'
end
local now = tonumber(ARGV[3])
local field = 'r:' .. ARGV[1]
local state = tonumber(redis.call('HGET', KEYS[1], field) or '-1')
-- A rotated-out token is honoured strictly before its grace ends (never, with no grace).
if state < 0 or (state > 0 and state <= now) then
  redis.call('DEL', KEYS[1])
  return 'reused'
end
if state == 0 then
  redis.call('HSET', KEYS[1], field, now + tonumber(ARGV[4]))
end
-- Forget tokens whose grace ended long ago (they stay 'reused' because they are unknown).
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local f, v = all[i], tonumber(all[i + 1])
  if string.sub(f, 1, 2) == 'r:' and v > 0 and v <= now then
    redis.call('HDEL', KEYS[1], f)
  end
end
redis.call('HSET', KEYS[1], 'r:' .. ARGV[2], 0)
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 'ok'
