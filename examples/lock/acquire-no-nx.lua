-- SET without NX: "acquiring" overwrites whoever holds the lock. Fails mutual exclusion: a second worker gets
-- the lock while the first still holds it.
return redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
