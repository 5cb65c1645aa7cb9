-- Open a session whose first refresh token is ARGV[2], and list it among its user's sessions
-- (so that they can all be revoked at once). Both keys carry the user's hash tag.
-- KEYS: session, the user's session list
-- ARGV: user id, refresh token id, session ttl (s), now (ms), session max age (s)
-- 'c' is when the session began: refreshing never takes it past c + max age.
redis.call('HSET', KEYS[1], 'u', ARGV[1], 'c', ARGV[4], 'r:' .. ARGV[2], 0)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('SADD', KEYS[2], KEYS[1])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return 1
