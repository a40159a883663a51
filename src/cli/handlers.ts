import type { Handlers } from "./program.js";

/**
 * The product's handlers, each imported when its command runs, so `--help` and `--version` never load ioredis,
 * chalk, ora or the prompts (test/architecture/layers.test.ts watches it). main() wires them into the
 * program; the program itself imports no command, so nothing a command imports leads back to it.
 */
export const lazyHandlers: Handlers = {
  ratelimit: async (opts) => (await import("./commands/ratelimit.js")).ratelimitCommand(opts),
  cache: async (opts) => (await import("./commands/cache.js")).cacheCommand(opts),
  session: async (opts) => (await import("./commands/session.js")).sessionCommand(opts),
  cleanup: async (opts) => (await import("./commands/cleanup.js")).cleanupCommand(opts),
  doctor: async (opts) => (await import("./commands/doctor.js")).doctorCommand(opts),
  hll: async (opts) => (await import("./commands/hll.js")).hllCommand(opts),
  leaderboard: async (opts) => (await import("./commands/leaderboard.js")).leaderboardCommand(opts),
  analytics: async (opts) => (await import("./commands/analytics.js")).analyticsCommand(opts),
  lock: async (opts) => (await import("./commands/lock.js")).lockCommand(opts),
  queue: async (opts) => (await import("./commands/queue.js")).queueCommand(opts),
  primary: async (opts) => (await import("./commands/primary.js")).primaryCommand(opts),
  smoke: async (opts) => (await import("./commands/smoke.js")).smokeCommand(opts),
  tour: async (opts) => (await import("./commands/tour.js")).tourCommand(opts),
  bench: async (opts) => (await import("./commands/bench.js")).benchCommand(opts),
  list: async (opts) => (await import("./commands/list.js")).listCommand(opts),
  completion: async (opts) => (await import("./commands/completion.js")).completionCommand(opts),
};
