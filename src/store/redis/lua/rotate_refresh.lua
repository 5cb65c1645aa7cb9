-- A client presents an OpenID Connect refresh token: the grant's record holds the keyed hash of
-- the one live token. The right one is replaced by the next (the record keeps its expiry: a
-- grant never outlives its first day plus the lifetime). Any other token for the grant means
-- an old one came back (stolen, or replayed): the grant ends.
-- KEYS: the grant's refresh record
-- ARGV: the presented token's hash, the next token's hash
-- Returns {'rotated', grant} | {'reused'} | {'missing'}
local stored = redis.call('GET', KEYS[1])
if not stored then
  return {'missing'}
end
local hash, grant = string.match(stored, '^([^|]*)|(.*)$')
if not hash then
  return {'missing'}
end
if redis.sha1hex(hash) ~= redis.sha1hex(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return {'reused'}
end
redis.call('SET', KEYS[1], ARGV[2] .. '|' .. grant, 'KEEPTTL')
return {'rotated', grant}
