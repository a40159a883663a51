/**
 * What each pattern needs from a server, as data: the commands it sends (with the Redis version each form first
 * appeared in), the variants that need more than the core, the fallback the tool uses where a command is missing, and
 * what eviction or a restart without persistence does to the pattern's keys. `evaluatePatterns` (rules.ts) reads this
 * table against the facts `collectFacts` (probe.ts) gathered; neither prints.
 *
 * The command lists follow what src/patterns/<pattern>/ sends (and, inside Lua scripts, what the scripts call: ACL
 * rules apply to redis.call too). Keep them in step when a pattern starts sending something new.
 */

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

/** Stand-ins in a sample argv, replaced by keys under the run's prefix (same hash tag) and a channel name. */
export const KEY = "$KEY";
export const KEY2 = "$KEY2";
export const CHANNEL = "$CHANNEL";

/** One command form a pattern sends. */
export interface CommandSpec {
  /** A complete sample argv: what `ACL DRYRUN` checks (command, keys, channels), with KEY/KEY2/CHANNEL stand-ins. */
  argv: readonly string[];
  /** The Redis version this command, or this form of it (an argument such as GT or NX), first appeared in. */
  since?: string;
  /** Runs a Lua script: unavailable when the server does not run scripts, whatever ACL and version say. */
  script?: true;
  /** Is TIME called inside a script: unavailable when a script cannot call TIME. */
  timeInScript?: true;
}

/**
 * Every command form the patterns send, by label. The label is what the verdicts name ("GETEX", "EXPIRE … NX").
 * `since` is only given where it is newer than Redis 4.0 (MEMORY USAGE, UNLINK); older servers are not a target.
 */
