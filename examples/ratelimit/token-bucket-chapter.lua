-- The chapter's token bucket, as printed (two keys, made runnable: tonumber, math.min, refill per ms):
--   KEYS[1] tokens, KEYS[2] last refill; ARGV[1] MAX_TOKENS, ARGV[2] REFILL_RATE per ms, ARGV[3] now ms.
-- Its signature is not the bucket contract, so token-bucket-chapter.json maps it. It fails: neither key ever
-- expires ("every key the script writes has a TTL").
local MAX_TOKENS = tonumber(ARGV[1])
local REFILL_RATE = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local tokens = tonumber(redis.call('GET', KEYS[1])) or MAX_TOKENS
local last = tonumber(redis.call('GET', KEYS[2])) or now
local elapsed = now - last
tokens = math.min(MAX_TOKENS, tokens + elapsed * REFILL_RATE)
if tokens >= 1 then
  tokens = tokens - 1
  redis.call('SET', KEYS[1], tokens)
  redis.call('SET', KEYS[2], now)
  return 1 -- allowed
end
return 0 -- rejected
