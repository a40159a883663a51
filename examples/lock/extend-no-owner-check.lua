-- An extension without an owner check: anyone can keep anyone's lock alive. Fails "a non-owner's extension is
-- refused".
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
