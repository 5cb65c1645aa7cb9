-- Open a session whose first refresh token is ARGV[2].
-- KEYS: session
-- ARGV: user id, refresh token id, session ttl (s)
redis.call('HSET', KEYS[1], 'u', ARGV[1], 'r:' .. ARGV[2], 0)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
