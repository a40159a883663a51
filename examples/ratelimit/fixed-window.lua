-- The chapter's fixed window counter, done right: INCR the current window's counter and set its expiry in the
-- same script (a counter can never be left without one). Passes with --semantics fixed; promised as sliding
-- (the default) it fails: a burst on both sides of a window edge lets 2 x limit through within a moment.
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local key = KEYS[1] .. ':' .. math.floor(now / window)
local count = redis.call('INCR', key)
if count == 1 then redis.call('PEXPIRE', key, window * 2) end
if count > limit then return {0, 0} end
return {1, limit - count}
