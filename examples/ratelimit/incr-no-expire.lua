-- INCR without EXPIRE: the window's counter never expires, so every client leaves a key behind forever.
-- Fails: "every key the script writes has a TTL".
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local count = redis.call('INCR', KEYS[1] .. ':' .. math.floor(now / window))
if count > limit then return 0 end
return 1