export const COMMANDS = {
  DEL: { argv: ["DEL", KEY] },
  EXISTS: { argv: ["EXISTS", KEY] },
  GET: { argv: ["GET", KEY] },
  MGET: { argv: ["MGET", KEY, KEY2] },
  GETRANGE: { argv: ["GETRANGE", KEY, "0", "3"] },
  STRLEN: { argv: ["STRLEN", KEY] },
  BITFIELD_RO: { argv: ["BITFIELD_RO", KEY, "GET", "u8", "32"], since: "6.0.0" },
  "BITFIELD GET": { argv: ["BITFIELD", KEY, "GET", "u8", "32"] },
  "SET … EX": { argv: ["SET", KEY, "v", "EX", "60"] },
  "SET … PX": { argv: ["SET", KEY, "v", "PX", "60000"] },
  "SET … NX": { argv: ["SET", KEY, "1", "NX"] },
  "SET … NX PX": { argv: ["SET", KEY, "token", "NX", "PX", "10000"] },
  GETEX: { argv: ["GETEX", KEY, "EX", "60"], since: "6.2.0" },
  COPY: { argv: ["COPY", KEY, KEY2], since: "6.2.0" },
  DUMP: { argv: ["DUMP", KEY] },
  RESTORE: { argv: ["RESTORE", KEY2, "0", "payload"] },
  EXPIRE: { argv: ["EXPIRE", KEY, "60"] },
  "EXPIRE … NX": { argv: ["EXPIRE", KEY, "60", "NX"], since: "7.0.0" },
  PEXPIRE: { argv: ["PEXPIRE", KEY, "60000"] },
  TTL: { argv: ["TTL", KEY] },
  PTTL: { argv: ["PTTL", KEY] },
  INCR: { argv: ["INCR", KEY] },
  INCRBY: { argv: ["INCRBY", KEY, "1"] },
  WATCH: { argv: ["WATCH", KEY] },
  UNWATCH: { argv: ["UNWATCH"] },
  MULTI: { argv: ["MULTI"] },
  EXEC: { argv: ["EXEC"] },
  HSET: { argv: ["HSET", KEY, "f", "v"] },
  HGET: { argv: ["HGET", KEY, "f"] },
  HMGET: { argv: ["HMGET", KEY, "f", "g"] },
  HGETALL: { argv: ["HGETALL", KEY] },
  HVALS: { argv: ["HVALS", KEY] },
  HINCRBY: { argv: ["HINCRBY", KEY, "f", "1"] },
  HDEL: { argv: ["HDEL", KEY, "f"] },
  HLEN: { argv: ["HLEN", KEY] },
  SADD: { argv: ["SADD", KEY, "a"] },
  SCARD: { argv: ["SCARD", KEY] },
  SMEMBERS: { argv: ["SMEMBERS", KEY] },
  ZADD: { argv: ["ZADD", KEY, "1", "m"] },
  "ZADD … GT": { argv: ["ZADD", KEY, "GT", "CH", "1", "m"], since: "6.2.0" },
  ZINCRBY: { argv: ["ZINCRBY", KEY, "1", "m"] },
  ZCARD: { argv: ["ZCARD", KEY] },
  ZRANGE: { argv: ["ZRANGE", KEY, "0", "0", "WITHSCORES"] },
  "ZRANGE … BYSCORE": { argv: ["ZRANGE", KEY, "0", "1", "BYSCORE"], since: "6.2.0" },
  ZRANGEBYSCORE: { argv: ["ZRANGEBYSCORE", KEY, "0", "1"] },
  ZREVRANGE: { argv: ["ZREVRANGE", KEY, "0", "9", "WITHSCORES"] },
  ZREVRANK: { argv: ["ZREVRANK", KEY, "m"] },
  ZSCORE: { argv: ["ZSCORE", KEY, "m"] },
  ZREMRANGEBYSCORE: { argv: ["ZREMRANGEBYSCORE", KEY, "-inf", "0"] },
  ZUNIONSTORE: { argv: ["ZUNIONSTORE", KEY2, "1", KEY, "WEIGHTS", "0.5", "AGGREGATE", "MAX"] },
  PFADD: { argv: ["PFADD", KEY, "a"] },
  PFCOUNT: { argv: ["PFCOUNT", KEY] },
  PFMERGE: { argv: ["PFMERGE", KEY2, KEY] },
  "MEMORY USAGE": { argv: ["MEMORY", "USAGE", KEY, "SAMPLES", "0"], since: "4.0.0" },
  "OBJECT ENCODING": { argv: ["OBJECT", "ENCODING", KEY] },
  PUBLISH: { argv: ["PUBLISH", CHANNEL, "m"] },
  SUBSCRIBE: { argv: ["SUBSCRIBE", CHANNEL] },
  LPUSH: { argv: ["LPUSH", KEY, "m"] },
  RPUSH: { argv: ["RPUSH", KEY, "m"] },
  BRPOP: { argv: ["BRPOP", KEY, "1"] },
  LLEN: { argv: ["LLEN", KEY] },
  LRANGE: { argv: ["LRANGE", KEY, "0", "-1"] },
  LREM: { argv: ["LREM", KEY2, "1", "m"] },
  BLMOVE: { argv: ["BLMOVE", KEY, KEY2, "RIGHT", "LEFT", "1"], since: "6.2.0" },
  BRPOPLPUSH: { argv: ["BRPOPLPUSH", KEY, KEY2, "1"] },
  XADD: { argv: ["XADD", KEY, "*", "f", "v"], since: "5.0.0" },
  "XADD … MAXLEN ~": { argv: ["XADD", KEY, "MAXLEN", "~", "1000", "*", "f", "v"], since: "5.0.0" },
  "XTRIM … MAXLEN ~": { argv: ["XTRIM", KEY, "MAXLEN", "~", "1000"], since: "5.0.0" },
  "XTRIM … MINID ~": { argv: ["XTRIM", KEY, "MINID", "~", "0"], since: "6.2.0" },
  XRANGE: { argv: ["XRANGE", KEY, "-", "+", "COUNT", "10"], since: "5.0.0" },
  XLEN: { argv: ["XLEN", KEY], since: "5.0.0" },
  XDEL: { argv: ["XDEL", KEY, "0-1"], since: "5.0.0" },
  "XGROUP CREATE … MKSTREAM": { argv: ["XGROUP", "CREATE", KEY, "g", "$", "MKSTREAM"], since: "5.0.0" },
  "XGROUP DELCONSUMER": { argv: ["XGROUP", "DELCONSUMER", KEY, "g", "c"], since: "5.0.0" },
  XREADGROUP: { argv: ["XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "STREAMS", KEY, ">"], since: "5.0.0" },
  XACK: { argv: ["XACK", KEY, "g", "0-1"], since: "5.0.0" },
  XPENDING: { argv: ["XPENDING", KEY, "g", "-", "+", "10"], since: "5.0.0" },
  XCLAIM: { argv: ["XCLAIM", KEY, "g", "c", "1000", "0-1"], since: "5.0.0" },
  XAUTOCLAIM: { argv: ["XAUTOCLAIM", KEY, "g", "c", "1000", "0-0"], since: "6.2.0" },
  EVALSHA: { argv: ["EVALSHA", "0000000000000000000000000000000000000000", "1", KEY], script: true },
  EVAL: { argv: ["EVAL", "return 1", "1", KEY], script: true },
  "TIME (in a script)": { argv: ["TIME"], timeInScript: true },
} as const satisfies Record<string, CommandSpec>;

export type CommandLabel = keyof typeof COMMANDS;

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

/** A sample argv with its stand-ins replaced. */
export function sampleArgv(label: CommandLabel, names: { key: string; key2: string; channel: string }): string[] {
  return COMMANDS[label].argv.map((a) =>
    a === KEY ? names.key : a === KEY2 ? names.key2 : a === CHANNEL ? names.channel : a,
  );
}
