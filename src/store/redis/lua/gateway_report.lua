-- Record what the Gateway reports about one of its messages, never going back (a late 'sent'
-- does not undo 'delivered'), and say whether it was news.
-- KEYS: the Gateway request
-- ARGV: the Gateway's request id, the reported status
-- Returns {'unknown'} (no such request, or another request id) | {'news', previous status} |
--         {'seen'}
local rank = {sent = 1, delivered = 2, read = 3, expired = 3, revoked = 3}
local known = redis.call('HMGET', KEYS[1], 'r', 's')
if not known[1] or known[1] ~= ARGV[1] then
  return {'unknown'}
end
if (rank[ARGV[2]] or 0) <= (rank[known[2]] or 0) then
  return {'seen'}
end
redis.call('HSET', KEYS[1], 's', ARGV[2])
return {'news', known[2] or ''}
