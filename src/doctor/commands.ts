/**
 * The commands doctor knows how to check, by label: each with a harmless sample argv (the key and channel names are
 * stand-ins, replaced with names under the run's prefix) and the Redis version each form first appeared in.
 */

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

/** A sample argv with its stand-ins replaced. */
export function sampleArgv(label: CommandLabel, names: { key: string; key2: string; channel: string }): string[] {
  return COMMANDS[label].argv.map((a) =>
    a === KEY ? names.key : a === KEY2 ? names.key2 : a === CHANNEL ? names.channel : a,
  );
}
