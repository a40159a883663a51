/**
 * What each pattern needs from a server, as data: the commands it sends (with the Redis version each form first
 * appeared in), the variants that need more than the core, the fallback the tool uses where a command is missing, and
 * what eviction or a restart without persistence does to the pattern's keys. `evaluatePatterns` (rules.ts) reads this
 * table against the facts `collectFacts` (probe.ts) gathered; neither prints.
 *
 * The command lists follow what src/patterns/<pattern>/ sends (and, inside Lua scripts, what the scripts call: ACL
 * rules apply to redis.call too). Keep them in step when a pattern starts sending something new.
 */

import type { CommandLabel } from "./commands.js";

export { CHANNEL, COMMANDS, KEY, KEY2, sampleArgv, type CommandLabel, type CommandSpec } from "./commands.js";

export const PATTERNS = [
  "ratelimit",
  "cache",
  "session",
  "leaderboard",
  "hll",
  "analytics",
  "lock",
  "queue",
  "primary",
] as const;

export type PatternName = (typeof PATTERNS)[number];

/** A set of commands that run together: the core of a pattern, or one variant. */
export interface Use {
  /** The variant these commands serve ("--kind stream"); absent for the pattern's core. */
  variant?: string;
  commands: readonly CommandLabel[];
  /** What the tool sends instead when one of `commands` is missing or denied. */
  fallback?: { commands: readonly CommandLabel[]; text: string };
}

/** What losing a key does to the pattern, per kind of key; absent where losing it is harmless (a cache entry). */
export interface LossText {
  /** Keys with a TTL: evicted under volatile-* and allkeys-*. */
  ttlKeys?: string;
  /** Keys without a TTL: evicted only under allkeys-*. */
  plainKeys?: string;
}

export interface PatternSpec {
  name: PatternName;
  /** The chapter section, for the reader. */
  chapter: string;
  uses: readonly Use[];
  eviction: LossText;
  /**
   * What a restart without persistence loses. `risk` makes it a warning (the data is the only copy and losing it
   * is silent: queued messages, write-behind buffers); without it the loss is noted but the pattern stays ok.
   */
  restart?: {
    text: string;
    risk: boolean;
    variant?: string;
    /** The command that shows this loss measured (`redis-patterns primary`): the finding names it with the setting. */
    measuredBy?: string;
  };
  /** Time-bucketed keys named by the app's clock: a skewed client clock is worth a note. */
  clockSensitive?: string;
  /** The latency the chapter promises, to set the measured PING against. */
  latencyClaim?: { p50Ms: number; text: string };
}

/** The tool runs every script as EVALSHA, and EVAL when the server answers NOSCRIPT: both are needed. */
const SCRIPTS = ["EVALSHA", "EVAL"] as const;

