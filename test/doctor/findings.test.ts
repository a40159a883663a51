/**
 * The rules without a server, beyond the verdict table (verdict-table.test.ts): what the findings say (fallbacks,
 * renamed commands, the cache's policy, clock skew, latency, --only) and how a command's availability is decided.
 */
import { describe, expect, it } from "vitest";
import { UNKNOWN } from "../../src/doctor/facts.js";
import { COMMANDS, PATTERNS, PATTERN_SPECS, commandsFor } from "../../src/doctor/requirements.js";
import { commandAvailability, countVerdicts, evaluatePatterns } from "../../src/doctor/rules.js";
import { ALL_OK, healthy, verdicts } from "./facts-fixtures.js";

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
      new RegExp(
        /EXPIRE … NX: needs Redis 7\.0 \(this server: 6\.0\.16\) → /.source +
          /the tool uses a script: INCR, then EXPIRE on the first event instead/.source,
      ),
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
