-- A correct token bucket (--contract bucket): ARGV[1] capacity, ARGV[2] refill per second, ARGV[3] now ms,
-- ARGV[4] cost. One hash per client; a rejected request writes nothing, so tokens never go negative; the key
-- expires when the bucket would be full again.
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate / 1000)
if tokens >= cost then
  tokens = tokens - cost
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.17g', math.max(ts, now)))
  redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) * 1000 / rate) + 1)
  return {1, string.format('%.17g', tokens)}
end
return {0, string.format('%.17g', tokens)}
