-- A release without an owner check: plain DEL. A worker whose lock expired deletes the NEXT owner's lock, and any
-- worker can release a lock it never held. Fails "a non-owner's release is refused".
return redis.call('DEL', KEYS[1])
