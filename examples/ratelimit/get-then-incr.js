// Check, then act, as two commands from the app: GET the window's counter, and INCR it only if it is below the
// limit. One app instance at a time it is right; app instances running at once all read the same count before
// any of them increments it, and all pass. Fails "N app instances at once" (more allowed than the limit).
// Run: redis-patterns ratelimit --adapter examples/ratelimit/get-then-incr.js --semantics fixed
export default {
  async call(redis, { key, now, config }) {
    const window = `${key}:${Math.floor(now / config.windowMs)}`;
    const count = Number((await redis.call("GET", window)) ?? 0);
    if (count >= config.limit) return 0;
    await redis.call("INCR", window);
    await redis.call("PEXPIRE", window, String(2 * config.windowMs));
    return 1;
  },
};
