/**
 * The rule table without a server: hand-written facts in, a verdict per pattern out. Each row of the table is one
 * server situation and the verdicts a reader of the chapter would expect for it, written out by hand (not derived
 * from the rule data), so a change to the rules that flips a verdict fails here.
 */
import { describe, expect, it } from "vitest";
import { UNKNOWN, type DoctorFacts } from "../../src/doctor/facts.js";
import {
  COMMANDS,
  PATTERNS,
  PATTERN_SPECS,
  commandsFor,
  type CommandLabel,
  type PatternName,
} from "../../src/doctor/requirements.js";
import { commandAvailability, countVerdicts, evaluatePatterns, type Verdict } from "../../src/doctor/rules.js";

/** A healthy Redis 7.2: AOF everysec, no memory limit, scripts run, every command allowed by ACL DRYRUN. */
function healthy(): DoctorFacts {
  const labels = Object.keys(COMMANDS) as CommandLabel[];
  return {
    server: { name: "Redis", version: "7.2.4", redisVersion: "7.2.4" },
    mode: "standalone",
    replicaReadOnly: true,
    persistence: { rdbSave: "3600 1 300 100 60 10000", aof: true, appendfsync: "everysec", source: "config" },
    memory: { maxmemory: 0, policy: "noeviction", source: "config" },
    lua: { runs: true, time: true },
    clock: { skewMs: 0.2, uncertaintyMs: 0.1, samples: 5 },
    latency: { samples: 100, p50Ms: 0.1, p99Ms: 0.3, maxMs: 0.5 },
    commandTable: Object.fromEntries(labels.map((l) => [COMMANDS[l].argv[0].toLowerCase(), true])),
    acl: {
      user: "default",
      method: "dryrun",
      commands: Object.fromEntries(labels.map((l) => [l, { permission: "allowed" as const }])),
    },
    unknowns: [],
  };
}

function deny(facts: DoctorFacts, ...labels: CommandLabel[]): DoctorFacts {
  for (const l of labels)
    facts.acl.commands[l] = {
      permission: "denied",
      detail: `This user has no permissions to run the '${l.toLowerCase()}' command`,
    };
  return facts;
}

function verdicts(facts: DoctorFacts): Record<PatternName, Verdict> {
  return Object.fromEntries(evaluatePatterns(facts, PATTERNS).map((v) => [v.pattern, v.verdict])) as Record<
    PatternName,
    Verdict
  >;
}

const ALL_OK: Record<PatternName, Verdict> = {
  ratelimit: "ok",
  cache: "ok",
  session: "ok",
  leaderboard: "ok",
  hll: "ok",
  analytics: "ok",
  lock: "ok",
  queue: "ok",
  primary: "ok",
};

interface Row {
  situation: string;
  facts: () => DoctorFacts;
  expect: Partial<Record<PatternName, Verdict>>;
  /** A word each non-ok pattern's reason must contain. */
  because?: RegExp;
}

