-- The account that opened a login answers it, once: 'approved' (for user ARGV[3]) or 'denied'.
-- A login that shows a number (k) is approved only by picking that number: a wrong pick, or
-- an approval without one, denies it for good. A denied or expired login can never be
-- approved.
-- KEYS: the login
-- ARGV: Telegram id, verdict, user id, ms the browser is given to collect an approval, the
-- number picked ('' for none)
-- Returns {'settled', verdict} | {'already'} | {'missing'}
local login = redis.call('HMGET', KEYS[1], 's', 't', 'k')
if not login[1] or login[2] ~= ARGV[1] then
  return {'missing'}
end
if login[1] ~= 'opened' then
  return {'already'}
end
local verdict, user = ARGV[2], ARGV[3]
if verdict == 'approved' and login[3] and login[3] ~= '' and login[3] ~= ARGV[5] then
  verdict, user = 'denied', ''
end
redis.call('HSET', KEYS[1], 's', verdict, 'u', user)
if verdict == 'approved' and redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return {'settled', verdict}
