-- A one-tap login begins: its whole state is one hash that dies with the link.
-- KEYS: the login
-- ARGV: nonce hash, poll-token hash, browser, created (unix s), ttl (ms), site, origin, number
-- Fields: n the link's nonce (keyed hash), p the browser's poll token (keyed hash), s the status
-- (pending, opened, approved, denied), t the Telegram account that opened the link, u the user
-- an approval logs in, b the browser (summarised), c when it began, sn the site's name and so its
-- origin (empty when the login did not come through a registered client), k the number the
-- browser shows and the customer must pick in Telegram.
redis.call('HSET', KEYS[1], 'n', ARGV[1], 'p', ARGV[2], 's', 'pending', 'b', ARGV[3], 'c', ARGV[4],
  'sn', ARGV[6], 'so', ARGV[7], 'k', ARGV[8])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
