-- An authorization code is traded: the first time its grant is handed over and the code stays
-- behind as a marker naming the grant, so that presenting it again is known as a replay
-- (RFC 6749 4.1.2: the tokens issued from it are then revoked).
-- KEYS: the code
-- ARGV: how long the marker stays (ms: as long as the tokens issued from the code live)
-- Returns {'missing'} | {'replayed', grant id} | {'taken', grant id, grant}
local stored = redis.call('GET', KEYS[1])
if not stored then
  return {'missing'}
end
local used = string.match(stored, '^used:(.*)$')
if used then
  return {'replayed', used}
end
local grant_id = string.match(stored, '^([^|]*)|')
if not grant_id then
  return {'missing'}
end
redis.call('SET', KEYS[1], 'used:' .. grant_id, 'PX', ARGV[1])
return {'taken', grant_id, string.sub(stored, #grant_id + 2)}