const ROWS: Row[] = [
  { situation: "a healthy Redis 7.2 with AOF everysec", facts: healthy, expect: {} },
  {
    situation: "allkeys-lru with a memory limit: everything but the cache can lose keys",
    facts: () => ({ ...healthy(), memory: { maxmemory: 64 * 1024 * 1024, policy: "allkeys-lru", source: "config" } }),
    expect: {
      primary: "warning",
      ratelimit: "warning",
      session: "warning",
      leaderboard: "warning",
      hll: "warning",
      analytics: "warning",
      lock: "warning",
      queue: "warning",
    },
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
    expect: {
      primary: "warning",
      ratelimit: "warning",
      session: "warning",
      leaderboard: "warning",
      hll: "warning",
      analytics: "warning",
      lock: "warning",
      queue: "warning",
    },
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
    expect: {
      primary: "warning",
      ratelimit: "unsupported",
      lock: "unsupported",
      cache: "warning",
      hll: "warning",
      queue: "warning",
    },
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
    expect: {
      primary: "warning",
      ratelimit: "unsupported",
      lock: "unsupported",
      cache: "warning",
      hll: "warning",
      queue: "warning",
    },
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

describe("what the findings say", () => {
  it("names the fallback the tool uses where a command is missing", () => {
    const facts = { ...healthy(), server: { name: "Redis", version: "6.0.16", redisVersion: "6.0.16" } };
    const byPattern = Object.fromEntries(
      evaluatePatterns(facts, PATTERNS).map((v) => [v.pattern, v.findings.map((f) => f.text).join("\n")]),
    );
    expect(byPattern.session).toMatch(
      /GETEX: needs Redis 6\.2 \(this server: 6\.0\.16\) → the tool uses GET \+ EXPIRE/,
    );
    expect(byPattern.queue).toMatch(/BLMOVE: needs Redis 6\.2 .* → the tool uses BRPOPLPUSH/);
    expect(byPattern.queue).toMatch(/XAUTOCLAIM: needs Redis 6\.2 .* → the tool uses XPENDING \+ XCLAIM/);
    expect(byPattern.analytics).toMatch(
      /EXPIRE … NX: needs Redis 7\.0 \(this server: 6\.0\.16\) → the tool uses a script: INCR, then EXPIRE on the first event instead/,
    );
    // A fallback keeps the verdict ok: the pattern runs.
    expect(verdicts(facts).session).toBe("ok");
    expect(verdicts(facts).queue).toBe("ok");
  });

  it("a renamed command is reported as missing from the server, with its fallback", () => {
    const facts = healthy();
    (facts.commandTable as Record<string, boolean>).getex = false;
    const session = evaluatePatterns(facts, ["session"])[0]!;
    expect(session.verdict).toBe("ok");
    expect(session.findings.map((f) => f.text)).toContainEqual(
      expect.stringMatching(/GETEX: not on this server \(renamed or disabled\) → the tool uses GET \+ EXPIRE/),
    );
  });

  it("the cache under allkeys-lru is what a cache wants; under noeviction with a limit, writes fail when full", () => {
    const lru = evaluatePatterns(
      { ...healthy(), memory: { maxmemory: 1 << 20, policy: "allkeys-lru", source: "config" } },
      ["cache"],
    )[0]!;
    expect(lru.verdict).toBe("ok");
    expect(lru.reason).toMatch(/what a cache wants/);
    const noevict = evaluatePatterns(
      { ...healthy(), memory: { maxmemory: 1 << 20, policy: "noeviction", source: "config" } },
      ["cache"],
    )[0]!;
    expect(noevict.verdict).toBe("ok");
    expect(noevict.reason).toMatch(/OOM/);
  });

  it("notes a clock skew beyond a second for the time-bucketed patterns only", () => {
    const facts = { ...healthy(), clock: { skewMs: -5_000, uncertaintyMs: 0.2, samples: 5 } };
    const notes = Object.fromEntries(
      evaluatePatterns(facts, PATTERNS).map((v) => [v.pattern, v.findings.filter((f) => /clock/.test(f.text))]),
    );
    expect(notes.ratelimit![0]!.text).toMatch(/5\.0 s ahead of the server's/);
    expect(notes.analytics).toHaveLength(1);
    for (const p of ["cache", "session", "leaderboard", "hll", "lock", "queue"] as const) expect(notes[p]).toEqual([]);
    expect(verdicts(facts)).toEqual(ALL_OK);
    // Within the measurement's own uncertainty nothing is said.
    const fuzzy = { ...healthy(), clock: { skewMs: 1_500, uncertaintyMs: 600, samples: 5 } };
    expect(evaluatePatterns(fuzzy, ["ratelimit"])[0]!.findings).toEqual([]);
  });

  it("sets the measured PING against the chapter's sub-millisecond session reads", () => {
    const slow = { ...healthy(), latency: { samples: 100, p50Ms: 2.5, p99Ms: 9, maxMs: 12 } };
    const session = evaluatePatterns(slow, ["session"])[0]!;
    expect(session.verdict).toBe("ok");
    expect(session.reason).toMatch(
      /PING p50 is 2\.50 ms from here: the chapter's sub-millisecond session reads will not hold/,
    );
    expect(evaluatePatterns(healthy(), ["session"])[0]!.findings).toEqual([]);
  });

  it("an ok pattern with nothing to say counts its commands", () => {
    const lock = evaluatePatterns(healthy(), ["lock"])[0]!;
    expect(lock).toMatchObject({ verdict: "ok", findings: [] });
    expect(lock.reason).toBe(
      `all ${new Set(PATTERN_SPECS.lock.uses.flatMap((u) => u.commands)).size} commands available; nothing at risk`,
    );
  });

  it("--only: verdicts for the patterns asked, in that order", () => {
    const facts = {
      ...healthy(),
      persistence: { rdbSave: "", aof: false, appendfsync: "everysec" as const, source: "config" as const },
    };
    expect(evaluatePatterns(facts, ["lock", "ratelimit"]).map((v) => [v.pattern, v.verdict])).toEqual([
      ["lock", "ok"],
      ["ratelimit", "ok"],
    ]);
    expect(countVerdicts(evaluatePatterns(facts, PATTERNS))).toEqual({ ok: 6, warning: 3, unsupported: 0 });
  });
});

describe("command availability", () => {
  it("version, then the command table, then the ACL decide", () => {
    const old = { ...healthy(), server: { name: "Valkey", version: "7.2.5", redisVersion: "6.2.0" } };
    expect(commandAvailability("GETEX", old)).toEqual({ available: true, unverified: false });
    expect(commandAvailability("EXPIRE … NX", old)).toEqual({
      available: false,
      why: "needs Redis 7.0 (this server: 6.2.0)",
    });
    const facts = healthy();
    facts.acl.commands.ZADD = { permission: "not-found", detail: "ERR Command 'ZADD' not found" };
    expect(commandAvailability("ZADD", facts)).toEqual({
      available: false,
      why: "not on this server (renamed or disabled)",
    });
    facts.acl.commands.ZCARD = { permission: UNKNOWN };
    expect(commandAvailability("ZCARD", facts)).toEqual({ available: true, unverified: true });
  });

  it("every pattern's commands and fallbacks have a sample argv that names its keys through the stand-ins", () => {
    for (const label of commandsFor(PATTERNS)) {
      const argv: readonly string[] = COMMANDS[label].argv;
      expect(argv.length, label).toBeGreaterThan(0);
      expect(argv[0], label).toMatch(/^[A-Z_]+$/);
    }
    // Each pattern the CLI offers has a spec.
    expect(Object.keys(PATTERN_SPECS).sort()).toEqual([...PATTERNS].sort());
  });
});
