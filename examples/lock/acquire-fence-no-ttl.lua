-- An acquire that also hands out a fencing token from a counter under the lock key, but never expires the counter:
-- every resource ever locked leaves a key behind. Fails "every key the scripts write … with a TTL".
local ok = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
if ok then redis.call('INCR', KEYS[1] .. ':fence') end
return ok
