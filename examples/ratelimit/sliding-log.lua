-- A correct sliding window log (default contract). Passes: --semantics sliding (the default).
-- KEYS[1] the client's log; ARGV[1] limit, ARGV[2] window ms, ARGV[3] now ms, ARGV[4] a unique request id.
-- Trim what left the window, count, and log the request ONLY if it is allowed.
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, now .. '-' .. ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, limit - count - 1}
end
return {0, 0}
