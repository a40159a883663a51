/**
 * The rule table without a server: hand-written facts in, a verdict per pattern out. Each row of the table is one
 * server situation and the verdicts a reader of the chapter would expect for it, written out by hand (not derived
 * from the rule data), so a change to the rules that flips a verdict fails here.
 */
import { describe, expect, it } from "vitest";
import { UNKNOWN, type DoctorFacts } from "../../src/doctor/facts.js";
import { PATTERNS, type PatternName } from "../../src/doctor/requirements.js";
import { evaluatePatterns, type Verdict } from "../../src/doctor/rules.js";
import { ALL_OK, ANY_KEY_EVICTED, deny, healthy, verdicts } from "./facts-fixtures.js";

interface Row {
  situation: string;
  facts: () => DoctorFacts;
  expect: Partial<Record<PatternName, Verdict>>;
  /** A word each non-ok pattern's reason must contain. */
  because?: RegExp;
}

/** No Lua for this user or server: the Lua patterns unsupported, the scripted variants unavailable. */
const NO_LUA: Row["expect"] = {
  primary: "warning",
  ratelimit: "unsupported",
  lock: "unsupported",
  cache: "warning",
  hll: "warning",
  queue: "warning",
};

const ROWS: Row[] = [
  { situation: "a healthy Redis 7.2 with AOF everysec", facts: healthy, expect: {} },
  {
    situation: "allkeys-lru with a memory limit: everything but the cache can lose keys",
    facts: () => ({ ...healthy(), memory: { maxmemory: 64 * 1024 * 1024, policy: "allkeys-lru", source: "config" } }),
    expect: ANY_KEY_EVICTED,
    because: /allkeys-lru \(maxmemory 64mb\) can evict any key/,
  },
  {
    situation: "allkeys-lfu without a memory limit: nothing is ever evicted",
    facts: () => ({ ...healthy(), memory: { maxmemory: 0, policy: "allkeys-lfu", source: "config" } }),
    expect: {},
  },
  {
    situation: "volatile-lru: keys with a TTL (sessions, rate limits, locks, daily boards, bucketed counters) can go",
    facts: () => ({ ...healthy(), memory: { maxmemory: 1_000_000, policy: "volatile-lru", source: "config" } }),
    expect: {
      primary: "warning",
      ratelimit: "warning",
      session: "warning",
      leaderboard: "warning",
      analytics: "warning",
      lock: "warning",
    },
    because: /volatile-lru .* evicts keys that have a TTL/,
  },
  {
    situation: "allkeys-random with the memory limit unknown (read from INFO)",
    facts: () => ({ ...healthy(), memory: { maxmemory: UNKNOWN, policy: "allkeys-random", source: "info" } }),
    expect: ANY_KEY_EVICTED,
    because: /allkeys-random can evict any key/,
  },
  {
    situation: "no persistence: queues and write-behind at risk",
    facts: () => ({
      ...healthy(),
      persistence: { rdbSave: "", aof: false, appendfsync: "everysec", source: "config" },
    }),
    expect: { primary: "warning", cache: "warning", queue: "warning" },
    because: /no persistence/,
  },
  {
    situation: "RDB snapshots only: a crash loses what came after the last snapshot",
    facts: () => ({
      ...healthy(),
      persistence: { rdbSave: "3600 1", aof: false, appendfsync: "everysec", source: "config" },
    }),
    expect: { primary: "warning", cache: "warning", queue: "warning" },
    because: /RDB snapshots only \(save "3600 1"\)/,
  },
  {
    situation: "AOF with appendfsync no",
    facts: () => ({ ...healthy(), persistence: { rdbSave: "", aof: true, appendfsync: "no", source: "config" } }),
    expect: { primary: "warning", cache: "warning", queue: "warning" },
    because: /appendfsync no/,
  },
  {
    situation: "persistence unknown (CONFIG refused, INFO says AOF off): reported, not held against the server",
    facts: () => ({
      ...healthy(),
      persistence: { rdbSave: UNKNOWN, aof: false, appendfsync: UNKNOWN, source: "info" },
    }),
    expect: {},
  },
  {
    situation:
      "Redis 6.0: GETEX, BLMOVE, XAUTOCLAIM, EXPIRE NX have fallbacks; ZADD GT, XTRIM MINID and COPY have none",
    facts: () => ({ ...healthy(), server: { name: "Redis", version: "6.0.16", redisVersion: "6.0.16" } }),
    expect: { leaderboard: "warning", analytics: "warning" },
    because: /(ZADD … GT|XTRIM … MINID ~|COPY): needs Redis 6\.2 \(this server: 6\.0\.16\)/,
  },
  {
    situation:
      "Redis 4.0: no streams (stream queue, time series, write-behind); BITFIELD … GET stands in for BITFIELD_RO",
    facts: () => ({ ...healthy(), server: { name: "Redis", version: "4.0.14", redisVersion: "4.0.14" } }),
    expect: { cache: "warning", leaderboard: "warning", analytics: "warning", queue: "warning" },
    because: /needs Redis (5\.0|6\.0|6\.2)/,
  },
  {
    situation:
      "an ACL user without EVAL and EVALSHA: the Lua patterns cannot run, the scripted variants are unavailable",
    facts: () => deny(healthy(), "EVAL", "EVALSHA"),
    expect: NO_LUA,
    because: /EVALSHA, EVAL: denied to ACL user default/,
  },
  {
    situation: "an ACL user without PUBLISH/SUBSCRIBE (channels): event invalidation unavailable",
    facts: () => deny(healthy(), "PUBLISH", "SUBSCRIBE"),
    expect: { primary: "warning", cache: "warning" },
    because: /(--invalidate event|feature flags refreshed by pub\/sub) unavailable/,
  },
  {
    situation: "BLMOVE and BRPOPLPUSH both denied: the reliable queue has no fallback left",
    facts: () => deny(healthy(), "BLMOVE", "BRPOPLPUSH"),
    expect: { queue: "warning" },
    because: /--kind reliable \(BLMOVE\) unavailable: .* the fallback \(BRPOPLPUSH\) too/,
  },
  {
    situation: "GET denied: sessions and the cache cannot run at all",
    facts: () => deny(healthy(), "GET"),
    expect: {
      ratelimit: "unsupported",
      cache: "unsupported",
      session: "unsupported",
      analytics: "unsupported",
      lock: "unsupported",
    },
    because: /cannot run: GET: denied/,
  },
  {
    situation: "scripts disabled (EVAL renamed away)",
    facts: () => {
      const f = healthy();
      f.lua = {
        runs: false,
        runsError: "ERR unknown command 'EVAL', with args beginning with: 'return 1' '0' ",
        time: UNKNOWN,
      };
      (f.commandTable as Record<string, boolean>).eval = false;
      (f.commandTable as Record<string, boolean>).evalsha = false;
      return f;
    },
    expect: NO_LUA,
    because: /Lua scripts do not run here \(ERR unknown command 'EVAL'\)/,
  },
  {
    situation: "TIME refused inside scripts: only ratelimit --clock real is affected",
    facts: () => ({
      ...healthy(),
      lua: { runs: true, time: false, timeError: "ERR This Redis command is not allowed from script" },
    }),
    expect: { ratelimit: "warning" },
    because: /--clock real .* unavailable: TIME \(in a script\): a script cannot call TIME/,
  },
  {
    situation: "a read-only replica: every pattern writes",
    facts: () => ({ ...healthy(), mode: "replica" as const, replicaReadOnly: true }),
    expect: Object.fromEntries(PATTERNS.map((p) => [p, "unsupported"])),
    because: /read-only replica/,
  },
  {
    situation: "a writable replica",
    facts: () => ({ ...healthy(), mode: "replica" as const, replicaReadOnly: false }),
    expect: {},
  },
  {
    situation: "a Sentinel",
    facts: () => ({ ...healthy(), mode: "sentinel" as const }),
    expect: Object.fromEntries(PATTERNS.map((p) => [p, "unsupported"])),
    because: /Sentinel/,
  },
  {
    situation: "ACL permissions unknown (DRYRUN and GETUSER refused): noted, not held against the server",
    facts: () => ({ ...healthy(), acl: { user: "app", method: "none", reason: "NOPERM", commands: {} } }),
    expect: {},
  },
  {
    situation: "everything refused (INFO, CONFIG, ACL, COMMAND): all unknown, all ok",
    facts: () => ({
      ...healthy(),
      server: { name: UNKNOWN, version: UNKNOWN, redisVersion: UNKNOWN },
      mode: UNKNOWN,
      replicaReadOnly: UNKNOWN,
      persistence: { rdbSave: UNKNOWN, aof: UNKNOWN, appendfsync: UNKNOWN, source: "none" },
      memory: { maxmemory: UNKNOWN, policy: UNKNOWN, source: "none" },
      commandTable: UNKNOWN,
      acl: { user: UNKNOWN, method: "none", reason: "NOPERM", commands: {} },
    }),
    expect: {},
  },
];

describe("the verdict table", () => {
  it.each(ROWS)("$situation", (row) => {
    const facts = row.facts();
    const expected = { ...ALL_OK, ...row.expect };
    expect(verdicts(facts)).toEqual(expected);
    const results = evaluatePatterns(facts, PATTERNS);
    for (const v of results) {
      if (v.verdict === "ok") continue;
      expect(v.reason, `${v.pattern}: ${v.reason}`).toMatch(row.because ?? /./);
      // The reason names the findings that decided the verdict, and nothing milder.
      expect(
        v.findings
          .filter((f) => f.level === v.verdict)
          .map((f) => f.text)
          .join("; "),
      ).toBe(v.reason);
    }
  });
});
