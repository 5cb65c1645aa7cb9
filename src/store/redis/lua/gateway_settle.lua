-- The Gateway answered a send: record its request id and, if nobody touched the message while
-- the send was under way, its new status. Says what the status was, so the caller can act on
-- what happened meanwhile (the code was typed in, or replaced).
-- KEYS: the Gateway message
-- ARGV: the Gateway's request id (empty when it sent nothing), the status after the send
-- Returns the status before: 'sending' | 'verified' | 'retired' | '' (the record is gone)
local before = redis.call('HGET', KEYS[1], 's')
if not before then
  return ''
end
redis.call('HSET', KEYS[1], 'r', ARGV[1])
if before == 'sending' then
  redis.call('HSET', KEYS[1], 's', ARGV[2])
end
return before
