-- The browser asks how its login went. An approval is handed over once: the login is gone
-- after it.
-- KEYS: the login
-- ARGV: poll-token hash
-- Returns {'expired'} | {'forbidden'} | {status} | {'approved', user id}
local login = redis.call('HMGET', KEYS[1], 'p', 's', 'u')
if not login[1] then
  return {'expired'}
end
if redis.sha1hex(login[1]) ~= redis.sha1hex(ARGV[1]) then
  return {'forbidden'}
end
if login[2] == 'approved' then
  redis.call('DEL', KEYS[1])
  return {'approved', login[3]}
end
return {login[2]}
