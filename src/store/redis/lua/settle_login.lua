-- The account that opened a login answers it, once: 'approved' (for user ARGV[3]) or 'denied'.
-- A denied or expired login can never be approved.
-- KEYS: the login
-- ARGV: Telegram id, verdict, user id, ms the browser is given to collect an approval
-- Returns {'settled'} | {'already'} | {'missing'}
local login = redis.call('HMGET', KEYS[1], 's', 't')
if not login[1] or login[2] ~= ARGV[1] then
  return {'missing'}
end
if login[1] ~= 'opened' then
  return {'already'}
end
redis.call('HSET', KEYS[1], 's', ARGV[2], 'u', ARGV[3])
if ARGV[2] == 'approved' and redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return {'settled'}
