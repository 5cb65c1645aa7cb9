-- A message whose code was typed in or replaced: if its send is still under way, mark it, and
-- the sender acts on the mark when the Gateway answers; otherwise say how the send ended.
-- KEYS: the Gateway message
-- ARGV: the mark ('verified' | 'retired')
-- Returns {'claimed'} | {'settled', request id, status}
local known = redis.call('HMGET', KEYS[1], 'r', 's')
if known[2] == 'sending' then
  redis.call('HSET', KEYS[1], 's', ARGV[1])
  return {'claimed'}
end
return {'settled', known[1] or '', known[2] or ''}
