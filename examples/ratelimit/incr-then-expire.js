// INCR, then EXPIRE, as two commands from the app (no script, no MULTI): the chapter's fixed window as many
// apps write it. If the app dies between the two, the counter has no expiry, forever.
// Fails: "every key the script writes has a TTL" (the checks let the app die after its first command).
// Run: redis-patterns ratelimit --adapter examples/ratelimit/incr-then-expire.js --semantics fixed
export default {
  async call(redis, { key, now, config }) {
    const window = `${key}:${Math.floor(now / config.windowMs)}`;
    const count = Number(await redis.call("INCR", window));
    if (count === 1) await redis.call("PEXPIRE", window, String(2 * config.windowMs));
    return count <= config.limit ? 1 : 0;
  },
};
