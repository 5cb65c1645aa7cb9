-- A Telegram account opened a login link. The link works once: whoever opens it first is the
-- only account that may answer it.
-- KEYS: the login
-- ARGV: nonce hash, Telegram id
-- Returns {'opened', browser, created, site, origin, number} | {'used'} | {'missing'} (expired,
-- unknown or forged)
local login = redis.call('HMGET', KEYS[1], 'n', 's', 'b', 'c', 'sn', 'so', 'k')
-- Keyed hashes compared through a second hash, as in verify_code.lua.
if not login[1] or redis.sha1hex(login[1]) ~= redis.sha1hex(ARGV[1]) then
  return {'missing'}
end
if login[2] ~= 'pending' then
  return {'used'}
end
redis.call('HSET', KEYS[1], 's', 'opened', 't', ARGV[2])
return {'opened', login[3], login[4], login[5] or '', login[6] or '', login[7] or ''}
