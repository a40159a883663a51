-- A token bucket that takes the tokens first and checks afterwards: a rejected request still spends its cost,
-- so the bucket goes negative and a client that keeps knocking never gets in again.
-- Fails: "what is left is never negative" (and liveness).
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate / 1000) - cost
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.17g', math.max(ts, now)))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) * 1000 / rate) + 1)
if tokens >= 0 then return {1, string.format('%.17g', tokens)} end
return {0, string.format('%.17g', tokens)}
