-- The per-address limit, shared by every replica: a GCRA ("generic cell rate") limiter that
-- lets a burst of ARGV[2] requests through and then one every ARGV[1] ms. The key holds the
-- time (ms, Redis's clock, so replicas' clocks don't matter) at which the address's allowance
-- is whole again, and lives no longer than that.
-- KEYS: the address's key
-- ARGV: interval (ms), burst
-- Returns 0 when admitted, else the ms to wait.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tolerance = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then
  tat = now
end
if tat - tolerance > now then
  return tat - tolerance - now
end
tat = tat + interval
redis.call('SET', KEYS[1], tat, 'PX', tat - now)
return 0
