import { defineScript } from "../../redis/script.js";

/**
 * Give a lock back only if we still hold it: the lock pattern's release and the cache's recompute lock (stampede
 * protection) are the same compare-and-delete, so they share this one script (and its SHA).
 */
export const releaseIfOwnerScript = defineScript(
  "release-if-owner",
  `
--[[ Give a lock back, but only if we still own it.
  KEYS[1]  the lock key
  ARGV[1]  the owner token the caller set when it took the lock
  returns  1 if the lock was ours and is deleted, 0 if it is gone or another owner holds it
  GET and DEL in one script: as two commands, the lock could expire and be taken by someone else between them,
  and our DEL would delete *their* lock. ]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`,
);
