-- A sliding window counter (default contract): this window's counter plus the previous one's, weighted by how much
-- of the previous window is still inside the sliding window. Passes with --model sliding-counter (the very same
-- decisions as the built-in algorithm's model, request by request) and its promise, --semantics fixed. Promised as
-- sliding it fails: the weighted estimate lets a little more than the limit through in some window.
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local index = math.floor(now / window)
local current_key = KEYS[1] .. ':' .. index
local current = tonumber(redis.call('GET', current_key) or '0')
local previous = tonumber(redis.call('GET', KEYS[1] .. ':' .. (index - 1)) or '0')
local weight = (window - (now % window)) / window
if previous * weight + current + 1 <= limit then
  redis.call('INCR', current_key)
  redis.call('PEXPIRE', current_key, 2 * window)
  return {1, limit - current - 1}
end
return {0, 0}
