-- The chapter's sliding log as written: ZADD first, then trim and count, reject if count > limit.
-- Fails liveness: a rejected request stays in the log, so a client that keeps retrying is locked out even
-- after its window has room again (and every rejected retry costs memory).
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now, now .. '-' .. ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, now - window)
local count = redis.call('ZCARD', KEYS[1])
redis.call('PEXPIRE', KEYS[1], window)
if count > limit then return 0 end
return 1
