-- Take one send from the Gateway's hourly budget, shared by every replica.
-- KEYS: paused, sends this hour
-- ARGV: max sends per hour
-- Returns 'ok' | 'paused' (sends are stopped for a while) | 'spent' (the budget is used up)
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 'paused'
end
local sent = redis.call('INCR', KEYS[2])
if sent == 1 then
  redis.call('EXPIRE', KEYS[2], 7200)
end
if sent > tonumber(ARGV[1]) then
  return 'spent'
end
return 'ok'
