import type { ScenarioDef } from "../src/runner/types.js";

/** Any scenario, whatever its parameter and state types (they stay inside the scenario). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyScenario = ScenarioDef<any, any>;

/** One pattern of the chapter and how to load its scenarios (lazily: the CLI only imports what it runs). */
export interface PatternEntry {
  name: string;
  chapter: string;
  summary: string;
  load(): Promise<AnyScenario[]>;
}

/**
 * Every scenario the tool has, by pattern. `smoke` runs them all in their default configuration (each scenario's
 * `defaults`, kept small and fast), the tour offers them as a menu.
 */
export const catalog: PatternEntry[] = [
  {
    name: "ratelimit",
    chapter: "4.2 Rate limiting",
    summary: "fixed window, sliding log, sliding counter, token bucket",
    load: async () => Object.values((await import("./ratelimit/index.js")).rateLimitScenarios),
  },
  {
    name: "cache",
    chapter: "4.1 Caching patterns, 4.8 pub/sub invalidation",
    summary:
      "cache-aside, read-through, write-through, write-behind over a real database; TTL, pub/sub and versioned " +
      "invalidation; stampede protection; the stale-set race",
    load: async () => (await import("./cache/index.js")).cacheScenarios,
  },
  {
    name: "session",
    chapter: "4.3 Session management",
    summary: "JSON sessions with sliding expiry, hash sessions on several app servers, the lost update, read latency",
    load: async () => Object.values((await import("./session/index.js")).sessionScenarios),
  },
  {
    name: "leaderboard",
    chapter: "4.4 Leaderboards and rankings",
    summary: "top N, rank, neighbours, pages, daily and weekly boards, ties, memory and latency",
    load: async () => Object.values((await import("./leaderboard/index.js")).leaderboardScenarios),
  },
  {
    name: "lock",
    chapter: "4.5 Distributed locking",
    summary: "SET NX PX with an owner token, a renewal watchdog, fencing tokens, and the same work without a lock",
    load: async () => {
      const m = await import("./lock/index.js");
      return [...Object.values(m.lockScenarios), m.noLockScenario];
    },
  },
  {
    name: "hll",
    chapter: "4.6 Real-time analytics",
    summary: "HyperLogLog unique counts next to an exact SET: 12 KB, 0.81% error, sparse → dense, PFMERGE of days",
    load: async () => {
      const m = await import("./hll/index.js");
      return [m.uniqueCount, m.weeklyMerge];
    },
  },
  {
    name: "analytics",
    chapter: "4.6 Real-time analytics",
    summary:
      "time-bucketed counters with atomic expiry, trending with decay (and the lost view of a client-side " +
      "loop), time series on a stream",
    load: async () => {
      const m = await import("./analytics/index.js");
      return [m.counters, m.trending, m.timeseries];
    },
  },
  {
    name: "queue",
    chapter: "4.7 Message queues",
    summary:
      "a list with LPUSH/BRPOP (loses messages when a consumer dies), a reliable list with a reaper, a stream " +
      "with a consumer group and a dead-letter stream",
    load: async () => Object.values((await import("./queue/index.js")).queueScenarios),
  },
  {
    name: "primary",
    chapter: "4.8 Common architecture patterns (4: Redis as primary database)",
    summary:
      "cart, feature flags, game state and sessions with no other copy, on a throwaway redis-server SIGKILLed " +
      "under no persistence, RDB, AOF everysec and AOF always: acknowledged writes lost, write latency",
    load: async () => Object.values((await import("./primary/index.js")).durabilityScenarios),
  },
];

export async function allScenarios(): Promise<AnyScenario[]> {
  const lists = await Promise.all(catalog.map((p) => p.load()));
  return lists.flat();
}

/** `lock/*`, `ratelimit/token-bucket`, `*bucket*`: `*` matches any run of characters, the rest literally. */
export function matchesGlob(id: string, glob: string): boolean {
  const pattern = glob
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return (
    new RegExp(`^${pattern}$`).test(id) || (!glob.includes("*") && !glob.includes("/") && id.startsWith(`${glob}/`))
  );
}

/** Scenarios selected by `--only` (any glob matches; all when none given) minus `--skip`. */
export function selectScenarios(all: AnyScenario[], only: string[], skip: string[]): AnyScenario[] {
  return all.filter(
    (s) => (only.length === 0 || only.some((g) => matchesGlob(s.id, g))) && !skip.some((g) => matchesGlob(s.id, g)),
  );
}
