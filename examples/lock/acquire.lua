-- A correct acquire: SET NX PX in one command (the chapter's SET lock:order:456 {uuid} NX EX 30, in ms).
-- KEYS[1] the lock; ARGV[1] the owner token; ARGV[2] the TTL in ms. Returns OK when acquired, nil when held.
return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
