-- A correct extension: renew the TTL only if the lock still holds our token.
-- KEYS[1] the lock; ARGV[1] the owner token; ARGV[2] the new TTL in ms. Returns 1 if extended, 0 if not ours.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