export const PATTERN_SPECS: Record<PatternName, PatternSpec> = {
  ratelimit: {
    name: "ratelimit",
    chapter: "4.2 Rate limiting",
    uses: [
      // Each algorithm is one Lua script; ACL rules also apply to what the scripts call.
      {
        commands: [
          ...SCRIPTS,
          "INCRBY",
          "PEXPIRE",
          "GET",
          "ZADD",
          "ZREMRANGEBYSCORE",
          "ZCARD",
          "ZRANGE",
          "HMGET",
          "HSET",
          "DEL",
        ],
      },
      { variant: "--clock real (the scripts read the server's TIME)", commands: ["TIME (in a script)"] },
    ],
    eviction: {
      ttlKeys: "an evicted counter, log or bucket resets a client's limit: requests over the limit get through",
    },
    clockSensitive: "window keys are named by this machine's clock while the server expires them by its own",
  },
  cache: {
    name: "cache",
    chapter: "4.1 Caching patterns",
    uses: [
      { commands: ["GET", "SET … PX", "DEL", "EXISTS"] },
      { variant: "the stale-set fix (a compare-and-set script)", commands: [...SCRIPTS, "GET", "SET … PX"] },
      { variant: "--stampede --protect lock", commands: ["SET … NX PX", ...SCRIPTS] },
      { variant: "--stampede --protect early-expiry", commands: ["PTTL"] },
      { variant: "--invalidate event", commands: ["PUBLISH", "SUBSCRIBE"] },
      { variant: "--invalidate versioned", commands: ["SET … NX", "INCR"] },
      {
        variant: "write-behind (a script: SET + XADD to the pending stream)",
        commands: [...SCRIPTS, "SET … PX", "XADD", "XRANGE", "XLEN", "XDEL"],
      },
    ],
    // Evicting entries is what a cache is for: no eviction text.
    eviction: {},
    restart: {
      text: "writes buffered for write-behind that the worker has not flushed yet are lost",
      risk: true,
      variant: "write-behind",
    },
  },
  session: {
    name: "session",
    chapter: "4.3 Session management",
    uses: [
      {
        commands: [
          "SET … EX",
          "GET",
          "DEL",
          "EXISTS",
          "EXPIRE",
          "PEXPIRE",
          "PTTL",
          "HSET",
          "HGET",
          "HGETALL",
          "HINCRBY",
          "MULTI",
          "EXEC",
          "WATCH",
          "UNWATCH",
        ],
      },
      {
        variant: "sliding expiry in one command (GETEX)",
        commands: ["GETEX"],
        fallback: { commands: ["GET", "EXPIRE"], text: "GET + EXPIRE in one pipeline" },
      },
    ],
    eviction: { ttlKeys: "an evicted session logs its user out before the session's TTL" },
    restart: { text: "a restart logs every user out", risk: false },
    latencyClaim: { p50Ms: 1, text: "sub-millisecond session reads" },
  },
  leaderboard: {
    name: "leaderboard",
    chapter: "4.4 Leaderboards and rankings",
    uses: [
      {
        commands: [
          "ZADD",
          "ZINCRBY",
          "ZREVRANGE",
          "ZREVRANK",
          "ZSCORE",
          "ZCARD",
          "ZUNIONSTORE",
          "EXPIRE",
          "PEXPIRE",
          "TTL",
          "EXISTS",
          "MULTI",
          "EXEC",
        ],
      },
      { variant: "best score kept atomically (ZADD GT)", commands: ["ZADD … GT"] },
      { variant: "bytes per member", commands: ["MEMORY USAGE", "OBJECT ENCODING"] },
    ],
    eviction: {
      plainKeys: "an evicted board loses every score on it",
      ttlKeys: "a daily board can be evicted before the weekly union reads it",
    },
    restart: { text: "a restart empties the boards", risk: false },
  },
  hll: {
    name: "hll",
    chapter: "4.6 Real-time analytics (HyperLogLog)",
    uses: [
      // STRLEN, GETRANGE and BITFIELD_RO read the HLL's size and encoding byte as it grows.
      { commands: ["PFADD", "PFCOUNT", "PFMERGE", "SADD", "SCARD", "STRLEN", "GETRANGE", "DEL"] },
      {
        variant: "the encoding byte (BITFIELD_RO)",
        commands: ["BITFIELD_RO"],
        fallback: { commands: ["BITFIELD GET"], text: "BITFIELD … GET (the same read, flagged as a write)" },
      },
      { variant: "--trials (items generated inside a script)", commands: [...SCRIPTS, "PFADD"] },
      { variant: "bytes per counter", commands: ["MEMORY USAGE"] },
    ],
    eviction: { plainKeys: "an evicted HyperLogLog loses its unique count" },
    restart: { text: "a restart loses the unique counts", risk: false },
  },
  analytics: {
    name: "analytics",
    chapter: "4.6 Real-time analytics",
    uses: [
      { commands: ["INCR", "GET", "MGET", "EXPIRE", "TTL", "MULTI", "EXEC"] },
      {
        variant: "expiry set with the first increment (EXPIRE … NX)",
        commands: ["EXPIRE … NX"],
        fallback: { commands: [...SCRIPTS, "INCR", "EXPIRE"], text: "a script: INCR, then EXPIRE on the first event" },
      },
      { variant: "--kind trending", commands: ["ZINCRBY", "ZADD", "ZUNIONSTORE", "ZREVRANGE", "ZRANGE", "ZSCORE"] },
      {
        variant: "--kind timeseries (streams)",
        commands: ["XADD … MAXLEN ~", "XRANGE", "XLEN", "XTRIM … MAXLEN ~", "ZADD", "MEMORY USAGE"],
      },
      {
        variant: "--kind timeseries range on the sorted set (ZRANGE … BYSCORE)",
        commands: ["ZRANGE … BYSCORE"],
        fallback: { commands: ["ZRANGEBYSCORE"], text: "ZRANGEBYSCORE" },
      },
      { variant: "--kind timeseries trimming by MINID", commands: ["XTRIM … MINID ~"] },
      {
        variant: "the side-by-side comparisons on a copy (COPY)",
        commands: ["COPY"],
        fallback: { commands: [...SCRIPTS, "DUMP", "RESTORE"], text: "a script: DUMP, then RESTORE" },
      },
    ],
    eviction: {
      ttlKeys: "time-bucketed counters (with expiry) can vanish early: counts drop",
      plainKeys: "trending scores and time-series streams can be evicted",
    },
    restart: { text: "a restart loses the counters and series", risk: false },
    clockSensitive: "time buckets are named by this machine's clock while the server expires them by its own",
  },
  lock: {
    name: "lock",
    chapter: "4.5 Distributed locking",
    uses: [
      // Acquire is SET NX PX; release is an owner-checked script (GET, then DEL).
      { commands: ["SET … NX PX", ...SCRIPTS, "GET", "DEL", "PTTL"] },
      { variant: "--algo watchdog (owner-checked renewal script)", commands: [...SCRIPTS, "PEXPIRE"] },
      {
        variant: "--algo fencing (token and guarded write in scripts)",
        commands: [...SCRIPTS, "INCR", "HSET", "HGET", "HMGET"],
      },
    ],
    eviction: { ttlKeys: "an evicted lock lets a second worker in while the first still works" },
  },
  queue: {
    name: "queue",
    chapter: "4.7 Message queues",
    uses: [
      { commands: ["LPUSH", "BRPOP", "LLEN", "DEL"] },
      {
        variant: "--kind reliable",
        commands: ["LREM", "LRANGE", "RPUSH", "HSET", "HGET", "HDEL", "HGETALL", "HLEN", ...SCRIPTS],
      },
      {
        variant: "--kind reliable (BLMOVE)",
        commands: ["BLMOVE"],
        fallback: { commands: ["BRPOPLPUSH"], text: "BRPOPLPUSH" },
      },
      {
        variant: "--kind stream",
        commands: [
          "XADD",
          "XGROUP CREATE … MKSTREAM",
          "XREADGROUP",
          "XACK",
          "XPENDING",
          "XCLAIM",
          "XRANGE",
          "XLEN",
          "XGROUP DELCONSUMER",
          "SADD",
          "SMEMBERS",
        ],
      },
      {
        variant: "--kind stream redelivery (XAUTOCLAIM)",
        commands: ["XAUTOCLAIM"],
        fallback: { commands: ["XPENDING", "XCLAIM"], text: "XPENDING + XCLAIM" },
      },
      {
        variant: "--kind stream dead letters (a script)",
        commands: [...SCRIPTS, "XPENDING", "XRANGE", "XACK", "XADD"],
      },
    ],
    eviction: { plainKeys: "queued messages, processing lists and streams can be evicted: messages lost" },
    restart: { text: "queued and unacknowledged messages are lost", risk: true },
  },
  primary: {
    name: "primary",
    chapter: "4.8 Common architecture patterns (Redis as primary database)",
    uses: [
      { commands: ["HSET", "HGET", "HGETALL", "HINCRBY", "HVALS", "MULTI", "EXEC", "PEXPIRE"] },
      { variant: "feature flags refreshed by pub/sub", commands: ["PUBLISH", "SUBSCRIBE"] },
      { variant: "game state (a script)", commands: [...SCRIPTS] },
    ],
    eviction: {
      plainKeys: "carts, flags and game state have no other copy: an evicted key is data lost",
      ttlKeys: "a session evicted before its TTL logs its user out",
    },
    restart: {
      text: "carts, flags, game state and sessions kept only in Redis are gone",
      risk: true,
      measuredBy: "redis-patterns primary",
    },
  },
};

/** Every command label the given patterns use, fallbacks included, each once. */
export function commandsFor(patterns: readonly PatternName[]): CommandLabel[] {
  const out = new Set<CommandLabel>();
  for (const name of patterns) {
    for (const use of PATTERN_SPECS[name].uses) {
      for (const label of use.commands) out.add(label);
      for (const label of use.fallback?.commands ?? []) out.add(label);
    }
  }
  return [...out];
}
