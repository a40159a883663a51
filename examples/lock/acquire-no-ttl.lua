-- SETNX without an expiry: if the holder dies, the lock is held forever (a deadlock). Fails "the lock has a TTL".
return redis.call('SETNX', KEYS[1], ARGV[1])
