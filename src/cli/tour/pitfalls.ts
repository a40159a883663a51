/**
 * The scenarios that demonstrate a pitfall (what goes wrong, shown live), with one line on what to watch for. The
 * tour offers them as a shortcut from the menu and from any walkthrough.
 */
export const PITFALLS: Record<string, string> = {
  "ratelimit/fixed-window": "a burst at the window edge lets twice the limit through",
  "cache/stale-set-race": "a slow reader writes an old value back after the invalidation",
  "cache/stampede-none": "every request recomputes when a hot entry expires",
  "session/lost-update": "two requests rewrite one session and a change vanishes",
  "lock/simple": "the lock expires while its holder still works",
  "lock/no-lock": "read-modify-write without a lock loses increments",
  "queue/list": "a consumer that dies after BRPOP loses its messages",
  "primary/rdb": "a crash takes every acknowledged write since the last snapshot",
};

export function isPitfall(id: string): boolean {
  return id in PITFALLS;
}
