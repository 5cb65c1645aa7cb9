-- Issue a login code that the phone's owner asked for inside Telegram (the bot's button). It is
-- never refused because of the site-side lock (wrong guesses made on the site), only by its own
-- cooldown and hourly cap, so that guessing on the site can never lock the owner out.
-- Also used for codes an older integration's own bot asks for (the secret proves the caller, the
-- chat the account): no cooldown there, a per-minute cap instead, counted in keys of its own.
-- KEYS: binding, code, cooldown, sends
-- ARGV: code hash, code ttl (s), cooldown (s), max sends per window, binding ('' leaves it),
--       binding ttl (s), window (s)
-- Returns {'ok', 0} | {'cooldown'|'cap', retry after (ms)}
local seen = redis.call('MGET', KEYS[3], KEYS[4])
if seen[1] then
  local cooldown = redis.call('PTTL', KEYS[3])
  if cooldown > 0 then
    return {'cooldown', cooldown}
  end
end
if tonumber(seen[2] or '0') >= tonumber(ARGV[4]) then
  return {'cap', redis.call('PTTL', KEYS[4])}
end
if tonumber(ARGV[3]) > 0 then
  redis.call('SET', KEYS[3], '1', 'EX', ARGV[3])
end
if redis.call('INCR', KEYS[4]) == 1 then
  redis.call('EXPIRE', KEYS[4], ARGV[7])
end
if ARGV[5] ~= '' then
  redis.call('SET', KEYS[1], ARGV[5], 'EX', ARGV[6])
end
-- 'o' = 't': asked for in Telegram (see verify_code.lua).
redis.call('HSET', KEYS[2], 'h', ARGV[1], 'a', 0, 'o', 't')
redis.call('EXPIRE', KEYS[2], ARGV[2])
return {'ok', 0}
