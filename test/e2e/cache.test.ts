import { describe, expect, it } from "vitest";
import { ANSI, NOWHERE, parseJsonOutput, runCli, scanKeys, startCli, waitForDataKey } from "../helpers/cli.js";
import { expectPassingReport, usePatternCli } from "../helpers/pattern-cli.js";
import { testPrefix } from "../helpers/redis.js";
import { POSTGRES_URL, postgresAnswers, postgresCacheTables } from "../patterns/cache/context.js";
import type { RunReport as Report } from "../../src/runner/report.js";

/** `redis-patterns cache` as a user runs it: human and --json output, exit codes, nothing left behind. */
const { server, redis, run } = usePatternCli("cache");

const url = () => server().url;
const commandsOf = (report: Report) => report.scenarios.flatMap((s) => s.steps.flatMap((st) => st.commands));

describe("cache (human)", () => {
  it("compares the four strategies over SQLite, with database statements in the trace", async () => {
    const prefix = testPrefix("e2e-cache");
    const result = await run(["--prefix", prefix]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(ANSI);
    for (const id of ["cache/cache-aside", "cache/read-through", "cache/write-through", "cache/write-behind"])
      expect(result.stdout).toContain(`━━ ${id}`);
    expect(result.stdout).toContain("The four strategies on the same workload");
    expect(result.stdout).toMatch(/\[db\] SELECT id, name, version FROM rp_cache_\w+ WHERE id = \?/);
    expect(result.stdout).toMatch(/\[worker\] \[db\] UPDATE rp_cache_\w+ SET name = v\.name/);
    expect(result.stdout).toMatch(/\[db\] DROP TABLE rp_cache_\w+/);
    expect(result.stdout).toContain("✓ all checks passed");
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });

  it("the stale-set race, step by step", async () => {
    const result = await run(["--race"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("━━ cache/stale-set-race");
    expect(result.stdout).toMatch(/\[reader\] SET \S+:cache:race:plain:user:1/);
    expect(result.stdout).toMatch(/✓ the race reproduces without the fix/);
    expect(result.stdout).toMatch(/✓ with the fix the reader's late fill of v1 was refused/);
  });
});

describe("cache --json", () => {
  it("write-behind --crash-before-flush: lostWrites equals the pending writes, in one JSON document", async () => {
    const prefix = testPrefix("e2e-cache");
    const result = await runCli([
      "cache",
      "--strategy",
      "write-behind",
      "--crash-before-flush",
      "--json",
      "--url",
      url(),
      "--prefix",
      prefix,
    ]);
    const report = expectPassingReport(result, "cache");
    expect(report.scenarios.map((s) => s.id)).toEqual(["cache/write-behind"]);
    const m = report.scenarios[0]!.metrics;
    for (const name of ["hits", "misses", "dbReads", "dbWrites", "staleReads", "lostWrites"])
      expect(m[name], name).not.toBeUndefined();
    expect(m.lostWrites).toBe(m.pendingAtCrash);
    const db = commandsOf(report).filter((c) => c.source === "db");
    expect(db.length).toBeGreaterThan(0);
    expect(
      db.every((c) => typeof c.argv[0] === "string" && /^(CREATE|INSERT|SELECT|UPDATE|DROP)\b/.test(c.argv[0])),
    ).toBe(true);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
  });

  it("--invalidate event: instances subscribe on own connections; the one away reconnects on a new one", async () => {
    const result = await runCli(["cache", "--invalidate", "event", "--instances", "3", "--json", "--url", url()]);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<Report>(result);
    const clients = new Set(
      commandsOf(report)
        .filter((c) => c.source !== "db")
        .map((c) => c.client),
    );
    expect([...clients].sort()).toEqual([
      "instance-1",
      "instance-1:sub",
      "instance-2",
      "instance-2:sub",
      "instance-3",
      "instance-3:sub",
      "instance-3:sub#2",
      "instance-3:sub#3",
      "main",
    ]);
    const publishes = commandsOf(report).filter((c) => c.argv[0] === "PUBLISH");
    expect(publishes.map((c) => c.reply)).toEqual([3, 3, 2, 2]);
    expect(report.scenarios[0]!.metrics).toMatchObject({
      missedInvalidations: 2,
      staleReadsWithoutRecovery: 1,
      staleReadsWithRecovery: 0,
    });
  });

  it("--stampede compares the three protections in one summary table", async () => {
    const result = await runCli(["cache", "--stampede", "--concurrency", "4", "--json", "--url", url()]);
    expect(result.code, result.stderr).toBe(0);
    const report = parseJsonOutput<Report>(result);
    expect(report.scenarios.map((s) => s.id)).toEqual([
      "cache/stampede-none",
      "cache/stampede-lock",
      "cache/stampede-early-expiry",
    ]);
    expect(report.summary?.rows.map((r) => r[0])).toEqual(["none", "lock", "early-expiry"]);
    expect(report.scenarios[1]!.metrics.dbLoads).toBe(1);
    expect(Number(report.scenarios[0]!.metrics.dbLoads)).toBeGreaterThanOrEqual(4);
  });
});

const pgUp = await postgresAnswers();
if (!pgUp) console.warn(`PostgreSQL does not answer at ${POSTGRES_URL}: the --db postgres end-to-end test is skipped`);

describe.skipIf(!pgUp)("cache --db postgres://…", () => {
  it("runs against PostgreSQL, never prints the URL's password, and drops its table", async () => {
    const withPassword = POSTGRES_URL.replace("postgres://postgres@", "postgres://postgres:not-a-real-secret@");
    const result = await runCli(["cache", "--strategy", "cache-aside", "--db", withPassword, "--json", "--url", url()]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toContain("not-a-real-secret");
    const report = parseJsonOutput<Report>(result);
    expect(report.scenarios[0]!.title).toContain("PostgreSQL");
    expect(report.scenarios[0]!.params.dbLatencyMs).toBe(0);
    const tables = commandsOf(report)
      .map((c) => /^CREATE TABLE (\w+)/.exec(c.argv[0] ?? "")?.[1])
      .filter((t): t is string => !!t);
    expect(tables).toHaveLength(1);
    expect(await postgresCacheTables(tables)).toEqual([]);
  });
});

describe("SIGINT during a run", () => {
  it("exits 130, deletes the keys, and the teardown still drops the table", async () => {
    const prefix = testPrefix("e2e-cache-sigint");
    const db = pgUp ? ["--db", POSTGRES_URL] : [];
    // --invalidate ttl waits in real time for a 2 s TTL: long enough to interrupt once its entries exist.
    const { child, done } = startCli(
      ["cache", "--invalidate", "ttl", "--ttl", "2s", ...db, "--json", "--prefix", prefix, "--url", url()],
      { timeoutMs: 30_000 },
    );
    await waitForDataKey(child, redis(), prefix);
    child.kill("SIGINT");
    const result = await done;
    expect(result.code, result.stderr).toBe(130);
    expect(await scanKeys(redis(), prefix)).toEqual([]);
    const report = parseJsonOutput<Report & { interrupted?: boolean }>(result);
    expect(report.interrupted).toBe(true);
    const steps = report.scenarios[0]!.steps;
    expect(steps.at(-1)!.title).toBe("Teardown");
    const drop = steps.at(-1)!.commands.find((c) => c.source === "db");
    expect(drop?.argv[0]).toMatch(/^DROP TABLE rp_cache_\w+$/);
    if (pgUp) expect(await postgresCacheTables([drop!.argv[0]!.slice("DROP TABLE ".length)])).toEqual([]);
  });
});

describe("usage errors exit 2 before connecting", () => {
  it.each([
    [
      ["--strategy", "write-around"],
      /unknown strategy "write-around": choose one of cache-aside, read-through, write-through, write-behind/,
    ],
    [
      ["--invalidate", "ttl", "--race"],
      /choose one of --strategy\/--compare, --invalidate, --stampede, --race and --topology/,
    ],
    [["--db", "mysql://x/y"], /--db "mysql:\/\/x\/y": use sqlite/],
    [["--instances", "3"], /--instances applies to --invalidate event and --topology only/],
    [["--crash-before-flush", "--strategy", "cache-aside"], /--crash-before-flush applies to --strategy write-behind/],
    [["--protect", "mutex"], /unknown protection "mutex"/],
    [["--ttl", "0s"], /invalid duration "0s"/],
  ])("cache %j", async (args, says) => {
    const result = await runCli(["cache", ...args, ...NOWHERE]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(says);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});
