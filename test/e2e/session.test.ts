import { describe, expect, it } from "vitest";
import { ANSI, NOWHERE, runCli, scanKeys } from "../helpers/cli.js";
import { expectPassingReport, usePatternCli } from "../helpers/pattern-cli.js";
import { testPrefix } from "../helpers/redis.js";

/** `redis-patterns session` as a user runs it: human output, --json, usage errors. */
const { redis, run } = usePatternCli("session");

const VARIANTS = ["string", "hash", "lost-update", "read-latency"];

describe("session, human output", () => {
  it("--variant string shows GETEX sliding the TTL, logout and expiry, every check passing", async () => {
    const prefix = testPrefix("session-human");
    const result = await run(["--variant", "string", "--prefix", prefix]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(ANSI);
    expect(result.stdout).toContain("━━ session/string · ");
    expect(result.stdout).toMatch(/SET "?test:session-human:.*:session:[A-Za-z0-9_-]{22}"? .* EX 3600/);
    expect(result.stdout).toMatch(/GETEX \S+ EX 3600/);
    expect(result.stdout).toContain("✓ reset");
    expect(result.stdout).toContain("302 /login");
    const checks = result.stdout.split("\n").filter((l) => /^\s+[✓✗] /.test(l));
    expect(checks.length).toBeGreaterThanOrEqual(5);
    for (const line of checks) expect(line).toMatch(/^\s+✓ /);
    expect(result.stdout).toMatch(/✓ all checks passed \(1 scenario, \d+ commands\)/);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });

  it("without --variant all four run, with the side-by-side table and the latency figure", async () => {
    const result = await run(["--trace", "off", "--reads", "200"]);
    expect(result.code, result.stderr).toBe(0);
    for (const v of VARIANTS) expect(result.stdout).toContain(`━━ session/${v} · `);
    expect(result.stdout).toContain("Sessions, side by side");
    expect(result.stdout).toContain("sub-ms session reads (vs 5–50 ms DB)");
    expect(result.stdout).toMatch(/lost: 1 whole-object, 0 field-level, 0 with WATCH/);
  });
});

describe("session --json", () => {
  it("one document: every variant ok, the metrics the issue names, the figure, and no key left", async () => {
    const prefix = testPrefix("session-json");
    const result = await run(["--json", "--prefix", prefix, "--servers", "2", "--reads", "500"]);
    const report = expectPassingReport(result, "session");
    expect(report.scenarios.map((s) => s.id)).toEqual(VARIANTS.map((v) => `session/${v}`));
    for (const s of report.scenarios) {
      expect(s.ok, s.id).toBe(true);
      expect(s.checks.every((c) => c.ok)).toBe(true);
    }
    const byId = Object.fromEntries(report.scenarios.map((s) => [s.id, s]));
    const latency = byId["session/read-latency"]!;
    expect(typeof latency.metrics.readP50Ms).toBe("number");
    expect(typeof latency.metrics.readP99Ms).toBe("number");
    expect(latency.metrics.reads).toBe(500);
    expect(latency.figures[0]!.chapter).toBe("sub-ms session reads (vs 5–50 ms DB)");
    expect(latency.figures[0]!.agrees).toBe(Number(latency.metrics.readP50Ms) < 1);
    expect(byId["session/lost-update"]!.metrics).toMatchObject({ lostUpdatesWholeObject: 1, lostUpdatesFieldLevel: 0 });
    // The hash variant's two app servers are their own recorded connections.
    const clients = new Set(byId["session/hash"]!.steps.flatMap((s) => s.commands.map((c) => c.client)));
    expect([...clients].sort()).toEqual(["server-1", "server-2"]);
    expect(report.summary?.rows).toHaveLength(4);
    expect(report.cleanup.deleted).toBeGreaterThan(0);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });
});

describe("session usage errors exit 2 before connecting", () => {
  it.each([
    { args: ["--ttl", "1.5s"], says: /--ttl must be whole seconds/ },
    {
      args: ["--variant", "cookie"],
      says: /unknown variant "cookie": choose one of string, hash, lost-update, read-latency/,
    },
    { args: ["--servers", "0"], says: /--servers must be between 1 and 32, not 0/ },
  ])("session $args", async ({ args, says }) => {
    const result = await runCli(["session", ...args, ...NOWHERE]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(says);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});
